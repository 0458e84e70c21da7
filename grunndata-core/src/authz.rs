//! The authorisation rule: is HPR person P authorised as category C on date D?
//!
//! [`authorised`] answers with a [`Verdict`]: authorised (with the approval that carries it),
//! or not, with one [`Reason`] a person can act on. It is a pure function of the record and
//! the date; the caller passes "today".
//!
//! ## The rule
//!
//! 1. A record replaced by another HPR number is stale → [`Reason::ReplacedBy`], whatever its
//!    approvals say: the live data is under the new number.
//! 2. A person with a date of death on or before D → [`Reason::Deceased`]. Not in the issue's
//!    list, but HPR can hold open approvals for the dead (a consistency check exists for
//!    exactly that), and answering "authorised" for them would be wrong.
//! 3. No approval (godkjenning) in category C → [`Reason::NoSuchApproval`].
//! 4. Each approval in C is judged on its own, in this order:
//!    its authorisation type must count as an authorisation (7704 values `1, 2, 4, 14, 17,
//!    18`, NAV's rule; see [`codes::authorisation`](crate::codes::authorisation)) →
//!    else [`Reason::NotAnAuthorisation`]; it must have no end status (avsluttet status) →
//!    else [`Reason::Ended`]; D must lie in its period, `to` inclusive → else
//!    [`Reason::NotYetValid`] / [`Reason::Expired`]; no suspension period may cover D → else
//!    [`Reason::Suspended`].
//! 5. Authorised if **any** approval in C passes (the one with the latest start is reported).
//!    Otherwise the most informative failure is reported, ranked
//!    Suspended > Ended > Expired > NotYetValid > NotAnAuthorisation: a suspension is about
//!    an approval that is otherwise in force now, an end status is a decision by the authority,
//!    a lapse by date is routine, and a non-authorisation type says least about the person.
//!    Among several expiries the latest `to` is reported; among several future starts the
//!    earliest `from`.
//!
//! Administrative reactions and conditions (vilkår) are not interpreted: their types are
//! undocumented in the sources we have, and guessing would be worse than showing them.
//!
//! ```
//! use chrono::NaiveDate;
//! use grunndata_core::authz::{self, Reason};
//! use grunndata_core::codes::{Category, Code, CodeSystemId};
//! use grunndata_core::model::{Approval, HealthPersonnel, Name, Period};
//!
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! let approval = Approval {
//!     id: None,
//!     category: Category::LE,
//!     authorisation: Some(Code::new(CodeSystemId::AUTHORISATION, "1")),
//!     validity: Period::new(Some(day(2020, 1, 1)), Some(day(2026, 3, 31))),
//!     end_status: None,
//!     internship_approved: None,
//!     suspensions: vec![],
//!     specialities: vec![],
//!     requisition_rights: vec![],
//!     additional_competences: vec![],
//!     conditions: vec![],
//!     administrative_reactions: vec![],
//! };
//! let personnel = HealthPersonnel {
//!     hpr_number: "9144889".parse()?,
//!     nin: None,
//!     missing_nin: false,
//!     name: Name::default(),
//!     birth_date: None,
//!     death_date: None,
//!     replaced_by: None,
//!     approvals: vec![approval],
//!     administrative_reactions: vec![],
//!     last_updated: None,
//! };
//!
//! assert!(authz::authorised(&personnel, &Category::LE, day(2026, 3, 31)).is_authorised());
//! let verdict = authz::authorised(&personnel, &Category::LE, day(2026, 4, 1));
//! assert_eq!(verdict.reason(), Some(&Reason::Expired { to: day(2026, 3, 31) }));
//! assert_eq!(verdict.to_string(), "not authorised as LE Lege: expired 2026-03-31");
//! # Ok::<(), grunndata_core::id::IdError>(())
//! ```

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::{Category, Code, authorisation};
use crate::id::HprNumber;
use crate::model::{Approval, HealthPersonnel, Period, RequisitionRight, Speciality};

/// The answer to "is this person authorised as this category on this day?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Authorised, by `approval` (a copy, so the verdict outlives the record it was read from).
    Authorised {
        /// The category asked about.
        category: Category,
        /// The approval in force.
        approval: Box<Approval>,
    },
    /// Not authorised, and why.
    NotAuthorised {
        /// The category asked about.
        category: Category,
        /// The reason (see the module docs for which one is chosen).
        reason: Reason,
    },
}

impl Verdict {
    /// Whether the person is authorised.
    pub fn is_authorised(&self) -> bool {
        matches!(self, Self::Authorised { .. })
    }

    /// The category asked about.
    pub fn category(&self) -> &Category {
        match self {
            Self::Authorised { category, .. } | Self::NotAuthorised { category, .. } => category,
        }
    }

    /// The approval in force, when authorised.
    pub fn approval(&self) -> Option<&Approval> {
        match self {
            Self::Authorised { approval, .. } => Some(approval),
            Self::NotAuthorised { .. } => None,
        }
    }

    /// Why not, when not authorised.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Self::Authorised { .. } => None,
            Self::NotAuthorised { reason, .. } => Some(reason),
        }
    }
}

impl fmt::Display for Verdict {
    /// One sentence for people: `authorised as LE Lege (1 Autorisasjon, 2020-01-01 –)` or
    /// `not authorised as LE Lege: expired 2026-03-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authorised { category, approval } => {
                write!(f, "authorised as {}", category.label())?;
                match &approval.authorisation {
                    Some(kind) => write!(f, " ({kind}, {})", approval.validity),
                    None => write!(f, " ({})", approval.validity),
                }
            }
            Self::NotAuthorised { category, reason } => {
                write!(f, "not authorised as {}: {reason}", category.label())
            }
        }
    }
}

/// Why a person is not authorised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The HPR record is replaced by another number (erstattet av); ask about that one.
    ReplacedBy {
        /// The number that replaces this one.
        hpr: HprNumber,
    },
    /// The person died on or before the day asked about.
    Deceased {
        /// Date of death.
        date: NaiveDate,
    },
    /// The person holds no approval in the category.
    NoSuchApproval,
    /// The approval's type (7704) does not count as an authorisation (e.g. a student), or is
    /// missing.
    NotAnAuthorisation {
        /// The type the approval has.
        authorisation: Option<Code>,
    },
    /// The approval starts after the day asked about.
    NotYetValid {
        /// Its first valid day.
        from: NaiveDate,
    },
    /// The approval ended before the day asked about.
    Expired {
        /// Its last valid day.
        to: NaiveDate,
    },
    /// The approval has an end status (avsluttet status), e.g. revoked or surrendered.
    Ended {
        /// The end status as HPR sends it.
        status: Code,
    },
    /// A suspension period covers the day asked about.
    Suspended {
        /// The suspension period.
        period: Period,
    },
}

impl Reason {
    /// Rank among per-approval failures; higher is reported in preference (module docs, 5).
    fn rank(&self) -> u8 {
        match self {
            Self::Suspended { .. } => 5,
            Self::Ended { .. } => 4,
            Self::Expired { .. } => 3,
            Self::NotYetValid { .. } => 2,
            Self::NotAnAuthorisation { .. } => 1,
            Self::ReplacedBy { .. } | Self::Deceased { .. } | Self::NoSuchApproval => 0,
        }
    }

    /// Whether `self` should be reported rather than `other`.
    fn beats(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Expired { to: a }, Self::Expired { to: b }) => a > b,
            (Self::NotYetValid { from: a }, Self::NotYetValid { from: b }) => a < b,
            _ => self.rank() > other.rank(),
        }
    }
}

impl fmt::Display for Reason {
    /// The reason for people, completing "not authorised as LE Lege: …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReplacedBy { hpr } => write!(f, "replaced by HPR {hpr}"),
            Self::Deceased { date } => write!(f, "deceased {date}"),
            Self::NoSuchApproval => f.write_str("no approval in this category"),
            Self::NotAnAuthorisation {
                authorisation: Some(kind),
            } => write!(f, "the approval is not an authorisation ({kind})"),
            Self::NotAnAuthorisation {
                authorisation: None,
            } => f.write_str("the approval has no authorisation type"),
            Self::NotYetValid { from } => write!(f, "not valid until {from}"),
            Self::Expired { to } => write!(f, "expired {to}"),
            Self::Ended { status } => write!(f, "ended ({status})"),
            Self::Suspended { period } => write!(f, "suspended {period}"),
        }
    }
}

/// Whether `personnel` is authorised as `category` on `on`; see the module docs for the rule.
pub fn authorised(personnel: &HealthPersonnel, category: &Category, on: NaiveDate) -> Verdict {
    let not = |reason| Verdict::NotAuthorised {
        category: category.clone(),
        reason,
    };
    if let Some(hpr) = personnel.replaced_by {
        return not(Reason::ReplacedBy { hpr });
    }
    if let Some(date) = personnel.death_date.filter(|&date| date <= on) {
        return not(Reason::Deceased { date });
    }

    let mut in_force: Option<&Approval> = None;
    let mut best: Option<Reason> = None;
    for approval in personnel.approvals_in(category) {
        match judge(approval, on) {
            Ok(()) => {
                // Report the newest approval in force: it is what HPR shows as current.
                if in_force.is_none_or(|current| approval.validity.from > current.validity.from) {
                    in_force = Some(approval);
                }
            }
            Err(reason) => {
                if best.as_ref().is_none_or(|best| reason.beats(best)) {
                    best = Some(reason);
                }
            }
        }
    }

    match (in_force, best) {
        (Some(approval), _) => Verdict::Authorised {
            category: category.clone(),
            approval: Box::new(approval.clone()),
        },
        (None, Some(reason)) => not(reason),
        (None, None) => not(Reason::NoSuchApproval),
    }
}

/// Whether one approval is an authorisation in force on `on` (the module docs' step 4), and
/// why not. Judges the approval alone, not the person (replaced, deceased): consistency checks
/// need to know which approval a right hangs under is not in force.
pub fn approval_in_force(approval: &Approval, on: NaiveDate) -> Result<(), Reason> {
    judge(approval, on)
}

/// Judges one approval on `on`, in the order of the module docs (step 4).
fn judge(approval: &Approval, on: NaiveDate) -> Result<(), Reason> {
    let counts = approval
        .authorisation
        .as_ref()
        .is_some_and(|kind| authorisation::counts_as_authorisation(&kind.value));
    if !counts {
        return Err(Reason::NotAnAuthorisation {
            authorisation: approval.authorisation.clone(),
        });
    }
    if let Some(status) = &approval.end_status {
        return Err(Reason::Ended {
            status: status.clone(),
        });
    }
    if let Some(from) = approval.validity.from.filter(|&from| on < from) {
        return Err(Reason::NotYetValid { from });
    }
    if let Some(to) = approval.validity.to.filter(|&to| to < on) {
        return Err(Reason::Expired { to });
    }
    if let Some(suspension) = approval.suspension_on(on) {
        return Err(Reason::Suspended {
            period: suspension.period,
        });
    }
    Ok(())
}

/// The requisition rights (rekvisisjonsretter) in force on `on`, across all approvals.
///
/// Judged on their own period, end status and suspensions only — not on the approval they
/// hang under — so that a right outliving its authorisation is visible (a consistency check
/// reports exactly that).
pub fn requisition_rights(personnel: &HealthPersonnel, on: NaiveDate) -> Vec<&RequisitionRight> {
    personnel
        .approvals
        .iter()
        .flat_map(|approval| &approval.requisition_rights)
        .filter(|right| right.is_valid_on(on))
        .collect()
}

/// The specialist approvals (spesialistgodkjenninger) in force on `on`, across all approvals;
/// judged on their own like [`requisition_rights`].
pub fn specialities(personnel: &HealthPersonnel, on: NaiveDate) -> Vec<&Speciality> {
    personnel
        .approvals
        .iter()
        .flat_map(|approval| &approval.specialities)
        .filter(|speciality| speciality.is_valid_on(on))
        .collect()
}

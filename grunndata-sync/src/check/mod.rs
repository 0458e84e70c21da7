//! The consistency-check engine behind `grunndata check`.
//!
//! Runs the rules of [`grunndata_core::check::RULES`] against a [`Store`] and returns
//! [`Finding`]s in a deterministic order (catalogue order, then keys). Rules that join
//! registers are set-based SQL written once for SQLite and PostgreSQL (typed columns, `$n`
//! placeholders, nothing backend-specific), so both backends give the same findings; rules that
//! judge one record stream the records through the pure functions of
//! [`grunndata_core::check`], one row at a time. One file per rule family:
//!
//! | file | rules |
//! |---|---|
//! | `identifiers.rs` | `identifier-invalid` |
//! | `ar_brreg.rs` | `ar-org-missing-in-brreg`, `ar-org-inactive-in-brreg` |
//! | `ar_tree.rs` | `ar-parent-missing`, `ar-parent-inactive`, `ar-parent-cycle` |
//! | `ar_hpr.rs` | `ar-person-hpr-missing`, `ar-person-hpr-replaced`, `ar-person-not-authorised` |
//! | `personnel.rs` | `hpr-right-without-authorisation`, `hpr-deceased-with-open-approval`, `hpr-duplicate-nin` |
//! | `brreg.rs` | `brreg-parent-missing`, `brreg-parent-deleted` |
//! | `ar_party.rs` | `ar-certificate-expired`, `ar-certificate-expiring`, `ar-no-message-address`, `ar-duplicate-organisation` |
//! | `staleness.rs` | `register-stale`, `register-quarantine` |
//!
//! Messages never hold a whole person number: NINs are shown as [`NationalId::masked`].
//!
//! [`NationalId::masked`]: grunndata_core::id::NationalId::masked

mod ar_brreg;
mod ar_hpr;
mod ar_party;
mod ar_tree;
mod brreg;
mod finding;
mod identifiers;
mod personnel;
mod staleness;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

pub use finding::{Finding, Summary, summarise};
pub use grunndata_core::check::{RULES, Rule, Severity};

use crate::config::Config;
use crate::store::{Register, Store, StoreError, Value};

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The store failed (unreachable, or a query failed).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--rule` named a rule that does not exist.
    #[error("unknown rule {0:?}; `grunndata check --list` shows the rules")]
    UnknownRule(String),
    /// A stored record no longer reads as the current model (a bug or a missing migration).
    #[error("stored {register} record {key} does not read as the current model")]
    Decode {
        /// The register.
        register: Register,
        /// The record's key (never a NIN: person records are keyed by their opaque id).
        key: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// What to check, and as of when.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The instant to judge at: AR validity and certificates use it, day-based rules (HPR
    /// approvals, Brreg dates) use its UTC day.
    pub at: DateTime<Utc>,
    /// Warning period of `ar-certificate-expiring`, in days (default 30).
    pub certificate_days: u32,
    /// Only these rules (ids); `None` runs every rule.
    pub rules: Option<Vec<&'static Rule>>,
    /// Only findings about these registers; `None` for all.
    pub registers: Option<Vec<Register>>,
    /// How long each register may go without a successful sync (`register-stale`).
    pub stale_after: BTreeMap<Register, Duration>,
    /// The registers this deployment mirrors (`[sync] sources`). Findings are only about
    /// these, and a rule that joins a register outside them is skipped
    /// ([`skipped_rules`](Self::skipped_rules)): it would flag every record for what the
    /// mirror cannot see.
    pub mirrored: Vec<Register>,
}

/// A selected rule that did not run, and the registers it needs that are not mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    /// The rule.
    pub rule: &'static Rule,
    /// What it needs that `[sync] sources` does not mirror.
    pub missing: Vec<Register>,
}

impl CheckOptions {
    /// Every rule, at `at`, with the staleness thresholds of `config`.
    pub fn new(at: DateTime<Utc>, config: &Config) -> Self {
        Self {
            at,
            certificate_days: grunndata_core::check::party::CERTIFICATE_WARNING_DAYS,
            rules: None,
            registers: None,
            stale_after: Register::ALL
                .into_iter()
                .map(|register| (register, config.stale_after(register)))
                .collect(),
            mirrored: config.mirrored_registers(),
        }
    }

    /// The registers `rule` needs that are not mirrored (empty when it can run).
    fn missing(&self, rule: &Rule) -> Vec<Register> {
        rule.needs()
            .filter(|register| !self.mirrored.contains(register))
            .collect()
    }

    /// The rules that were asked for (by `rules` and `registers`) but are skipped because
    /// they need a register that is not mirrored, with what is missing.
    pub fn skipped_rules(&self) -> Vec<SkippedRule> {
        RULES
            .iter()
            .filter(|rule| self.asked_for(rule))
            .filter_map(|rule| {
                let missing = self.missing(rule);
                (!missing.is_empty()).then_some(SkippedRule { rule, missing })
            })
            .collect()
    }

    /// Restricts the check to the rules named in `ids`.
    pub fn only_rules<S: AsRef<str>>(mut self, ids: &[S]) -> Result<Self, CheckError> {
        let rules = ids
            .iter()
            .map(|id| {
                grunndata_core::check::rule(id.as_ref().trim())
                    .ok_or_else(|| CheckError::UnknownRule(id.as_ref().to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.rules = Some(rules);
        Ok(self)
    }

    /// The UTC day of [`at`](Self::at), for day-based rules.
    pub fn on(&self) -> NaiveDate {
        self.at.date_naive()
    }

    /// The rules that will run, in catalogue order.
    pub fn selected_rules(&self) -> Vec<&'static Rule> {
        RULES.iter().filter(|rule| self.wants(rule.id)).collect()
    }

    /// Whether `rule` is selected and can produce findings about a selected register.
    fn asked_for(&self, rule: &Rule) -> bool {
        let chosen = self
            .rules
            .as_ref()
            .is_none_or(|rules| rules.iter().any(|chosen| chosen.id == rule.id));
        let covered = self.registers.as_ref().is_none_or(|registers| {
            registers
                .iter()
                .any(|register| rule.covers(register.as_str()))
        });
        chosen && covered
    }

    /// Whether rule `id` is asked for and everything it reads is mirrored.
    fn wants(&self, id: &str) -> bool {
        grunndata_core::check::rule(id)
            .is_some_and(|rule| self.asked_for(rule) && self.missing(rule).is_empty())
    }

    /// Whether findings about `register` are wanted: it is mirrored and selected.
    fn wants_register(&self, register: Register) -> bool {
        self.mirrored.contains(&register)
            && self
                .registers
                .as_ref()
                .is_none_or(|registers| registers.contains(&register))
    }

    /// `$1` of the AR activity condition: the instant.
    fn at_arg(&self) -> Value {
        Value::timestamp(self.at)
    }

    /// The day, as an argument.
    fn on_arg(&self) -> Value {
        Value::Date(Some(self.on()))
    }
}

/// SQL condition: AR party `alias` is active at the instant bound as `$1`
/// (`valid_from <= at < valid_to`, open ends unbounded), as [`CommunicationParty::is_active_at`].
///
/// [`CommunicationParty::is_active_at`]: grunndata_core::model::CommunicationParty::is_active_at
fn ar_active(alias: &str) -> String {
    format!(
        "({alias}.valid_from IS NULL OR {alias}.valid_from <= $1) \
         AND ({alias}.valid_to IS NULL OR {alias}.valid_to > $1)"
    )
}

/// Collects the findings of one run, and the first decode error of a streamed record.
struct Findings<'a> {
    options: &'a CheckOptions,
    found: Vec<Finding>,
}

impl<'a> Findings<'a> {
    fn new(options: &'a CheckOptions) -> Self {
        Self {
            options,
            found: Vec::new(),
        }
    }

    /// Records a finding of rule `id` (which must be in the catalogue).
    fn push(
        &mut self,
        id: &'static str,
        register: Register,
        keys: Vec<(&'static str, String)>,
        message: String,
    ) {
        // A family may scan once for several rules; keep only the findings of selected ones.
        if let Some(rule) = grunndata_core::check::rule(id)
            && self.options.wants(id)
            && self.options.wants_register(register)
        {
            self.found.push(Finding {
                rule,
                register,
                keys,
                message,
            });
        }
    }
}

/// Decodes a stored record's canonical JSON, naming the record when it fails.
fn decode<R: serde::de::DeserializeOwned>(
    register: Register,
    key: &str,
    json: &str,
) -> Result<R, CheckError> {
    serde_json::from_str(json).map_err(|source| CheckError::Decode {
        register,
        key: key.to_string(),
        source,
    })
}

/// Runs the selected rules against `store` and returns every finding, in catalogue order and
/// then by keys.
pub async fn run(store: &Store, options: &CheckOptions) -> Result<Vec<Finding>, CheckError> {
    let mut findings = Findings::new(options);
    identifiers::check(store, &mut findings).await?;
    ar_brreg::check(store, &mut findings).await?;
    ar_tree::check(store, &mut findings).await?;
    ar_hpr::check(store, &mut findings).await?;
    personnel::check(store, &mut findings).await?;
    brreg::check(store, &mut findings).await?;
    ar_party::check(store, &mut findings).await?;
    staleness::check(store, &mut findings).await?;
    let mut found = findings.found;
    found.sort_by_cached_key(Finding::sort_key);
    Ok(found)
}

/// Streams the rows of `sql` through `each`, stopping at (and returning) its first error.
async fn scan<F>(
    store: &Store,
    operation: &'static str,
    register: Option<Register>,
    sql: &str,
    args: &[Value],
    kinds: &[crate::store::Kind],
    mut each: F,
) -> Result<(), CheckError>
where
    F: FnMut(crate::store::Row) -> Result<(), CheckError> + Send,
{
    let mut failed = None;
    store
        .check_scan(operation, register, sql, args, kinds, |row| {
            if failed.is_none()
                && let Err(error) = each(row)
            {
                failed = Some(error);
            }
        })
        .await?;
    failed.map_or(Ok(()), Err)
}

/// The date in column `index` of `row`.
fn date(row: &mut crate::store::Row, index: usize) -> Option<NaiveDate> {
    match row.value(index) {
        Value::Date(date) => date,
        _ => None,
    }
}

//! Rules on an HPR record's approvals: is any in force, do rights outlive their approval, are
//! approvals still open for someone who has died.
//!
//! All three build on [`authz`](crate::authz), so "in force" means exactly what `grunndata
//! authz` answers.

use chrono::NaiveDate;

use crate::authz::{self, Reason};
use crate::model::{Approval, HealthPersonnel};

/// Why none of the person's approvals is an authorisation in force on `on`, or `None` when
/// at least one is (rule `ar-person-not-authorised`).
///
/// The reason is that of the first category, in approval order, as `grunndata authz` would
/// give it; a person with no approval at all gets [`Reason::NoSuchApproval`].
pub fn not_in_force(personnel: &HealthPersonnel, on: NaiveDate) -> Option<Reason> {
    let mut first_reason = None;
    for approval in &personnel.approvals {
        let verdict = authz::authorised(personnel, &approval.category, on);
        match verdict.reason() {
            None => return None,
            Some(reason) => {
                first_reason.get_or_insert_with(|| reason.clone());
            }
        }
    }
    Some(first_reason.unwrap_or(Reason::NoSuchApproval))
}

/// Rights in force under one approval that is not (rule `hpr-right-without-authorisation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbackedRights<'a> {
    /// The approval the rights hang under.
    pub approval: &'a Approval,
    /// Why the approval is not in force.
    pub reason: Reason,
    /// The rights in force, for people: `requisition right 1 Full rekvisisjonsrett`,
    /// `speciality 1 Allmennmedisin`.
    pub rights: Vec<String>,
}

/// Every approval of `personnel` that carries a requisition right or speciality in force on
/// `on` while the approval itself is not an authorisation in force — judged per approval, so
/// a valid approval in another category does not hide it.
pub fn rights_without_authorisation(
    personnel: &HealthPersonnel,
    on: NaiveDate,
) -> Vec<UnbackedRights<'_>> {
    personnel
        .approvals
        .iter()
        .filter_map(|approval| {
            let reason = authz::approval_in_force(approval, on).err()?;
            let rights: Vec<String> = approval
                .requisition_rights
                .iter()
                .filter(|right| right.is_valid_on(on))
                .map(|right| format!("requisition right {}", right.kind))
                .chain(
                    approval
                        .specialities
                        .iter()
                        .filter(|speciality| speciality.is_valid_on(on))
                        .map(|speciality| format!("speciality {}", speciality.kind)),
                )
                .collect();
            (!rights.is_empty()).then_some(UnbackedRights {
                approval,
                reason,
                rights,
            })
        })
        .collect()
}

/// The approvals still open on `on`: no end status (avsluttet status) and a period that has
/// not run out (rule `hpr-deceased-with-open-approval`, given a person known to have died).
pub fn open_approvals(personnel: &HealthPersonnel, on: NaiveDate) -> Vec<&Approval> {
    personnel
        .approvals
        .iter()
        .filter(|approval| approval.end_status.is_none() && !approval.validity.ended_before(on))
        .collect()
}

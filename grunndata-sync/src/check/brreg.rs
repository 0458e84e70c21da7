//! Rules `brreg-parent-missing` and `brreg-parent-deleted`: a live Brreg sub-unit against its
//! overordnet enhet. One self-join, both backends.
//!
//! A sub-unit whose parent number is invalid has no typed parent and is reported by
//! `identifier-invalid` instead, so it is left out here.

use super::{CheckError, Findings, date, scan};
use crate::store::{Kind, Register, Store};

const MISSING: &str = "brreg-parent-missing";
const DELETED: &str = "brreg-parent-deleted";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    if !findings.options.wants(MISSING) && !findings.options.wants(DELETED) {
        return Ok(());
    }
    // $1 = the day.
    let sql = "SELECT s.org_number, s.parent_org_number, p.org_number, p.deleted_date \
               FROM brreg s LEFT JOIN brreg p ON p.org_number = s.parent_org_number \
               WHERE s.unit = 'sub_unit' AND (s.deleted_date IS NULL OR s.deleted_date > $1) \
                 AND ((s.parent_org_number IS NULL AND s.invalid_ids IS NULL) \
                      OR (s.parent_org_number IS NOT NULL \
                          AND (p.org_number IS NULL OR p.deleted_date <= $1)))";
    let args = [findings.options.on_arg()];
    let kinds = [Kind::Text, Kind::Text, Kind::Text, Kind::Date];
    scan(
        store,
        "checking Brreg parents",
        Some(Register::Brreg),
        sql,
        &args,
        &kinds,
        |mut row| {
            let org_number = row.text(0).unwrap_or_default();
            let parent = row.text(1);
            let parent_found = row.text(2).is_some();
            let deleted = date(&mut row, 3);
            match (parent, deleted) {
            (None, _) => findings.push(
                MISSING,
                Register::Brreg,
                vec![("org_number", org_number.clone())],
                format!("Brreg sub-unit {org_number} has no overordnet enhet"),
            ),
            (Some(parent), Some(deleted)) if parent_found => findings.push(
                DELETED,
                Register::Brreg,
                vec![("org_number", org_number.clone()), ("parent_org_number", parent.clone())],
                format!(
                    "Brreg sub-unit {org_number} belongs to {parent}, which was deleted {deleted}"
                ),
            ),
            (Some(parent), _) => findings.push(
                MISSING,
                Register::Brreg,
                vec![("org_number", org_number.clone()), ("parent_org_number", parent.clone())],
                format!(
                    "Brreg sub-unit {org_number} belongs to {parent}, which is not in the mirror"
                ),
            ),
        }
            Ok(())
        },
    )
    .await
}

//! Rules `ar-org-missing-in-brreg` and `ar-org-inactive-in-brreg`: an active AR organisation
//! against the Brreg unit its organisation number names. One join, both backends.

use super::{CheckError, Findings, ar_active, date, scan};
use crate::store::{Kind, Register, Store};

const MISSING: &str = "ar-org-missing-in-brreg";
const INACTIVE: &str = "ar-org-inactive-in-brreg";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let (missing, inactive) = (
        findings.options.wants(MISSING),
        findings.options.wants(INACTIVE),
    );
    if !missing && !inactive {
        return Ok(());
    }
    // $1 = the instant (AR validity), $2 = the day (Brreg dates).
    let sql = format!(
        "SELECT a.her_id, a.org_number, a.name, b.org_number, b.deleted_date, b.closed_date, \
                b.bankrupt, b.under_liquidation, b.under_compulsory_liquidation \
         FROM ar a LEFT JOIN brreg b ON b.org_number = a.org_number \
         WHERE a.kind = 'organisation' AND a.org_number IS NOT NULL AND {} \
           AND (b.org_number IS NULL OR b.deleted_date <= $2 OR b.closed_date <= $2 \
                OR b.bankrupt OR b.under_liquidation OR b.under_compulsory_liquidation)",
        ar_active("a")
    );
    let args = [findings.options.at_arg(), findings.options.on_arg()];
    let kinds = [
        Kind::Int,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Date,
        Kind::Date,
        Kind::Bool,
        Kind::Bool,
        Kind::Bool,
    ];
    let on = findings.options.on();
    scan(
        store,
        "checking AR against Brreg",
        Some(Register::Ar),
        &sql,
        &args,
        &kinds,
        |mut row| {
            let her_id = row.text(0).unwrap_or_default();
            let org_number = row.text(1).unwrap_or_default();
            let name = row.text(2).unwrap_or_else(|| "(no name)".to_owned());
            let keys = vec![
                ("her_id", her_id.clone()),
                ("org_number", org_number.clone()),
            ];
            if row.text(3).is_none() {
                if missing {
                    findings.push(
                        MISSING,
                        Register::Ar,
                        keys,
                        format!(
                            "AR organisation {name} (HER-id {her_id}) has organisation number \
                         {org_number}, which is not in the Brreg mirror"
                        ),
                    );
                }
                return Ok(());
            }
            let mut states = Vec::new();
            if let Some(deleted) = date(&mut row, 4).filter(|&day| day <= on) {
                states.push(format!("deleted {deleted}"));
            }
            if let Some(closed) = date(&mut row, 5).filter(|&day| day <= on) {
                states.push(format!("closed {closed}"));
            }
            for (index, state) in [
                (6, "bankrupt"),
                (7, "under liquidation"),
                (8, "under compulsory liquidation"),
            ] {
                if row.bool(index) == Some(true) {
                    states.push(state.to_owned());
                }
            }
            if inactive {
                findings.push(
                    INACTIVE,
                    Register::Ar,
                    keys,
                    format!(
                        "AR organisation {name} (HER-id {her_id}) is active, but Brreg lists \
                     {org_number} as {}",
                        states.join(", ")
                    ),
                );
            }
            Ok(())
        },
    )
    .await
}

//! Rules `ar-person-hpr-missing`, `ar-person-hpr-replaced` and `ar-person-not-authorised`: an
//! active AR person against the HPR record its HPR number names.
//!
//! The first two are one join. The third joins to the HPR records and judges each with
//! [`not_in_force`], so "authorised" means what `grunndata authz` says.

use grunndata_core::check::personnel::not_in_force;
use grunndata_core::model::HealthPersonnel;

use super::{CheckError, Findings, ar_active, decode, scan};
use crate::store::{Kind, Register, Store};

const MISSING: &str = "ar-person-hpr-missing";
const REPLACED: &str = "ar-person-hpr-replaced";
const NOT_AUTHORISED: &str = "ar-person-not-authorised";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let options = findings.options;
    if options.wants(MISSING) || options.wants(REPLACED) {
        links(store, findings).await?;
    }
    if options.wants(NOT_AUTHORISED) {
        authorisation(store, findings).await?;
    }
    Ok(())
}

async fn links(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let sql = format!(
        "SELECT a.her_id, a.hpr_number, h.hpr_number, h.replaced_by FROM ar a \
         LEFT JOIN hpr h ON h.hpr_number = a.hpr_number \
         WHERE a.kind = 'person' AND a.hpr_number IS NOT NULL AND {} \
           AND (h.hpr_number IS NULL OR h.replaced_by IS NOT NULL)",
        ar_active("a")
    );
    let args = [findings.options.at_arg()];
    let kinds = [Kind::Int, Kind::Int, Kind::Int, Kind::Int];
    scan(
        store,
        "checking AR persons against HPR",
        Some(Register::Ar),
        &sql,
        &args,
        &kinds,
        |mut row| {
            let her_id = row.text(0).unwrap_or_default();
            let hpr = row.text(1).unwrap_or_default();
            let found = row.text(2).is_some();
            let mut keys = vec![("her_id", her_id.clone()), ("hpr_number", hpr.clone())];
            match row.text(3) {
                Some(new) if found => {
                    keys.push(("replaced_by", new.clone()));
                    findings.push(
                    REPLACED,
                    Register::Ar,
                    keys,
                    format!(
                        "AR person {her_id} has HPR number {hpr}, which HPR has replaced by {new}"
                    ),
                );
                }
                _ => findings.push(
                    MISSING,
                    Register::Ar,
                    keys,
                    format!(
                        "AR person {her_id} has HPR number {hpr}, which is not in the HPR mirror"
                    ),
                ),
            }
            Ok(())
        },
    )
    .await
}

async fn authorisation(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let sql = format!(
        "SELECT a.her_id, h.hpr_number, h.record FROM ar a \
         JOIN hpr h ON h.hpr_number = a.hpr_number \
         WHERE a.kind = 'person' AND {} AND h.replaced_by IS NULL",
        ar_active("a")
    );
    let args = [findings.options.at_arg()];
    let on = findings.options.on();
    scan(
        store,
        "checking AR persons' authorisation",
        Some(Register::Ar),
        &sql,
        &args,
        &[Kind::Int, Kind::Int, Kind::Json],
        |mut row| {
            let her_id = row.text(0).unwrap_or_default();
            let hpr = row.text(1).unwrap_or_default();
            let personnel: HealthPersonnel =
                decode(Register::Hpr, &hpr, &row.text(2).unwrap_or_default())?;
            if let Some(reason) = not_in_force(&personnel, on) {
                findings.push(
                    NOT_AUTHORISED,
                    Register::Ar,
                    vec![("her_id", her_id.clone()), ("hpr_number", hpr.clone())],
                    format!(
                        "AR person {her_id} (HPR {hpr}) has no approval in force on {on}: {reason}"
                    ),
                );
            }
            Ok(())
        },
    )
    .await
}

//! Rule `identifier-invalid` on every register: the store names the fields of a record that
//! hold an invalid identifier (`invalid_ids`), so only those records are read and judged.

use grunndata_core::check::identifiers::invalid_identifiers;
use grunndata_core::model::{
    CommunicationParty, FlaggedIdentifiers, HealthPersonnel, Organisation, Person,
};
use serde::de::DeserializeOwned;

use super::{CheckError, Findings, decode, scan};
use crate::store::{Kind, Register, Store};

const RULE: &str = "identifier-invalid";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    if !findings.options.wants(RULE) {
        return Ok(());
    }
    register::<Organisation>(store, findings, Register::Brreg, "brreg", "org_number").await?;
    register::<CommunicationParty>(store, findings, Register::Ar, "ar", "her_id").await?;
    register::<HealthPersonnel>(store, findings, Register::Hpr, "hpr", "hpr_number").await?;
    register::<Person>(store, findings, Register::Preg, "preg", "person_id").await
}

async fn register<R: DeserializeOwned + FlaggedIdentifiers>(
    store: &Store,
    findings: &mut Findings<'_>,
    register: Register,
    table: &str,
    key: &'static str,
) -> Result<(), CheckError> {
    if !findings.options.wants_register(register) {
        return Ok(());
    }
    // The key is read as text on both backends (integers are cast), so one decoder serves all.
    let sql = format!("SELECT {key}, record FROM {table} WHERE invalid_ids IS NOT NULL");
    let key_kind = if matches!(register, Register::Ar | Register::Hpr) {
        Kind::Int
    } else {
        Kind::Text
    };
    scan(
        store,
        "checking identifiers",
        Some(register),
        &sql,
        &[],
        &[key_kind, Kind::Json],
        |mut row| {
            let id = row.text(0).unwrap_or_default();
            let record: R = decode(register, &id, &row.text(1).unwrap_or_default())?;
            for problem in invalid_identifiers(&record) {
                findings.push(
                    RULE,
                    register,
                    vec![(key, id.clone())],
                    format!("invalid identifier in {problem}"),
                );
            }
            Ok(())
        },
    )
    .await
}

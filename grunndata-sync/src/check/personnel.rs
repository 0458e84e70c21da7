//! Rules on HPR records: `hpr-right-without-authorisation`, `hpr-deceased-with-open-approval`
//! and `hpr-duplicate-nin`.
//!
//! SQL narrows each rule to the few records that can break it (rights in force by their own
//! period, NINs of persons registered deceased, NINs on two records); the record itself is then
//! judged by the pure functions of `grunndata_core::check::personnel`.

use std::collections::{BTreeMap, BTreeSet};

use grunndata_core::check::personnel::{open_approvals, rights_without_authorisation};
use grunndata_core::id::NationalId;
use grunndata_core::model::HealthPersonnel;

use super::{CheckError, Findings, date, decode, scan};
use crate::store::{Kind, Register, Store};

const RIGHTS: &str = "hpr-right-without-authorisation";
const DECEASED: &str = "hpr-deceased-with-open-approval";
const DUPLICATE: &str = "hpr-duplicate-nin";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let options = findings.options;
    if options.wants(RIGHTS) {
        rights(store, findings).await?;
    }
    if options.wants(DECEASED) {
        deceased(store, findings).await?;
    }
    if options.wants(DUPLICATE) {
        duplicates(store, findings).await?;
    }
    Ok(())
}

/// A NIN for messages: masked, never whole.
fn masked(nin: &str) -> String {
    nin.parse::<NationalId>().map_or_else(
        |_| format!("{}*****", nin.chars().take(6).collect::<String>()),
        |nin| nin.masked(),
    )
}

async fn rights(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    // $1 = the day. Only records with a right or speciality whose own period holds the day.
    let sql = "SELECT h.hpr_number, h.record FROM hpr h WHERE h.hpr_number IN (\
                 SELECT g.hpr_number FROM hpr_grant g \
                 WHERE g.kind IN ('speciality', 'requisition_right') \
                   AND (g.valid_from IS NULL OR g.valid_from <= $1) \
                   AND (g.valid_to IS NULL OR g.valid_to >= $1))";
    let args = [findings.options.on_arg()];
    let on = findings.options.on();
    scan(
        store,
        "checking HPR rights",
        Some(Register::Hpr),
        sql,
        &args,
        &[Kind::Int, Kind::Json],
        |mut row| {
            let hpr = row.text(0).unwrap_or_default();
            let personnel: HealthPersonnel =
                decode(Register::Hpr, &hpr, &row.text(1).unwrap_or_default())?;
            for unbacked in rights_without_authorisation(&personnel, on) {
                let category = unbacked.approval.category.label();
                findings.push(
                    RIGHTS,
                    Register::Hpr,
                    vec![
                        ("hpr_number", hpr.clone()),
                        ("category", unbacked.approval.category.to_string()),
                    ],
                    format!(
                        "HPR {hpr}: {} in force under the {category} approval, which is not: {}",
                        unbacked.rights.join(", "),
                        unbacked.reason
                    ),
                );
            }
            Ok(())
        },
    )
    .await
}

async fn deceased(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    // $1 = the day. A person may hold the NIN under several person ids; report each HPR once.
    let sql = "SELECT h.hpr_number, h.nin, h.record, p.person_id, p.death_date FROM hpr h \
               JOIN preg_identifier i ON i.nin = h.nin \
               JOIN preg p ON p.person_id = i.person_id \
               WHERE (p.death_date IS NOT NULL OR p.status = 'deceased') \
                 AND (p.death_date IS NULL OR p.death_date <= $1)";
    let args = [findings.options.on_arg()];
    let on = findings.options.on();
    let mut seen = BTreeSet::new();
    let kinds = [Kind::Int, Kind::Text, Kind::Json, Kind::Text, Kind::Date];
    scan(
        store,
        "checking deceased personnel",
        Some(Register::Hpr),
        sql,
        &args,
        &kinds,
        |mut row| {
            let hpr = row.text(0).unwrap_or_default();
            if !seen.insert(hpr.clone()) {
                return Ok(());
            }
            let nin = masked(&row.text(1).unwrap_or_default());
            let personnel: HealthPersonnel =
                decode(Register::Hpr, &hpr, &row.text(2).unwrap_or_default())?;
            let person_id = row.text(3).unwrap_or_default();
            let died = date(&mut row, 4).map_or_else(
                || "registered deceased".to_owned(),
                |day| format!("registered deceased {day}"),
            );
            let open = open_approvals(&personnel, on);
            if !open.is_empty() {
                let categories = open
                    .iter()
                    .map(|approval| approval.category.label())
                    .collect::<Vec<_>>()
                    .join(", ");
                findings.push(
                DECEASED,
                Register::Hpr,
                vec![("hpr_number", hpr.clone()), ("person_id", person_id)],
                format!(
                    "HPR {hpr} (NIN {nin}) is {died} in Persontjenesten, but approval {categories} \
                     is still open"
                ),
            );
            }
            Ok(())
        },
    )
    .await
}

async fn duplicates(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let sql = "SELECT h.nin, h.hpr_number FROM hpr h JOIN (\
                 SELECT nin FROM hpr WHERE nin IS NOT NULL AND replaced_by IS NULL \
                 GROUP BY nin HAVING count(*) > 1) d ON d.nin = h.nin \
               WHERE h.replaced_by IS NULL";
    let mut groups: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    scan(
        store,
        "checking duplicate NINs",
        Some(Register::Hpr),
        sql,
        &[],
        &[Kind::Text, Kind::Int],
        |mut row| {
            if let (Some(nin), Some(hpr)) = (row.text(0), row.int(1)) {
                groups.entry(nin).or_default().insert(hpr);
            }
            Ok(())
        },
    )
    .await?;
    for (nin, numbers) in groups {
        let list = numbers.iter().map(i64::to_string).collect::<Vec<_>>();
        findings.push(
            DUPLICATE,
            Register::Hpr,
            vec![("hpr_numbers", list.join(","))],
            format!(
                "NIN {} is on {} current HPR numbers: {}",
                masked(&nin),
                list.len(),
                list.join(", ")
            ),
        );
    }
    Ok(())
}

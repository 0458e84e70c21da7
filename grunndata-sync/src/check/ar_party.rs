//! Rules on one AR party: `ar-certificate-expired`, `ar-certificate-expiring`,
//! `ar-no-message-address`, and the set rule `ar-duplicate-organisation`.
//!
//! Certificates and addresses live only in the record, so the parties are streamed once and
//! judged by `grunndata_core::check::party`. Reachability through the parent needs the parent's
//! own address: the scan keeps one flag per HER-id and resolves children at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use grunndata_core::check::party::{certificate_issues, is_reachable};
use grunndata_core::model::CommunicationParty;

use super::{CheckError, Findings, ar_active, decode, scan};
use crate::store::{Kind, Register, Store};

const EXPIRED: &str = "ar-certificate-expired";
const EXPIRING: &str = "ar-certificate-expiring";
const NO_ADDRESS: &str = "ar-no-message-address";
const DUPLICATE: &str = "ar-duplicate-organisation";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let options = findings.options;
    if options.wants(EXPIRED) || options.wants(EXPIRING) || options.wants(NO_ADDRESS) {
        parties(store, findings).await?;
    }
    if options.wants(DUPLICATE) {
        duplicates(store, findings).await?;
    }
    Ok(())
}

async fn parties(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let at = findings.options.at;
    let days = findings.options.certificate_days;
    // Whether each party has an address of its own; active children waiting on their parent.
    let mut own_address: HashMap<u32, bool> = HashMap::new();
    let mut waiting: Vec<CommunicationParty> = Vec::new();
    scan(
        store,
        "checking AR parties",
        Some(Register::Ar),
        "SELECT her_id, record FROM ar",
        &[],
        &[Kind::Int, Kind::Json],
        |mut row| {
            let her_id = row.text(0).unwrap_or_default();
            let party: CommunicationParty =
                decode(Register::Ar, &her_id, &row.text(1).unwrap_or_default())?;
            own_address.insert(party.her_id.get(), party.has_message_address());
            if !party.is_active_at(at) {
                return Ok(());
            }
            for issue in certificate_issues(&party, at, days) {
                let until = issue
                    .certificate
                    .valid_to
                    .map_or_else(String::new, |to| to.date_naive().to_string());
                let (rule, verb) = if issue.expired {
                    (EXPIRED, "expired")
                } else {
                    (EXPIRING, "expires")
                };
                findings.push(
                    rule,
                    Register::Ar,
                    vec![
                        ("her_id", her_id.clone()),
                        ("certificate", issue.usage.as_str().to_owned()),
                        ("thumbprint", issue.certificate.thumbprint.clone()),
                    ],
                    format!(
                        "AR party {her_id}: the {} certificate {verb} {until}",
                        issue.usage.as_str()
                    ),
                );
            }
            if !party.has_message_address() {
                waiting.push(party);
            }
            Ok(())
        },
    )
    .await?;
    for party in waiting {
        let parent_reachable = party
            .parent
            .as_ref()
            .is_some_and(|parent| own_address.get(&parent.her_id.get()) == Some(&true));
        if !is_reachable(&party, parent_reachable) {
            let her_id = party.her_id.to_string();
            findings.push(
                NO_ADDRESS,
                Register::Ar,
                vec![("her_id", her_id.clone())],
                format!(
                    "AR party {her_id} has no EDI or AMQP address, and none to inherit \
                     (AMQP transport {})",
                    party.amqp_transport_status.as_str()
                ),
            );
        }
    }
    Ok(())
}

async fn duplicates(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let active = ar_active("ar");
    let sql = format!(
        "SELECT a.org_number, a.name, a.her_id FROM ar a JOIN (\
           SELECT org_number, name_search FROM ar \
           WHERE kind = 'organisation' AND org_number IS NOT NULL AND {active} \
           GROUP BY org_number, name_search HAVING count(*) > 1) d \
         ON d.org_number = a.org_number AND d.name_search = a.name_search \
         WHERE a.kind = 'organisation' AND {}",
        ar_active("a")
    );
    let args = [findings.options.at_arg()];
    let mut groups: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    scan(
        store,
        "checking duplicate AR organisations",
        Some(Register::Ar),
        &sql,
        &args,
        &[Kind::Text, Kind::Text, Kind::Int],
        |mut row| {
            if let (Some(org), Some(her_id)) = (row.text(0), row.int(2)) {
                let name = row.text(1).unwrap_or_default();
                groups.entry((org, name)).or_default().insert(her_id);
            }
            Ok(())
        },
    )
    .await?;
    // Names that differ only in case or spacing share a group key in SQL; join them here.
    let mut merged: BTreeMap<String, (String, BTreeSet<i64>)> = BTreeMap::new();
    for ((org, name), ids) in groups {
        let entry = merged.entry(org).or_insert_with(|| (name, BTreeSet::new()));
        entry.1.extend(ids);
    }
    for (org, (name, ids)) in merged {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>();
        findings.push(
            DUPLICATE,
            Register::Ar,
            vec![("org_number", org.clone()), ("her_ids", list.join(","))],
            format!(
                "{} active AR organisations named {name} share organisation number {org}: {}",
                list.len(),
                list.join(", ")
            ),
        );
    }
    Ok(())
}

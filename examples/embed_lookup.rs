//! A journal system asks the local mirror two questions before it sends a prescription
//! message: may this prescriber prescribe today, and which HER-id and EDI address does the
//! message go to?
//!
//! ```text
//! cargo run --example embed_lookup -- sqlite:///var/lib/grunndata/grunndata.db 9144889
//! ```
//!
//! The first argument is the mirror (default `$GRUNNDATA_DB`), the second the prescriber's
//! HPR number. Nothing here calls an upstream: the answers come from the mirror through the
//! `Registry`'s cache, so a journal system can ask on every request.
//!
//! The logic is in [`route`], which the package's test `tests/embed_lookup.rs` runs against
//! a synthetic mirror.

use chrono::NaiveDate;
use grunndata::core::codes::Category;
use grunndata::core::id::{HerId, HprNumber};
use grunndata::sync::registry::{Registry, RegistryError};

/// Where and whether a prescriber's message can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The prescriber's name as HPR has it.
    pub prescriber: String,
    /// Authorised as a physician (LE Lege) today, in words: "authorised as LE Lege (…)" or
    /// "not authorised as LE Lege: suspended …".
    pub authorisation: String,
    /// Whether the prescriber may prescribe: authorised as LE and holding a requisition
    /// right in force today.
    pub may_prescribe: bool,
    /// The requisition rights in force, e.g. "1 Full rekvisisjonsrett".
    pub requisition_rights: Vec<String>,
    /// The prescriber's HER-id in AR (the first of their parties that can receive messages).
    pub her_id: Option<HerId>,
    /// That party's EDI address.
    pub edi_address: Option<String>,
}

/// The route for the prescriber with `hpr` on `today`; `None` when HPR does not know them.
pub async fn route(
    registry: &Registry,
    hpr: HprNumber,
    today: NaiveDate,
) -> Result<Option<Route>, RegistryError> {
    let Some(answer) = registry.authorised(hpr, &Category::LE, today).await? else {
        return Ok(None);
    };
    let rights: Vec<String> = registry
        .requisition_rights(hpr, today)
        .await?
        .unwrap_or_default()
        .iter()
        .map(|right| right.kind.label())
        .collect();
    // A health worker has one AR person party per organisation they receive messages in.
    let parties = registry.parties_of_personnel(hpr).await?;
    let addressee = parties
        .iter()
        .find(|party| party.record.is_active(today) && party.record.has_message_address());
    Ok(Some(Route {
        prescriber: answer.personnel.record.name.full(),
        authorisation: answer.verdict.to_string(),
        may_prescribe: answer.verdict.is_authorised() && !rights.is_empty(),
        requisition_rights: rights,
        her_id: addressee.map(|party| party.record.her_id),
        edi_address: addressee.and_then(|party| party.record.edi_address.clone()),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = match args.next() {
        Some(url) => url,
        None => std::env::var("GRUNNDATA_DB")
            .map_err(|_| "usage: embed_lookup DB_URL HPR_NUMBER (or set GRUNNDATA_DB)")?,
    };
    let hpr: HprNumber = args
        .next()
        .ok_or("usage: embed_lookup DB_URL HPR_NUMBER")?
        .parse()?;
    let registry = Registry::open(&url).await?;
    let today = chrono::Local::now().date_naive();
    match route(&registry, hpr, today).await? {
        None => println!("HPR {hpr} is not in the mirror"),
        Some(route) => {
            println!("{}: {}", route.prescriber, route.authorisation);
            println!("requisition rights: {:?}", route.requisition_rights);
            println!("may prescribe today: {}", route.may_prescribe);
            match (route.her_id, route.edi_address) {
                (Some(her_id), Some(edi)) => println!("send to HER-id {her_id}, EDI {edi}"),
                _ => println!("no AR party of HPR {hpr} can receive messages"),
            }
        }
    }
    Ok(())
}

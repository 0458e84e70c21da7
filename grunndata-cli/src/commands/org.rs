//! `grunndata org ORGNR`: an organisation in Enhetsregisteret with parent and sub-units.

use clap::Args;
use grunndata_sync::core::id::OrgNumber;
use grunndata_sync::core::model::{OrgAddress, Organisation};
use grunndata_sync::registry::{Found, OrganisationView};
use grunndata_sync::store::Register;
use serde::Serialize;

use super::card::Card;
use super::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// Show an organisation from Enhetsregisteret (Brreg): name, form, addresses, status, its
/// parent (overordnet enhet) and its sub-units.
///
/// `--json` prints one object: `found` (bool) and `organisation` with `unit`, `parent` and
/// `sub_units` (each `record` in grunndata's canonical Brreg JSON, `valid_from`, `valid_to`,
/// `fetched_at`).
///
/// Exit status: 0 found, 1 not found, 2 malformed orgnr, 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct OrgArgs {
    /// Organisasjonsnummer (9 digits).
    #[arg(value_name = "ORGNR")]
    orgnr: String,

    #[command(flatten)]
    lookup: LookupArgs,
}

/// `--json` output.
#[derive(Debug, Serialize)]
struct Json<'a> {
    found: bool,
    organisation: &'a OrganisationView,
}

impl OrgArgs {
    /// Looks the organisation up and prints the card.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.lookup())?
    }

    async fn lookup(self) -> anyhow::Result<Outcome> {
        let orgnr: OrgNumber = match self.orgnr.parse() {
            Ok(orgnr) => orgnr,
            Err(error) => return Ok(mirror::invalid("organisasjonsnummer", error)),
        };
        let registry = self.lookup.open().await?;
        let Some(view) = registry.organisation(&orgnr).await? else {
            let message = format!("not found: no organisation {orgnr}");
            return mirror::not_found(&registry, Register::Brreg, self.lookup.json, message).await;
        };
        if self.lookup.json {
            mirror::print_json(&Json {
                found: true,
                organisation: &view,
            })?;
        } else {
            card(&view, self.lookup.day()).print();
        }
        Ok(Outcome::Success)
    }
}

fn card(view: &OrganisationView, on: chrono::NaiveDate) -> Card {
    let unit = &view.unit.record;
    let mut card = Card::new(unit.name.as_deref().unwrap_or("(no name)"));
    card.field("orgnr", unit.org_number);
    let kind = if unit.is_main_unit() {
        "main unit (enhet)"
    } else {
        "sub-unit (underenhet)"
    };
    card.field("unit", kind);
    card.optional(
        "form",
        unit.form.as_ref().map(|form| match &form.description {
            Some(description) => format!("{} {description}", form.code),
            None => form.code.clone(),
        }),
    );
    match (&view.parent, &unit.parent) {
        (Some(parent), _) => {
            card.field("parent", summary(parent));
        }
        (None, Some(parent)) => {
            card.field("parent", format!("{} (not in the mirror)", parent.text()));
        }
        (None, None) => {}
    }
    card.optional("address", unit.visiting_address().map(address));
    card.optional("postal address", unit.postal_address.as_ref().map(address));
    for code in &unit.industry_codes {
        card.field(
            "industry",
            format!(
                "{} {}",
                code.code,
                code.description.as_deref().unwrap_or("")
            ),
        );
    }
    card.optional("registered", unit.registered_date);
    card.field("status", status(unit, on));
    card.provenance(&view.unit);
    if !view.sub_units.is_empty() {
        card.section(format!("Sub-units ({})", view.sub_units.len()));
        for sub_unit in view.sub_units.iter() {
            card.line(1, summary(sub_unit));
        }
    }
    card
}

fn summary(found: &Found<Organisation>) -> String {
    let unit = &found.record;
    format!(
        "{}  {}",
        unit.org_number,
        unit.name.as_deref().unwrap_or("")
    )
}

fn address(address: &OrgAddress) -> String {
    let mut parts: Vec<String> = address.lines.clone();
    let town = [address.postal_code.as_deref(), address.city.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !town.is_empty() {
        parts.push(town);
    }
    parts.join(", ")
}

/// Whether the unit operates on `on`, and if not, why.
fn status(unit: &Organisation, on: chrono::NaiveDate) -> String {
    let mut reasons = Vec::new();
    if let Some(date) = unit.deleted_date {
        reasons.push(format!("deleted {date}"));
    }
    if let Some(date) = unit.closed_date {
        reasons.push(format!("closed {date}"));
    }
    if unit.bankrupt {
        reasons.push("bankrupt (konkurs)".to_owned());
    }
    if unit.under_liquidation {
        reasons.push("being wound up (under avvikling)".to_owned());
    }
    if unit.under_compulsory_liquidation {
        reasons.push("compulsory winding up (tvangsavvikling)".to_owned());
    }
    if unit.is_operating(on) {
        if reasons.is_empty() {
            format!("operating on {on}")
        } else {
            format!("operating on {on} ({})", reasons.join(", "))
        }
    } else {
        format!("not operating on {on}: {}", reasons.join(", "))
    }
}

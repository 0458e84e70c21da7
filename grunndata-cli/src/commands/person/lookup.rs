//! `grunndata person NIN`: a tracked person as a card.

use grunndata_sync::core::id::NationalId;
use grunndata_sync::core::model::{AddressProtection, ContactAddress, Person, ResidentialAddress};
use grunndata_sync::registry::{AddressAccess, PersonAnswer, PersonView};
use grunndata_sync::store::Register;

use crate::commands::card::Card;
use crate::commands::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// Looks up `nin` and prints the answer.
pub fn run(nin: &str, args: &LookupArgs) -> anyhow::Result<Outcome> {
    let nin: NationalId = match nin.parse() {
        Ok(nin) => nin,
        Err(error) => return Ok(mirror::invalid("NIN", error)),
    };
    mirror::block_on(lookup(nin, args))?
}

async fn lookup(nin: NationalId, args: &LookupArgs) -> anyhow::Result<Outcome> {
    let registry = args.open().await?;
    let answer = registry.person(&nin).await?;
    if args.json {
        mirror::print_json(&answer)?;
    }
    match answer {
        PersonAnswer::Found(view) => {
            if !args.json {
                card(&view, &nin, args.day()).print();
            }
            Ok(Outcome::Success)
        }
        PersonAnswer::NotTracked => {
            if !args.json {
                println!(
                    "not tracked: {} is not among the tracked persons; Persontjenesten is mirrored only for those (`grunndata person track NIN`)",
                    nin.masked()
                );
            }
            Ok(Outcome::Negative)
        }
        PersonAnswer::NotFetched => {
            if registry.is_empty(Register::Preg).await? && !args.json {
                println!(
                    "not fetched: {} is tracked, but Persontjenesten has never been synced into this mirror; run `grunndata sync`",
                    nin.masked()
                );
            } else if !args.json {
                println!(
                    "not fetched: {} is tracked, but the mirror holds no record of the person{}",
                    nin.masked(),
                    registry
                        .as_of_day()
                        .map_or_else(String::new, |day| format!(" as of {day}"))
                );
            }
            Ok(Outcome::Negative)
        }
    }
}

fn card(view: &PersonView, nin: &NationalId, on: chrono::NaiveDate) -> Card {
    let person = &view.person.record;
    let name = person
        .name
        .as_ref()
        .map(grunndata_core::model::Name::full)
        .unwrap_or_default();
    let mut card = Card::new(if name.is_empty() {
        "(no name)".to_owned()
    } else {
        name
    });
    card.field("NIN", nin_status(person, nin));
    card.optional("born", person.birth_date);
    card.optional("died", person.death_date);
    card.optional(
        "gender",
        person.gender.map(grunndata_core::id::Gender::as_str),
    );
    card.optional(
        "status",
        person
            .status
            .as_ref()
            .map(grunndata_core::model::PersonStatus::as_str),
    );
    card.field("protection", protection(&view.protection));
    match view.addresses {
        AddressAccess::Withheld => {
            card.field(
                "addresses",
                "withheld (address protection); give --purpose to see them — the access is audited",
            );
        }
        AddressAccess::Shown | AddressAccess::Revealed => {
            if view.addresses == AddressAccess::Revealed {
                card.field("addresses", "shown for the purpose given (audited)");
            }
            card.optional(
                "residence",
                person.residential_address_on(on).map(residence),
            );
            card.optional("postal", person.postal_address_on(on).map(postal));
        }
    }
    card.provenance(&view.person);
    card
}

/// The NIN asked about, masked, with its status on the person.
fn nin_status(person: &Person, nin: &NationalId) -> String {
    let status = person
        .identifiers
        .iter()
        .find(|identifier| identifier.number.valid() == Some(nin))
        .map(|identifier| identifier.status.as_str().replace('_', " "));
    match status {
        Some(status) => format!("{} ({status})", nin.masked()),
        None => nin.masked(),
    }
}

fn protection(level: &AddressProtection) -> String {
    let norwegian = match level {
        AddressProtection::Unclassified => "ugradert",
        AddressProtection::ClientAddress => "klientadresse",
        AddressProtection::Confidential => "fortrolig",
        AddressProtection::StrictlyConfidential => "strengt fortrolig",
        AddressProtection::Other(_) => "ukjent",
    };
    format!("{} ({norwegian})", level.as_str())
}

fn residence(address: &ResidentialAddress) -> String {
    let street = [
        address.street_name.as_deref(),
        address.house_number.as_deref(),
        address.house_letter.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    join_town(
        street,
        address.postal_code.as_deref(),
        address.city.as_deref(),
    )
}

fn postal(address: &ContactAddress) -> String {
    join_town(
        address.lines.join(", "),
        address.postal_code.as_deref(),
        address.city.as_deref(),
    )
}

fn join_town(first: String, postal_code: Option<&str>, city: Option<&str>) -> String {
    let town = [postal_code, city]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [first, town]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

//! Golden tests: Persontjenesten `Person` records parsed into the core model — the spec's own
//! (generated) `Person` example, and a realistic record built from the schema with Tenor
//! (synthetic) NINs and history elements.

use chrono::NaiveDate;
use grunndata_sync::core::id::{Gender, NationalId};
use grunndata_sync::core::model::{
    AddressProtection, IdentifierStatus, IdentifierType, Person, PersonStatus,
};
use grunndata_sync::source::Parsed;
use grunndata_sync::source::preg::parse_person;

const SPEC_EXAMPLE: &str =
    include_str!("../fixtures/reference/persontjenesten-person-example.json");
const PERSON: &str = include_str!("../fixtures/reference/persontjenesten-person.json");

fn person(text: &str) -> Person {
    match parse_person(text.as_bytes()) {
        Parsed::Record(person) => person,
        Parsed::Malformed(record) => panic!("expected a record: {record}"),
    }
}

fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[test]
fn realistic_person() {
    let person = person(PERSON);
    assert_eq!(
        person.id,
        "3f9c5e318c9497770e37e0ff925034848f9bb1899ce1e8047589fba1c322b278"
    );
    assert_eq!(person.sequence_number, Some(4711));
    assert_eq!(person.identifiers.len(), 2);
    let d_number = &person.identifiers[0];
    assert_eq!(d_number.status, IdentifierStatus::Discontinued);
    assert_eq!(d_number.kind, Some(IdentifierType::DNumber));
    assert_eq!(d_number.validity.from, day(1990, 3, 20));
    assert_eq!(
        d_number.validity.to,
        day(2000, 12, 31),
        "validTo at midnight ends the day before"
    );
    let fnr = &person.identifiers[1];
    assert_eq!(fnr.status, IdentifierStatus::InUse);
    assert_eq!(fnr.kind, Some(IdentifierType::NationalIdentityNumber));
    assert_eq!(fnr.validity.to, None);
    let current = person
        .current_nin()
        .map(grunndata_sync::core::id::NationalId::expose);
    assert_eq!(current.as_deref(), Some("13839040029"));
    assert!(person.current_nin().is_some_and(NationalId::is_synthetic));
    let name = person.name.clone().unwrap_or_default();
    assert_eq!(
        name.full(),
        "KARI SYNTETISK NORDMANN",
        "the isValid element, not the first"
    );
    assert_eq!(person.short_name.as_deref(), Some("NORDMANN KARI S"));
    assert_eq!(
        person.birth_date,
        day(1990, 3, 13),
        "the date as written, offset ignored"
    );
    assert_eq!(person.birth_year, Some(1990));
    assert_eq!(person.death_date, None);
    assert_eq!(person.gender, Some(Gender::Female));
    assert_eq!(person.status, Some(PersonStatus::Resident));
    assert_eq!(person.address_protection, AddressProtection::Unclassified);
    assert!(!person.must_withhold_addresses());
    assert_eq!(person.residential_addresses.len(), 1);
    let home = &person.residential_addresses[0];
    assert_eq!(home.street_name.as_deref(), Some("SYNTETISK GATE"));
    assert_eq!(home.house_number.as_deref(), Some("12"));
    assert_eq!(home.house_letter.as_deref(), Some("B"));
    assert_eq!(home.unit_number.as_deref(), Some("H0203"));
    assert_eq!(
        (home.postal_code.as_deref(), home.city.as_deref()),
        (Some("0150"), Some("OSLO"))
    );
    assert_eq!(home.municipality_number.as_deref(), Some("0301"));
    assert_eq!(home.move_date, day(2018, 8, 1));
    assert_eq!(home.confidentiality, Some(AddressProtection::Unclassified));
    assert!(!home.unknown_residence);
    assert_eq!(home.validity.from, day(2018, 8, 1));
    assert_eq!(person.postal_addresses.len(), 1);
    let post = &person.postal_addresses[0];
    assert_eq!(post.lines, ["KARI NORDMANN", "Postboks 123"]);
    assert_eq!(
        (post.postal_code.as_deref(), post.city.as_deref()),
        (Some("0101"), Some("OSLO"))
    );
    assert_eq!(post.confidentiality, None);
}

#[test]
fn spec_example() {
    // The generated example has `"birthYear": "birthYear"`: the record is malformed there.
    match parse_person(SPEC_EXAMPLE.as_bytes()) {
        Parsed::Malformed(record) => {
            assert_eq!(record.upstream_id.as_deref(), Some("id"));
            assert_eq!(record.field.as_deref(), Some("birth.birthYear"));
        }
        Parsed::Record(person) => panic!("expected malformed: {person:?}"),
    }
    let fixed = SPEC_EXAMPLE.replace("\"birthYear\": \"birthYear\"", "\"birthYear\": \"2000\"");
    let person = person(&fixed);
    assert_eq!(person.id, "id");
    assert_eq!(person.sequence_number, Some(3));
    // Placeholder NINs are kept as received, flagged invalid; "" enums read as absent.
    assert!(!person.identifiers.is_empty());
    assert!(person.identifiers.iter().all(|id| id.number.is_invalid()));
    assert!(
        person
            .identifiers
            .iter()
            .all(|id| id.kind.is_none() && id.status == IdentifierStatus::InUse)
    );
    assert_eq!(person.current_nin(), None);
    assert_eq!(
        person.name.as_ref().and_then(|n| n.given.as_deref()),
        Some("givenName")
    );
    assert_eq!(person.birth_date, day(2000, 1, 23));
    assert_eq!(person.death_date, day(2000, 1, 23));
    assert_eq!(person.gender, None);
    assert_eq!(person.status, None);
    assert_eq!(person.address_protection, AddressProtection::Unclassified);
    assert_eq!(
        person.residential_addresses[0].street_name.as_deref(),
        Some("HELLHAUGAN")
    );
    assert_eq!(
        person.postal_addresses[0].lines,
        ["Havgløtt", "HELLHAUGAN 160B H0101"]
    );
}

#[test]
fn protected_person_withholds_addresses() {
    let text = PERSON.replace(
        "\"protectionLevel\": \"Unclassified\"",
        "\"protectionLevel\": \"StrictlyConfidential\"",
    );
    let person = person(&text);
    assert_eq!(
        person.address_protection,
        AddressProtection::StrictlyConfidential
    );
    assert!(person.must_withhold_addresses());
}

#[test]
fn malformed_person_names_id_and_field_and_hides_nins() {
    let cases = [
        (
            PERSON.replace("\"sequenceNumber\": 4711", "\"sequenceNumber\": \"x\""),
            "sequenceNumber",
        ),
        (
            PERSON.replace(
                "\"birthDate\": \"1990-03-13T00:00:00+01:00\"",
                "\"birthDate\": \"13839040029\"",
            ),
            "birth[0].birthDate",
        ),
        (
            PERSON.replace(
                "\"identificationNumber\": \"13839040029\"",
                "\"identificationNumber\": 13839040029",
            ),
            "norwegianIdentificationNumber[1].identificationNumber",
        ),
    ];
    for (text, field) in cases {
        match parse_person(text.as_bytes()) {
            Parsed::Malformed(record) => {
                assert_eq!(record.field.as_deref(), Some(field), "{record}");
                assert_eq!(
                    record.upstream_id.as_deref(),
                    Some("3f9c5e318c9497770e37e0ff925034848f9bb1899ce1e8047589fba1c322b278")
                );
                let shown = format!("{record} {record:?}");
                assert!(!shown.contains("13839040029"), "a NIN leaked: {shown}");
                assert!(!shown.contains("41858550082"), "a NIN leaked: {shown}");
            }
            Parsed::Record(_) => panic!("expected malformed at {field}"),
        }
    }
    let no_id = PERSON.replace(
        "\"id\": \"3f9c5e318c9497770e37e0ff925034848f9bb1899ce1e8047589fba1c322b278\",",
        "",
    );
    match parse_person(no_id.as_bytes()) {
        Parsed::Malformed(record) => assert_eq!(record.field.as_deref(), Some("id")),
        Parsed::Record(_) => panic!("a person without id is malformed"),
    }
}

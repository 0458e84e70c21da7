//! Golden tests: CommunicationParty records built from the spec's schema (the spec has no
//! `example`s) parsed into the core model.

use chrono::{DateTime, NaiveDate, Utc};
use grunndata_sync::core::codes::CodeSystemId;
use grunndata_sync::core::id::MaybeValid;
use grunndata_sync::core::model::{AmqpTransportStatus, CommunicationParty, PartyType};
use grunndata_sync::source::Parsed;
use grunndata_sync::source::ar::parse_party;

const ORGANIZATION: &str =
    include_str!("../fixtures/reference/ar-communication-party-organization.json");
const PERSON: &str = include_str!("../fixtures/reference/ar-communication-party-person.json");
const SERVICE: &str = include_str!("../fixtures/reference/ar-communication-party-service.json");

fn party(text: &str) -> CommunicationParty {
    match parse_party(text.as_bytes()) {
        Parsed::Record(party) => party,
        Parsed::Malformed(record) => panic!("expected a record: {record}"),
    }
}

fn at(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

#[test]
fn organization() {
    let party = party(ORGANIZATION);
    assert_eq!(party.her_id.get(), 8_100_001);
    assert_eq!(party.kind, PartyType::Organisation);
    assert_eq!(party.name.as_deref(), Some("Testlegekontoret Nordre"));
    assert_eq!(
        party
            .org_number
            .as_ref()
            .and_then(|n| n.valid())
            .map(ToString::to_string)
            .as_deref(),
        Some("310000019")
    );
    let business = party.business_type.clone();
    assert_eq!(
        business.as_ref().map(|code| code.system.clone()),
        Some(CodeSystemId::BUSINESS_TYPE)
    );
    assert_eq!(
        business.as_ref().map(|code| code.value.as_str()),
        Some("115")
    );
    assert_eq!(
        business.and_then(|code| code.display),
        Some("Legekontor".to_owned())
    );
    let persons: Vec<u32> = party.persons.iter().map(|id| id.get()).collect();
    let services: Vec<u32> = party.services.iter().map(|id| id.get()).collect();
    assert_eq!((persons, services), (vec![8_100_002], vec![8_100_003]));
    let signing = party.signing_certificate.clone();
    assert_eq!(
        signing.as_ref().map(|c| c.thumbprint.as_str()),
        Some("A1B2C3D4E5F60718293A4B5C6D7E8F9012345678")
    );
    assert_eq!(signing.and_then(|c| c.valid_to), at("2027-01-01T00:00:00Z"));
    let encryption = party.encryption_certificate.clone();
    assert_eq!(
        encryption.as_ref().and_then(|c| c.valid_from),
        at("2023-12-31T23:00:00Z"),
        "offset applied"
    );
    assert_eq!(
        encryption.and_then(|c| c.valid_to),
        at("2027-01-01T00:00:00Z"),
        "no offset read as UTC"
    );
    assert_eq!(
        party.edi_address.as_deref(),
        Some("testlegekontor@edi.example")
    );
    assert_eq!(
        party.fhir_address.as_deref(),
        Some("https://fhir.testlegekontor.example")
    );
    assert_eq!(party.email.as_deref(), Some("post@testlegekontor.example"));
    assert_eq!(party.phone_number.as_deref(), Some("+4700000000"));
    assert_eq!(party.fax_number, None);
    let postal = party.postal_address.clone().unwrap_or_default();
    assert_eq!(postal.street_address.as_deref(), Some("Testveien 1"));
    assert_eq!(
        (postal.postal_code.as_deref(), postal.city.as_deref()),
        (Some("0150"), Some("OSLO"))
    );
    assert_eq!(party.amqp_transport_status, AmqpTransportStatus::Enabled);
    assert_eq!(
        party
            .amqp_address
            .as_ref()
            .and_then(|a| a.async_queue.as_deref()),
        Some("8100001_async")
    );
    assert!(party.has_message_address());
    assert_eq!(party.valid_from, at("2020-05-01T00:00:00Z"));
    assert_eq!(party.valid_to, None);
    assert_eq!(party.parent, None);
}

#[test]
fn person_deactivated() {
    let party = party(PERSON);
    assert_eq!(party.kind, PartyType::Person);
    assert_eq!(
        party.hpr_number.as_ref().map(MaybeValid::text).as_deref(),
        Some("9100001")
    );
    let parent = party.parent.clone();
    assert_eq!(parent.as_ref().map(|p| p.her_id.get()), Some(8_100_001));
    let parent_org = parent.and_then(|p| p.org_number);
    assert_eq!(
        parent_org.as_ref().map(MaybeValid::text).as_deref(),
        Some("310000018")
    );
    assert!(
        parent_org.is_some_and(|n| n.is_invalid()),
        "an invalid parent orgnr is kept"
    );
    assert_eq!(party.amqp_transport_status, AmqpTransportStatus::Inherited);
    // validTo at midnight: the last active day is the day before.
    let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap_or_default();
    assert!(party.is_active(day(5, 31)));
    assert!(!party.is_active(day(6, 1)));
}

#[test]
fn service() {
    let party = party(SERVICE);
    assert_eq!(party.kind, PartyType::Service);
    assert_eq!(
        party.service_type.as_ref().map(|c| c.value.as_str()),
        Some("LV")
    );
    assert_eq!(
        party.service_type.as_ref().and_then(|c| c.display.clone()),
        None
    );
    assert_eq!(
        party.service_specification.as_deref(),
        Some("Interkommunal legevakt")
    );
    let coverage: Vec<u32> = party
        .coverage_municipalities
        .iter()
        .map(|id| id.get())
        .collect();
    assert_eq!(coverage, [8_200_001, 8_200_002]);
    assert_eq!(
        party.parent.as_ref().and_then(|p| p.org_number.clone()),
        None
    );
    assert_eq!(party.amqp_transport_status, AmqpTransportStatus::Disabled);
    assert!(!party.has_message_address());
}

#[test]
fn malformed_parties_name_id_and_field() {
    let cases = [
        (
            ORGANIZATION.replace("\"herId\": 8100001,", ""),
            None,
            "herId",
        ),
        (
            ORGANIZATION.replace("\"herId\": 8100001", "\"herId\": 0"),
            Some("0"),
            "herId",
        ),
        (
            ORGANIZATION.replace("\"persons\": [8100002]", "\"persons\": [8100002, -4]"),
            Some("8100001"),
            "organizationDetails.persons[1]",
        ),
        (
            ORGANIZATION.replace(
                "\"validFrom\": \"2020-05-01T00:00:00Z\"",
                "\"validFrom\": \"in May\"",
            ),
            Some("8100001"),
            "validFrom",
        ),
        (
            PERSON.replace("\"type\": \"Person\",", ""),
            Some("8100002"),
            "type",
        ),
        (
            SERVICE.replace(
                "\"herId\": 8100001, \"organizationNumber\"",
                "\"herId\": \"x\", \"organizationNumber\"",
            ),
            Some("8100003"),
            "serviceDetails.parentOrganization.herId",
        ),
    ];
    for (text, id, field) in cases {
        match parse_party(text.as_bytes()) {
            Parsed::Malformed(record) => {
                assert_eq!(record.upstream_id.as_deref(), id, "{record}");
                assert_eq!(record.field.as_deref(), Some(field), "{record}");
            }
            Parsed::Record(party) => panic!("expected malformed ({field}), got {party:?}"),
        }
    }
}

#[test]
fn unknown_enum_values_are_kept() {
    let text = ORGANIZATION
        .replace("\"type\": \"Organization\"", "\"type\": \"Robot\"")
        .replace(
            "\"amqpTransportStatus\": \"Enabled\"",
            "\"amqpTransportStatus\": \"Paused\"",
        );
    let party = party(&text);
    assert_eq!(party.kind, PartyType::Other("Robot".to_owned()));
    assert_eq!(
        party.amqp_transport_status,
        AmqpTransportStatus::Other("Paused".to_owned())
    );
}

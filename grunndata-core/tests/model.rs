//! Register models: serde round-trips, open enums, validity, address protection, masking.

use chrono::{DateTime, NaiveDate, Utc};
use grunndata_core::codes::{Category, Code, CodeSystemId};
use grunndata_core::id::{HerId, HprNumber, MaybeValid, NationalId, OrgNumber};
use grunndata_core::model::{
    AddressProtection, AmqpAddress, AmqpTransportStatus, Approval, CertificateMetadata,
    CommunicationParty, ContactAddress, IdentifierStatus, IdentifierType, IndustryCode, Name,
    OrgAddress, Organisation, OrganisationalForm, ParentOrganisation, PartyPostalAddress,
    PartyType, Period, Person, PersonIdentifier, PersonStatus, ResidentialAddress, Speciality,
    Suspension, UnitKind,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Tenor synthetic numbers (month + 80), check digits computed for this file.
const TENOR_NINS: [&str; 3] = ["15838610096", "02917410006", "28829010188"];

fn day(text: &str) -> NaiveDate {
    text.parse().expect("test dates are valid")
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().expect("test instants are valid")
}

fn nin(text: &str) -> MaybeValid<NationalId> {
    let parsed = MaybeValid::<NationalId>::from_raw(text);
    assert!(
        parsed.valid().is_some_and(NationalId::is_synthetic),
        "{text} must be a valid synthetic number"
    );
    parsed
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> String {
    let json = serde_json::to_string_pretty(value).expect("serialises");
    let back: T = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(&back, value, "{json}");
    json
}

#[test]
fn test_numbers_are_synthetic() {
    for text in TENOR_NINS {
        nin(text);
    }
}

fn person() -> Person {
    Person {
        id: "9f2c0a7e4b1d4c3a8e6f5b2a1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d".into(),
        sequence_number: Some(4711),
        identifiers: vec![
            PersonIdentifier {
                number: nin(TENOR_NINS[0]),
                kind: Some(IdentifierType::NationalIdentityNumber),
                status: IdentifierStatus::InUse,
                validity: Period::starting(day("1986-03-15")),
            },
            PersonIdentifier {
                number: MaybeValid::from_raw("55838610099"),
                kind: Some(IdentifierType::DNumber),
                status: IdentifierStatus::Discontinued,
                validity: Period::new(Some(day("1986-03-15")), Some(day("2001-01-01"))),
            },
        ],
        name: Some(Name {
            given: Some("Kåre".into()),
            middle: Some("Østby".into()),
            family: Some("Ærø".into()),
        }),
        short_name: Some("Ærø Kåre Ø".into()),
        birth_date: Some(day("1986-03-15")),
        birth_year: Some(1986),
        death_date: None,
        gender: None,
        status: Some(PersonStatus::Resident),
        address_protection: AddressProtection::Unclassified,
        residential_addresses: vec![ResidentialAddress {
            street_name: Some("Bjørnstjerne Bjørnsons gate".into()),
            house_number: Some("12".into()),
            house_letter: Some("B".into()),
            postal_code: Some("7030".into()),
            city: Some("TRONDHEIM".into()),
            municipality_number: Some("5001".into()),
            validity: Period::starting(day("2020-05-01")),
            ..ResidentialAddress::default()
        }],
        postal_addresses: vec![ContactAddress {
            lines: vec!["Postboks 1 Sentrum".into()],
            postal_code: Some("7030".into()),
            city: Some("Trondheim".into()),
            validity: Period::starting(day("2020-05-01")),
            ..ContactAddress::default()
        }],
    }
}

fn personnel() -> grunndata_core::model::HealthPersonnel {
    grunndata_core::model::HealthPersonnel {
        hpr_number: HprNumber::new(9_144_889).expect("positive"),
        nin: Some(nin(TENOR_NINS[1])),
        missing_nin: false,
        name: Name {
            given: Some("Åshild".into()),
            middle: None,
            family: Some("Sæther".into()),
        },
        birth_date: Some(day("1974-11-02")),
        death_date: None,
        replaced_by: None,
        approvals: vec![Approval {
            id: Some(1),
            category: Category::LE,
            authorisation: Some(Code::with_display(
                CodeSystemId::AUTHORISATION,
                "1",
                "Autorisasjon",
            )),
            validity: Period::starting(day("2001-06-30")),
            end_status: None,
            internship_approved: Some(day("2002-12-31")),
            suspensions: vec![Suspension {
                id: Some(7),
                period: Period::new(Some(day("2010-01-01")), Some(day("2010-03-31"))),
            }],
            specialities: vec![Speciality {
                id: None,
                kind: Code::with_display(CodeSystemId::SPECIALITY, "1", "Allmennmedisin"),
                validity: Period::starting(day("2008-01-01")),
                end_status: None,
                suspensions: vec![],
                administrative_reactions: vec![],
            }],
            requisition_rights: vec![],
            additional_competences: vec![],
            conditions: vec![grunndata_core::model::Condition {
                id: None,
                kind: None,
                text: Some("Kun ved sykehus i Tromsø".into()),
            }],
            administrative_reactions: vec![],
        }],
        administrative_reactions: vec![],
        last_updated: Some(instant("2025-11-24T13:45:00Z")),
    }
}

fn organisation() -> Organisation {
    Organisation {
        org_number: "974760673".parse().expect("valid"),
        unit: UnitKind::SubUnit,
        name: Some("SØRLANDET SYKEHUS HF, AVD. ÅRSTAD".into()),
        form: Some(OrganisationalForm {
            code: "BEDR".into(),
            description: Some("Underenhet til næringsdrivende og offentlig forvaltning".into()),
            expired: None,
        }),
        parent: Some(MaybeValid::from_raw("112233445")), // Brreg's fake fixture number
        business_address: None,
        location_address: Some(OrgAddress {
            lines: vec!["Sykehusveien 1".into()],
            postal_code: Some("4604".into()),
            city: Some("KRISTIANSAND S".into()),
            municipality: Some("KRISTIANSAND".into()),
            municipality_number: Some("4204".into()),
            country: Some("Norge".into()),
            country_code: Some("NO".into()),
        }),
        postal_address: None,
        industry_codes: vec![IndustryCode {
            code: "86.101".into(),
            description: Some("Alminnelige somatiske sykehus".into()),
        }],
        sector: None,
        homepage: None,
        employees: Some(1200),
        registered_date: Some(day("2002-01-01")),
        founded_date: None,
        start_date: Some(day("2002-01-01")),
        owner_change_date: None,
        closed_date: None,
        deleted_date: None,
        vat_registered: false,
        in_business_register: false,
        bankrupt: false,
        bankruptcy_date: None,
        under_liquidation: false,
        liquidation_date: None,
        under_compulsory_liquidation: false,
        compulsory_liquidation_date: None,
    }
}

fn party() -> CommunicationParty {
    CommunicationParty {
        her_id: HerId::new(8_093_240).expect("positive"),
        kind: PartyType::Service,
        name: Some("Fastlegekontor Ålesund".into()),
        display_name: Some("Fastlegekontor Ålesund – Legevakt".into()),
        parent: Some(ParentOrganisation {
            her_id: HerId::new(8_093_239).expect("positive"),
            name: Some("Ålesund kommune".into()),
            org_number: Some(MaybeValid::from_raw("974760673")),
        }),
        org_number: None,
        hpr_number: None,
        business_type: None,
        service_type: Some(Code::with_display(
            CodeSystemId::new("S01"),
            "11",
            "Legevakt",
        )),
        service_specification: Some("Døgnåpen".into()),
        persons: vec![],
        services: vec![],
        coverage_municipalities: vec![],
        edi_address: Some("legevakt@alesund.nhn.no".into()),
        fhir_address: None,
        amqp_address: Some(AmqpAddress {
            async_queue: Some("8093240_async".into()),
            ..AmqpAddress::default()
        }),
        amqp_transport_status: AmqpTransportStatus::Enabled,
        signing_certificate: Some(CertificateMetadata {
            thumbprint: "A1B2C3".into(),
            valid_from: Some(instant("2024-01-01T00:00:00Z")),
            valid_to: Some(instant("2026-12-31T23:59:59Z")),
        }),
        encryption_certificate: None,
        email: None,
        homepage_url: None,
        phone_number: None,
        fax_number: None,
        postal_address: Some(PartyPostalAddress {
            street_address: Some("Kongens gate 1".into()),
            postal_box: None,
            postal_code: Some("6002".into()),
            city: Some("ÅLESUND".into()),
        }),
        valid_from: Some(instant("2020-01-01T00:00:00Z")),
        valid_to: Some(instant("2026-04-01T00:00:00Z")),
    }
}

#[test]
fn models_round_trip_with_norwegian_letters() {
    let json = round_trip(&person());
    assert!(
        json.contains("Kåre") && json.contains("Bjørnstjerne"),
        "{json}"
    );
    assert!(json.contains(r#""status": "resident""#), "{json}");
    assert!(
        json.contains(r#""55838610099""#),
        "an invalid NIN is kept as received: {json}"
    );
    let json = round_trip(&personnel());
    assert!(
        json.contains("Sæther") && json.contains(r#""category": "LE""#),
        "{json}"
    );
    let json = round_trip(&organisation());
    assert!(
        json.contains("ÅRSTAD") && json.contains(r#""unit": "sub_unit""#),
        "{json}"
    );
    assert!(json.contains(r#""parent": "112233445""#), "{json}");
    let json = round_trip(&party());
    assert!(
        json.contains("Ålesund") && json.contains(r#""kind": "service""#),
        "{json}"
    );
}

#[test]
fn stored_json_missing_optional_fields_still_reads() {
    let person: Person = serde_json::from_str(r#"{"id": "abc"}"#).expect("minimal person");
    assert_eq!(person.address_protection, AddressProtection::Unclassified);
    assert!(person.identifiers.is_empty());
    let org: Organisation =
        serde_json::from_str(r#"{"org_number": "974760673", "unit": "main_unit"}"#)
            .expect("minimal organisation");
    assert!(org.is_main_unit() && !org.is_deleted());
    let party: CommunicationParty = serde_json::from_str(
        r#"{"her_id": 8093240, "kind": "Organization", "amqp_transport_status": "Inherited"}"#,
    )
    .expect("minimal party, upstream spellings");
    assert_eq!(party.kind, PartyType::Organisation);
    assert_eq!(party.amqp_transport_status, AmqpTransportStatus::Inherited);
}

/// Regression (issue 17): serde's smallest `Vec` holds four elements, and decoded records live
/// long in lookup caches, where that spare room was most of a cached person.
#[test]
fn decoded_lists_keep_no_spare_capacity() {
    let person: Person = serde_json::from_str(&round_trip(&person())).expect("person");
    for (len, capacity) in [
        (person.identifiers.len(), person.identifiers.capacity()),
        (
            person.residential_addresses.len(),
            person.residential_addresses.capacity(),
        ),
        (
            person.postal_addresses.len(),
            person.postal_addresses.capacity(),
        ),
    ] {
        assert_eq!(len, capacity);
    }
    assert!(!person.residential_addresses.is_empty());
    let personnel: grunndata_core::model::HealthPersonnel =
        serde_json::from_str(&round_trip(&personnel())).expect("personnel");
    assert!(!personnel.approvals.is_empty());
    assert_eq!(personnel.approvals.len(), personnel.approvals.capacity());
    for approval in &personnel.approvals {
        assert_eq!(
            approval.specialities.len(),
            approval.specialities.capacity()
        );
    }
}

#[test]
fn debug_never_prints_a_whole_nin() {
    let outputs = [format!("{:?}", person()), format!("{:?}", personnel())];
    for output in outputs {
        for text in TENOR_NINS.iter().chain(&["55838610099"]) {
            assert!(!output.contains(text), "{text} leaked");
        }
    }
}

#[test]
fn open_enums_read_every_spelling_and_keep_the_unknown() {
    let cases = [
        ("resident", PersonStatus::Resident),
        ("Resident", PersonStatus::Resident),
        ("bosatt", PersonStatus::Resident),
        ("Emigrated", PersonStatus::Emigrated),
        ("Disappeared", PersonStatus::Disappeared),
        ("Deceased", PersonStatus::Deceased),
        ("doed", PersonStatus::Deceased),
        ("Discontinued", PersonStatus::Discontinued),
        ("RegisteredAtBirth", PersonStatus::RegisteredAtBirth),
        ("registered_at_birth", PersonStatus::RegisteredAtBirth),
        ("Temporary", PersonStatus::Temporary),
        ("Inactive", PersonStatus::Inactive),
        ("NotResident", PersonStatus::NotResident),
        ("ikkeBosatt", PersonStatus::NotResident),
        ("Active", PersonStatus::Active),
        ("Utvandret", PersonStatus::Other("Utvandret".into())),
    ];
    for (text, expected) in cases {
        assert_eq!(PersonStatus::parse(text), expected, "{text}");
        let json = serde_json::to_string(&expected).expect("serialises");
        assert_eq!(
            serde_json::from_str::<PersonStatus>(&json).expect("reads"),
            expected
        );
    }
    assert_eq!(PersonStatus::KNOWN.len(), 10);
    assert_eq!(
        PersonStatus::Other("Utvandret".into()).as_str(),
        "Utvandret"
    );
    assert_eq!(IdentifierStatus::parse("InUse"), IdentifierStatus::InUse);
    assert_eq!(IdentifierType::parse("DNumber"), IdentifierType::DNumber);
    assert_eq!(
        IdentifierType::parse("AlternateIdentificationNumber"),
        IdentifierType::AlternateIdentificationNumber
    );
    assert_eq!(PartyType::parse("Organization"), PartyType::Organisation);
    // Escaped JSON text reaches the same parse; anything but a string is refused.
    assert_eq!(
        serde_json::from_str::<PersonStatus>("\"bos\\u0061tt\"").expect("escaped"),
        PersonStatus::Resident
    );
    assert_eq!(
        serde_json::from_str::<PersonStatus>("\"REGISTERED-AT-BIRTH\"").expect("reads"),
        PersonStatus::RegisteredAtBirth
    );
    assert!(serde_json::from_str::<PersonStatus>("5").is_err());
}

#[test]
fn address_protection_decides_withholding() {
    // (level as upstream sends it, withheld)
    let cases = [
        ("Unclassified", false),
        ("ugradert", false),
        ("ClientAddress", false),
        ("Confidential", true),
        ("fortrolig", true),
        ("StrictlyConfidential", true),
        ("strengtFortrolig", true),
        ("SomethingNew", true), // unknown levels fail safe
    ];
    for (text, withheld) in cases {
        let level = AddressProtection::parse(text);
        assert_eq!(level.withholds_address(), withheld, "{text}");
        let mut person = person();
        person.address_protection = level;
        assert_eq!(person.must_withhold_addresses(), withheld, "{text}");
    }
    // A graded address withholds even when the person-level element says unclassified.
    let mut person = person();
    person.residential_addresses[0].confidentiality = Some(AddressProtection::StrictlyConfidential);
    assert!(person.must_withhold_addresses());
}

#[test]
fn person_helpers() {
    let person = person();
    assert_eq!(
        person.current_nin().map(NationalId::expose).as_deref(),
        Some(TENOR_NINS[0])
    );
    assert!(!person.is_deceased());
    assert_eq!(
        person.name.as_ref().map(Name::full).as_deref(),
        Some("Kåre Østby Ærø")
    );
    assert!(person.residential_address_on(day("2020-04-30")).is_none());
    assert!(person.residential_address_on(day("2020-05-01")).is_some());
    assert!(person.postal_address_on(day("2030-01-01")).is_some());
    let mut dead = person.clone();
    dead.status = Some(PersonStatus::Deceased);
    assert!(dead.is_deceased());
}

#[test]
fn periods() {
    let closed = Period::new(Some(day("2026-01-01")), Some(day("2026-03-31")));
    // (period, day, contains)
    let cases = [
        (closed, "2025-12-31", false),
        (closed, "2026-01-01", true),
        (closed, "2026-03-31", true),
        (closed, "2026-04-01", false),
        (Period::starting(day("2026-01-01")), "2999-12-31", true),
        (
            Period::new(None, Some(day("2026-03-31"))),
            "1900-01-01",
            true,
        ),
        (Period::UNBOUNDED, "2026-01-01", true),
    ];
    for (period, on, contains) in cases {
        assert_eq!(period.contains(day(on)), contains, "{period} {on}");
    }
    assert_eq!(closed.to_string(), "2026-01-01 – 2026-03-31");
    assert_eq!(
        Period::starting(day("2026-01-01")).to_string(),
        "2026-01-01 –"
    );
}

#[test]
fn communication_party_activity() {
    // valid_to is 2026-04-01T00:00Z, exclusive: the last active day is 2026-03-31.
    let cases = [
        (party(), "2019-12-31", false),
        (party(), "2020-01-01", true),
        (party(), "2026-03-31", true),
        (party(), "2026-04-01", false),
        (
            CommunicationParty {
                valid_to: Some(instant("2026-04-01T12:00:00Z")),
                ..party()
            },
            "2026-04-01",
            true,
        ),
        (
            CommunicationParty {
                valid_from: None,
                valid_to: None,
                ..party()
            },
            "1999-01-01",
            true,
        ),
    ];
    for (party, on, active) in cases {
        assert_eq!(
            party.is_active(day(on)),
            active,
            "{on} {:?}",
            party.valid_to
        );
    }
    let party = party();
    assert!(party.is_active_at(instant("2026-03-31T23:59:59Z")));
    assert!(!party.is_active_at(instant("2026-04-01T00:00:00Z")));
}

#[test]
fn message_addresses_and_certificates() {
    let cases = [
        (party(), true),
        (
            CommunicationParty {
                edi_address: None,
                ..party()
            },
            true,
        ),
        (
            CommunicationParty {
                edi_address: None,
                amqp_transport_status: AmqpTransportStatus::Disabled,
                ..party()
            },
            false,
        ),
        (
            CommunicationParty {
                edi_address: Some(" ".into()),
                amqp_address: None,
                ..party()
            },
            false,
        ),
    ];
    for (party, has) in cases {
        assert_eq!(party.has_message_address(), has, "{party:?}");
    }

    let certificate = party().signing_certificate.expect("set");
    let cases = [
        // valid_to is 2026-12-31T23:59:59Z: 30 days ahead reaches it from 2026-12-02.
        ("2026-12-02T00:00:00Z", true, true),
        ("2026-12-01T00:00:00Z", true, false),
        ("2027-01-01T00:00:00Z", false, true),
    ];
    for (at, valid, expiring) in cases {
        assert_eq!(certificate.is_valid_at(instant(at)), valid, "{at}");
        assert_eq!(
            certificate.expires_within(instant(at), 30),
            expiring,
            "{at}"
        );
    }
}

#[test]
fn organisation_lifecycle() {
    let on = day("2026-01-01");
    let cases = [
        (organisation(), true),
        (
            Organisation {
                deleted_date: Some(day("2025-12-31")),
                ..organisation()
            },
            false,
        ),
        (
            Organisation {
                deleted_date: Some(day("2026-06-01")),
                ..organisation()
            },
            true,
        ),
        (
            Organisation {
                closed_date: Some(day("2026-01-01")),
                ..organisation()
            },
            false,
        ),
        (
            Organisation {
                bankrupt: true,
                ..organisation()
            },
            false,
        ),
        (
            Organisation {
                under_liquidation: true,
                ..organisation()
            },
            false,
        ),
        (
            Organisation {
                under_compulsory_liquidation: true,
                ..organisation()
            },
            false,
        ),
    ];
    for (org, operating) in cases {
        assert_eq!(org.is_operating(on), operating, "{org:?}");
    }
    let org = organisation();
    assert!(!org.is_main_unit());
    assert!(org.parent.as_ref().is_some_and(MaybeValid::is_invalid));
    assert_eq!(
        org.visiting_address().and_then(|a| a.city.as_deref()),
        Some("KRISTIANSAND S")
    );
    let _: Option<&OrgNumber> = org.parent.as_ref().and_then(MaybeValid::valid);
}

mod dates {
    //! `parse_date` / `parse_instant` (and the model fields read through them) agree with
    //! chrono on everything: the fast spellings digit by digit, everything else by chrono;
    //! `date_text` / `instant_text` write exactly chrono's text.

    use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone as _, Utc};
    use grunndata_core::model::{Period, parse_date, parse_instant, parse_ymd};
    // Named apart from the text strategies below.
    use grunndata_core::model::{date_text as written_date, instant_text as written_instant};
    use proptest::prelude::*;

    fn chrono_date(text: &str) -> Result<NaiveDate, chrono::ParseError> {
        text.parse()
    }

    fn chrono_instant(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        text.parse::<DateTime<FixedOffset>>()
            .map(|at| at.with_timezone(&Utc))
    }

    /// Two digits, mostly in `0..=max`, sometimes beyond it or not digits at all.
    fn two(max: u32) -> impl Strategy<Value = String> {
        prop_oneof![
            8 => (0..=max).prop_map(|n| format!("{n:02}")),
            1 => (0u32..100).prop_map(|n| format!("{n:02}")),
            1 => "[0-9a ]{2}",
        ]
    }

    fn date_text() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                8 => (0u32..10_000).prop_map(|y| format!("{y:04}")),
                1 => "[0-9+-]{4,6}",
            ],
            two(12),
            two(31),
        )
            .prop_map(|(y, m, d)| format!("{y}-{m}-{d}"))
    }

    fn instant_text() -> impl Strategy<Value = String> {
        (
            date_text(),
            prop_oneof![8 => Just("T"), 1 => Just("t"), 1 => Just(" ")],
            (two(23), two(59), two(60)),
            prop_oneof![Just(String::new()), "\\.[0-9]{1,9}", "\\.[0-9]{0,12}"],
            prop_oneof![
                3 => Just("Z".to_owned()),
                1 => Just("z".to_owned()),
                1 => Just(String::new()),
                6 => (prop_oneof![Just('+'), Just('-')], two(23), two(59))
                    .prop_map(|(sign, h, m)| format!("{sign}{h}:{m}")),
                1 => "[+-][0-9]{4}",
            ],
        )
            .prop_map(|(date, sep, (h, m, s), fraction, offset)| {
                format!("{date}{sep}{h}:{m}:{s}{fraction}{offset}")
            })
    }

    proptest! {
        #[test]
        fn dates_agree_with_chrono(text in date_text()) {
            prop_assert_eq!(parse_date(&text), chrono_date(&text));
            prop_assert_eq!(parse_ymd(&text), NaiveDate::parse_from_str(&text, "%Y-%m-%d"));
        }

        #[test]
        fn instants_agree_with_chrono(text in instant_text()) {
            prop_assert_eq!(parse_instant(&text), chrono_instant(&text));
        }

        #[test]
        fn written_dates_are_chronos(days in prop_oneof![
            8 => 0i32..3_652_059,
            1 => -100_000_000i32..100_000_000,
        ]) {
            // Days from 0001-01-01: years 1 to 9999, then anything chrono can hold.
            if let Some(date) = NaiveDate::from_num_days_from_ce_opt(days) {
                prop_assert_eq!(written_date(date), date.format("%F").to_string());
            }
        }

        #[test]
        fn written_instants_are_chronos(
            seconds in prop_oneof![
                8 => -62_135_596_800i64..253_402_300_800,
                1 => -8_000_000_000_000i64..8_000_000_000_000,
            ],
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1000).prop_map(|n| n * 1_000_000),
                (0u32..1_000_000).prop_map(|n| n * 1_000),
                0u32..1_000_000_000,
                1_000_000_000u32..2_000_000_000,
            ],
        ) {
            if let chrono::LocalResult::Single(at) = Utc.timestamp_opt(seconds, nanos) {
                prop_assert_eq!(
                    written_instant(at),
                    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
                );
            }
        }

        #[test]
        fn any_text_agrees_with_chrono(text in "\\PC{0,32}") {
            prop_assert_eq!(parse_date(&text), chrono_date(&text));
            prop_assert_eq!(parse_instant(&text), chrono_instant(&text));
            prop_assert_eq!(parse_ymd(&text), NaiveDate::parse_from_str(&text, "%Y-%m-%d"));
        }
    }

    #[test]
    fn the_stored_spellings() {
        let at = |text: &str| parse_instant(text).expect("valid");
        assert_eq!(at("2026-12-05T08:30:00Z"), at("2026-12-05T09:30:00+01:00"));
        assert_eq!(at("2026-12-05T08:30:00.5Z").timestamp_subsec_millis(), 500);
        assert_eq!(
            at("2026-12-05T08:30:00.123456789-02:30").to_rfc3339(),
            "2026-12-05T11:00:00.123456789+00:00"
        );
        // A leap second and a lowercase separator go to chrono, which decides.
        assert_eq!(
            parse_instant("2016-12-31T23:59:60Z"),
            chrono_instant("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            parse_instant("2026-12-05t08:30:00z"),
            Ok(at("2026-12-05T08:30:00Z"))
        );
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("2026-02-29").is_err());
        assert_eq!(parse_date("2028-02-29"), chrono_date("2028-02-29"));
    }

    #[test]
    fn model_fields_read_null_absent_and_refuse_non_strings() {
        let period: Period =
            serde_json::from_str(r#"{"from":"2026-01-01","to":null}"#).expect("a period");
        assert_eq!(period.from, parse_date("2026-01-01").ok());
        assert_eq!(period.to, None);
        let period: Period = serde_json::from_str("{}").expect("an open period");
        assert_eq!(period, Period::UNBOUNDED);
        for bad in [
            r#"{"from":20260101}"#,
            r#"{"from":"2026-02-30"}"#,
            r#"{"from":["2026-01-01"]}"#,
            r#"{"from":true}"#,
        ] {
            assert!(
                serde_json::from_str::<Period>(bad).is_err(),
                "{bad} accepted"
            );
        }
        // Escaped JSON text still reads (serde_json hands over the unescaped string).
        let period: Period =
            serde_json::from_str(r#"{"from":"2026\u002d01-01"}"#).expect("escaped");
        assert_eq!(period.from, parse_date("2026-01-01").ok());
    }
}

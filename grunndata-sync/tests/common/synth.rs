//! Synthetic records with valid identifiers, for store tests and the bulk-load bench.
//!
//! Person numbers are Tenor-style (month + 80, so never a real person) with valid check
//! digits; organisation numbers have valid mod-11 check digits. Every identifier is checked by
//! parsing it with the core types.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use grunndata_sync::core::codes::{Category, Code, CodeSystemId};
use grunndata_sync::core::id::{HerId, HprNumber, MaybeValid, NationalId, OrgNumber};
use grunndata_sync::core::model::{
    AddressProtection, AmqpTransportStatus, Approval, CommunicationParty, HealthPersonnel,
    IdentifierStatus, IdentifierType, Name, Organisation, OrganisationalForm, ParentOrganisation,
    PartyType, Period, Person, PersonIdentifier, PersonStatus, Speciality, Suspension, UnitKind,
};

/// Midnight UTC on a day.
pub fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .expect("valid date")
}

/// A calendar day.
pub fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

fn digits(number: u64, width: usize) -> Vec<u32> {
    format!("{number:0width$}")
        .chars()
        .map(|c| c.to_digit(10).expect("digit"))
        .collect()
}

fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        check => Some(check),
    }
}

/// The `index`-th synthetic organisation number (unique for `index` < 5 000 000).
pub fn orgnr(index: u32) -> OrgNumber {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    // Of two consecutive bases 2i and 2i+1 the weighted sums differ by 2 (mod 11), so at
    // least one has a check digit.
    for base in [
        90_000_000 + u64::from(index) * 2,
        90_000_001 + u64::from(index) * 2,
    ] {
        let body = digits(base, 8);
        if let Some(check) = mod11(&body, &WEIGHTS) {
            let text = format!("{base}{check}");
            return OrgNumber::parse(&text).expect("valid synthetic orgnr");
        }
    }
    unreachable!("one of two consecutive bases has a check digit")
}

/// The `index`-th synthetic Tenor fødselsnummer (unique for `index` < 13 440).
pub fn nin(index: u32) -> NationalId {
    const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let day = 1 + index % 28;
    let month = 81 + (index / 28) % 12;
    let year = 50 + (index / 336) % 40;
    for individual in 0..500 {
        let body = digits(
            u64::from(day) * 10_000_000
                + u64::from(month) * 100_000
                + u64::from(year) * 1_000
                + individual,
            9,
        );
        let Some(k1) = mod11(&body, &K1) else {
            continue;
        };
        let mut with_k1 = body.clone();
        with_k1.push(k1);
        let Some(k2) = mod11(&with_k1, &K2) else {
            continue;
        };
        let text: String = with_k1
            .iter()
            .chain(std::iter::once(&k2))
            .map(|d| char::from_digit(*d, 10).expect("digit"))
            .collect();
        let nin = NationalId::parse(&text).expect("valid synthetic NIN");
        assert!(nin.is_synthetic());
        return nin;
    }
    unreachable!("some individual number has valid check digits")
}

/// A main unit.
pub fn organisation(orgnr: OrgNumber, name: &str) -> Organisation {
    Organisation {
        org_number: orgnr,
        unit: UnitKind::MainUnit,
        name: Some(name.to_owned()),
        form: Some(OrganisationalForm {
            code: "AS".to_owned(),
            description: Some("Aksjeselskap".to_owned()),
            expired: None,
        }),
        parent: None,
        business_address: None,
        location_address: None,
        postal_address: None,
        industry_codes: Vec::new(),
        sector: None,
        homepage: None,
        employees: Some(12),
        registered_date: Some(day(2001, 5, 17)),
        founded_date: None,
        start_date: None,
        owner_change_date: None,
        closed_date: None,
        deleted_date: None,
        vat_registered: true,
        in_business_register: true,
        bankrupt: false,
        bankruptcy_date: None,
        under_liquidation: false,
        liquidation_date: None,
        under_compulsory_liquidation: false,
        compulsory_liquidation_date: None,
    }
}

/// A sub-unit of `parent`.
pub fn sub_unit(orgnr: OrgNumber, parent: OrgNumber, name: &str) -> Organisation {
    Organisation {
        unit: UnitKind::SubUnit,
        parent: Some(MaybeValid::Valid(parent)),
        form: Some(OrganisationalForm {
            code: "BEDR".to_owned(),
            description: None,
            expired: None,
        }),
        ..organisation(orgnr, name)
    }
}

/// A communication party.
pub fn party(her_id: u32, kind: PartyType, name: &str) -> CommunicationParty {
    CommunicationParty {
        her_id: HerId::new(i64::from(her_id)).expect("valid HER-id"),
        kind,
        name: Some(name.to_owned()),
        display_name: None,
        parent: None,
        org_number: None,
        hpr_number: None,
        business_type: None,
        service_type: None,
        service_specification: None,
        persons: Vec::new(),
        services: Vec::new(),
        coverage_municipalities: Vec::new(),
        edi_address: Some(format!("party{her_id}@edi.example.invalid")),
        fhir_address: None,
        amqp_address: None,
        amqp_transport_status: AmqpTransportStatus::Inherited,
        signing_certificate: None,
        encryption_certificate: None,
        email: None,
        homepage_url: None,
        phone_number: None,
        fax_number: None,
        postal_address: None,
        valid_from: Some(at(2020, 1, 1)),
        valid_to: None,
    }
}

/// A person party under the organisation `parent`.
pub fn person_party(
    her_id: u32,
    parent: &CommunicationParty,
    hpr: u32,
    name: &str,
) -> CommunicationParty {
    CommunicationParty {
        parent: Some(ParentOrganisation {
            her_id: parent.her_id,
            name: parent.name.clone(),
            org_number: parent.org_number.clone(),
        }),
        hpr_number: Some(MaybeValid::Valid(
            HprNumber::new(i64::from(hpr)).expect("valid HPR number"),
        )),
        ..party(her_id, PartyType::Person, name)
    }
}

/// A health worker with one approval as `LE` (with a speciality and a suspension).
pub fn personnel(hpr: u32, nin: Option<NationalId>, given: &str, family: &str) -> HealthPersonnel {
    HealthPersonnel {
        hpr_number: HprNumber::new(i64::from(hpr)).expect("valid HPR number"),
        nin: nin.map(MaybeValid::Valid),
        missing_nin: false,
        name: Name {
            given: Some(given.to_owned()),
            middle: None,
            family: Some(family.to_owned()),
        },
        birth_date: Some(day(1980, 3, 14)),
        death_date: None,
        replaced_by: None,
        approvals: vec![Approval {
            id: Some(i64::from(hpr) * 10),
            category: Category::LE,
            authorisation: Some(Code::with_display(
                CodeSystemId::AUTHORISATION,
                "1",
                "Autorisasjon",
            )),
            validity: Period::new(Some(day(2010, 6, 1)), None),
            end_status: None,
            internship_approved: None,
            suspensions: vec![Suspension {
                id: None,
                period: Period::new(Some(day(2026, 10, 1)), Some(day(2027, 1, 1))),
            }],
            specialities: vec![Speciality {
                id: None,
                kind: Code::with_display(CodeSystemId::SPECIALITY, "1", "Allmennmedisin"),
                validity: Period::new(Some(day(2015, 1, 1)), None),
                end_status: None,
                suspensions: Vec::new(),
                administrative_reactions: Vec::new(),
            }],
            requisition_rights: Vec::new(),
            additional_competences: Vec::new(),
            conditions: Vec::new(),
            administrative_reactions: Vec::new(),
        }],
        administrative_reactions: Vec::new(),
        last_updated: Some(at(2025, 11, 1)),
    }
}

/// A person with one NIN in use.
pub fn person(id: &str, nin: &NationalId, given: &str, family: &str) -> Person {
    Person {
        id: id.to_owned(),
        sequence_number: Some(1),
        identifiers: vec![PersonIdentifier {
            number: MaybeValid::Valid(*nin),
            kind: Some(IdentifierType::NationalIdentityNumber),
            status: IdentifierStatus::InUse,
            validity: Period::UNBOUNDED,
        }],
        name: Some(Name {
            given: Some(given.to_owned()),
            middle: None,
            family: Some(family.to_owned()),
        }),
        short_name: None,
        birth_date: nin.birth_date(),
        birth_year: None,
        death_date: None,
        gender: nin.gender(),
        status: Some(PersonStatus::Resident),
        address_protection: AddressProtection::Unclassified,
        residential_addresses: Vec::new(),
        postal_addresses: Vec::new(),
    }
}

//! A small, fixed synthetic mirror for lookup tests, the CLI tests, the embedding example's
//! test and the lookup benchmark. Every record was applied at [`APPLIED`], so the output that
//! shows times is stable.
//!
//! | register | records |
//! |---|---|
//! | brreg | `orgnr(1)` Ås Helse AS with sub-units `orgnr(2)` and `orgnr(3)` |
//! | ar | 81000001 Legekontoret i Ås (orgnr(1)); 81000002 Kari Nordmann (HPR 9144889) and 81000003 Timebestilling under it |
//! | hpr | 9144889 Kari Nordmann (`nin(1)`, LE, suspended 2026-10-01 – 2027-01-01, full requisition right); 9144890 Ola Ødegård (`nin(2)`, LE expired 2026-03-31) |
//! | preg | `nin(10)` Åse Bø (unprotected, with an address); `nin(11)` Hemmelig Person (strictly confidential, with an address); `nin(12)` tracked, not fetched |
//!
//! Used by file path (`#[path]`) from other packages' tests, so it depends only on
//! `grunndata_sync`, `chrono` and `synth.rs`.

use chrono::{DateTime, Utc};
use grunndata_sync::core::codes::{Code, CodeSystemId};
use grunndata_sync::core::id::{HerId, HprNumber, MaybeValid, NationalId, OrgNumber};
use grunndata_sync::core::model::{
    AddressProtection, CommunicationParty, HealthPersonnel, Organisation, PartyType, Period,
    Person, RequisitionRight, ResidentialAddress,
};
use grunndata_sync::store::{Batch, Store};

use super::synth::{
    at, day, nin, organisation, orgnr, party, person, person_party, personnel, sub_unit,
};

/// When every fixture record was applied (and fetched).
pub fn applied() -> DateTime<Utc> {
    at(2026, 1, 1)
}

/// The main unit.
pub fn main_unit() -> OrgNumber {
    orgnr(1)
}

/// Kari Nordmann's HPR number.
pub fn kari() -> HprNumber {
    HprNumber::new(9_144_889).unwrap_or_else(|e| panic!("HPR number: {e}"))
}

/// Ola Ødegård's HPR number.
pub fn ola() -> HprNumber {
    HprNumber::new(9_144_890).unwrap_or_else(|e| panic!("HPR number: {e}"))
}

/// The clinic's HER-id.
pub fn clinic() -> HerId {
    HerId::new(81_000_001).unwrap_or_else(|e| panic!("HER-id: {e}"))
}

/// Kari's HER-id in the clinic.
pub fn kari_party() -> HerId {
    HerId::new(81_000_002).unwrap_or_else(|e| panic!("HER-id: {e}"))
}

/// The unprotected tracked person's NIN.
pub fn open_person() -> NationalId {
    nin(10)
}

/// The strictly confidential tracked person's NIN.
pub fn protected_person() -> NationalId {
    nin(11)
}

/// A tracked NIN whose person was never fetched.
pub fn unfetched_person() -> NationalId {
    nin(12)
}

/// An address in the fixture's persons.
fn address(street: &str) -> ResidentialAddress {
    ResidentialAddress {
        street_name: Some(street.to_owned()),
        house_number: Some("1".to_owned()),
        postal_code: Some("1430".to_owned()),
        city: Some("ÅS".to_owned()),
        ..ResidentialAddress::default()
    }
}

/// Kari's HPR record (also used to make changes to it).
pub fn kari_record() -> HealthPersonnel {
    let mut record = personnel(kari().get(), Some(nin(1)), "Kari", "Nordmann");
    record.approvals[0]
        .requisition_rights
        .push(RequisitionRight {
            id: None,
            kind: Code::with_display(
                CodeSystemId::new("rekvisisjonsrett"),
                "1",
                "Full rekvisisjonsrett",
            ),
            validity: Period::new(Some(day(2012, 1, 1)), None),
            end_status: None,
            suspensions: Vec::new(),
            administrative_reactions: Vec::new(),
        });
    record
}

/// The clinic's AR record.
pub fn clinic_record() -> CommunicationParty {
    let mut clinic = party(clinic().get(), PartyType::Organisation, "Legekontoret i Ås");
    clinic.org_number = Some(MaybeValid::Valid(main_unit()));
    clinic
}

/// Applies the fixture to `store` (tracking its persons first).
pub async fn populate(store: &Store) {
    let t = applied();
    let apply_failed = |e| panic!("applying the fixture: {e}");

    let brreg = Batch::<Organisation>::new(t)
        .upsert(organisation(main_unit(), "Ås Helse AS"), None, t)
        .upsert(
            sub_unit(orgnr(2), main_unit(), "Ås Helse AS avd. Nordby"),
            None,
            t,
        )
        .upsert(
            sub_unit(orgnr(3), main_unit(), "Ås Helse AS avd. Solberg"),
            None,
            t,
        );
    store.apply(brreg).await.unwrap_or_else(apply_failed);

    let clinic = clinic_record();
    let doctor = person_party(kari_party().get(), &clinic, kari().get(), "Kari Nordmann");
    let mut service = party(81_000_003, PartyType::Service, "Timebestilling");
    service.parent = doctor.parent.clone();
    let ar = Batch::<CommunicationParty>::new(t)
        .upsert(clinic, None, t)
        .upsert(doctor, None, t)
        .upsert(service, None, t);
    store.apply(ar).await.unwrap_or_else(apply_failed);

    let mut ola = personnel(ola().get(), Some(nin(2)), "Ola", "Ødegård");
    ola.approvals[0].validity = Period::new(Some(day(2010, 6, 1)), Some(day(2026, 3, 31)));
    ola.approvals[0].suspensions.clear();
    let hpr = Batch::<HealthPersonnel>::new(t)
        .upsert(kari_record(), None, t)
        .upsert(ola, None, t);
    store.apply(hpr).await.unwrap_or_else(apply_failed);

    for tracked in [open_person(), protected_person(), unfetched_person()] {
        store
            .track_person(&tracked, Some("fixture"))
            .await
            .unwrap_or_else(|e| panic!("tracking: {e}"));
    }
    let mut open = person("3f2a9c0e-0010", &open_person(), "Åse", "Bø");
    open.residential_addresses.push(address("Storgata"));
    let mut hidden = person("3f2a9c0e-0011", &protected_person(), "Hemmelig", "Person");
    hidden.address_protection = AddressProtection::StrictlyConfidential;
    hidden.residential_addresses.push(address("Skjultveien"));
    let preg = Batch::<Person>::new(t)
        .upsert(open, None, t)
        .upsert(hidden, None, t);
    store.apply(preg).await.unwrap_or_else(apply_failed);
}

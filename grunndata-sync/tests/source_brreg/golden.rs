//! Golden tests: the python-brreg sample records (copied from ../shared/reference into
//! fixtures/reference) parsed into the core model.
//!
//! The samples' organisasjonsnumre are made up and fail the mod-11 check, so as received they
//! are malformed records (the key must be valid). Each sample is also parsed with its key
//! swapped for a valid synthetic one, to check every other value.

use chrono::NaiveDate;
use grunndata_sync::core::id::MaybeValid;
use grunndata_sync::core::model::{Organisation, UnitKind};
use grunndata_sync::source::brreg::parse_unit;
use grunndata_sync::source::{MalformedRecord, Parsed};

const ENHET: &str = include_str!("../fixtures/reference/enheter-details-response.json");
const ENHET_DELETED: &str =
    include_str!("../fixtures/reference/enheter-details-deleted-response.json");
const UNDERENHET: &str = include_str!("../fixtures/reference/underenheter-details-response.json");
const UNDERENHET_DELETED: &str =
    include_str!("../fixtures/reference/underenheter-details-deleted-response.json");
const UNDERENHET_SEARCH: &str =
    include_str!("../fixtures/reference/underenheter-search-response.json");

/// A valid synthetic organisasjonsnummer.
const VALID: &str = "310000019";

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn record(text: &str, unit: UnitKind) -> Organisation {
    match parse_unit(text.as_bytes(), unit) {
        Parsed::Record(record) => record,
        Parsed::Malformed(malformed) => panic!("expected a record: {malformed}"),
    }
}

fn malformed(text: &str, unit: UnitKind) -> MalformedRecord {
    match parse_unit(text.as_bytes(), unit) {
        Parsed::Malformed(malformed) => malformed,
        Parsed::Record(record) => panic!("expected malformed, got {record:?}"),
    }
}

fn with_key(text: &str, key: &str) -> String {
    let at = text.find("\"organisasjonsnummer\"").unwrap_or(0);
    let (head, tail) = text.split_at(at);
    let colon = tail.find(':').unwrap_or(0);
    let start = colon + tail[colon..].find('"').map_or(0, |i| i + 1);
    let end = start + tail[start..].find('"').unwrap_or(0);
    format!("{head}{}{key}{}", &tail[..start], &tail[end..])
}

#[test]
fn samples_with_invalid_keys_are_malformed_and_named() {
    let cases = [
        (ENHET, UnitKind::MainUnit, "112233445"),
        (ENHET_DELETED, UnitKind::MainUnit, "123456789"),
        (UNDERENHET, UnitKind::SubUnit, "776655441"),
        (UNDERENHET_DELETED, UnitKind::SubUnit, "987123456"),
    ];
    for (text, unit, id) in cases {
        let record = malformed(text, unit);
        assert_eq!(record.upstream_id.as_deref(), Some(id));
        assert_eq!(record.field.as_deref(), Some("organisasjonsnummer"));
        assert_eq!(record.raw, text.as_bytes());
        assert!(
            format!("{record:?}").contains("bytes]"),
            "Debug hides the payload"
        );
    }
}

#[test]
fn enhet_sample() {
    let org = record(&with_key(ENHET, VALID), UnitKind::MainUnit);
    assert_eq!(org.org_number.to_string(), VALID);
    assert_eq!(org.unit, UnitKind::MainUnit);
    assert_eq!(org.name.as_deref(), Some("SESAM STASJON"));
    let form = org
        .form
        .as_ref()
        .map(|form| (form.code.as_str(), form.description.as_deref()));
    assert_eq!(form, Some(("AS", Some("Aksjeselskap"))));
    let postal = org.postal_address.clone().unwrap_or_default();
    assert_eq!(postal.lines, ["c/o reder K. Rusing", "Postboks 1752 Vika"]);
    assert_eq!(postal.postal_code.as_deref(), Some("0122"));
    assert_eq!(postal.city.as_deref(), Some("OSLO"));
    assert_eq!(postal.municipality.as_deref(), Some("OSLO"));
    assert_eq!(postal.municipality_number.as_deref(), Some("0301"));
    assert_eq!(postal.country.as_deref(), Some("Norge"));
    assert_eq!(postal.country_code.as_deref(), Some("NO"));
    let business = org.business_address.clone().unwrap_or_default();
    assert_eq!(business.lines, ["Tyvholmen 1"]);
    assert_eq!(business.postal_code.as_deref(), Some("0101"));
    assert_eq!(org.location_address, None);
    assert_eq!(org.registered_date, day("2017-10-20"));
    assert_eq!(org.founded_date, day("2017-10-20"));
    assert!(org.vat_registered);
    assert!(org.in_business_register);
    assert_eq!(org.industry_codes.len(), 1);
    assert_eq!(org.industry_codes[0].code, "52.292");
    assert_eq!(
        org.industry_codes[0].description.as_deref(),
        Some("Skipsmegling")
    );
    assert_eq!(org.employees, Some(50));
    assert!(!org.bankrupt && !org.under_liquidation && !org.under_compulsory_liquidation);
    assert_eq!(
        org.bankruptcy_date, None,
        "\"konkursdato\": \"\" reads as absent"
    );
    assert_eq!(org.deleted_date, None);
    assert_eq!(org.parent, None);
    assert!(org.is_operating(day("2025-01-01").unwrap_or_default()));
}

#[test]
fn deleted_enhet_sample() {
    let org = record(&with_key(ENHET_DELETED, VALID), UnitKind::MainUnit);
    assert_eq!(org.name.as_deref(), Some("SLETTET ENHET AS"));
    let form = org.form.clone();
    assert_eq!(form.as_ref().map(|form| form.code.as_str()), Some("UTBG"));
    assert_eq!(form.and_then(|form| form.expired), day("2017-07-17"));
    assert_eq!(org.deleted_date, day("2017-10-20"));
    assert!(org.is_deleted());
    assert_eq!(org.postal_address, None);
    assert!(!org.vat_registered, "missing flags read as false");
}

#[test]
fn underenhet_sample() {
    let org = record(&with_key(UNDERENHET, VALID), UnitKind::SubUnit);
    assert_eq!(org.unit, UnitKind::SubUnit);
    assert_eq!(org.name.as_deref(), Some("SESAM STASJON"));
    let parent = org.parent.clone();
    assert_eq!(
        parent.as_ref().map(MaybeValid::text).as_deref(),
        Some("112233445")
    );
    assert!(
        parent.is_some_and(|parent| parent.is_invalid()),
        "kept as received"
    );
    let location = org.location_address.clone().unwrap_or_default();
    assert_eq!(location.lines, ["Tyvholmen 1"]);
    assert_eq!(org.visiting_address(), org.location_address.as_ref());
    assert_eq!(org.closed_date, day("2018-10-20"));
    assert_eq!(org.employees, Some(50));
}

#[test]
fn deleted_underenhet_sample() {
    let org = record(&with_key(UNDERENHET_DELETED, VALID), UnitKind::SubUnit);
    assert_eq!(org.deleted_date, day("2017-10-20"));
    assert_eq!(org.closed_date, day("2017-10-05"));
    assert_eq!(org.form.map(|form| form.code), Some("AAFY".to_owned()));
}

#[test]
fn search_sample_element() {
    let page: serde_json::Value = serde_json::from_str(UNDERENHET_SEARCH).unwrap_or_default();
    let element = &page["_embedded"]["underenheter"][0];
    let text = with_key(&element.to_string(), VALID);
    let org = record(&text, UnitKind::SubUnit);
    assert_eq!(org.name.as_deref(), Some("TRYLLEBUTIKKEN SESAM"));
    assert_eq!(org.employees, None, "harRegistrertAntallAnsatte: false");
    assert_eq!(org.industry_codes[0].code, "90.012");
}

#[test]
fn bad_values_name_their_field() {
    let base = with_key(ENHET, VALID);
    let cases = [
        (
            base.replace(
                "\"registreringsdatoEnhetsregisteret\": \"2017-10-20\"",
                "\"registreringsdatoEnhetsregisteret\": \"2017-13-45\"",
            ),
            "registreringsdatoEnhetsregisteret",
            Some(VALID),
        ),
        (
            base.replace("\"antallAnsatte\": 50", "\"antallAnsatte\": \"many\""),
            "antallAnsatte",
            Some(VALID),
        ),
        (
            base.replace("\"kode\": \"AS\"", "\"kode\": 7"),
            "organisasjonsform.kode",
            Some(VALID),
        ),
        (
            base.replace("\"organisasjonsnummer\": \"310000019\",", ""),
            "organisasjonsnummer",
            None,
        ),
    ];
    for (text, field, id) in cases {
        let record = malformed(&text, UnitKind::MainUnit);
        assert_eq!(record.field.as_deref(), Some(field), "{record}");
        assert_eq!(record.upstream_id.as_deref(), id, "{record}");
    }
    // Fields we do not read may hold anything.
    let odd = base.replace(
        "\"vedtektsdato\": \"2017-10-21\"",
        "\"vedtektsdato\": [1, 2]",
    );
    assert!(matches!(
        parse_unit(odd.as_bytes(), UnitKind::MainUnit),
        Parsed::Record(_)
    ));
}

/// Regression (#13): compulsory dissolution is dated by the API's real reason-specific fields
/// (the earliest present), not by the invented `underTvangsavviklingEllerTvangsopplosningDato`.
#[test]
fn compulsory_dissolution_reads_the_real_fields() {
    let fields = [
        "tvangsopplostPgaManglendeDagligLederDato",
        "tvangsopplostPgaManglendeRevisorDato",
        "tvangsopplostPgaManglendeRegnskapDato",
        "tvangsopplostPgaMangelfulltStyreDato",
        "tvangsavvikletPgaManglendeSlettingDato",
    ];
    for field in fields {
        let json = format!(
            r#"{{"organisasjonsnummer":"{VALID}","underTvangsavviklingEllerTvangsopplosning":true,"{field}":"2024-03-01"}}"#
        );
        let unit = record(&json, UnitKind::MainUnit);
        assert!(unit.under_compulsory_liquidation, "{field}");
        assert_eq!(
            unit.compulsory_liquidation_date,
            day("2024-03-01"),
            "{field}"
        );
    }
    let both = format!(
        r#"{{"organisasjonsnummer":"{VALID}","tvangsopplostPgaManglendeRevisorDato":"2024-05-01","tvangsavvikletPgaManglendeSlettingDato":"2023-01-02"}}"#
    );
    assert_eq!(
        record(&both, UnitKind::MainUnit).compulsory_liquidation_date,
        day("2023-01-02")
    );
    let invented = format!(
        r#"{{"organisasjonsnummer":"{VALID}","underTvangsavviklingEllerTvangsopplosningDato":"2024-03-01"}}"#
    );
    assert_eq!(
        record(&invented, UnitKind::MainUnit).compulsory_liquidation_date,
        None
    );
}

/// Regression (#13): an explicit `null` in any optional field never fails a record.
#[test]
fn explicit_nulls_in_optional_fields_are_absent() {
    let optional = [
        "navn",
        "organisasjonsform",
        "hjemmeside",
        "postadresse",
        "forretningsadresse",
        "beliggenhetsadresse",
        "registreringsdatoEnhetsregisteret",
        "registrertIMvaregisteret",
        "naeringskode1",
        "naeringskode2",
        "naeringskode3",
        "antallAnsatte",
        "harRegistrertAntallAnsatte",
        "overordnetEnhet",
        "stiftelsesdato",
        "oppstartsdato",
        "datoEierskifte",
        "nedleggelsesdato",
        "slettedato",
        "institusjonellSektorkode",
        "registrertIForetaksregisteret",
        "konkurs",
        "konkursdato",
        "underAvvikling",
        "underAvviklingDato",
        "underTvangsavviklingEllerTvangsopplosning",
        "tvangsopplostPgaManglendeDagligLederDato",
        "tvangsopplostPgaManglendeRevisorDato",
        "tvangsopplostPgaManglendeRegnskapDato",
        "tvangsopplostPgaMangelfulltStyreDato",
        "tvangsavvikletPgaManglendeSlettingDato",
    ];
    for field in optional {
        let json = format!(r#"{{"organisasjonsnummer":"{VALID}","{field}":null}}"#);
        let _ = record(&json, UnitKind::MainUnit);
    }
    let address_fields = [
        "adresse",
        "postnummer",
        "poststed",
        "kommune",
        "kommunenummer",
        "land",
        "landkode",
    ];
    for field in address_fields {
        let json = format!(
            r#"{{"organisasjonsnummer":"{VALID}","forretningsadresse":{{"{field}":null}}}}"#
        );
        let unit = record(&json, UnitKind::MainUnit);
        assert!(unit.business_address.is_some(), "{field}");
    }
    for field in ["beskrivelse", "utgaatt"] {
        let json = format!(
            r#"{{"organisasjonsnummer":"{VALID}","organisasjonsform":{{"kode":"AS","{field}":null}}}}"#
        );
        let _ = record(&json, UnitKind::MainUnit);
    }
}

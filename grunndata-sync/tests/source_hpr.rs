//! The HPR client: golden parses of the SOAP `Person` and REST `HelsepersonUtvidet` shapes,
//! malformed records next to good ones, SOAP faults, the export ZIP, and (against the fake
//! upstream over real HTTP) bootstrap, change windows, fetch by ids and retries.
//!
//! All data is synthetic: Tenor NINs (month + 80, valid check digits) and invented HPR numbers.

use std::io::{Cursor as IoCursor, Write as _};

use grunndata_sync::core::codes::CodeSystemId;
use grunndata_sync::core::id::{HprNumber, MaybeValid, NationalId};
use grunndata_sync::core::model::{HealthPersonnel, Period};
use grunndata_sync::source::hpr::{self, HprError, read_export};
use grunndata_sync::source::{MalformedRecord, Parsed};
use grunndata_sync::store::Register;

const PAGE: &[u8] = include_bytes!("fixtures/hpr/hent_register_endringer_page.xml");
const FAULT: &[u8] = include_bytes!("fixtures/hpr/generic_fault.xml");
const REST: &[u8] = include_bytes!("fixtures/hpr/helseperson_utvidet.json");
const REST_MINIMAL: &[u8] = include_bytes!("fixtures/hpr/helseperson_utvidet_minimal.json");

fn date(text: &str) -> chrono::NaiveDate {
    text.parse()
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map_or_else(|error| panic!("{text}: {error}"), |at| at.to_utc())
}

fn hpr(number: i64) -> HprNumber {
    HprNumber::new(number).unwrap_or_else(|error| panic!("{number}: {error}"))
}

fn split(records: Vec<Parsed<HealthPersonnel>>) -> (Vec<HealthPersonnel>, Vec<MalformedRecord>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for parsed in records {
        match parsed {
            Parsed::Record(record) => good.push(record),
            Parsed::Malformed(malformed) => bad.push(malformed),
        }
    }
    (good, bad)
}

#[test]
fn fixture_nins_are_valid_tenor_numbers() {
    for nin in ["01858010043", "15887210044"] {
        let parsed = NationalId::parse(nin).unwrap_or_else(|error| panic!("{nin}: {error}"));
        assert!(parsed.is_synthetic(), "{nin}");
    }
    assert!(
        NationalId::parse("01858010044").is_err(),
        "the deliberately invalid one"
    );
}

#[test]
fn soap_page_parses_good_records_and_isolates_bad_ones() {
    let page = hpr::parse_response(PAGE, hpr::soap::HENT_REGISTER_ENDRINGER)
        .unwrap_or_else(|error| panic!("page parses: {error}"));
    assert_eq!(
        (page.items, page.per_page, page.total, page.side),
        (7, Some(7), Some(9), Some(1))
    );
    let (good, bad) = split(page.records);
    let numbers: Vec<u32> = good.iter().map(|r| r.hpr_number.get()).collect();
    assert_eq!(numbers, [9_100_001, 9_100_002, 9_100_006]);

    let summary: Vec<(Option<&str>, Option<&str>)> = bad
        .iter()
        .map(|m| (m.upstream_id.as_deref(), m.field.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("9100003"), Some("Godkjenninger[0].Gyldig.Fra")),
            (None, Some("HPRNummer")),
            (Some("9100005"), Some("Fornavn")),
        ]
    );
    for malformed in &bad {
        assert_eq!(malformed.register, Register::Hpr);
        let raw = String::from_utf8_lossy(&malformed.raw);
        assert!(
            raw.starts_with("<a:Person>") && raw.ends_with("</a:Person>"),
            "{raw}"
        );
        assert!(
            !malformed.error.contains("15887210044"),
            "no NIN in {}",
            malformed.error
        );
    }
}

#[test]
fn soap_person_with_everything_matches_the_golden_record() {
    let page = hpr::parse_response(PAGE, "HentRegisterEndringer")
        .unwrap_or_else(|error| panic!("page parses: {error}"));
    let (good, _) = split(page.records);
    let kari = &good[0];
    let actual = serde_json::to_value(kari).unwrap_or_default();
    let expected = serde_json::json!({
        "hpr_number": "9100001",
        "nin": "01858010043",
        "missing_nin": false,
        "name": { "given": "Kari", "middle": null, "family": "Nordmann" },
        "birth_date": "1980-05-01",
        "death_date": null,
        "replaced_by": null,
        "approvals": [{
            "id": 1001,
            "category": "LE",
            "authorisation": { "system": "7704", "value": "1", "display": "Autorisasjon" },
            "validity": { "from": "2006-09-01", "to": null },
            "end_status": null,
            "internship_approved": "2006-09-01",
            "suspensions": [{ "id": 3001, "period": { "from": "2025-01-01", "to": "2025-03-31" } }],
            "specialities": [{
                "id": 4001,
                "kind": { "system": "7426", "value": "1", "display": "Allmennmedisin" },
                "validity": { "from": "2012-03-15", "to": null },
                "end_status": null,
                "suspensions": [],
                "administrative_reactions": []
            }],
            "requisition_rights": [{
                "id": 2001,
                "kind": { "system": "7703", "value": "1", "display": "Full rekvisisjonsrett" },
                "validity": { "from": "2006-09-01", "to": null },
                "end_status": null,
                "suspensions": [{ "id": 3002, "period": { "from": "2025-01-01", "to": "2025-06-30" } }],
                "administrative_reactions": []
            }],
            "additional_competences": [{
                "id": 5001,
                "kind": { "system": "7702", "value": "3", "display": null },
                "validity": { "from": "2010-01-01", "to": "2015-12-31" },
                "end_status": { "system": "7705", "value": "2", "display": "Frafalt" }
            }],
            "conditions": [{
                "id": 6001,
                "kind": null,
                "text": "Kun i spesialisthelsetjenesten & under veiledning"
            }],
            "administrative_reactions": []
        }],
        "administrative_reactions": [{
            "kind": { "system": "7706", "value": "ADV", "display": "Advarsel" },
            "period": { "from": "2024-02-01", "to": "2024-08-01" }
        }],
        "last_updated": "2025-01-02T09:15:30.123456700Z"
    });
    assert_eq!(actual, expected);
    assert!(kari.nin.as_ref().and_then(MaybeValid::valid).is_some());
    assert!(
        kari.approvals[0]
            .suspension_on(date("2025-02-01"))
            .is_some()
    );
}

#[test]
fn soap_keeps_an_invalid_nin_and_reads_nil_and_missing_fields() {
    let page = hpr::parse_response(PAGE, "HentRegisterEndringer")
        .unwrap_or_else(|error| panic!("page parses: {error}"));
    let (good, _) = split(page.records);

    let ola = &good[1];
    let nin = ola.nin.as_ref().unwrap_or_else(|| panic!("NIN kept"));
    assert!(nin.is_invalid());
    assert_eq!(nin.text(), "01858010044");
    assert!(
        !format!("{nin:?}").contains("01858010044"),
        "Debug masks the NIN"
    );
    assert_eq!(ola.death_date, Some(date("2024-11-30")));
    assert!(ola.approvals.is_empty());
    // No offset: Norwegian time (UTC+1 in January).
    assert_eq!(ola.last_updated, Some(instant("2025-01-02T10:00:00Z")));

    let replaced = &good[2];
    assert!(replaced.missing_nin);
    assert_eq!(replaced.nin, None);
    assert_eq!(replaced.replaced_by, Some(hpr(9_100_001)));
    assert_eq!(replaced.name.middle, None);
    assert_eq!(replaced.last_updated, Some(instant("2025-01-02T13:00:00Z")));
}

#[test]
fn soap_fault_is_a_typed_error_without_nins() {
    let error = match hpr::parse_response(FAULT, "HentPerson") {
        Err(error) => error,
        Ok(page) => panic!("expected a fault, got {} records", page.records.len()),
    };
    let Some(fault) = error.fault() else {
        panic!("expected a fault, got {error}");
    };
    assert_eq!(fault.fault_code.as_deref(), Some("s:Client"));
    assert_eq!(
        fault.fault_string.as_deref(),
        Some("ArgumentException: HPR-nummer ikke funnet")
    );
    assert_eq!(
        fault.error_code.as_deref(),
        Some("InvalidHprNumberSupplied")
    );
    assert_eq!(
        fault.message.as_deref(),
        Some("HPR-nummer ikke funnet for ***********")
    );
    assert!(fault.is_client_fault());
    assert!(matches!(error, HprError::Fault { .. }));
    let text = grunndata_sync::source::SourceError::from(error).to_string();
    assert!(
        text.contains("InvalidHprNumberSupplied") && !text.contains("01858010043"),
        "{text}"
    );
}

#[test]
fn soap_envelopes_of_the_wrong_shape_fail_the_page() {
    let cases: [(&str, &str); 5] = [
        ("not xml at all", "(document)"),
        (
            r#"<Envelope xmlns="urn:wrong"><Body/></Envelope>"#,
            "Envelope",
        ),
        (
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Other/></s:Body></s:Envelope>"#,
            "Body",
        ),
        (
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><HentRegisterEndringerResponse xmlns="urn:wrong"/></s:Body></s:Envelope>"#,
            "HentRegisterEndringerResponse",
        ),
        (
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><HentRegisterEndringerResponse xmlns="http://schemas.nhn.no/reg/HPRv2"><HentRegisterEndringerResult><Personer><Person><HPRNummer>1</HPRNummer></Personer>"#,
            "(xml)",
        ),
    ];
    for (body, field) in cases {
        match hpr::parse_response(body.as_bytes(), "HentRegisterEndringer") {
            Err(HprError::Source(grunndata_sync::source::SourceError::Envelope {
                field: found,
                ..
            })) => assert_eq!(found, field, "{body}"),
            other => panic!("{body}: expected an envelope error, got {other:?}"),
        }
    }
}

#[test]
fn soap_empty_and_nil_results_are_empty_pages() {
    let nil = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
        <Søk2Response xmlns="http://schemas.nhn.no/reg/HPRv2">
          <Søk2Result xmlns:a="http://schemas.nhn.no/reg/HPRv2" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
            <a:Personer i:nil="true"/><a:ResultaterPerSide>1000</a:ResultaterPerSide>
            <a:ResultaterTotalt>0</a:ResultaterTotalt><a:Side>1</a:Side>
          </Søk2Result></Søk2Response></s:Body></s:Envelope>"#;
    let page = hpr::parse_response(nil.as_bytes(), hpr::soap::SOK2)
        .unwrap_or_else(|error| panic!("parses: {error}"));
    assert_eq!((page.items, page.total), (0, Some(0)));
    assert!(page.records.is_empty());
}

#[test]
fn soap_latin1_body_is_read() {
    // A body that is not UTF-8 is read as ISO-8859-1.
    let text = String::from_utf8_lossy(PAGE).replace("Nordmann", "Nørdmann");
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let page = hpr::parse_response(&latin1, "HentRegisterEndringer")
        .unwrap_or_else(|error| panic!("parses: {error}"));
    let (good, _) = split(page.records);
    assert_eq!(good[0].name.family.as_deref(), Some("Nørdmann"));
}

#[test]
fn soap_action_percent_encodes_non_ascii() {
    assert_eq!(
        hpr::soap::soap_action("HentRegisterEndringer"),
        r#""http://schemas.nhn.no/reg/HPRv2/IHPR2Service/HentRegisterEndringer""#
    );
    assert_eq!(
        hpr::soap::soap_action("Søk2"),
        r#""http://schemas.nhn.no/reg/HPRv2/IHPR2Service/S%C3%B8k2""#
    );
}

#[test]
fn rest_helseperson_matches_the_golden_record() {
    let record = match hpr::parse_helseperson(REST) {
        Parsed::Record(record) => record,
        Parsed::Malformed(malformed) => panic!("{malformed:?}: {}", malformed.error),
    };
    assert_eq!(record.hpr_number, hpr(9_100_001));
    assert_eq!(
        record
            .nin
            .as_ref()
            .and_then(MaybeValid::valid)
            .map(NationalId::masked)
            .as_deref(),
        Some("018580*****")
    );
    assert_eq!(record.name.full(), "Kari Øie Nordmann");
    assert_eq!(record.birth_date, Some(date("1980-05-01")));
    assert_eq!(
        record.last_updated,
        Some(instant("2025-01-02T09:15:30.123Z"))
    );
    assert_eq!(record.approvals.len(), 1, "the null approval is skipped");
    let approval = &record.approvals[0];
    assert_eq!(approval.category.code(), "LE");
    assert_eq!(
        approval.authorisation.as_ref().map(|c| c.value.as_str()),
        Some("1")
    );
    assert_eq!(approval.validity, Period::starting(date("2006-09-01")));
    assert_eq!(approval.internship_approved, Some(date("2006-09-01")));
    assert_eq!(
        approval.specialities[0].kind.system,
        CodeSystemId::SPECIALITY
    );
    assert_eq!(
        approval.requisition_rights[0].kind.display.as_deref(),
        Some("Full rekvisisjonsrett")
    );
    let competence = &approval.additional_competences[0];
    assert_eq!(
        competence.kind.system,
        CodeSystemId::ADDITIONAL_COMPETENCE,
        "default system"
    );
    assert_eq!(
        competence.end_status.as_ref().map(|c| c.value.as_str()),
        Some("2")
    );
    assert_eq!(
        approval.conditions[0]
            .kind
            .as_ref()
            .map(|c| c.value.as_str()),
        Some("B1")
    );
    assert!(
        approval.suspensions.is_empty(),
        "REST has no suspension periods"
    );
    assert_eq!(
        record.administrative_reactions[0].period.to,
        Some(date("2024-08-01"))
    );

    let minimal = match hpr::parse_helseperson(REST_MINIMAL) {
        Parsed::Record(record) => record,
        Parsed::Malformed(malformed) => panic!("{}", malformed.error),
    };
    assert_eq!(minimal.hpr_number, hpr(9_100_007));
    assert!(minimal.approvals.is_empty() && minimal.nin.is_none() && !minimal.missing_nin);
}

#[test]
fn rest_malformed_records_name_field_and_hpr_number() {
    let cases: [(&str, Option<&str>, Option<&str>); 6] = [
        (
            r#"{"hprNummer": 9100008, "godkjenninger": [{"helsepersonellkategori": {"verdi": "LE"}, "periode": {"fra": "2020-13-01"}}]}"#,
            Some("9100008"),
            Some("godkjenninger[0].periode.fra"),
        ),
        (
            r#"{"hprNummer": 9100009, "godkjenninger": "oops"}"#,
            Some("9100009"),
            Some("godkjenninger"),
        ),
        (r#"{"hprNummer": "abc"}"#, Some("abc"), Some("hprNummer")),
        (
            r#"{"person": {"nin": "15887210044"}}"#,
            None,
            Some("hprNummer"),
        ),
        (
            r#"{"hprNummer": 9100010, "godkjenninger": [{"periode": {"fra": "2020-01-01"}}]}"#,
            Some("9100010"),
            Some("godkjenninger[0].helsepersonellkategori"),
        ),
        (r#"{"hprNummer": 9100011} trailing"#, Some("9100011"), None),
    ];
    for (json, id, field) in cases {
        match hpr::parse_helseperson(json.as_bytes()) {
            Parsed::Malformed(malformed) => {
                assert_eq!(
                    (malformed.upstream_id.as_deref(), malformed.field.as_deref()),
                    (id, field),
                    "{json}"
                );
                assert_eq!(malformed.raw, json.as_bytes());
                assert!(!malformed.error.contains("15887210044"));
            }
            Parsed::Record(record) => panic!("{json}: parsed as {}", record.hpr_number),
        }
    }
    // An invalid NIN is not malformed.
    match hpr::parse_helseperson(br#"{"hprNummer": 9100012, "person": {"nin": "12345"}}"#) {
        Parsed::Record(record) => assert!(record.nin.is_some_and(|nin| nin.is_invalid())),
        Parsed::Malformed(malformed) => panic!("{}", malformed.error),
    }
}

/// A ZIP archive with the given `(name, content)` entries (a name ending in `/` is a folder).
fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(IoCursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        if name.ends_with('/') {
            writer
                .add_directory(*name, options)
                .unwrap_or_else(|error| panic!("{error}"));
        } else {
            writer
                .start_file(*name, options)
                .unwrap_or_else(|error| panic!("{error}"));
            writer
                .write_all(content.as_bytes())
                .unwrap_or_else(|error| panic!("{error}"));
        }
    }
    writer
        .finish()
        .unwrap_or_else(|error| panic!("{error}"))
        .into_inner()
}

fn export_record(number: u32) -> String {
    format!(
        r#"{{"person":{{"fornavn":"Test","etternavn":"Person{number}","nin":"01858010043"}},"hprNummer":{number},"godkjenninger":[{{"helsepersonellkategori":{{"verdi":"SP","kodeverk":{{"id":9060}}}},"periode":{{"fra":"2020-01-01"}}}}],"sistOppdatert":"2025-01-01T12:00:00"}}"#
    )
}

#[test]
fn export_zip_streams_arrays_and_ndjson() {
    let array = format!(
        "\u{feff}[\n{},\n{},\n{{\"hprNummer\": 9200003, \"godkjenninger\": 7}}\n]\n",
        export_record(9_200_001),
        export_record(9_200_002)
    );
    let ndjson = format!(
        "{}\r\n\n{}\n",
        export_record(9_200_004),
        export_record(9_200_005)
    );
    let archive = zip(&[
        ("del/", ""),
        ("del/helsepersoner-1.json", &array),
        ("del/helsepersoner-2.ndjson", &ndjson),
        ("tom.json", "  \n"),
    ]);
    let mut seen = Vec::new();
    let summary = read_export(IoCursor::new(archive), |parsed| {
        seen.push(match parsed {
            Parsed::Record(record) => format!("ok {}", record.hpr_number),
            Parsed::Malformed(bad) => format!(
                "bad {} {}",
                bad.upstream_id.unwrap_or_default(),
                bad.field.unwrap_or_default()
            ),
        });
        true
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        seen,
        [
            "ok 9200001",
            "ok 9200002",
            "bad 9200003 godkjenninger",
            "ok 9200004",
            "ok 9200005"
        ]
    );
    assert_eq!(
        (summary.entries, summary.records, summary.malformed),
        (3, 4, 1)
    );
    assert!(!summary.stopped);

    // The consumer can stop early.
    let archive = zip(&[("a.json", &array)]);
    let mut count = 0;
    let summary = read_export(IoCursor::new(archive), |_| {
        count += 1;
        false
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!((count, summary.stopped), (1, true));
}

/// Regression (#13): an export entry that is a JSON stream of concatenated, pretty-printed
/// (multi-line) objects is read object by object, not line by line; junk between objects is a
/// malformed record and the stream goes on; an object that breaks off is an error.
#[test]
fn export_reads_concatenated_multi_line_objects() {
    let pretty = |number: u32| {
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&export_record(number))
                .unwrap_or_else(|error| panic!("{error}")),
        )
        .unwrap_or_else(|error| panic!("{error}"))
    };
    let stream = format!(
        "{}{}\n\n{}\nnot json\n{{\"hprNummer\": \"}} {{ in a string\", \"x\": 1}}",
        pretty(9_300_001),
        pretty(9_300_002),
        export_record(9_300_003)
    );
    assert!(stream.lines().count() > 10, "multi-line objects");
    let archive = zip(&[("helsepersoner.json", &stream)]);
    let mut seen = Vec::new();
    let summary = read_export(IoCursor::new(archive), |parsed| {
        seen.push(match parsed {
            Parsed::Record(record) => format!("ok {}", record.hpr_number),
            Parsed::Malformed(_) => "bad".to_owned(),
        });
        true
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        seen,
        ["ok 9300001", "ok 9300002", "ok 9300003", "bad", "bad"]
    );
    assert_eq!((summary.records, summary.malformed), (3, 2));

    let broken = format!("{}\n{{\"hprNummer\": 1, \"person\": {{", pretty(9_300_004));
    match read_export(IoCursor::new(zip(&[("b.json", &broken)])), |_| true) {
        Err(error) => assert_eq!(error.entry.as_deref(), Some("b.json"), "{error}"),
        Ok(summary) => panic!("expected an error, got {summary:?}"),
    }
}

#[test]
fn export_broken_archives_and_entries_are_errors() {
    let truncated = format!("[{},{}", export_record(1), &export_record(2)[..20]);
    let cases: [(Vec<u8>, Option<&str>); 3] = [
        (b"not a zip".to_vec(), None),
        (zip(&[("a.json", &truncated)]), Some("a.json")),
        (zip(&[("b.csv", "hprNummer;navn\n")]), Some("b.csv")),
    ];
    for (archive, entry) in cases {
        match read_export(IoCursor::new(archive), |_| true) {
            Err(error) => assert_eq!(error.entry.as_deref(), entry, "{error}"),
            Ok(summary) => panic!("expected an error, got {summary:?}"),
        }
    }
    // A ZIP cut short is not a short export.
    let mut whole = zip(&[("a.json", &format!("[{}]", export_record(1)))]);
    whole.truncate(whole.len() - 10);
    assert!(read_export(IoCursor::new(whole), |_| true).is_err());
}

// --- Against the fake upstream, over real HTTP ---------------------------------------------------

mod fake {
    use std::collections::BTreeSet;
    use std::time::Duration as StdDuration;

    use futures_util::StreamExt as _;
    use grunndata_sync::core::id::HprNumber;
    use grunndata_sync::core::model::HealthPersonnel;
    use grunndata_sync::fake::{DataSource, FakeConfig, FakeHandle, FakeUpstream};
    use grunndata_sync::source::hpr::{HprCursor, HprOptions, HprSource};
    use grunndata_sync::source::{Change, Cursor, HttpConfig, Page, Parsed, Source, SourceError};
    use grunndata_sync::synth::{Synth, SynthConfig};
    use serde_json::{Value, json};

    const SEED: u64 = 11;
    const SCALE: f64 = 0.0005;

    fn synth_config() -> SynthConfig {
        SynthConfig {
            seed: SEED,
            scale: SCALE,
            ..SynthConfig::default()
        }
    }

    fn synth() -> Synth {
        Synth::new(synth_config()).unwrap_or_else(|error| panic!("{error}"))
    }

    async fn start() -> FakeHandle {
        start_with(synth_config()).await
    }

    async fn start_with(config: SynthConfig) -> FakeHandle {
        FakeUpstream::start(FakeConfig {
            data: DataSource::Synth(config),
            ..FakeConfig::default()
        })
        .await
        .unwrap_or_else(|error| panic!("fake starts: {error}"))
    }

    fn http() -> HttpConfig {
        HttpConfig {
            max_attempts: 4,
            backoff_base: StdDuration::from_millis(10),
            backoff_max: StdDuration::from_millis(40),
            request_timeout: StdDuration::from_secs(20),
            ..HttpConfig::default()
        }
    }

    fn options(page_size: u32) -> HprOptions {
        HprOptions {
            page_size,
            settle: chrono::Duration::zero(),
            overlap: chrono::Duration::seconds(30),
            ..HprOptions::default()
        }
    }

    fn source(fake: &FakeHandle, export: bool, page_size: u32) -> HprSource {
        let mut builder = HprSource::builder()
            .rest(fake.hpr_url(), None)
            .soap(fake.hpr_soap_url(), None)
            .http(http())
            .options(options(page_size));
        if export {
            builder = builder.export(fake.hpr_export_url(), None);
        }
        builder
            .build()
            .unwrap_or_else(|error| panic!("source builds: {error}"))
    }

    async fn admin(fake: &FakeHandle, method: reqwest::Method, path: &str, body: &Value) {
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", fake.base_url()))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    async fn faults(fake: &FakeHandle, config: Value) {
        admin(fake, reqwest::Method::PUT, "/_admin/faults", &config).await;
    }

    /// The fake stamps a batch of upserts one millisecond apart, running ahead of the clock;
    /// wait until the stamps are in the past (the real service stamps at commit time, and
    /// `HprOptions::settle` covers commits in flight).
    async fn settle() {
        tokio::time::sleep(StdDuration::from_millis(300)).await;
    }

    /// Upserts `count` synthetic persons (renamed) and returns their HPR numbers.
    async fn upsert(fake: &FakeHandle, first: u64, count: u64, family: &str) -> Vec<u32> {
        let synth = synth();
        let mut records = Vec::new();
        let mut numbers = Vec::new();
        for index in first..first + count {
            let mut record = serde_json::to_value(synth.hpr_person(index)).unwrap_or_default();
            record["person"]["etternavn"] = json!(family);
            numbers.push(u32::try_from(synth.hpr_number(index)).unwrap_or_default());
            records.push(record);
        }
        admin(
            fake,
            reqwest::Method::POST,
            "/_admin/hpr/records",
            &Value::Array(records),
        )
        .await;
        numbers
    }

    async fn collect(
        stream: grunndata_sync::source::RecordStream<HealthPersonnel>,
    ) -> (Vec<HealthPersonnel>, usize) {
        let items: Vec<_> = stream.collect().await;
        let mut good = Vec::new();
        let mut bad = 0;
        for item in items {
            match item.unwrap_or_else(|error| panic!("stream item: {error}")) {
                Parsed::Record(record) => good.push(record),
                Parsed::Malformed(_) => bad += 1,
            }
        }
        (good, bad)
    }

    /// Reads the feed until caught up; returns the pages.
    async fn drain(source: &HprSource, cursor: &mut Cursor) -> Vec<Page<HealthPersonnel>> {
        let mut pages = Vec::new();
        for _ in 0..100 {
            let page = source
                .changes(cursor)
                .await
                .unwrap_or_else(|error| panic!("changes: {error}"));
            *cursor = page.next_cursor.clone();
            let done = page.caught_up;
            pages.push(page);
            if done {
                return pages;
            }
        }
        panic!("the feed never caught up");
    }

    fn upserted(pages: &[Page<HealthPersonnel>]) -> Vec<u32> {
        pages
            .iter()
            .flat_map(|page| page.changes.iter())
            .map(|change| match change {
                Change::Upsert { record, .. } => record.hpr_number.get(),
                other => panic!("HPR has no deletions, got {other:?}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn bootstrap_from_export_and_from_sok2_agree() {
        let fake = start().await;
        let expected = synth().counts().hpr_persons;

        let snapshot = source(&fake, true, 100)
            .bootstrap()
            .await
            .unwrap_or_else(|error| panic!("export bootstrap: {error}"));
        let resume = HprCursor::parse(&snapshot.resume).unwrap_or_else(|error| panic!("{error}"));
        assert!(resume.til.is_none() && resume.fra < snapshot.at);
        let (from_export, bad) = collect(snapshot.records).await;
        assert_eq!((from_export.len() as u64, bad), (expected, 0));

        let snapshot = source(&fake, false, 70)
            .bootstrap()
            .await
            .unwrap_or_else(|error| panic!("Søk2 bootstrap: {error}"));
        let (from_listing, bad) = collect(snapshot.records).await;
        assert_eq!((from_listing.len() as u64, bad), (expected, 0));

        let numbers = |records: &[HealthPersonnel]| -> BTreeSet<u32> {
            records.iter().map(|r| r.hpr_number.get()).collect()
        };
        assert_eq!(numbers(&from_export), numbers(&from_listing));
        // Same people, same approvals, whichever shape they came in.
        for (a, b) in from_export.iter().zip(&from_listing).take(50) {
            assert_eq!(
                (a.hpr_number, &a.name, a.birth_date),
                (b.hpr_number, &b.name, b.birth_date)
            );
            assert_eq!(a.approvals.len(), b.approvals.len(), "{}", a.hpr_number);
        }
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn change_windows_page_through_and_do_not_repeat_the_overlap() {
        let fake = start().await;
        let source = source(&fake, false, 10);
        let mut cursor =
            HprCursor::since(chrono::Utc::now() - chrono::Duration::minutes(5)).to_cursor();
        assert!(
            upserted(&drain(&source, &mut cursor).await).is_empty(),
            "nothing changed yet"
        );

        let numbers = upsert(&fake, 3, 25, "Endret").await;
        settle().await;
        let pages = drain(&source, &mut cursor).await;
        let seen = upserted(&pages);
        assert_eq!(
            seen.iter().copied().collect::<BTreeSet<_>>(),
            numbers.iter().copied().collect()
        );
        assert_eq!(seen.len(), 25, "each change once");
        assert!(
            pages.len() >= 3,
            "25 changes at 10 per page: {} pages",
            pages.len()
        );
        for page in &pages {
            for change in &page.changes {
                if let Change::Upsert {
                    record, changed_at, ..
                } = change
                {
                    assert_eq!(record.name.family.as_deref(), Some("Endret"));
                    assert_eq!(*changed_at, record.last_updated);
                    // Regression: the fake wrote `SistOppdatert` in UTC while clients read
                    // offset-less instants as Norwegian time, so changes read 1–2 h early.
                    let at = record.last_updated.unwrap_or_default();
                    let off = (chrono::Utc::now() - at).num_seconds().abs();
                    assert!(off < 300, "changed at {at}, {off} s from now");
                }
            }
        }

        // The next poll re-reads the overlap but delivers nothing twice.
        let again = drain(&source, &mut cursor).await;
        assert!(
            upserted(&again).is_empty(),
            "overlap re-delivered: {:?}",
            upserted(&again)
        );

        // A second change of the same person is a new version and is delivered.
        let changed = upsert(&fake, 3, 1, "Igjen").await;
        settle().await;
        let pages = drain(&source, &mut cursor).await;
        assert_eq!(upserted(&pages), changed);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn a_window_whose_total_changes_while_paging_is_read_again() {
        let fake = start().await;
        let source = source(&fake, false, 10);
        let mut cursor =
            HprCursor::since(chrono::Utc::now() - chrono::Duration::minutes(5)).to_cursor();
        drain(&source, &mut cursor).await;
        let numbers = upsert(&fake, 200, 25, "Vindu").await;
        settle().await;

        let first = source
            .changes(&cursor)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let opened = HprCursor::parse(&first.next_cursor).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!((opened.side, opened.total), (2, Some(25)));
        // The first person changes again: it leaves the window (its new stamp is after `til`),
        // so every later page shifts by one. The client notices and reads the window again.
        upsert(&fake, 200, 1, "Vindu2").await;
        settle().await;
        let second = source
            .changes(&first.next_cursor)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let restarted =
            HprCursor::parse(&second.next_cursor).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (restarted.side, restarted.seen, restarted.til),
            (1, 0, opened.til)
        );

        cursor = second.next_cursor.clone();
        let rest = drain(&source, &mut cursor).await;
        let mut seen: BTreeSet<u32> = upserted(&[first, second]).into_iter().collect();
        seen.extend(upserted(&rest));
        assert_eq!(
            seen,
            numbers.iter().copied().collect(),
            "nobody slipped between pages"
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn a_long_stretch_is_read_in_windows_no_longer_than_the_maximum() {
        let fake = start().await;
        let source = HprSource::builder()
            .rest(fake.hpr_url(), None)
            .soap(fake.hpr_soap_url(), None)
            .http(http())
            .options(HprOptions {
                max_window: chrono::Duration::hours(1),
                ..options(1000)
            })
            .build()
            .unwrap_or_else(|error| panic!("{error}"));
        let start_at = chrono::Utc::now() - chrono::Duration::hours(5);
        let mut cursor = HprCursor::since(start_at).to_cursor();
        let first = source
            .changes(&cursor)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(!first.caught_up);
        let next = HprCursor::parse(&first.next_cursor).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            next.fra,
            start_at + chrono::Duration::hours(1) - chrono::Duration::seconds(30)
        );
        cursor = first.next_cursor;
        let pages = drain(&source, &mut cursor).await;
        assert!((5..=7).contains(&pages.len()), "{} windows", pages.len());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn fetch_by_ids_and_by_nin() {
        let fake = start().await;
        let source = source(&fake, false, 100);
        let synth = synth();
        let known: Vec<HprNumber> = [0, 7, 42]
            .iter()
            .map(|&i| {
                HprNumber::new(i64::try_from(synth.hpr_number(i)).unwrap_or(0))
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        let unknown = HprNumber::new(99_999_999).unwrap_or_else(|e| panic!("{e}"));
        let keys = [known[0], unknown, known[1], known[2]];
        let fetched = source
            .fetch(&keys)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let numbers: Vec<HprNumber> = fetched
            .into_iter()
            .filter_map(Parsed::record)
            .map(|record| record.hpr_number)
            .collect();
        assert_eq!(numbers, known, "unknown numbers are left out, order kept");

        let nin = synth.hpr_person(7);
        let nin = serde_json::to_value(nin).unwrap_or_default()["person"]["nin"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        let nin =
            grunndata_sync::core::id::NationalId::parse(&nin).unwrap_or_else(|e| panic!("{e}"));
        let found = source
            .rest()
            .by_nin(&nin)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            found.and_then(Parsed::record).map(|r| r.hpr_number),
            Some(known[1])
        );
        let nobody = grunndata_sync::core::id::NationalId::parse("15887230150")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            source
                .rest()
                .by_nin(&nobody)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn server_errors_are_retried_and_malformed_records_isolated() {
        let fake = start().await;
        let source = source(&fake, false, 10);
        let mut cursor =
            HprCursor::since(chrono::Utc::now() - chrono::Duration::minutes(5)).to_cursor();
        drain(&source, &mut cursor).await;
        let numbers = upsert(&fake, 100, 5, "Feil").await;
        settle().await;

        // Two 503s and a plain 500 (not a SOAP fault) are retried; one record loses HPRNummer.
        faults(
            &fake,
            json!({
                "status_503": { "count": 2, "path_prefix": "/hpr/v2/HPR/Basic" },
                "status_500": { "count": 1, "path_prefix": "/hpr/v2/HPR/Basic" },
                "malformed_record": { "count": 1, "path_prefix": "/hpr/v2/HPR/Basic" }
            }),
        )
        .await;
        let pages = drain(&source, &mut cursor).await;
        let malformed: Vec<_> = pages
            .iter()
            .flat_map(|page| page.malformed.iter())
            .collect();
        assert_eq!(malformed.len(), 1);
        assert_eq!(
            (
                malformed[0].upstream_id.as_deref(),
                malformed[0].field.as_deref()
            ),
            (None, Some("HPRNummer"))
        );
        assert_eq!(
            upserted(&pages).len(),
            4,
            "the other records of the page are delivered"
        );
        assert!(numbers.contains(&upserted(&pages)[0]));

        // REST: a 429 is waited out, a broken record is malformed and named.
        faults(
            &fake,
            json!({
                "rate_limit": { "count": 1, "retry_after_seconds": 0, "path_prefix": "/hpr/v1" },
                "malformed_record": { "count": 1, "path_prefix": "/hpr/v1/personerutvidet" }
            }),
        )
        .await;
        let key = HprNumber::new(i64::from(numbers[0])).unwrap_or_else(|e| panic!("{e}"));
        let fetched = source
            .fetch(&[key])
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        match fetched.as_slice() {
            [Parsed::Malformed(bad)] => assert_eq!(bad.field.as_deref(), Some("hprNummer")),
            other => panic!("expected one malformed record, got {other:?}"),
        }

        // A fault that does not clear fails the call after the configured attempts.
        faults(
            &fake,
            json!({ "status_503": { "probability": 1.0, "path_prefix": "/hpr/v2" } }),
        )
        .await;
        match source.changes(&cursor).await {
            Err(error) => assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error}"),
            Ok(page) => panic!("expected an error, got {} changes", page.changes.len()),
        }
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn soap_faults_are_typed_and_not_retried() {
        let fake = start().await;
        // The fake rejects a page size above 1000 with a client fault.
        let client =
            grunndata_sync::source::hpr::HprSoapClient::new(&fake.hpr_soap_url(), None, http())
                .unwrap_or_else(|error| panic!("{error}"));
        let now = chrono::Utc::now();
        match client
            .hent_register_endringer(now - chrono::Duration::hours(1), now, 1, 5000)
            .await
        {
            Err(error) => {
                let fault = error
                    .fault()
                    .unwrap_or_else(|| panic!("expected a fault, got {error}"));
                assert!(fault.is_client_fault(), "{fault}");
                assert_eq!(fault.error_code.as_deref(), Some("ArgumentException"));
            }
            Ok(page) => panic!("expected a fault, got {} items", page.items),
        }
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn a_truncated_export_download_fails_the_bootstrap() {
        // Large enough for the export to pass the fake's 32 KiB stream cut.
        let fake = start_with(SynthConfig {
            scale: 0.005,
            ..synth_config()
        })
        .await;
        faults(
            &fake,
            json!({ "truncate_body": { "count": 1, "path_prefix": "/hpr/v1/eksport" } }),
        )
        .await;
        match source(&fake, true, 100).bootstrap().await {
            Err(SourceError::Body { message, .. }) => {
                assert!(message.contains("download broke off"), "{message}");
            }
            Err(other) => panic!("expected a body error, got {other}"),
            Ok(snapshot) => panic!("a cut download must not look complete: {snapshot:?}"),
        }
        fake.shutdown().await;
    }
}

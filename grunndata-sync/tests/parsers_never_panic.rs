//! Property tests (#13 §5): every upstream parser, fed arbitrary bytes and arbitrary
//! structurally valid JSON/XML, returns a record or a typed error/malformed record naming the
//! register, and never panics.
//!
//! CI runs proptest's default case count (256 per property, 8 properties). The long run of
//! more than 1,000,000 cases in total (documented in docs/upstream-decisions.md):
//! `PROPTEST_CASES=130000 cargo test -p grunndata-sync --test parsers_never_panic`.

use std::io::Cursor as IoCursor;

use grunndata_sync::core::model::UnitKind;
use grunndata_sync::source::hpr::{parse_helseperson, parse_response, read_export};
use grunndata_sync::source::{Parsed, ar, brreg, preg};
use grunndata_sync::store::Register;
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON, biased towards the field names the parsers read.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("organisasjonsnummer".to_owned()),
        Just("herId".to_owned()),
        Just("hprNummer".to_owned()),
        Just("id".to_owned()),
        Just("navn".to_owned()),
        Just("adresse".to_owned()),
        Just("person".to_owned()),
        Just("godkjenninger".to_owned()),
        Just("periode".to_owned()),
        Just("fra".to_owned()),
        Just("norwegianIdentificationNumber".to_owned()),
        Just("name".to_owned()),
        "[a-zA-Z]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9]{9}".prop_map(Value::String),
        "\\PC{0,20}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn check<R>(parsed: Parsed<R>, register: Register) {
    if let Parsed::Malformed(record) = parsed {
        assert_eq!(record.register, register);
    }
}

proptest! {
    #[test]
    fn brreg_units_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), value in json()) {
        check(brreg::parse_unit(&bytes, UnitKind::MainUnit), Register::Brreg);
        let text = serde_json::to_vec(&value).unwrap_or_default();
        check(brreg::parse_unit(&text, UnitKind::SubUnit), Register::Brreg);
    }

    #[test]
    fn ar_parties_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), value in json()) {
        check(ar::parse_party(&bytes), Register::Ar);
        check(ar::parse_party(&serde_json::to_vec(&value).unwrap_or_default()), Register::Ar);
    }

    #[test]
    fn preg_persons_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), value in json()) {
        check(preg::parse_person(&bytes), Register::Preg);
        check(preg::parse_person(&serde_json::to_vec(&value).unwrap_or_default()), Register::Preg);
    }

    #[test]
    fn hpr_rest_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), value in json()) {
        check(parse_helseperson(&bytes), Register::Hpr);
        check(parse_helseperson(&serde_json::to_vec(&value).unwrap_or_default()), Register::Hpr);
    }

    #[test]
    fn hpr_soap_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        names in prop::collection::vec("[A-Za-z]{1,10}", 0..6),
        text in "\\PC{0,20}",
    ) {
        let _ = parse_response(&bytes, "HentRegisterEndringer");
        let mut xml = String::from(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#);
        for name in &names {
            xml.push('<');
            xml.push_str(name);
            xml.push('>');
        }
        xml.push_str(&text.replace(['<', '&'], " "));
        for name in names.iter().rev() {
            xml.push_str("</");
            xml.push_str(name);
            xml.push('>');
        }
        xml.push_str("</s:Body></s:Envelope>");
        let _ = parse_response(xml.as_bytes(), "Søk2");
    }

    #[test]
    fn hpr_export_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = read_export(IoCursor::new(bytes), |_| true);
    }

    #[test]
    fn hpr_export_entries_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..1024),
        values in prop::collection::vec(json(), 0..4),
    ) {
        use std::io::Write as _;
        let mut stream = Vec::new();
        for value in &values {
            stream.extend(serde_json::to_vec_pretty(value).unwrap_or_default());
        }
        for entry in [bytes, stream] {
            let mut writer = zip::ZipWriter::new(IoCursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default();
            if writer.start_file("a.json", options).is_ok() && writer.write_all(&entry).is_ok()
                && let Ok(archive) = writer.finish()
            {
                let _ = read_export(IoCursor::new(archive.into_inner()), |_| true);
            }
        }
    }

    #[test]
    fn identifiers_never_panic(text in "\\PC{0,20}", digits in "[0-9]{1,12}") {
        use grunndata_sync::core::id::{HerId, HprNumber, NationalId, OrgNumber};
        for input in [&text, &digits] {
            let _ = input.parse::<NationalId>();
            let _ = input.parse::<OrgNumber>();
            let _ = input.parse::<HprNumber>();
            let _ = input.parse::<HerId>();
        }
    }
}

//! Code systems: display lookups, system-id spellings, unknown codes kept.

use grunndata_core::codes::{
    self, Category, Code, CodeSystemId, address_type, authorisation, category, electronic_address,
    speciality,
};

#[test]
fn display_lookups() {
    let cases = [
        ("9060", "LE", Some("Lege")),
        ("9060", "FA1", Some("Provisorfarmasøyt")),
        ("9060", "KE", Some("Klinisk ernæringsfysiolog")),
        ("9060", "MT", Some("Manuellterapeut")),
        ("9060", "le", None), // codes are case-sensitive upstream
        ("9060", "ZZ", None),
        ("2.16.578.1.12.4.1.1.9060", "SP", Some("Sykepleier")),
        ("urn:oid:2.16.578.1.12.4.1.1.9060", "TL", Some("Tannlege")),
        (" 7704 ", "1", Some("Autorisasjon")),
        ("7704", "2", None), // exists, but its label is unverified
        ("7426", "1", Some("Allmennmedisin")),
        ("7426", "152", Some("Ortopedisk kirurgi")),
        ("7426", "2", None),
        (
            "9044",
            "E_EDI",
            Some("EDI (Standardisert elektronisk melding)"),
        ),
        ("9044", "E_SB_ASYNC", Some("Asynkron AMQP kø")),
        ("3401", "RES", Some("Besøksadresse")),
        ("3401", "PST", Some("Postadresse")),
        ("1234", "1", None),
    ];
    for (system, value, expected) in cases {
        assert_eq!(codes::display(system, value), expected, "{system} {value}");
    }
}

#[test]
fn table_sizes() {
    let cases = [
        ("9060", category::TABLE.len(), 36),
        ("7704", authorisation::TABLE.len(), 1),
        ("7426", speciality::TABLE.len(), 2),
        ("9044", electronic_address::TABLE.len(), 40),
        ("3401", address_type::TABLE.len(), 9),
    ];
    for (system, len, expected) in cases {
        assert_eq!(len, expected, "{system}");
        let table = codes::table(&CodeSystemId::new(system)).expect("table exists");
        assert_eq!(table.len(), expected, "{system}");
        let mut values: Vec<_> = table.iter().map(|concept| concept.code).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), expected, "{system} has duplicate codes");
    }
    let deprecated: Vec<_> = category::TABLE
        .iter()
        .filter(|concept| concept.deprecated)
        .map(|concept| concept.code)
        .collect();
    assert_eq!(deprecated, ["MT"]);
}

#[test]
fn every_9060_code_has_a_category_constant() {
    // The constants are written by hand next to the table; this keeps the two in step.
    #[rustfmt::skip]
    let constants = [
        Category::AA, Category::AT, Category::AU, Category::BI, Category::ET, Category::FA1,
        Category::FA2, Category::FB, Category::FO, Category::FT, Category::HE, Category::HF,
        Category::HP, Category::JO, Category::KE, Category::KI, Category::LE, Category::NP,
        Category::OA, Category::OI, Category::OP, Category::OR, Category::OS, Category::PE,
        Category::PM, Category::PS, Category::RA, Category::SP, Category::TH, Category::TL,
        Category::TP, Category::TT, Category::VE, Category::VP, Category::XX, Category::MT,
    ];
    assert_eq!(constants.len(), category::TABLE.len());
    for (constant, concept) in constants.iter().zip(category::TABLE) {
        assert_eq!(constant.code(), concept.code);
        assert_eq!(constant.display(), Some(concept.display));
    }
}

#[test]
fn categories() {
    // (input to `new`, code kept, known, label)
    let cases = [
        ("LE", "LE", true, "LE Lege"),
        ("FA2", "FA2", true, "FA2 Reseptarfarmasøyt"),
        (" SP ", "SP", true, "SP Sykepleier"),
        ("ZZ", "ZZ", false, "ZZ"),
        ("le", "le", false, "le"), // upstream text is kept as sent
    ];
    for (input, code, known, label) in cases {
        let category = Category::new(input);
        assert_eq!(category.code(), code, "{input:?}");
        assert_eq!(category.is_known(), known, "{input:?}");
        assert_eq!(category.label(), label, "{input:?}");
        assert_eq!(category.to_string(), code, "{input:?}");
    }
    // What people type is normalised.
    let typed: Category = " le ".parse().expect("infallible");
    assert_eq!(typed, Category::LE);
    assert_eq!(Category::new(String::from("LE")), Category::LE);
}

#[test]
fn unknown_codes_survive_json() {
    let category: Category = serde_json::from_str(r#""ZZ""#).expect("kept");
    assert_eq!(category, Category::new("ZZ"));
    assert_eq!(
        serde_json::to_string(&category).expect("serialises"),
        r#""ZZ""#
    );

    let code: Code =
        serde_json::from_str(r#"{"system": 7704, "value": "99", "display": "Ny type ø"}"#)
            .expect("a numeric system id, as HPR sends it, is accepted");
    assert_eq!(code.system, CodeSystemId::AUTHORISATION);
    assert!(!code.is_known());
    assert_eq!(code.display_name(), Some("Ny type ø"));
    assert_eq!(code.label(), "99 Ny type ø");
    let json = serde_json::to_string(&code).expect("serialises");
    assert_eq!(
        json,
        r#"{"system":"7704","value":"99","display":"Ny type ø"}"#
    );
    assert_eq!(
        serde_json::from_str::<Code>(&json).expect("round-trips"),
        code
    );
}

#[test]
fn code_display_prefers_the_table() {
    #[rustfmt::skip]
    let cases = [
        (Code::with_display(CodeSystemId::AUTHORISATION, "1", "autorisasjon"), Some("Autorisasjon"), "1 Autorisasjon"),
        (Code::new(CodeSystemId::AUTHORISATION, "1"), Some("Autorisasjon"), "1 Autorisasjon"),
        (Code::new(CodeSystemId::AUTHORISATION, "17"), None, "17"),
        (Code::with_display(CodeSystemId::new("S01"), "x", "Legekontor"), Some("Legekontor"), "x Legekontor"),
    ];
    for (code, display, label) in cases {
        assert_eq!(code.display_name(), display, "{code:?}");
        assert_eq!(code.label(), label, "{code:?}");
    }
}

#[test]
fn code_system_ids() {
    #[rustfmt::skip]
    let cases = [
        ("9060", "9060", Some("urn:oid:2.16.578.1.12.4.1.1.9060")),
        ("2.16.578.1.12.4.1.1.7704", "7704", Some("urn:oid:2.16.578.1.12.4.1.1.7704")),
        ("urn:oid:2.16.578.1.12.4.1.1.7426", "7426", Some("urn:oid:2.16.578.1.12.4.1.1.7426")),
        ("S01", "S01", None),
        ("", "", None),
    ];
    for (input, short, oid) in cases {
        let id = CodeSystemId::new(input);
        assert_eq!(id.as_str(), short, "{input}");
        assert_eq!(id.oid().as_deref(), oid, "{input}");
    }
    assert_eq!(CodeSystemId::volven(9060), CodeSystemId::CATEGORY);
    assert_eq!(
        Category::SYSTEM,
        CodeSystemId::new("urn:oid:2.16.578.1.12.4.1.1.9060")
    );
    // HPR sends `kodeverk.id` as a number, our canonical JSON as a string.
    for json in ["7704", "\"7704\"", "\"urn:oid:2.16.578.1.12.4.1.1.7704\""] {
        let id: CodeSystemId = serde_json::from_str(json).expect(json);
        assert_eq!(id, CodeSystemId::AUTHORISATION, "{json}");
    }
    // Regression: a negative number was refused before the shared reader and must stay so.
    for refused in ["7704.5", "-7704"] {
        assert!(
            serde_json::from_str::<CodeSystemId>(refused).is_err(),
            "{refused}"
        );
    }
}

#[test]
fn authorisation_types() {
    let cases = [
        ("1", true),
        ("2", true),
        ("3", false), // "student" in NAV's current rules
        ("4", true),
        ("14", true),
        ("17", true),
        ("18", true),
        ("5", false),
        ("01", true),
        (" 1 ", true),
        ("", false),
    ];
    for (value, counts) in cases {
        assert_eq!(
            authorisation::counts_as_authorisation(value),
            counts,
            "{value:?}"
        );
    }
}

//! Field-name agreement between the specs, our upstream DTOs and the fake's records.
//!
//! `fixtures/reference/spec-fields.json` lists each spec schema's property names, extracted
//! from `../shared/reference` (Brreg: `enhetsregisteret.yml` plus the python-brreg samples and
//! the UPSTREAMS.md §1.4 list, since the 2020 spec covers only part of `Enhet`; AR:
//! `adresseregister-spec.json`; Persontjenesten: `openapi.yaml` with `allOf` resolved). To
//! regenerate it, load the specs with a YAML loader that keeps timestamps as strings and dump
//! `properties` keys per schema (the script used is in the commit that added this file).
//!
//! Three checks, per register and schema:
//! 1. every name a DTO reads is a name the spec has (a typo would silently read nothing);
//! 2. every key of the fake's records (the synth generator's output, serialised) is a spec name;
//! 3. every synth record parses into the core model without a malformed record.

use std::collections::{BTreeMap, BTreeSet};

use grunndata_sync::core::model::UnitKind;
use grunndata_sync::source::{Parsed, ar, brreg, preg};
use grunndata_sync::synth::{Synth, SynthConfig};
use serde_json::{Value, json};

type Spec = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// `(schema, field names)` as each client module reports them.
type FieldNames = Vec<(&'static str, &'static [&'static str])>;

fn spec() -> Spec {
    let text = include_str!("fixtures/reference/spec-fields.json");
    let mut value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.remove("_about");
    }
    serde_json::from_value(value).unwrap_or_default()
}

/// Names our DTOs read that no stored spec or sample lists, each with why.
const UNLISTED: &[(&str, &str, &str)] = &[
    (
        "brreg",
        "underAvviklingDato",
        "named by the core model (Organisation::liquidation_date); not in the 2020 spec or samples",
    ),
    (
        "brreg",
        "tvangsopplostPgaManglendeDagligLederDato",
        "current Enhetsregisteret API (issue #13); the stored 2020 spec predates it",
    ),
    (
        "brreg",
        "tvangsopplostPgaManglendeRevisorDato",
        "current Enhetsregisteret API (issue #13); the stored 2020 spec predates it",
    ),
    (
        "brreg",
        "tvangsopplostPgaManglendeRegnskapDato",
        "current Enhetsregisteret API (issue #13); the stored 2020 spec predates it",
    ),
    (
        "brreg",
        "tvangsopplostPgaMangelfulltStyreDato",
        "current Enhetsregisteret API (issue #13); the stored 2020 spec predates it",
    ),
    (
        "brreg",
        "tvangsavvikletPgaManglendeSlettingDato",
        "current Enhetsregisteret API (issue #13); the stored 2020 spec predates it",
    ),
];

#[test]
fn dto_field_names_are_spec_field_names() {
    let spec = spec();
    let registers: [(&str, FieldNames); 3] = [
        ("brreg", brreg::field_names()),
        ("ar", ar::field_names()),
        ("preg", preg::field_names()),
    ];
    let mut problems = Vec::new();
    for (register, schemas) in registers {
        for (schema, names) in schemas {
            assert!(
                !names.is_empty(),
                "{register}.{schema}: no fields introspected"
            );
            // `A|B`: one DTO reads both schemas; its names must be in their union.
            let known: Option<BTreeSet<String>> = schema
                .split('|')
                .map(|part| {
                    spec.get(register)
                        .and_then(|schemas| schemas.get(part))
                        .cloned()
                })
                .try_fold(BTreeSet::new(), |mut union, names| {
                    union.extend(names?);
                    Some(union)
                });
            let Some(known) = known else {
                problems.push(format!(
                    "{register}.{schema}: schema not in spec-fields.json"
                ));
                continue;
            };
            for name in names {
                let allowed = UNLISTED.iter().any(|(r, n, _)| *r == register && n == name);
                if !known.contains(*name) && !allowed {
                    problems.push(format!("{register}.{schema}.{name}: not in the spec"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Which spec schema the value under `(schema, key)` has.
fn child_schema(register: &str, schema: &str, key: &str) -> Option<&'static str> {
    Some(match (register, schema, key) {
        ("brreg", _, "organisasjonsform") => "Organisasjonsform",
        ("brreg", _, "postadresse" | "forretningsadresse" | "beliggenhetsadresse") => "Adresse",
        ("brreg", _, "naeringskode1" | "naeringskode2" | "naeringskode3") => "Naeringskode",
        ("brreg", _, "institusjonellSektorkode") => "Sektorkode",
        ("ar", _, "organizationDetails") => "OrganizationDetails",
        ("ar", _, "personDetails") => "PersonDetails",
        ("ar", _, "serviceDetails") => "ServiceDetails",
        ("ar", _, "parentOrganization") => "ParentOrganization",
        ("ar", _, "businessType" | "serviceType") => "AdministrativeCode",
        ("ar", _, "currentSigningCertificate" | "currentEncryptionCertificate") => {
            "CertificateMetadata"
        }
        ("ar", _, "postalAddress") => "PostalAddress",
        ("ar", _, "amqpAddress") => "AmqpAddress",
        ("ar", _, "interMunicipalityCoverageArea") => "InterMunicipalityCoverageArea",
        ("preg", "Person", "norwegianIdentificationNumber") => "NorwegianIdentificationNumber",
        ("preg", "Person", "name") => "PersonName",
        ("preg", "Person", "birth") => "Birth",
        ("preg", "Person", "death") => "Death",
        ("preg", "Person", "status") => "PersonStatus",
        ("preg", "Person", "gender") => "PersonGender",
        ("preg", "Person", "addressProtection") => "AddressProtection",
        ("preg", "Person", "residentialAddress") => "ResidentialAddress",
        ("preg", "Person", "postalAddress") => "ContactAddress",
        ("preg", "ResidentialAddress", "streetAddress") => "StreetAddress",
        ("preg", "ResidentialAddress", "cadastralAddress") => "CadastralAddress",
        ("preg", "ResidentialAddress", "unknownResidence") => "UnknownResidence",
        ("preg", "ContactAddress", "streetAddress") => "StreetAddressForPost",
        ("preg", "ContactAddress", "postBoxAddress") => "PostBoxAddress",
        ("preg", "ContactAddress", "freeFormPostalAddress") => "FreeFormPostalAddress",
        ("preg", "StreetAddress", "addressNumber")
        | ("preg", "StreetAddressForPost", "streetAddressNumber") => "StreetAddressNumber",
        ("preg", _, "city") => "City",
        _ => return None,
    })
}

/// Checks the keys of `value` (an object, or an array of objects) against `schema`, recursively.
fn check_keys(
    spec: &Spec,
    register: &str,
    schema: &str,
    value: &Value,
    path: &str,
    problems: &mut BTreeSet<String>,
) {
    match value {
        Value::Array(items) => {
            for item in items {
                check_keys(spec, register, schema, item, path, problems);
            }
        }
        Value::Object(object) => {
            let Some(known) = spec.get(register).and_then(|schemas| schemas.get(schema)) else {
                problems.insert(format!(
                    "{register}.{schema}: schema not in spec-fields.json"
                ));
                return;
            };
            for (key, child) in object {
                if !known.contains(key) {
                    problems.insert(format!("{path}.{key} (schema {schema}): not in the spec"));
                }
                if let Some(child_schema) = child_schema(register, schema, key) {
                    check_keys(
                        spec,
                        register,
                        child_schema,
                        child,
                        &format!("{path}.{key}"),
                        problems,
                    );
                }
            }
        }
        _ => {}
    }
}

fn synth() -> Synth {
    match Synth::new(SynthConfig {
        seed: 11,
        scale: 0.001,
        ..SynthConfig::default()
    }) {
        Ok(synth) => synth,
        Err(error) => panic!("synth: {error}"),
    }
}

fn to_value<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

#[test]
fn fake_record_keys_are_spec_field_names() {
    let spec = spec();
    let synth = synth();
    let mut problems = BTreeSet::new();
    for index in 0..300 {
        let enhet = to_value(&synth.enhet(index));
        check_keys(&spec, "brreg", "Enhet", &enhet, "enhet", &mut problems);
        let underenhet = to_value(&synth.underenhet(index));
        check_keys(
            &spec,
            "brreg",
            "Underenhet",
            &underenhet,
            "underenhet",
            &mut problems,
        );
        let party = to_value(&synth.communication_party(index));
        check_keys(
            &spec,
            "ar",
            "CommunicationParty",
            &party,
            "party",
            &mut problems,
        );
        let person = to_value(&synth.preg_person(index));
        check_keys(&spec, "preg", "Person", &person, "person", &mut problems);
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

fn malformed<R>(parsed: Parsed<R>) -> Option<String> {
    parsed.malformed().map(|record| record.to_string())
}

#[test]
fn fake_records_parse_into_the_core_model() {
    let synth = synth();
    let mut problems = Vec::new();
    for index in 0..300 {
        let enhet = serde_json::to_vec(&synth.enhet(index)).unwrap_or_default();
        problems.extend(malformed(brreg::parse_unit(&enhet, UnitKind::MainUnit)));
        let underenhet = serde_json::to_vec(&synth.underenhet(index)).unwrap_or_default();
        problems.extend(malformed(brreg::parse_unit(&underenhet, UnitKind::SubUnit)));
        let party = serde_json::to_vec(&synth.communication_party(index)).unwrap_or_default();
        problems.extend(malformed(ar::parse_party(&party)));
        let person = serde_json::to_vec(&synth.preg_person(index)).unwrap_or_default();
        match preg::parse_person(&person) {
            Parsed::Record(parsed) => {
                // The generator's person has a NIN; it must come through as valid and in use.
                if parsed.current_nin().is_none() {
                    problems.push(format!("person {index}: no current NIN"));
                }
                if parsed.name.is_none() {
                    problems.push(format!("person {index}: no name"));
                }
            }
            Parsed::Malformed(record) => problems.push(record.to_string()),
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The HTTP layer over a tiny local server: `User-Agent`, gzip both ways, query and form
/// encoding, default headers.
#[tokio::test]
async fn http_layer_sends_user_agent_and_decodes_gzip() {
    use std::io::Write;

    use axum::Router;
    use axum::http::{HeaderMap, header};
    use axum::routing::{get, post};
    use grunndata_sync::source::http::{HttpClient, RequestSpec, USER_AGENT};
    use grunndata_sync::store::Register;

    fn echo(headers: &HeaderMap, extra: &Value) -> Value {
        let header = |name: &header::HeaderName| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        json!({
            "user_agent": header(&header::USER_AGENT),
            "accept_encoding": header(&header::ACCEPT_ENCODING),
            "api_version": headers.get("api-version").and_then(|v| v.to_str().ok()),
            "extra": extra.clone(),
        })
    }

    let app = Router::new()
        .route(
            "/api/echo",
            get(
                |headers: HeaderMap, query: axum::extract::RawQuery| async move {
                    axum::Json(echo(&headers, &json!(query.0)))
                },
            ),
        )
        .route(
            "/api/form",
            post(|headers: HeaderMap, body: String| async move {
                axum::Json(echo(&headers, &json!(body)))
            }),
        )
        .route(
            "/api/gzip",
            get(|| async {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                let _ = encoder.write_all(br#"{"compressed":true}"#);
                let body = encoder.finish().unwrap_or_default();
                (
                    [
                        (header::CONTENT_ENCODING, "gzip"),
                        (header::CONTENT_TYPE, "application/json"),
                    ],
                    body,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let base = format!(
        "http://{}/api/",
        listener
            .local_addr()
            .unwrap_or_else(|error| panic!("{error}"))
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let client = HttpClient::builder(Register::Preg, base)
        .default_header(
            header::HeaderName::from_static("api-version"),
            header::HeaderValue::from_static("2"),
        )
        .build()
        .unwrap_or_else(|error| panic!("client: {error}"));
    let spec = RequestSpec::get("/echo")
        .query("informationParts", "Name")
        .query("informationParts", "Birth")
        .query("includeHistory", true);
    let (_, echoed) = client
        .fetch_json::<Value>(&spec)
        .await
        .unwrap_or_else(|error| panic!("echo: {error}"));
    let echoed = echoed.unwrap_or_default();
    assert_eq!(echoed["user_agent"], USER_AGENT);
    assert!(USER_AGENT.starts_with("grunndata/"));
    assert!(
        echoed["accept_encoding"]
            .as_str()
            .is_some_and(|value| value.contains("gzip"))
    );
    assert_eq!(echoed["api_version"], "2");
    assert_eq!(
        echoed["extra"],
        "informationParts=Name&informationParts=Birth&includeHistory=true"
    );

    let form = RequestSpec::post("/form").form_body(vec![
        ("nins".to_owned(), "13839040029".to_owned()),
        ("nins".to_owned(), "41858550082".to_owned()),
    ]);
    let (_, echoed) = client
        .fetch_json::<Value>(&form)
        .await
        .unwrap_or_else(|error| panic!("form: {error}"));
    assert_eq!(
        echoed.unwrap_or_default()["extra"],
        "nins=13839040029&nins=41858550082"
    );

    let (_, decoded) = client
        .fetch_json::<Value>(&RequestSpec::get("/gzip"))
        .await
        .unwrap_or_else(|error| panic!("gzip: {error}"));
    assert_eq!(decoded, Some(json!({"compressed": true})));
}

/// Regression (#14): a response body read whole is capped (default
/// `HttpConfig::DEFAULT_MAX_BODY_BYTES`, per request `RequestSpec::max_body`): a larger body
/// fails the request at once, without a retry, and without reading it all; one within the cap
/// is read as before.
#[tokio::test]
async fn response_bodies_over_the_cap_fail_without_retry() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use grunndata_sync::source::SourceError;
    use grunndata_sync::source::http::{HttpClient, HttpConfig, RequestSpec};
    use grunndata_sync::store::Register;

    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let app = axum::Router::new().route(
        "/big",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { vec![b'x'; 200_000] }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let base = format!(
        "http://{}",
        listener
            .local_addr()
            .unwrap_or_else(|error| panic!("address: {error}"))
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    assert_eq!(HttpConfig::default().max_body_bytes, 64 * 1024 * 1024);
    let http = HttpClient::builder(Register::Ar, &base)
        .config(HttpConfig {
            max_body_bytes: 100_000,
            backoff_base: std::time::Duration::from_millis(1),
            ..HttpConfig::default()
        })
        .build()
        .unwrap_or_else(|error| panic!("client: {error}"));
    match http.fetch(&RequestSpec::get("/big")).await {
        Err(SourceError::Body { message, path, .. }) => {
            assert_eq!(path, "/big");
            assert!(message.contains("100000-byte limit"), "{message}");
        }
        other => panic!("expected a body error, got {:?}", other.map(|f| f.status)),
    }
    assert_eq!(served.load(Ordering::SeqCst), 1, "not retried");
    let fetched = http
        .fetch(&RequestSpec::get("/big").max_body(300_000))
        .await
        .unwrap_or_else(|error| panic!("within the per-request cap: {error}"));
    assert_eq!(fetched.body.len(), 200_000);
}

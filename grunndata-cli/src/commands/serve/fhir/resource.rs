//! What the resource mappings share: `meta` from the mirror's version, periods, codings,
//! references, and the profile URLs.
//!
//! Resources are built as `serde_json::Value` by hand rather than through a generated FHIR
//! model crate (see ARCHITECTURE.md, "grunndata serve"); the tests parse every resource type
//! the server emits with an independent implementation (Python `fhir.resources`).

use chrono::{DateTime, SecondsFormat, Utc};
use grunndata_sync::core::codes::Code;
use grunndata_sync::core::model::Period;
use grunndata_sync::registry::Found;
use serde_json::{Value, json};

/// The no-basis profile URL of `resource`.
pub fn profile(resource: &str) -> String {
    format!("http://hl7.no/fhir/StructureDefinition/no-basis-{resource}")
}

/// A FHIR instant.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The version id of a mirror version: the microseconds since the epoch at which it became
/// current, so it is stable and orders like the history.
pub fn version_id(valid_from: DateTime<Utc>) -> String {
    valid_from.timestamp_micros().to_string()
}

/// `meta` for a found record under `resource`'s no-basis profile.
pub fn meta<T>(resource: &str, found: &Found<T>) -> Value {
    json!({
        "versionId": version_id(found.valid_from),
        "lastUpdated": instant(found.valid_from),
        "profile": [profile(resource)],
    })
}

/// A FHIR `Period` from a whole-day period (both ends inclusive); `None` when open on both
/// ends.
pub fn period(period: Period) -> Option<Value> {
    let mut value = serde_json::Map::new();
    if let Some(from) = period.from {
        value.insert("start".to_owned(), json!(from.to_string()));
    }
    if let Some(to) = period.to {
        value.insert("end".to_owned(), json!(to.to_string()));
    }
    (!value.is_empty()).then_some(Value::Object(value))
}

/// A `Coding` for a code whose system is a Volven code system (`urn:oid:…`); `None` for
/// codes in a system FHIR has no URI for.
pub fn coding(code: &Code) -> Option<Value> {
    let system = code.system.oid()?;
    let mut coding = json!({ "system": system, "code": code.value });
    if let Some(display) = &code.display {
        coding["display"] = json!(display);
    }
    Some(coding)
}

/// `{"reference": "Type/id"}`.
pub fn reference(resource: &str, id: &str) -> Value {
    json!({ "reference": format!("{resource}/{id}") })
}

/// `{"system", "value"}`.
pub fn identifier(system: &str, value: impl std::fmt::Display) -> Value {
    json!({ "system": system, "value": value.to_string() })
}

/// Inserts `key: value` into `object` when `value` is `Some`.
pub fn put(object: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(map), Some(value)) = (object.as_object_mut(), value) {
        map.insert(key.to_owned(), value);
    }
}

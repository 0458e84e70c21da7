//! Admin endpoints under `/_admin` (never faulted, never authenticated):
//!
//! - `POST /_admin/{register}/records` with a JSON array of records in the upstream's own shape
//!   upserts them; `register` is `brreg/enheter`, `brreg/underenheter`, `ar`, `preg` or `hpr`.
//! - `DELETE /_admin/{register}/records/{id}` deletes one.
//! - `PUT /_admin/faults` sets fault injection (see `faults`), `GET` reads it back with how often
//!   each fault fired, `DELETE` clears it.
//! - `GET /_admin/status` gives base counts, feed heads, the production time and how many
//!   requests each upstream route has served (`"requests": {"GET /ar/api/v1/event": 3, …}`,
//!   faulted ones included).
//!
//! Every change emits what the real upstream would:
//! - Brreg: an oppdatering with the next `oppdateringsid`: `Ny` for a new unit, `Endring` for a
//!   changed one, `Sletting` when the record has `slettedato`. A delete is `Sletting` (the unit is
//!   then served with `slettedato` and few fields) or, with `?endringstype=Fjernet`, `Fjernet`
//!   (then 410).
//! - AR: `CommunicationPartyCreated` / `CommunicationPartyUpdated`. AR has no delete event: a
//!   delete sets `validTo` to the past and emits `CommunicationPartyUpdated`.
//! - Persontjenesten: `PersonIsCreated` for a new person, otherwise one `ChangeIn…` event per
//!   changed part (`PersonIsUpdated` when no known part changed); the stored record's
//!   `sequenceNumber` is its last event. A delete discontinues the person (a current status
//!   `Discontinued`, event `PersonIsDiscontinued`): Folkeregisteret does not delete persons.
//! - HPR: the record's `sistOppdatert` is set to the change time, so it appears in
//!   `HentRegisterEndringer` windows. A delete removes the person and emits nothing (HPR has no
//!   deletion signal).
//!
//! Responses: `{"upserted": n, "events": [...]}` with the new event ids (Brreg, AR,
//! Persontjenesten) or the new `sistOppdatert` values (HPR).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::dataset::{Unit, preg_nins};
use super::faults::{FaultConfig, Faults};
use super::http;
use super::preg_events;
use super::state::{ArEvent, BrregEntry, BrregEvent, PregEvent, State as AppState};

/// The admin router (full paths).
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/_admin/brreg/enheter/records",
            post(|s, b| upsert_brreg(s, b, Unit::Enheter)),
        )
        .route(
            "/_admin/brreg/underenheter/records",
            post(|s, b| upsert_brreg(s, b, Unit::Underenheter)),
        )
        .route(
            "/_admin/brreg/enheter/records/{id}",
            delete(|s, p, q| delete_brreg(s, p, q, Unit::Enheter)),
        )
        .route(
            "/_admin/brreg/underenheter/records/{id}",
            delete(|s, p, q| delete_brreg(s, p, q, Unit::Underenheter)),
        )
        .route("/_admin/ar/records", post(upsert_ar))
        .route("/_admin/ar/records/{id}", delete(delete_ar))
        .route("/_admin/preg/records", post(upsert_preg))
        .route("/_admin/preg/records/{id}", delete(delete_preg))
        .route("/_admin/hpr/records", post(upsert_hpr))
        .route("/_admin/hpr/records/{id}", delete(delete_hpr))
        .route(
            "/_admin/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/_admin/status", get(status))
}

fn bad_request(message: &str) -> Response {
    http::json(StatusCode::BAD_REQUEST, &json!({ "error": message }))
}

fn not_found(message: &str) -> Response {
    http::json(StatusCode::NOT_FOUND, &json!({ "error": message }))
}

fn done(upserted: usize, events: &[Value]) -> Response {
    http::json(
        StatusCode::OK,
        &json!({ "upserted": upserted, "events": events }),
    )
}

/// The body as a JSON array of objects.
fn records(body: &Bytes) -> Result<Vec<Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items),
        Ok(_) => Err(bad_request("the body must be a JSON array of records")),
        Err(e) => Err(bad_request(&format!("the body is not JSON: {e}"))),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// --- Brreg ---------------------------------------------------------------------------------

async fn upsert_brreg(State(state): State<Arc<AppState>>, body: Bytes, unit: Unit) -> Response {
    let items = match records(&body) {
        Ok(items) => items,
        Err(response) => return response,
    };
    let mut keyed = Vec::with_capacity(items.len());
    for record in items {
        match record.get("organisasjonsnummer").and_then(Value::as_str) {
            Some(orgnr) if orgnr.len() == 9 && orgnr.bytes().all(|b| b.is_ascii_digit()) => {
                keyed.push((orgnr.to_owned(), record));
            }
            _ => {
                return bad_request("every record needs organisasjonsnummer: 9 digits as a string");
            }
        }
    }
    let mut overlay = state.write();
    let mut events = Vec::new();
    let count = keyed.len();
    for (orgnr, record) in keyed {
        let in_base = state.data.brreg_index(unit, &orgnr).is_some();
        let known = in_base || overlay.brreg(unit).entries.contains_key(&orgnr);
        let deleted = record.get("slettedato").is_some_and(|v| !v.is_null());
        let endringstype = match (known, deleted) {
            (_, true) => "Sletting",
            (false, false) => "Ny",
            (true, false) => "Endring",
        };
        let id = state.brreg_head(&overlay, unit) + 1;
        let dato = overlay.next_time(state.produced_at);
        let feed = overlay.brreg_mut(unit);
        if !known {
            feed.created.push(orgnr.clone());
        }
        feed.entries.insert(
            orgnr.clone(),
            if deleted {
                BrregEntry::Deleted(record)
            } else {
                BrregEntry::Live(record)
            },
        );
        feed.events.push(BrregEvent {
            id,
            dato,
            orgnr,
            endringstype,
        });
        events.push(json!(id));
    }
    done(count, &events)
}

async fn delete_brreg(
    State(state): State<Arc<AppState>>,
    Path(orgnr): Path<String>,
    RawQuery(raw): RawQuery,
    unit: Unit,
) -> Response {
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let removed = match http::first(&query, "endringstype") {
        None | Some("Sletting") => false,
        Some("Fjernet") => true,
        Some(_) => return bad_request("endringstype must be Sletting or Fjernet"),
    };
    let mut overlay = state.write();
    let current = match overlay.brreg(unit).entries.get(&orgnr) {
        Some(BrregEntry::Live(record) | BrregEntry::Deleted(record)) => Some(record.clone()),
        Some(BrregEntry::Removed) => None,
        None => state
            .data
            .brreg_index(unit, &orgnr)
            .map(|i| state.data.brreg_record(unit, i)),
    };
    let Some(current) = current else {
        return not_found("no such unit");
    };
    let id = state.brreg_head(&overlay, unit) + 1;
    let dato = overlay.next_time(state.produced_at);
    let entry = if removed {
        BrregEntry::Removed
    } else {
        // What Brreg serves for a deleted unit: the key, name, form and slettedato.
        let mut slim = serde_json::Map::new();
        for key in ["organisasjonsnummer", "navn", "organisasjonsform"] {
            if let Some(value) = current.get(key) {
                slim.insert(key.to_owned(), value.clone());
            }
        }
        slim.insert(
            "slettedato".into(),
            Value::String(dato.format("%Y-%m-%d").to_string()),
        );
        BrregEntry::Deleted(Value::Object(slim))
    };
    let feed = overlay.brreg_mut(unit);
    feed.entries.insert(orgnr.clone(), entry);
    feed.events.push(BrregEvent {
        id,
        dato,
        orgnr,
        endringstype: if removed { "Fjernet" } else { "Sletting" },
    });
    done(0, &[json!(id)])
}

// --- AR -------------------------------------------------------------------------------------

async fn upsert_ar(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let items = match records(&body) {
        Ok(items) => items,
        Err(response) => return response,
    };
    if items
        .iter()
        .any(|r| r.get("herId").and_then(Value::as_u64).is_none())
    {
        return bad_request("every record needs herId (an integer)");
    }
    let mut overlay = state.write();
    let count = items.len();
    let mut events = Vec::new();
    for record in items {
        let her_id = record
            .get("herId")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let known =
            state.data.ar_index(her_id).is_some() || overlay.ar.entries.contains_key(&her_id);
        events.push(json!(push_ar_event(&state, &mut overlay, her_id, known)));
        if !known {
            overlay.ar.created.push(her_id);
        }
        overlay.ar.entries.insert(her_id, record);
    }
    done(count, &events)
}

fn push_ar_event(
    state: &AppState,
    overlay: &mut super::state::Overlay,
    her_id: u64,
    known: bool,
) -> u64 {
    let sequence_number = state.ar_head(overlay) + 1;
    let timestamp = overlay.next_time(state.produced_at);
    let event_type = if known {
        "CommunicationPartyUpdated"
    } else {
        "CommunicationPartyCreated"
    };
    overlay.ar.events.push(ArEvent {
        sequence_number,
        her_id,
        event_type,
        timestamp,
    });
    sequence_number
}

async fn delete_ar(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Ok(her_id) = id.parse::<u64>() else {
        return bad_request("herId must be an integer");
    };
    let mut overlay = state.write();
    let Some(mut record) = state.ar_record(&overlay, her_id) else {
        return not_found("no such communication party");
    };
    let seq = push_ar_event(&state, &mut overlay, her_id, true);
    let past = overlay
        .ar
        .events
        .last()
        .map_or_else(Utc::now, |e| e.timestamp)
        - chrono::Duration::seconds(1);
    if let Some(object) = record.as_object_mut() {
        object.insert("validTo".into(), Value::String(iso(past)));
    }
    overlay.ar.entries.insert(her_id, record);
    done(0, &[json!(seq)])
}

// --- Persontjenesten ------------------------------------------------------------------------------

fn without_sequence(record: &Value) -> Value {
    let mut copy = record.clone();
    if let Some(object) = copy.as_object_mut() {
        object.remove("sequenceNumber");
    }
    copy
}

/// Stores a Persontjenesten record with its events; returns the new sequence numbers.
fn store_preg(
    state: &AppState,
    overlay: &mut super::state::Overlay,
    id: String,
    mut record: Value,
    kinds: &[&'static str],
) -> Vec<u64> {
    let known = state.data.preg_index(&id).is_some() || overlay.preg.entries.contains_key(&id);
    let mut sequence_numbers = Vec::new();
    for &event_type in kinds {
        let sequence_number = state.preg_head(overlay) + 1;
        overlay.preg.events.push(PregEvent {
            sequence_number,
            person_id: id.clone(),
            event_type,
        });
        sequence_numbers.push(sequence_number);
    }
    if let (Some(&last), Some(object)) = (sequence_numbers.last(), record.as_object_mut()) {
        object.insert("sequenceNumber".into(), json!(last));
    }
    if let Some(old) = overlay.preg.entries.get(&id) {
        for nin in preg_nins(old) {
            overlay.preg.nins.remove(&nin);
        }
    }
    for nin in preg_nins(&record) {
        overlay.preg.nins.insert(nin, id.clone());
    }
    if !known {
        overlay.preg.created.push(id.clone());
    }
    overlay.preg.entries.insert(id, record);
    sequence_numbers
}

async fn upsert_preg(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let items = match records(&body) {
        Ok(items) => items,
        Err(response) => return response,
    };
    if items.iter().any(|r| {
        r.get("id")
            .and_then(Value::as_str)
            .is_none_or(|id| id.is_empty() || id.len() > 64)
    }) {
        return bad_request("every record needs id (a string of 1 to 64 characters)");
    }
    let mut overlay = state.write();
    let count = items.len();
    let mut events = Vec::new();
    for record in items {
        let id = record
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let old = state
            .preg_record(&overlay, &id)
            .map(|r| without_sequence(&r));
        let kinds = preg_events::for_change(old.as_ref(), &without_sequence(&record));
        if kinds.is_empty() {
            continue;
        }
        events.extend(
            store_preg(&state, &mut overlay, id, record, &kinds)
                .into_iter()
                .map(Value::from),
        );
    }
    done(count, &events)
}

async fn delete_preg(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let mut overlay = state.write();
    let Some(mut record) = state.preg_record(&overlay, &id) else {
        return not_found("no such person");
    };
    let now = iso(overlay.next_time(state.produced_at));
    if let Some(object) = record.as_object_mut() {
        let mut statuses = object
            .get("status")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for status in &mut statuses {
            if let Some(s) = status.as_object_mut() {
                s.insert("isValid".into(), Value::Bool(false));
                s.insert("validTo".into(), Value::String(now.clone()));
            }
        }
        statuses.insert(
            0,
            json!({
                "registeredAt": now, "isValid": true, "source": "Freg", "reason": null,
                "validFrom": now, "validTo": null, "status": "Discontinued",
            }),
        );
        object.insert("status".into(), Value::Array(statuses));
    }
    let events = store_preg(&state, &mut overlay, id, record, &["PersonIsDiscontinued"]);
    done(0, &events.into_iter().map(Value::from).collect::<Vec<_>>())
}

// --- HPR --------------------------------------------------------------------------------------

fn hpr_nin(record: &Value) -> Option<String> {
    record
        .pointer("/person/nin")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Forgets an HPR-nummer's current override (its change entry and NIN mapping).
fn forget_hpr(overlay: &mut super::state::Overlay, number: u64) {
    let hpr = &mut overlay.hpr;
    if let Some(t) = hpr.change_time.remove(&number) {
        hpr.changes.remove(&(t, number));
    }
    if let Some(nin) = hpr.entries.get(&number).and_then(hpr_nin) {
        hpr.nins.remove(&nin);
    }
}

async fn upsert_hpr(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let items = match records(&body) {
        Ok(items) => items,
        Err(response) => return response,
    };
    if items
        .iter()
        .any(|r| r.get("hprNummer").and_then(Value::as_u64).is_none())
    {
        return bad_request("every record needs hprNummer (an integer)");
    }
    let mut overlay = state.write();
    let count = items.len();
    let mut events = Vec::new();
    for mut record in items {
        let number = record
            .get("hprNummer")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let base = state.data.hpr_index(number);
        let known = base.is_some()
            || overlay.hpr.entries.contains_key(&number)
            || overlay.hpr.created.contains(&number);
        // `sistOppdatert` is Norwegian wall-clock time without offset, as HPR writes it.
        let t = crate::source::hpr::time::to_oslo(overlay.next_time(state.produced_at));
        let stamp = t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        if let Some(object) = record.as_object_mut() {
            object.insert("sistOppdatert".into(), Value::String(stamp.clone()));
        }
        forget_hpr(&mut overlay, number);
        let hpr = &mut overlay.hpr;
        if let Some(index) = base {
            hpr.skipped.insert(index);
        }
        if !known {
            hpr.created.push(number);
        }
        hpr.removed.remove(&number);
        if let Some(nin) = hpr_nin(&record) {
            hpr.nins.insert(nin, number);
        }
        hpr.changes.insert((t, number));
        hpr.change_time.insert(number, t);
        hpr.entries.insert(number, record);
        events.push(Value::String(stamp));
    }
    done(count, &events)
}

async fn delete_hpr(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Ok(number) = id.parse::<u64>() else {
        return bad_request("hprNummer must be an integer");
    };
    let mut overlay = state.write();
    if state.hpr_record(&overlay, number).is_none() {
        return not_found("no such person");
    }
    forget_hpr(&mut overlay, number);
    let hpr = &mut overlay.hpr;
    hpr.entries.remove(&number);
    hpr.removed.insert(number);
    if let Some(index) = state.data.hpr_index(number) {
        hpr.skipped.insert(index);
    }
    done(0, &[])
}

// --- Faults and status --------------------------------------------------------------------------

async fn get_faults(State(state): State<Arc<AppState>>) -> Response {
    http::json(StatusCode::OK, &state.faults().report())
}

async fn put_faults(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultConfig>(&body) {
        Ok(config) => {
            *state.faults() = Faults::new(config);
            http::json(StatusCode::OK, &state.faults().report())
        }
        Err(e) => bad_request(&format!("invalid fault configuration: {e}")),
    }
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    *state.faults() = Faults::default();
    StatusCode::NO_CONTENT.into_response()
}

async fn status(State(state): State<Arc<AppState>>) -> Response {
    let overlay = state.read();
    let data = &state.data;
    let body = json!({
        "producedAt": iso(state.produced_at),
        "base": {
            "enheter": data.brreg_len(Unit::Enheter),
            "underenheter": data.brreg_len(Unit::Underenheter),
            "ar": data.ar_len(),
            "preg": data.preg_len(),
            "hpr": data.hpr_len(),
        },
        "heads": {
            "brregEnheter": state.brreg_head(&overlay, Unit::Enheter),
            "brregUnderenheter": state.brreg_head(&overlay, Unit::Underenheter),
            "ar": state.ar_head(&overlay),
            "preg": state.preg_head(&overlay),
            "hprChanges": overlay.hpr.changes.len(),
        },
        "requests": state.requests(),
    });
    http::json(StatusCode::OK, &body)
}

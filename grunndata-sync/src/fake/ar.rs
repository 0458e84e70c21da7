//! Adresseregisteret CommunicationParty API (REST), served under `/ar`.
//!
//! Decisions where adresseregister-spec.json is silent:
//! - Validation errors (`maxEvents` outside 1..1000, `fromSequenceNumber` outside
//!   1..2147483647, more than 100 herIds, a body that is not JSON) are 400 with ASP.NET's
//!   `ValidationProblemDetails`.
//! - `POST /api/v1/communicationparty` leaves unknown herIds out of the result.
//! - A deactivated party (`validTo` in the past) is still served by `GET …/{herId}`; the export
//!   leaves it out unless `includeDeactivated=true`.
//! - Reading past the head gives 200 with no results; `GET /api/v1/event/latest` gives 404 (no
//!   body) when there are no events.
//! - Expired history ("cursor too old", fault `history_expired_below.ar`): 410 Gone with a
//!   `ProblemDetails` body. The real service's behaviour is unknown.
//! - `GET /api/v1/certificate/{herId}` gives `[]` for an unknown herId or a party without
//!   certificates; with `includeHistoric=true` one older pair is added.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::dataset::is_deactivated;
use super::faults::Fault;
use super::http;
use super::state::{ArEvent, State as AppState};

/// Where the CommunicationParty API is mounted.
pub const PREFIX: &str = "/ar";

/// Most herIds one `POST /api/v1/communicationparty` may ask for.
const MAX_HER_IDS: usize = 100;
/// Most events one page may hold.
const MAX_EVENTS: u64 = 1000;

/// The AR router (paths relative to [`PREFIX`]).
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/communicationparty/export", get(export))
        .route("/api/v1/communicationparty", post(bulk))
        .route("/api/v1/communicationparty/{her_id}", get(single))
        .route("/api/v1/event", get(events))
        .route("/api/v1/event/latest", get(latest))
        .route("/api/v1/certificate/{her_id}", get(certificates))
}

fn event_json(event: &ArEvent) -> Value {
    json!({
        "sequenceNumber": event.sequence_number,
        "herId": event.her_id,
        "eventType": event.event_type,
        "eventTimestamp": event.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

fn break_record(record: &mut Value) {
    if let Some(object) = record.as_object_mut() {
        object.remove("herId");
    }
}

fn flag(query: &[(String, String)], key: &str) -> bool {
    http::first(query, key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

async fn export(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let include_deactivated = flag(&query, "includeDeactivated");
    let overlay = state.read();
    let data = &state.data;
    let mut parties = Vec::new();
    for index in 0..data.ar_len() {
        let her_id = data.ar_her_id(index);
        let deactivated = match overlay.ar.entries.get(&her_id) {
            Some(record) => is_deactivated(record),
            None => data.ar_deactivated(index),
        };
        if include_deactivated || !deactivated {
            parties.push(her_id);
        }
    }
    for her_id in &overlay.ar.created {
        if include_deactivated
            || overlay
                .ar
                .entries
                .get(her_id)
                .is_some_and(|r| !is_deactivated(r))
        {
            parties.push(*her_id);
        }
    }
    let count = parties.len();
    if let Some(fraction) = state
        .faults()
        .short_snapshot(&format!("{PREFIX}/api/v1/communicationparty/export"))
    {
        // Short but well-formed, still announcing the full count.
        let kept = super::faults::kept(count as u64, fraction);
        parties.truncate(usize::try_from(kept).unwrap_or(count));
    }
    let body = json!({
        "lastSequenceNumber": state.ar_head(&overlay),
        "count": count,
        "communicationParties": parties,
    });
    http::json(StatusCode::OK, &body)
}

async fn bulk(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let path = format!("{PREFIX}/api/v1/communicationparty");
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return http::validation_problem(
            "$",
            "The JSON value could not be converted to HerIdInputCollection.",
        );
    };
    let her_ids: Vec<u64> = match input.get("herIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            match items.iter().map(Value::as_u64).collect::<Option<Vec<_>>>() {
                Some(ids) => ids,
                None => {
                    return http::validation_problem(
                        "herIds",
                        "The JSON value could not be converted to System.Int32.",
                    );
                }
            }
        }
        Some(_) => {
            return http::validation_problem(
                "herIds",
                "The JSON value could not be converted to System.Int32[].",
            );
        }
    };
    if her_ids.len() > MAX_HER_IDS {
        return http::validation_problem(
            "herIds",
            "At most 100 herIds can be requested at a time.",
        );
    }
    let mut records: Vec<Value> = {
        let overlay = state.read();
        her_ids
            .iter()
            .filter_map(|&her_id| state.ar_record(&overlay, her_id))
            .collect()
    };
    if state.faults().fire(Fault::MalformedRecord, &path)
        && let Some(record) = records.first_mut()
    {
        break_record(record);
    }
    http::json(StatusCode::OK, &records)
}

async fn single(State(state): State<Arc<AppState>>, Path(her_id): Path<String>) -> Response {
    let path = format!("{PREFIX}/api/v1/communicationparty/{her_id}");
    let Ok(her_id) = her_id.parse::<u64>() else {
        return http::validation_problem("herId", &format!("The value '{her_id}' is not valid."));
    };
    let record = {
        let overlay = state.read();
        state.ar_record(&overlay, her_id)
    };
    match record {
        Some(mut record) => {
            if state.faults().fire(Fault::MalformedRecord, &path) {
                break_record(&mut record);
            }
            http::json(StatusCode::OK, &record)
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Parses an integer query parameter within bounds, as ASP.NET model binding would.
fn bounded(query: &[(String, String)], key: &str, default: u64, max: u64) -> Result<u64, Response> {
    match http::first(query, key) {
        None | Some("") => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(value) if (1..=max).contains(&value) => Ok(value),
            Ok(_) => Err(http::validation_problem(
                key,
                &format!("The field {key} must be between 1 and {max}."),
            )),
            Err(_) => Err(http::validation_problem(
                key,
                &format!("The value '{text}' is not valid."),
            )),
        },
    }
}

async fn events(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let path = format!("{PREFIX}/api/v1/event");
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let from = match bounded(&query, "fromSequenceNumber", 1, 2_147_483_647) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let max = match bounded(&query, "maxEvents", MAX_EVENTS, MAX_EVENTS) {
        Ok(v) => v,
        Err(response) => return response,
    };
    if let Some(floor) = state.faults().floors().ar.filter(|&f| from < f) {
        return http::problem(
            StatusCode::GONE,
            "Gone",
            &format!("Events before sequence number {floor} are no longer available"),
        );
    }
    let mut results: Vec<Value> = {
        let overlay = state.read();
        let head = state.ar_head(&overlay);
        (from..=head.min(from.saturating_add(max - 1)))
            .filter_map(|seq| state.ar_event(&overlay, seq))
            .map(|e| event_json(&e))
            .collect()
    };
    super::feed_faults::apply(&state, &path, &mut results, "sequenceNumber");
    let count = results.len();
    http::json(
        StatusCode::OK,
        &json!({ "results": results, "count": count }),
    )
}

async fn latest(State(state): State<Arc<AppState>>) -> Response {
    let overlay = state.read();
    match state.ar_event(&overlay, state.ar_head(&overlay)) {
        Some(event) => http::json(StatusCode::OK, &event_json(&event)),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn certificates(
    State(state): State<Arc<AppState>>,
    Path(her_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let Ok(her_id) = her_id.parse::<u64>() else {
        return http::validation_problem("herId", &format!("The value '{her_id}' is not valid."));
    };
    let record = {
        let overlay = state.read();
        state.ar_record(&overlay, her_id)
    };
    let Some(record) = record else {
        return http::json(StatusCode::OK, &Vec::<Value>::new());
    };
    let signing = record
        .get("currentSigningCertificate")
        .filter(|v| !v.is_null())
        .cloned();
    let encryption = record
        .get("currentEncryptionCertificate")
        .filter(|v| !v.is_null())
        .cloned();
    if signing.is_none() && encryption.is_none() {
        return http::json(StatusCode::OK, &Vec::<Value>::new());
    }
    let mut pairs = vec![
        json!({ "isCurrent": true, "signingCertificate": signing, "encryptionCertificate": encryption }),
    ];
    if flag(&query, "includeHistoric") {
        pairs.push(json!({
            "isCurrent": false,
            "signingCertificate": signing.as_ref().map(historic),
            "encryptionCertificate": encryption.as_ref().map(historic),
        }));
    }
    http::json(StatusCode::OK, &pairs)
}

/// The certificate that preceded `current`: an earlier validity and another thumbprint.
fn historic(current: &Value) -> Value {
    let thumbprint: String = current
        .get("thumbprint")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .rev()
        .collect();
    json!({
        "thumbprint": thumbprint,
        "validFrom": "2019-01-01T00:00:00Z",
        "validTo": current.get("validFrom").cloned().unwrap_or(Value::Null),
    })
}

//! Persontjenesten (NHN Person API, v2) served under `/preg`, at both `/api/legal-basis/…` and
//! `/api/no-legal-basis/…` (same data: whether no-legal-basis masks anything is unverified).
//!
//! Decisions where persontjenesten/openapi.yaml is silent:
//! - `api-version` is required by the spec. A request without it gets 400 (ASP.NET API
//!   versioning's `ApiVersionUnspecified` problem), and any value but `2` gets 400
//!   `UnsupportedApiVersion`: the real service would serve its *latest* version to a client that
//!   forgets the header, a different model, so the fake makes that mistake visible.
//! - The event feed (`GET {b}/event?sequenceNumber=N&eventTypes=…`) returns up to 1000 events
//!   from N inclusive; past the head it returns 200 with no results. `startIndex`/`endIndex`
//!   (deprecated) are the first and last sequence numbers returned (0 and -1 when empty).
//!   The initial population's events are `PersonPopulated`.
//! - Expired history ("cursor too old", fault `history_expired_below.preg`): 410 Gone with a
//!   `ProblemDetails` body.
//! - Information parts not requested are `null`; `includeHistory=false` drops elements whose
//!   `isValid` is false.
//! - `search/paged-match-list` supports paging only (`PageSize` 1..10000, `IndexOffset`); any
//!   search filter gives 400 (the fake cannot search 6 M generated persons).
//! - Unknown ids in `bulk-by-id` / `bulk-by-nin` are left out of the result.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::faults::Fault;
use super::http;
use super::state::{PregEvent, State as AppState};
use super::token::{TokenServer, require_bearer};
use crate::auth::scopes;

/// Where Persontjenesten is mounted.
pub const PREFIX: &str = "/preg";

/// The API version this fake serves.
const API_VERSION: &str = "2";
/// Most events one page holds.
const MAX_EVENTS: usize = 1000;
/// Most ids or numbers one bulk request may hold.
const MAX_BULK: usize = 100;
/// Largest `PageSize` of the paged match list.
const MAX_PAGE_SIZE: u64 = 10_000;

/// The InformationPart values of the spec.
const INFORMATION_PARTS: &[&str] = &[
    "AddressProtection",
    "CitizenshipRetention",
    "ResidentialAddress",
    "UseOfSamiLanguage",
    "SharedResidence",
    "Death",
    "FalseIdentity",
    "FamilyRelation",
    "Birth",
    "BirthInNorway",
    "ParentalResponsibility",
    "SamiParliamentElectoralRegistryStatus",
    "NorwegianIdentificationNumber",
    "IdentityVerification",
    "ImmigrationToNorway",
    "Gender",
    "ResiduaryEstateContactInformation",
    "IdentificationDocument",
    "Name",
    "ResidencePermit",
    "StayOnSvalbard",
    "PresentAddress",
    "PostalAddress",
    "ForeignPostalAddress",
    "PreferredContactAddress",
    "MaritalStatus",
    "Citizenship",
    "Status",
    "ForeignPersonIdentificationNumber",
    "EmigrationFromNorway",
    "ImmigrationAuthoritiesIdentificationNumber",
    "GuardianshipOrFuturePowerOfAttorney",
    "DeprivedLegalAuthority",
    "CommonContactRegisterInformation",
    "LegalAuthority",
];

/// The Persontjenesten router (paths relative to [`PREFIX`]). With `tokens`, the legal-basis
/// API demands a HelseID Bearer token with its scope, the no-legal-basis API one with its own
/// (the v2 contract's `securitySchemes.HelseID` is HTTP bearer).
pub(crate) fn router(tokens: Option<&TokenServer>) -> Router<Arc<AppState>> {
    let api = || {
        Router::new()
            .route("/event/latest", get(latest))
            .route("/event", get(events))
            .route("/person/{id}", get(person))
            .route("/person/get-by-nin", post(by_nin))
            .route("/person/bulk-by-id", post(bulk_by_id))
            .route("/person/bulk-by-nin", post(bulk_by_nin))
            .route("/search/paged-match-list", post(paged_match_list))
    };
    let (mut legal, mut no_legal) = (api(), api());
    if let Some(tokens) = tokens {
        legal = require_bearer(legal, tokens, &[scopes::PREG_LEGAL_BASIS]);
        no_legal = require_bearer(no_legal, tokens, &[scopes::PREG_NO_LEGAL_BASIS]);
    }
    Router::new()
        .nest("/api/legal-basis", legal)
        .nest("/api/no-legal-basis", no_legal)
        .layer(middleware::from_fn(require_api_version))
}

/// Rejects requests without `api-version: 2` (see the module documentation).
async fn require_api_version(request: Request, next: Next) -> Response {
    let version = request
        .headers()
        .get("api-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match version {
        Some(API_VERSION) => next.run(request).await,
        None => {
            let body = json!({
                "type": "https://docs.api-versioning.org/problems#unspecified",
                "title": "Unspecified API version",
                "status": 400,
                "detail": "An API version is required, but was not specified.",
                "code": "ApiVersionUnspecified",
            });
            http::json(StatusCode::BAD_REQUEST, &body)
        }
        Some(other) => {
            let body = json!({
                "type": "https://docs.api-versioning.org/problems#unsupported",
                "title": "Unsupported API version",
                "status": 400,
                "detail": format!("The HTTP resource does not support the API version '{other}'."),
                "code": "UnsupportedApiVersion",
            });
            http::json(StatusCode::BAD_REQUEST, &body)
        }
    }
}

fn event_json(event: &PregEvent) -> Value {
    json!({
        "sequenceNumber": event.sequence_number.to_string(),
        "personId": event.person_id,
        "eventType": event.event_type,
    })
}

async fn latest(State(state): State<Arc<AppState>>) -> Response {
    let overlay = state.read();
    match state.preg_event(&overlay, state.preg_head(&overlay)) {
        Some(event) => http::json(StatusCode::OK, &event_json(&event)),
        None => http::problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "Event document not found",
        ),
    }
}

async fn events(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let path = format!("{PREFIX}/api/event");
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let from = match http::first(&query, "sequenceNumber") {
        None | Some("") => 1,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return http::validation_problem(
                    "sequenceNumber",
                    &format!("The value '{text}' is not valid."),
                );
            }
        },
    };
    let types = http::all(&query, "eventTypes");
    if let Some(bad) = types.iter().find(|t| !super::preg_events::is_event_type(t)) {
        return http::validation_problem("eventTypes", &format!("The value '{bad}' is not valid."));
    }
    if let Some(floor) = state.faults().floors().preg.filter(|&f| from < f) {
        return http::problem(
            StatusCode::GONE,
            "Gone",
            &format!("Events before sequence number {floor} are no longer available"),
        );
    }
    let wanted = |t: &str| types.is_empty() || types.contains(&t);
    let mut results = Vec::new();
    {
        let overlay = state.read();
        let head = state.preg_head(&overlay);
        let base = state.data.preg_len();
        let mut seq = from;
        // Base events are all PersonPopulated: skip them wholesale when filtered out.
        if !wanted("PersonPopulated") && seq <= base {
            seq = base + 1;
        }
        while seq <= head && results.len() < MAX_EVENTS {
            if let Some(event) = state.preg_event(&overlay, seq)
                && wanted(event.event_type)
            {
                results.push(event_json(&event));
            }
            seq += 1;
        }
    }
    super::feed_faults::apply(&state, &path, &mut results, "sequenceNumber");
    let index = |v: Option<&Value>| -> i64 {
        v.and_then(|e| e.get("sequenceNumber"))
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1)
    };
    let (start, end) = if results.is_empty() {
        (0, -1)
    } else {
        (index(results.first()), index(results.last()))
    };
    http::json(
        StatusCode::OK,
        &json!({ "results": results, "startIndex": start, "endIndex": end }),
    )
}

/// `informationParts` (required, repeated) and `includeHistory` from the query.
fn view(raw: Option<&str>) -> Result<(Vec<String>, bool), Response> {
    let query = http::pairs(raw.unwrap_or(""));
    let parts: Vec<String> = http::all(&query, "informationParts")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if parts.is_empty() {
        return Err(http::validation_problem(
            "informationParts",
            "The informationParts field is required.",
        ));
    }
    if let Some(bad) = parts
        .iter()
        .find(|p| !INFORMATION_PARTS.contains(&p.as_str()))
    {
        return Err(http::validation_problem(
            "informationParts",
            &format!("The value '{bad}' is not valid."),
        ));
    }
    let history =
        http::first(&query, "includeHistory").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok((parts, history))
}

/// A person with only the requested parts filled (others `null`) and, without history, only
/// current elements.
fn project(mut record: Value, parts: &[String], include_history: bool) -> Value {
    if let Some(object) = record.as_object_mut() {
        for (key, value) in object.iter_mut() {
            if key == "id" || key == "sequenceNumber" {
                continue;
            }
            let mut part = key.clone();
            if let Some(first) = part.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            if !parts.contains(&part) {
                *value = Value::Null;
            } else if !include_history && let Some(items) = value.as_array_mut() {
                items.retain(|item| item.get("isValid").and_then(Value::as_bool) != Some(false));
            }
        }
    }
    record
}

fn break_record(record: &mut Value) {
    if let Some(object) = record.as_object_mut() {
        object.remove("id");
    }
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    http::pairs(&String::from_utf8_lossy(body))
}

async fn person(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (parts, history) = match view(raw.as_deref()) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let record = {
        let overlay = state.read();
        state.preg_record(&overlay, &id)
    };
    respond_one(
        &state,
        record,
        &parts,
        history,
        &format!("{PREFIX}/api/person"),
    )
}

fn respond_one(
    state: &AppState,
    record: Option<Value>,
    parts: &[String],
    history: bool,
    path: &str,
) -> Response {
    match record {
        Some(record) => {
            let mut record = project(record, parts, history);
            if state.faults().fire(Fault::MalformedRecord, path) {
                break_record(&mut record);
            }
            http::json(StatusCode::OK, &record)
        }
        None => http::problem(StatusCode::NOT_FOUND, "Not Found", "Person not found"),
    }
}

async fn by_nin(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let (parts, history) = match view(raw.as_deref()) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let fields = form(&body);
    let Some(nin) = http::first(&fields, "nin").filter(|n| (1..=12).contains(&n.len())) else {
        return http::validation_problem(
            "nin",
            "The nin field is required and must be 1 to 12 characters.",
        );
    };
    let record = {
        let overlay = state.read();
        state
            .preg_id_by_nin(&overlay, nin)
            .and_then(|id| state.preg_record(&overlay, &id))
    };
    respond_one(
        &state,
        record,
        &parts,
        history,
        &format!("{PREFIX}/api/person/get-by-nin"),
    )
}

async fn bulk_by_id(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    bulk(
        &state,
        raw.as_deref(),
        &body,
        "personIds",
        AppState::preg_record,
    )
}

async fn bulk_by_nin(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    bulk(
        &state,
        raw.as_deref(),
        &body,
        "nins",
        |state, overlay, nin| {
            state
                .preg_id_by_nin(overlay, nin)
                .and_then(|id| state.preg_record(overlay, &id))
        },
    )
}

fn bulk(
    state: &AppState,
    raw: Option<&str>,
    body: &Bytes,
    field: &str,
    lookup: impl Fn(&AppState, &super::state::Overlay, &str) -> Option<Value>,
) -> Response {
    let (parts, history) = match view(raw) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let fields = form(body);
    let keys = http::all(&fields, field);
    if keys.is_empty() || keys.len() > MAX_BULK {
        return http::validation_problem(
            field,
            &format!("The field {field} must hold 1 to {MAX_BULK} values."),
        );
    }
    let mut records: Vec<Value> = {
        let overlay = state.read();
        keys.iter()
            .filter_map(|key| lookup(state, &overlay, key))
            .map(|r| project(r, &parts, history))
            .collect()
    };
    if state.faults().fire(
        Fault::MalformedRecord,
        &format!("{PREFIX}/api/person/{field}"),
    ) && let Some(record) = records.first_mut()
    {
        break_record(record);
    }
    http::json(StatusCode::OK, &records)
}

async fn paged_match_list(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let fields = form(&body);
    if let Some((key, _)) = fields
        .iter()
        .find(|(k, v)| k != "PageSize" && k != "IndexOffset" && !v.is_empty())
    {
        return http::problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &format!(
                "The fake upstream does not implement the search filter {key}; only PageSize and IndexOffset."
            ),
        );
    }
    let number = |key: &str, default: u64| -> Result<u64, Response> {
        match http::first(&fields, key) {
            None | Some("") => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                http::validation_problem(key, &format!("The value '{text}' is not valid."))
            }),
        }
    };
    let size = match number("PageSize", 1000) {
        Ok(v) if (1..=MAX_PAGE_SIZE).contains(&v) => v,
        Ok(_) => {
            return http::validation_problem(
                "PageSize",
                "The field PageSize must be between 1 and 10000.",
            );
        }
        Err(response) => return response,
    };
    let offset = match number("IndexOffset", 0) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let results: Vec<String> = {
        let overlay = state.read();
        let base = state.data.preg_len();
        let total = base + overlay.preg.created.len() as u64;
        (offset..(offset.saturating_add(size)).min(total))
            .filter_map(|position| {
                if position < base {
                    Some(state.data.preg_id(position))
                } else {
                    overlay
                        .preg
                        .created
                        .get(usize::try_from(position - base).ok()?)
                        .cloned()
                }
            })
            .collect()
    };
    let end = i64::try_from(offset + results.len() as u64).unwrap_or(i64::MAX) - 1;
    http::json(
        StatusCode::OK,
        &json!({ "results": results, "startIndex": offset, "endIndex": end }),
    )
}

//! REST JSON under `/v1`: the same answers as the CLI's `--json`, one module per subject.
//!
//! Identifiers in the path are parsed here and answered 400 with the reason when malformed;
//! person numbers are accepted only in a `POST` body, never in a path or query.

pub mod organisation;
pub mod party;
pub mod person;
pub mod personnel;
pub mod search;
pub mod status;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use grunndata_sync::core::id::HprNumber;
use grunndata_sync::registry::{Caller, Registry};
use serde::Serialize;

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;

/// `value` as a JSON response with `status`.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    body_response(status, value, "application/json")
}

/// `value` serialised as JSON with `status` and `content_type`.
pub fn body_response(
    status: StatusCode,
    value: &impl Serialize,
    content_type: &'static str,
) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(error) => {
            tracing::error!(error = %grunndata_sync::error_chain(&error), "serialising a response failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The registry view for one request: recorded as the token's caller, as of `at` if given.
pub fn view(state: &AppState, principal: &Principal, at: Option<NaiveDate>) -> Registry {
    let registry = state.registry().for_caller(Caller::new(principal.actor()));
    match at {
        Some(day) => registry.as_of(day),
        None => registry,
    }
}

/// The day asked about: `at`, else today (UTC, as the mirror's days are).
pub fn day(at: Option<NaiveDate>) -> NaiveDate {
    at.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// An HPR number from a path; a person number is refused (it belongs in a `POST` body).
pub fn hpr(text: &str) -> Result<HprNumber, ApiError> {
    if text.chars().filter(char::is_ascii_digit).count() == 11 {
        return Err(ApiError::BadRequest(
            "person numbers are not accepted in a URL: POST them (/v1/personnel/lookup)".to_owned(),
        ));
    }
    text.parse()
        .map_err(|error| ApiError::BadRequest(format!("invalid HPR number: {error}")))
}

/// The 404 answer of a lookup: `{"found": false}`.
pub fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({ "found": false }),
    )
}

/// A person's purpose from a body: required, not blank.
pub fn purpose(purpose: Option<&str>) -> Result<String, ApiError> {
    match purpose.map(str::trim) {
        Some(purpose) if !purpose.is_empty() => Ok(purpose.to_owned()),
        _ => Err(ApiError::BadRequest(
            "`purpose` is required for person lookups: no purpose, no person data".to_owned(),
        )),
    }
}

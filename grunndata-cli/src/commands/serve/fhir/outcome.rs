//! `OperationOutcome`: how every FHIR error is answered.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::FHIR_JSON;
use crate::commands::serve::error::ApiError;
use crate::commands::serve::rest::body_response;

/// An [`ApiError`] answered as an `OperationOutcome`.
#[allow(
    dead_code,
    reason = "the FHIR resource handlers return it (next change)"
)]
#[derive(Debug)]
pub struct Outcome(pub ApiError);

impl From<ApiError> for Outcome {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<grunndata_sync::registry::RegistryError> for Outcome {
    fn from(error: grunndata_sync::registry::RegistryError) -> Self {
        Self(ApiError::from(error))
    }
}

/// The result of a FHIR handler.
#[allow(
    dead_code,
    reason = "the FHIR resource handlers return it (next change)"
)]
pub type FhirResult<T> = Result<T, Outcome>;

/// An `OperationOutcome` with one issue.
pub fn operation_outcome(status: StatusCode, code: &str, diagnostics: &str) -> Response {
    body_response(
        status,
        &json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": if status.is_server_error() { "fatal" } else { "error" },
                "code": code,
                "diagnostics": diagnostics,
            }]
        }),
        FHIR_JSON,
    )
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let code = match status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::PAYLOAD_TOO_LARGE => "too-costly",
            StatusCode::SERVICE_UNAVAILABLE => "transient",
            _ => "invalid",
        };
        operation_outcome(status, code, &self.0.reason())
    }
}

/// Anything under `/fhir` the server does not support.
pub async fn unknown_route() -> Response {
    operation_outcome(
        StatusCode::NOT_FOUND,
        "not-supported",
        "this interaction or resource type is not supported; see /fhir/metadata",
    )
}

/// A method the route does not support (FHIR here is read-only).
pub async fn method_not_allowed() -> Response {
    operation_outcome(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        "this server is read-only; see /fhir/metadata for the supported interactions",
    )
}

//! What a handler can fail with, and the one place failures become responses.
//!
//! REST answers `{"error": "<reason>"}`; FHIR routes wrap the same error in
//! [`fhir::Outcome`](super::fhir::outcome) and answer an `OperationOutcome`. A reason never
//! repeats an identifier that failed validation (it may be a NIN), and mirror failures are
//! logged, not shown.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use grunndata_sync::registry::RegistryError;
use grunndata_sync::store::StoreError;

use super::rest::json_response;

/// Why a request could not be answered.
#[derive(Debug)]
pub enum ApiError {
    /// Malformed input, with the reason (never echoing a person number).
    BadRequest(String),
    /// No such record.
    NotFound(String),
    /// The body is larger than allowed.
    TooLarge,
    /// The body is not JSON (`Content-Type`).
    UnsupportedMediaType,
    /// The mirror could not answer (read or audit failed): retry.
    Unavailable(RegistryError),
    /// The mirror's history could not be read: retry.
    History(StoreError),
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(error) => match error {
                RegistryError::PurposeRequired { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            },
            Self::History(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The reason shown to the caller (mirror failures only in the log).
    pub fn reason(&self) -> String {
        match self {
            Self::BadRequest(reason) | Self::NotFound(reason) => reason.clone(),
            Self::TooLarge => "the request body is too large".to_owned(),
            Self::UnsupportedMediaType => "the request body must be application/json".to_owned(),
            Self::Unavailable(RegistryError::PurposeRequired { .. }) => {
                "a purpose is required for person lookups: no purpose, no person data".to_owned()
            }
            Self::Unavailable(error) => {
                tracing::error!(error = %grunndata_sync::error_chain(&error), "the mirror could not answer");
                "the mirror could not answer; retry later".to_owned()
            }
            Self::History(error) => {
                tracing::error!(error = %grunndata_sync::error_chain(&error), "the mirror's history could not be read");
                "the mirror could not answer; retry later".to_owned()
            }
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        Self::Unavailable(error)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            // serde's reason names the field, never echoes the value.
            _ => Self::BadRequest(rejection.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(
            self.status(),
            &serde_json::json!({ "error": self.reason() }),
        )
    }
}

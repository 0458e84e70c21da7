//! `GET /v1/organisations/{orgnr}`: a Brreg unit with parent and sub-units.

use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use grunndata_sync::core::id::OrgNumber;

use super::{json_response, not_found, view};
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::{ApiError, ApiResult};
use crate::commands::serve::state::AppState;

/// `GET /v1/organisations/{orgnr}` (as `grunndata org --json`).
pub async fn by_orgnr(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(text) = path?;
    let orgnr: OrgNumber = text
        .parse()
        .map_err(|error| ApiError::BadRequest(format!("invalid organisasjonsnummer: {error}")))?;
    let registry = view(&state, &principal, None);
    Ok(match registry.organisation(&orgnr).await? {
        Some(view) => json_response(
            StatusCode::OK,
            &serde_json::json!({ "found": true, "organisation": view }),
        ),
        None => not_found(),
    })
}

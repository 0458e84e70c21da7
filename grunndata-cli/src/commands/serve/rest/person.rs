//! `POST /v1/persons/lookup` `{"nin", "purpose", "at"}`: a tracked person, audited with the
//! token's caller and the purpose. No purpose, no person data.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use grunndata_sync::registry::PersonAnswer;

use super::body_response;
use super::personnel::NinBody;
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::ApiResult;
use crate::commands::serve::state::AppState;

/// `POST /v1/persons/lookup` (as `grunndata person NIN --json`): 200 when found, 404 with
/// `{"answer": "not_tracked" | "not_fetched"}` otherwise.
pub async fn lookup(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<NinBody>, JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let (nin, registry) = body.audited(&state, &principal)?;
    let answer = registry.person(&nin).await?;
    let status = match answer {
        PersonAnswer::Found(_) => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    };
    Ok(body_response(status, &answer, "application/json"))
}

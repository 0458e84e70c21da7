//! `GET /v1/status`: per mirrored register, the sync state (offline: no upstream is asked).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::json_response;
use crate::commands::serve::error::ApiResult;
use crate::commands::serve::state::AppState;

/// `GET /v1/status`.
pub async fn status(State(state): State<AppState>) -> ApiResult<Response> {
    let states = match state.sync_state_store().sync_states().await {
        Ok(states) => states,
        Err(error) => {
            tracing::error!(error = %grunndata_sync::error_chain(&error), "status: the mirror cannot be read");
            return Ok(json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "error": "the mirror cannot be read" }),
            ));
        }
    };
    let now = Utc::now();
    let registers: Vec<serde_json::Value> = state
        .registers()
        .iter()
        .map(|(register, bound)| {
            let sync = states.iter().find(|sync| sync.register == *register);
            serde_json::json!({
                "register": register,
                "last_success_at": sync.and_then(|s| s.last_success_at),
                "last_batch_at": sync.and_then(|s| s.last_batch_at),
                "last_error_at": sync.and_then(|s| s.last_error_at),
                "last_error": sync.and_then(|s| s.last_error.clone()),
                "sequence_gaps": sync.map_or(0, |s| s.sequence_gaps),
                "stale": sync.is_none_or(|s| s.is_stale(*bound, now)),
                "stale_after_seconds": bound.as_secs(),
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({
            "stale": registers.iter().any(|r| r["stale"] == true),
            "registers": registers,
        }),
    ))
}

//! `/health/live` and `/health/ready`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;

use super::rest::json_response;
use super::state::AppState;

/// `GET /health/live`: the process answers.
pub async fn live() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "status": "live" }))
}

/// One register in the readiness answer.
#[derive(Debug, Serialize)]
struct RegisterReadiness {
    register: String,
    stale: bool,
    stale_after_seconds: u64,
    last_success_at: Option<chrono::DateTime<Utc>>,
}

/// `GET /health/ready`: 200 when the mirror can be read and every mirrored register synced
/// within its staleness bound, else 503 naming what is not.
pub async fn ready(State(state): State<AppState>) -> Response {
    let states = match state.sync_state_store().sync_states().await {
        Ok(states) => states,
        Err(error) => {
            tracing::error!(error = %grunndata_sync::error_chain(&error), "readiness: the mirror cannot be read");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "ready": false, "reason": "the mirror cannot be read" }),
            );
        }
    };
    let now = Utc::now();
    let registers: Vec<RegisterReadiness> = state
        .registers()
        .iter()
        .map(|(register, bound)| {
            let sync = states.iter().find(|sync| sync.register == *register);
            RegisterReadiness {
                register: register.to_string(),
                stale: sync.is_none_or(|sync| sync.is_stale(*bound, now)),
                stale_after_seconds: bound.as_secs(),
                last_success_at: sync.and_then(|sync| sync.last_success_at),
            }
        })
        .collect();
    let ready = registers.iter().all(|register| !register.stale);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(
        status,
        &serde_json::json!({ "ready": ready, "registers": registers }),
    )
}

//! `GET /v1/search?q=&register=&limit=`: names in Brreg, AR and HPR. Persons are not
//! searchable here (a PREG search is a personal-data lookup).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use grunndata_sync::store::Register;
use serde::Deserialize;

use super::{json_response, view};
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::{ApiError, ApiResult};
use crate::commands::serve::state::AppState;

/// Hits per register unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 20;
/// The most hits per register one request may ask for.
pub const MAX_LIMIT: u32 = 200;

/// The query of `/v1/search`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The name or its beginning.
    pub q: String,
    /// `brreg`, `ar` or `hpr`; default all three.
    pub register: Option<String>,
    /// Hits per register, 1–200.
    pub limit: Option<u32>,
}

/// `GET /v1/search` (as `grunndata search --json`, as one array).
pub async fn search(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query?;
    search_text("q", &query.q)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "`limit` must be 1–{MAX_LIMIT}"
        )));
    }
    let registers = match query.register.as_deref() {
        None => vec![Register::Brreg, Register::Ar, Register::Hpr],
        Some("brreg") => vec![Register::Brreg],
        Some("ar") => vec![Register::Ar],
        Some("hpr") => vec![Register::Hpr],
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`register` must be brreg, ar or hpr".to_owned(),
            ));
        }
    };
    let registry = view(&state, &principal, None);
    let mut hits = Vec::new();
    for register in registers {
        hits.extend(registry.search(register, &query.q, limit).await?);
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "hits": hits }),
    ))
}

/// A name search's text: it needs at least one letter or digit (a word to match).
pub fn search_text(parameter: &str, text: &str) -> Result<(), ApiError> {
    if text.chars().any(char::is_alphanumeric) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "`{parameter}` is empty: it needs at least one letter or digit"
        )))
    }
}

//! `GET /v1/parties/{her_id}?tree=`: an AR communication party with parent, children,
//! addresses, and with `tree=true` the whole tree below it.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use grunndata_sync::core::id::HerId;
use serde::Deserialize;

use super::{json_response, not_found, view};
use crate::commands::her::{Node, subtree};
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::{ApiError, ApiResult};
use crate::commands::serve::state::AppState;

/// `?tree=true|false`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeQuery {
    /// Include the whole tree below the party.
    #[serde(default)]
    pub tree: bool,
}

/// `GET /v1/parties/{her_id}` (as `grunndata her --json [--tree]`).
pub async fn by_her_id(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<TreeQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path(text) = path?;
    let Query(query) = query?;
    let her_id: HerId = text
        .parse()
        .map_err(|error| ApiError::BadRequest(format!("invalid HER-id: {error}")))?;
    let registry = view(&state, &principal, None);
    let Some(party) = registry.communication_party(her_id).await? else {
        return Ok(not_found());
    };
    let tree = if query.tree {
        let mut seen = HashSet::from([her_id]);
        Some(Node {
            party: Arc::clone(&party.party),
            children: subtree(&registry, &party, &mut seen, 1).await?,
        })
    } else {
        None
    };
    let mut answer = serde_json::json!({ "found": true, "party": party });
    if let Some(tree) = tree {
        answer["tree"] = serde_json::to_value(tree).unwrap_or_default();
    }
    Ok(json_response(StatusCode::OK, &answer))
}

//! FHIR R4 under `/fhir` (`application/fhir+json`), HL7 Norway no-basis profiles: one module
//! per resource type, `params` for search-parameter parsing, `bundle` for search and history
//! bundles with paging links, `outcome` for errors, `metadata` for the CapabilityStatement.
//!
//! | resource | from | id |
//! |---|---|---|
//! | Practitioner | HPR | HPR number |
//! | PractitionerRole | AR person party | `her-<HER-id>` |
//! | Organization | Brreg unit / AR organisation or service party | `enh-<orgnr>` / `her-<HER-id>` |
//! | Endpoint | AR EDI / AMQP address | `her-<HER-id>-edi` / `-amqp` |
//! | Patient | PREG, tracked persons only | the opaque person id (search by `POST` only) |

pub mod bundle;
pub mod endpoint;
pub mod metadata;
pub mod organization;
pub mod outcome;
pub mod params;
pub mod patient;
pub mod practitioner;
pub mod practitioner_role;
pub mod resource;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use grunndata_sync::registry::Found;
use grunndata_sync::store::PublicRecord;
use serde_json::Value;

use super::auth::{self, Scope};
use super::error::ApiError;
use super::rest::body_response;
use super::state::AppState;
use outcome::{FhirResult, Outcome};

/// The FHIR media type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The `/fhir` routes, each behind its scope.
pub fn router(state: &AppState) -> Router<AppState> {
    let guard = |handler: MethodRouter<AppState>, scope: Scope| {
        handler.layer(middleware::from_fn_with_state(
            (state.clone(), scope),
            auth::require,
        ))
    };
    let lookup = |handler| guard(handler, Scope::Lookup);
    Router::new()
        .route(
            "/metadata",
            guard(get(metadata::capability_statement), Scope::Public),
        )
        .route("/Practitioner", lookup(get(practitioner::search)))
        .route("/Practitioner/{id}", lookup(get(practitioner::read)))
        .route(
            "/Practitioner/{id}/_history",
            lookup(get(practitioner::history)),
        )
        .route(
            "/Practitioner/{id}/_history/{vid}",
            lookup(get(practitioner::vread)),
        )
        .route("/Organization", lookup(get(organization::search)))
        .route("/Organization/{id}", lookup(get(organization::read)))
        .route(
            "/Organization/{id}/_history",
            lookup(get(organization::history)),
        )
        .route(
            "/Organization/{id}/_history/{vid}",
            lookup(get(organization::vread)),
        )
        .route("/PractitionerRole", lookup(get(practitioner_role::search)))
        .route(
            "/PractitionerRole/{id}",
            lookup(get(practitioner_role::read)),
        )
        .route(
            "/PractitionerRole/{id}/_history",
            lookup(get(practitioner_role::history)),
        )
        .route(
            "/PractitionerRole/{id}/_history/{vid}",
            lookup(get(practitioner_role::vread)),
        )
        .route("/Endpoint/{id}", lookup(get(endpoint::read)))
        .route("/Patient", lookup(get(patient::refuse_get)))
        .route(
            "/Patient/_search",
            guard(post(patient::search), Scope::Person),
        )
        .fallback(outcome::unknown_route)
        .method_not_allowed_fallback(outcome::method_not_allowed)
}

/// `resource` as a 200 `application/fhir+json` response.
pub fn fhir_response(resource: &Value) -> Response {
    body_response(StatusCode::OK, resource, FHIR_JSON)
}

/// The 404 of a read.
pub fn not_found(resource: &str, id: &str) -> Outcome {
    Outcome(ApiError::NotFound(format!(
        "{resource}/{id} is not in the mirror"
    )))
}

/// `vread`: the version `version` of the record `key`, mapped by `map`.
pub async fn vread_of<R: PublicRecord>(
    state: &AppState,
    key: &R::Key,
    resource: &str,
    id: &str,
    version: &str,
    map: fn(&Found<R>) -> Value,
) -> FhirResult<Response> {
    let versions = state.history::<R>(key).await.map_err(ApiError::History)?;
    versions
        .iter()
        .find(|found| resource::version_id(found.valid_from) == version)
        .map(|found| fhir_response(&map(found)))
        .ok_or_else(|| {
            Outcome(ApiError::NotFound(format!(
                "{resource}/{id} has no version {version}"
            )))
        })
}

/// Instance `_history`: every version of the record `key`, newest first.
pub async fn history_of<R: PublicRecord>(
    state: &AppState,
    headers: &HeaderMap,
    key: &R::Key,
    resource: &str,
    id: &str,
    map: fn(&Found<R>) -> Value,
) -> FhirResult<Response> {
    let versions = state.history::<R>(key).await.map_err(ApiError::History)?;
    if versions.is_empty() {
        return Err(not_found(resource, id));
    }
    let resources = versions.iter().map(map).collect();
    Ok(fhir_response(&bundle::history(
        &bundle::base(headers),
        resources,
    )))
}

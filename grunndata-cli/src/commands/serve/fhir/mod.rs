//! FHIR R4 under `/fhir` (`application/fhir+json`), HL7 Norway no-basis profiles.

pub mod outcome;

use axum::Router;

use super::state::AppState;

/// The FHIR media type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The `/fhir` routes.
pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new().fallback(outcome::unknown_route)
}

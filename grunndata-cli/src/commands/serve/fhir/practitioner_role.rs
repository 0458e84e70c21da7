//! `PractitionerRole` (no-basis-PractitionerRole) for an AR person party (`her-<HER-id>`):
//! the HER identifier, `practitioner` by HPR number, `organization` the parent party, and
//! the party's EDI/AMQP `endpoint`s (which `_include` can bring along).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use grunndata_sync::core::id::{HerId, fhir as systems};
use grunndata_sync::core::model::{CommunicationParty, PartyType};
use grunndata_sync::registry::{Found, Registry};
use serde_json::{Value, json};

use super::bundle::{self, base};
use super::organization::{OrgId, updated};
use super::outcome::{FhirResult, Outcome};
use super::params::{Search, reference_id, token};
use super::practitioner::intersect;
use super::resource::{identifier, meta, reference};
use super::{endpoint, fhir_response, history_of, not_found, organization, practitioner, vread_of};
use crate::commands::serve::error::ApiError;
use crate::commands::serve::state::AppState;

/// The search parameters of PractitionerRole.
pub const SEARCH: &[&str] = &["identifier", "practitioner", "organization", "_id"];
/// The `_include` values supported.
pub const INCLUDES: &[&str] = &[
    "PractitionerRole:practitioner",
    "PractitionerRole:organization",
    "PractitionerRole:endpoint",
];

/// The resource for an AR person party.
pub fn resource(found: &Found<CommunicationParty>) -> Value {
    let party = &found.record;
    let mut role = json!({
        "resourceType": "PractitionerRole",
        "id": format!("her-{}", party.her_id),
        "meta": meta("PractitionerRole", found),
        "identifier": [identifier(systems::HER, party.her_id)],
        "active": party.validity().contains(Utc::now().date_naive()),
    });
    if let Some(hpr) = party.hpr_number.as_ref().and_then(|hpr| hpr.valid()) {
        role["practitioner"] = reference("Practitioner", &hpr.to_string());
    }
    if let Some(parent) = &party.parent {
        role["organization"] = reference("Organization", &OrgId::Her(parent.her_id).text());
    }
    let endpoints = endpoint::references(party);
    if !endpoints.is_empty() {
        role["endpoint"] = json!(endpoints);
    }
    role
}

fn parse_id(id: &str) -> Result<HerId, ApiError> {
    id.strip_prefix("her-")
        .ok_or_else(|| {
            ApiError::BadRequest("invalid PractitionerRole id: expected her-<HER-id>".to_owned())
        })?
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("invalid PractitionerRole id: {e}")))
}

/// The person party with `her`, if the mirror holds it.
async fn find(
    registry: &Registry,
    her: HerId,
) -> Result<Option<std::sync::Arc<Found<CommunicationParty>>>, Outcome> {
    Ok(registry
        .communication_party(her)
        .await?
        .map(|view| view.party)
        .filter(|party| party.record.kind == PartyType::Person))
}

/// `GET /fhir/PractitionerRole/{id}`.
pub async fn read(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    match find(state.registry(), parse_id(&id)?).await? {
        Some(found) => Ok(fhir_response(&resource(&found))),
        None => Err(not_found("PractitionerRole", &id)),
    }
}

/// `GET /fhir/PractitionerRole/{id}/_history/{vid}`.
pub async fn vread(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> FhirResult<Response> {
    let Path((id, version)) = path.map_err(ApiError::from)?;
    let her = parse_id(&id)?;
    vread_of::<CommunicationParty>(&state, &her, "PractitionerRole", &id, &version, resource).await
}

/// `GET /fhir/PractitionerRole/{id}/_history`.
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    let her = parse_id(&id)?;
    history_of::<CommunicationParty>(&state, &headers, &her, "PractitionerRole", &id, resource)
        .await
}

/// `GET /fhir/PractitionerRole?identifier=|practitioner=|organization=|_id=&_include=`.
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> FhirResult<Response> {
    let Query(pairs) = query.map_err(ApiError::from)?;
    let search = Search::parse(pairs, SEARCH)?;
    if let Some(unknown) = search
        .include
        .iter()
        .find(|value| !INCLUDES.contains(&value.as_str()))
    {
        return Err(ApiError::BadRequest(format!(
            "unsupported _include `{unknown}`; supported: {}",
            INCLUDES.join(", ")
        ))
        .into());
    }
    let registry = state.registry();
    let mut keys: Option<Vec<HerId>> = None;
    for value in search.values("identifier") {
        let (system, value) = token(value);
        if !matches!(system, None | Some(systems::HER)) {
            return Err(ApiError::BadRequest(format!(
                "PractitionerRole identifiers are searchable by {} only",
                systems::HER
            ))
            .into());
        }
        intersect(
            &mut keys,
            vec![
                value
                    .parse()
                    .map_err(|e| ApiError::BadRequest(format!("invalid HER-id: {e}")))?,
            ],
        );
    }
    for value in search.values("_id") {
        intersect(&mut keys, vec![parse_id(value)?]);
    }
    for value in search.values("practitioner") {
        let hpr = practitioner::parse_id(reference_id(value, "Practitioner")?)?;
        let parties = registry.parties_of_personnel(hpr).await?;
        intersect(
            &mut keys,
            parties.iter().map(|party| party.record.her_id).collect(),
        );
    }
    for value in search.values("organization") {
        let her = match OrgId::parse(reference_id(value, "Organization")?)? {
            OrgId::Her(her) => her,
            OrgId::Enh(_) => {
                return Err(ApiError::BadRequest(
                    "roles belong to AR parties: give Organization/her-<HER-id>".to_owned(),
                )
                .into());
            }
        };
        let children = registry
            .communication_party(her)
            .await?
            .map(|view| {
                view.children
                    .iter()
                    .map(|child| child.record.her_id)
                    .collect()
            })
            .unwrap_or_default();
        intersect(&mut keys, children);
    }
    let Some(keys) = keys else {
        return Err(ApiError::BadRequest(
            "give identifier, _id, practitioner or organization".to_owned(),
        )
        .into());
    };
    let mut matches = Vec::new();
    let mut parties = Vec::new();
    for her in keys {
        if let Some(found) = find(registry, her).await? {
            let role = resource(&found);
            if updated(&search, &role) {
                matches.push(role);
                parties.push(found);
            }
        }
    }
    let page: Vec<_> = parties
        .iter()
        .skip(search.offset)
        .take(search.count)
        .collect();
    let included = includes(registry, &search, &page).await?;
    let base = base(&headers);
    Ok(fhir_response(&bundle::searchset(
        &base,
        "PractitionerRole",
        &search,
        &matches,
        &included,
    )))
}

/// The resources `_include` asks for, for the roles on the page, each once.
async fn includes(
    registry: &Registry,
    search: &Search,
    page: &[&std::sync::Arc<Found<CommunicationParty>>],
) -> Result<Vec<Value>, Outcome> {
    let mut included: Vec<Value> = Vec::new();
    let push = |resource: Value, included: &mut Vec<Value>| {
        if !included.iter().any(|seen| {
            seen["resourceType"] == resource["resourceType"] && seen["id"] == resource["id"]
        }) {
            included.push(resource);
        }
    };
    for include in &search.include {
        for party in page {
            match include.as_str() {
                "PractitionerRole:practitioner" => {
                    if let Some(hpr) = party.record.hpr_number.as_ref().and_then(|hpr| hpr.valid())
                        && let Some(found) = registry.personnel(*hpr).await?
                    {
                        push(practitioner::resource(&found), &mut included);
                    }
                }
                "PractitionerRole:organization" => {
                    if let Some(parent) = &party.record.parent
                        && let Some(resource) =
                            organization::find(registry, OrgId::Her(parent.her_id)).await?
                    {
                        push(resource, &mut included);
                    }
                }
                _ => {
                    for kind in endpoint::kinds(&party.record) {
                        if let Some(resource) = endpoint::resource(party, kind) {
                            push(resource, &mut included);
                        }
                    }
                }
            }
        }
    }
    Ok(included)
}

//! `Organization` (no-basis-Organization) from two registers: a Brreg unit (`enh-<orgnr>`,
//! the ENH identifier, `partOf` its parent unit) and an AR organisation or service party
//! (`her-<HER-id>`, the HER identifier only — HL7 Norway keeps the HER-id on the
//! communication party, not the legal unit — `partOf` its parent party, or the Brreg unit
//! when it has none, and its EDI/AMQP `endpoint`s).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use grunndata_sync::core::id::{HerId, OrgNumber, fhir as systems};
use grunndata_sync::core::model::{CommunicationParty, OrgAddress, Organisation, PartyType};
use grunndata_sync::registry::{Found, Registry};
use grunndata_sync::store::Register;
use serde_json::{Value, json};

use super::bundle::{self, base};
use super::endpoint;
use super::outcome::{FhirResult, Outcome};
use super::params::{Search, reference_id, token};
use super::practitioner::{intersect, limit};
use super::resource::{coding, identifier, meta, put, reference};
use super::{fhir_response, history_of, not_found, vread_of};
use crate::commands::serve::error::ApiError;
use crate::commands::serve::state::AppState;

/// The search parameters of Organization.
pub const SEARCH: &[&str] = &["identifier", "name", "partof", "_id"];

/// An Organization's id: a Brreg unit or an AR party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgId {
    /// `enh-<orgnr>`.
    Enh(OrgNumber),
    /// `her-<HER-id>`.
    Her(HerId),
}

impl OrgId {
    /// Parses `enh-…` / `her-…`.
    pub fn parse(id: &str) -> Result<Self, ApiError> {
        let invalid =
            |reason: String| ApiError::BadRequest(format!("invalid Organization id: {reason}"));
        if let Some(orgnr) = id.strip_prefix("enh-") {
            return orgnr
                .parse()
                .map(Self::Enh)
                .map_err(|e| invalid(e.to_string()));
        }
        if let Some(her) = id.strip_prefix("her-") {
            return her
                .parse()
                .map(Self::Her)
                .map_err(|e| invalid(e.to_string()));
        }
        Err(invalid(
            "expected enh-<organisasjonsnummer> or her-<HER-id>".to_owned(),
        ))
    }

    /// The id text.
    pub fn text(self) -> String {
        match self {
            Self::Enh(orgnr) => format!("enh-{orgnr}"),
            Self::Her(her) => format!("her-{her}"),
        }
    }
}

/// Whether an AR party is served as an Organization (organisations and services).
pub fn is_organization(party: &CommunicationParty) -> bool {
    matches!(party.kind, PartyType::Organisation | PartyType::Service)
}

/// The Organization for a Brreg unit.
pub fn from_unit(found: &Found<Organisation>) -> Value {
    let unit = &found.record;
    let mut organization = json!({
        "resourceType": "Organization",
        "id": OrgId::Enh(unit.org_number).text(),
        "meta": meta("Organization", found),
        "identifier": [identifier(systems::ENH, unit.org_number)],
        "active": unit.is_operating(Utc::now().date_naive()),
    });
    put(
        &mut organization,
        "name",
        unit.name.clone().map(Value::from),
    );
    if let Some(parent) = unit.parent.as_ref().and_then(|parent| parent.valid()) {
        organization["partOf"] = reference("Organization", &OrgId::Enh(*parent).text());
    }
    let addresses: Vec<Value> = [
        (unit.visiting_address(), "physical"),
        (unit.postal_address.as_ref(), "postal"),
    ]
    .into_iter()
    .filter_map(|(address, kind)| address.map(|address| org_address(address, kind)))
    .collect();
    if !addresses.is_empty() {
        organization["address"] = json!(addresses);
    }
    organization
}

fn org_address(address: &OrgAddress, kind: &str) -> Value {
    let mut value = json!({ "use": "work", "type": kind });
    if !address.lines.is_empty() {
        value["line"] = json!(address.lines);
    }
    put(
        &mut value,
        "postalCode",
        address.postal_code.clone().map(Value::from),
    );
    put(&mut value, "city", address.city.clone().map(Value::from));
    put(
        &mut value,
        "district",
        address.municipality.clone().map(Value::from),
    );
    put(
        &mut value,
        "country",
        address.country_code.clone().map(Value::from),
    );
    value
}

/// The Organization for an AR organisation or service party.
pub fn from_party(found: &Found<CommunicationParty>) -> Value {
    let party = &found.record;
    let today = Utc::now().date_naive();
    let mut organization = json!({
        "resourceType": "Organization",
        "id": OrgId::Her(party.her_id).text(),
        "meta": meta("Organization", found),
        "identifier": [identifier(systems::HER, party.her_id)],
        "active": party.validity().contains(today),
    });
    put(
        &mut organization,
        "name",
        party.name.clone().map(Value::from),
    );
    let types: Vec<Value> = [&party.business_type, &party.service_type]
        .into_iter()
        .flatten()
        .filter_map(coding)
        .map(|coding| json!({ "coding": [coding] }))
        .collect();
    if !types.is_empty() {
        organization["type"] = json!(types);
    }
    if let Some(parent) = &party.parent {
        organization["partOf"] = reference("Organization", &OrgId::Her(parent.her_id).text());
    } else if let Some(orgnr) = party.org_number.as_ref().and_then(|orgnr| orgnr.valid()) {
        organization["partOf"] = reference("Organization", &OrgId::Enh(*orgnr).text());
    }
    let endpoints = endpoint::references(party);
    if !endpoints.is_empty() {
        organization["endpoint"] = json!(endpoints);
    }
    organization
}

/// The Organization with `id`, if the mirror holds it.
pub async fn find(registry: &Registry, id: OrgId) -> Result<Option<Value>, Outcome> {
    Ok(match id {
        OrgId::Enh(orgnr) => registry
            .organisation(&orgnr)
            .await?
            .map(|view| from_unit(&view.unit)),
        OrgId::Her(her) => registry
            .communication_party(her)
            .await?
            .filter(|view| is_organization(&view.party.record))
            .map(|view| from_party(&view.party)),
    })
}

/// `GET /fhir/Organization/{id}`.
pub async fn read(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    match find(state.registry(), OrgId::parse(&id)?).await? {
        Some(resource) => Ok(fhir_response(&resource)),
        None => Err(not_found("Organization", &id)),
    }
}

/// `GET /fhir/Organization/{id}/_history/{vid}`.
pub async fn vread(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> FhirResult<Response> {
    let Path((id, version)) = path.map_err(ApiError::from)?;
    match OrgId::parse(&id)? {
        OrgId::Enh(orgnr) => {
            vread_of::<Organisation>(&state, &orgnr, "Organization", &id, &version, from_unit).await
        }
        OrgId::Her(her) => {
            vread_of::<CommunicationParty>(&state, &her, "Organization", &id, &version, from_party)
                .await
        }
    }
}

/// `GET /fhir/Organization/{id}/_history`.
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    match OrgId::parse(&id)? {
        OrgId::Enh(orgnr) => {
            history_of::<Organisation>(&state, &headers, &orgnr, "Organization", &id, from_unit)
                .await
        }
        OrgId::Her(her) => {
            history_of::<CommunicationParty>(
                &state,
                &headers,
                &her,
                "Organization",
                &id,
                from_party,
            )
            .await
        }
    }
}

/// `GET /fhir/Organization?identifier=|name=|partof=|_id=`.
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> FhirResult<Response> {
    let Query(pairs) = query.map_err(ApiError::from)?;
    let search = Search::parse(pairs, SEARCH)?;
    if !search.include.is_empty() {
        return Err(ApiError::BadRequest("Organization supports no _include".to_owned()).into());
    }
    let registry = state.registry();
    let mut keys: Option<Vec<OrgId>> = None;
    for value in search.values("identifier") {
        let id =
            match token(value) {
                (Some(systems::ENH), value) => OrgId::Enh(value.parse().map_err(|e| {
                    ApiError::BadRequest(format!("invalid organisasjonsnummer: {e}"))
                })?),
                (Some(systems::HER), value) => OrgId::Her(
                    value
                        .parse()
                        .map_err(|e| ApiError::BadRequest(format!("invalid HER-id: {e}")))?,
                ),
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "Organization identifiers are searchable as {}|<orgnr> or {}|<HER-id>",
                        systems::ENH,
                        systems::HER
                    ))
                    .into());
                }
            };
        intersect(&mut keys, vec![id]);
    }
    for value in search.values("_id") {
        intersect(&mut keys, vec![OrgId::parse(value)?]);
    }
    for value in search.values("partof") {
        let parent = OrgId::parse(reference_id(value, "Organization")?)?;
        let children = match parent {
            OrgId::Enh(orgnr) => registry
                .organisation(&orgnr)
                .await?
                .map(|view| {
                    view.sub_units
                        .iter()
                        .map(|unit| OrgId::Enh(unit.record.org_number))
                        .collect()
                })
                .unwrap_or_default(),
            OrgId::Her(her) => registry
                .communication_party(her)
                .await?
                .map(|view| {
                    view.children
                        .iter()
                        .filter(|child| is_organization(&child.record))
                        .map(|child| OrgId::Her(child.record.her_id))
                        .collect()
                })
                .unwrap_or_default(),
        };
        intersect(&mut keys, children);
    }
    for value in search.values("name") {
        crate::commands::serve::rest::search::search_text("name", value)?;
        let mut found = Vec::new();
        for hit in registry.search(Register::Brreg, value, limit()).await? {
            if let Ok(orgnr) = hit.key.parse() {
                found.push(OrgId::Enh(orgnr));
            }
        }
        for hit in registry.search(Register::Ar, value, limit()).await? {
            if let Ok(her) = hit.key.parse() {
                found.push(OrgId::Her(her));
            }
        }
        intersect(&mut keys, found);
    }
    let Some(keys) = keys else {
        return Err(ApiError::BadRequest(
            "give identifier, _id, name or partof: the whole register is not listed".to_owned(),
        )
        .into());
    };
    let mut matches = Vec::new();
    for id in keys {
        if let Some(resource) = find(registry, id).await?
            && updated(&search, &resource)
        {
            matches.push(resource);
        }
    }
    let base = base(&headers);
    Ok(fhir_response(&bundle::searchset(
        &base,
        "Organization",
        &search,
        &matches,
        &[],
    )))
}

/// Whether a built resource's `meta.lastUpdated` passes the search's `_lastUpdated`.
pub fn updated(search: &Search, resource: &Value) -> bool {
    resource["meta"]["lastUpdated"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .is_none_or(|at| search.updated_matches(at.with_timezone(&Utc)))
}

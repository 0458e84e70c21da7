//! `Practitioner` (no-basis-Practitioner) from an HPR record: the HPR-nummer identifier, one
//! `qualification` per approval (9060 category + 7704 approval type, the approval's period),
//! specialities (7426) as further qualifications. The worker's NIN is not included: it is
//! personal data, and Practitioner is served under the lookup scope.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use grunndata_sync::core::codes::{Category, Code, CodeSystemId};
use grunndata_sync::core::id::{HprNumber, fhir as systems};
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::registry::Found;
use grunndata_sync::store::Register;
use serde_json::{Value, json};

use super::bundle::{self, base};
use super::outcome::FhirResult;
use super::params::{MAX_MATCHES, Search, token};
use super::resource::{coding, identifier, meta, period, put};
use super::{fhir_response, history_of, not_found, vread_of};
use crate::commands::serve::error::ApiError;
use crate::commands::serve::state::AppState;

/// The search parameters of Practitioner.
pub const SEARCH: &[&str] = &["identifier", "name", "_id"];

/// The resource for `found`.
pub fn resource(found: &Found<HealthPersonnel>) -> Value {
    let record = &found.record;
    let mut practitioner = json!({
        "resourceType": "Practitioner",
        "id": record.hpr_number.to_string(),
        "meta": meta("Practitioner", found),
        "identifier": [identifier(systems::HPR, record.hpr_number)],
        "active": record.death_date.is_none() && record.replaced_by.is_none(),
    });
    let mut name = json!({ "use": "official", "text": record.name.full() });
    put(
        &mut name,
        "family",
        record.name.family.clone().map(Value::from),
    );
    let given: Vec<&String> = [&record.name.given, &record.name.middle]
        .into_iter()
        .flatten()
        .collect();
    if !given.is_empty() {
        name["given"] = json!(given);
    }
    practitioner["name"] = json!([name]);
    put(
        &mut practitioner,
        "birthDate",
        record.birth_date.map(|d| json!(d.to_string())),
    );
    let mut qualifications = Vec::new();
    for approval in &record.approvals {
        let mut codings = vec![category_coding(&approval.category)];
        codings.extend(approval.authorisation.as_ref().and_then(coding));
        let mut qualification = json!({ "code": { "coding": codings } });
        put(&mut qualification, "period", period(approval.validity));
        qualifications.push(qualification);
        for speciality in &approval.specialities {
            if let Some(coding) = coding(&speciality.kind) {
                let mut qualification = json!({ "code": { "coding": [coding] } });
                put(&mut qualification, "period", period(speciality.validity));
                qualifications.push(qualification);
            }
        }
    }
    if !qualifications.is_empty() {
        practitioner["qualification"] = json!(qualifications);
    }
    practitioner
}

fn category_coding(category: &Category) -> Value {
    let code = Code::new(CodeSystemId::CATEGORY, category.code());
    let mut coding = coding(&code).unwrap_or_else(|| json!({ "code": category.code() }));
    if let Some(display) = category.display() {
        coding["display"] = json!(display);
    }
    coding
}

/// An HPR number from a resource id.
pub fn parse_id(id: &str) -> Result<HprNumber, ApiError> {
    id.parse().map_err(|error| {
        ApiError::BadRequest(format!("invalid Practitioner id (an HPR number): {error}"))
    })
}

/// `GET /fhir/Practitioner/{id}`.
pub async fn read(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    let hpr = parse_id(&id)?;
    match state.registry().personnel(hpr).await? {
        Some(found) => Ok(state.rendered().answer(
            format!("Practitioner/{hpr}"),
            &found,
            super::FHIR_JSON,
            || resource(&found),
        )),
        None => Err(not_found("Practitioner", &id)),
    }
}

/// `GET /fhir/Practitioner/{id}/_history/{vid}`.
pub async fn vread(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> FhirResult<Response> {
    let Path((id, version)) = path.map_err(ApiError::from)?;
    let hpr = parse_id(&id)?;
    vread_of::<HealthPersonnel>(&state, &hpr, "Practitioner", &id, &version, resource).await
}

/// `GET /fhir/Practitioner/{id}/_history`.
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    let hpr = parse_id(&id)?;
    history_of::<HealthPersonnel>(&state, &headers, &hpr, "Practitioner", &id, resource).await
}

/// `GET /fhir/Practitioner?identifier=|name=|_id=`.
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> FhirResult<Response> {
    let Query(pairs) = query.map_err(ApiError::from)?;
    let search = Search::parse(pairs, SEARCH)?;
    if !search.include.is_empty() {
        return Err(ApiError::BadRequest("Practitioner supports no _include".to_owned()).into());
    }
    let registry = state.registry();
    let mut keys: Option<Vec<HprNumber>> = None;
    for value in search.values("identifier") {
        let (system, value) = token(value);
        match system {
            Some(systems::HPR) | None => {}
            Some(systems::FNR | systems::DNR) => {
                return Err(ApiError::BadRequest(
                    "person numbers are not searchable in a URL; Practitioner by NIN is not served"
                        .to_owned(),
                )
                .into());
            }
            Some(_) => {
                return Err(ApiError::BadRequest(format!(
                    "Practitioner identifiers are searchable by {} only",
                    systems::HPR
                ))
                .into());
            }
        }
        intersect(&mut keys, vec![parse_id(value)?]);
    }
    for value in search.values("_id") {
        intersect(&mut keys, vec![parse_id(value)?]);
    }
    for value in search.values("name") {
        crate::commands::serve::rest::search::search_text("name", value)?;
        let hits = registry.search(Register::Hpr, value, limit()).await?;
        let found: Vec<HprNumber> = hits.iter().filter_map(|hit| hit.key.parse().ok()).collect();
        intersect(&mut keys, found);
    }
    let Some(keys) = keys else {
        return Err(ApiError::BadRequest(
            "give identifier, _id or name: the whole register is not listed".to_owned(),
        )
        .into());
    };
    let mut matches = Vec::new();
    for hpr in keys {
        if let Some(found) = registry.personnel(hpr).await?
            && search.updated_matches(found.valid_from)
        {
            matches.push(resource(&found));
        }
    }
    let base = base(&headers);
    Ok(fhir_response(&bundle::searchset(
        &base,
        "Practitioner",
        &search,
        &matches,
        &[],
    )))
}

/// The most hits a name search reads.
pub fn limit() -> u32 {
    u32::try_from(MAX_MATCHES).unwrap_or(u32::MAX)
}

/// Narrows `keys` to those also in `more` (the first constraint sets it), keeping order.
pub fn intersect<K: PartialEq>(keys: &mut Option<Vec<K>>, more: Vec<K>) {
    *keys = Some(match keys.take() {
        None => more,
        Some(keys) => keys.into_iter().filter(|key| more.contains(key)).collect(),
    });
}

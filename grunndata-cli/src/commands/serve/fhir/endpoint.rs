//! `Endpoint` (no-basis-Endpoint) for an AR party's addresses: `her-<HER-id>-edi` (ebXML
//! over e-mail, `mailto:`) and `her-<HER-id>-amqp` (the async queue).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;
use grunndata_sync::core::id::HerId;
use grunndata_sync::core::model::CommunicationParty;
use grunndata_sync::registry::{Found, Registry};
use serde_json::{Value, json};

use super::outcome::{FhirResult, Outcome};
use super::resource::{meta, reference};
use super::{fhir_response, not_found};
use crate::commands::serve::error::ApiError;
use crate::commands::serve::state::AppState;

/// The no-basis connection-type code system.
const CONNECTION_TYPES: &str = "http://hl7.no/fhir/CodeSystem/no-basis-connection-type";

/// The kinds of address an AR party has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ebXML over e-mail.
    Edi,
    /// AMQP (the async queue).
    Amqp,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Self::Edi => "edi",
            Self::Amqp => "amqp",
        }
    }
}

/// The id of `party`'s endpoint of `kind`.
pub fn id(her: HerId, kind: Kind) -> String {
    format!("her-{her}-{}", kind.suffix())
}

/// The kinds of address `party` has.
pub fn kinds(party: &CommunicationParty) -> Vec<Kind> {
    let mut kinds = Vec::new();
    if party.edi_address.is_some() {
        kinds.push(Kind::Edi);
    }
    if party
        .amqp_address
        .as_ref()
        .is_some_and(|amqp| amqp.async_queue.is_some())
    {
        kinds.push(Kind::Amqp);
    }
    kinds
}

/// References to `party`'s endpoints.
pub fn references(party: &CommunicationParty) -> Vec<Value> {
    kinds(party)
        .into_iter()
        .map(|kind| reference("Endpoint", &id(party.her_id, kind)))
        .collect()
}

/// The Endpoint of `kind` for `found`, if the party has that address.
pub fn resource(found: &Found<CommunicationParty>, kind: Kind) -> Option<Value> {
    let party = &found.record;
    let (code, address) = match kind {
        Kind::Edi => (
            "no-ebxml-2",
            format!("mailto:{}", party.edi_address.as_ref()?),
        ),
        Kind::Amqp => (
            "no-amqp",
            format!(
                "amqp:{}",
                party.amqp_address.as_ref()?.async_queue.as_ref()?
            ),
        ),
    };
    let active = party.validity().contains(Utc::now().date_naive());
    let mut endpoint = json!({
        "resourceType": "Endpoint",
        "id": id(party.her_id, kind),
        "meta": meta("Endpoint", found),
        "status": if active { "active" } else { "off" },
        "connectionType": { "system": CONNECTION_TYPES, "code": code },
        "payloadType": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type",
            "code": "any"
        }] }],
        "address": address,
    });
    if let Some(name) = &party.name {
        endpoint["name"] = json!(name);
    }
    Some(endpoint)
}

/// The Endpoint with `id`, if the mirror holds it.
pub async fn find(registry: &Registry, id: &str) -> Result<Option<Value>, Outcome> {
    let (her, kind) = parse_id(id)?;
    Ok(registry
        .communication_party(her)
        .await?
        .and_then(|view| resource(&view.party, kind)))
}

fn parse_id(id: &str) -> Result<(HerId, Kind), ApiError> {
    let invalid = || {
        ApiError::BadRequest(
            "invalid Endpoint id: expected her-<HER-id>-edi or her-<HER-id>-amqp".to_owned(),
        )
    };
    let rest = id.strip_prefix("her-").ok_or_else(invalid)?;
    let (her, kind) = rest.rsplit_once('-').ok_or_else(invalid)?;
    let kind = match kind {
        "edi" => Kind::Edi,
        "amqp" => Kind::Amqp,
        _ => return Err(invalid()),
    };
    let her = her
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("invalid Endpoint id: {e}")))?;
    Ok((her, kind))
}

/// `GET /fhir/Endpoint/{id}`.
pub async fn read(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> FhirResult<Response> {
    let Path(id) = path.map_err(ApiError::from)?;
    match find(state.registry(), &id).await? {
        Some(resource) => Ok(fhir_response(&resource)),
        None => Err(not_found("Endpoint", &id)),
    }
}

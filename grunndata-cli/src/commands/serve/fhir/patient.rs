//! `Patient` (no-basis-Patient) for a tracked person, searched only by `POST
//! /fhir/Patient/_search` with `identifier=<FNR|DNR system>|<number>` and `purpose=<text>` in
//! the form body — a person number never appears in a URL, a link or a log line. The lookup
//! is audited with the token's caller and the purpose; no purpose, no person data.
//!
//! Addresses of persons with address protection (fortrolig, strengt fortrolig) are never put
//! into a Patient: the resource is labelled `R` (restricted) and `REDACTED` in
//! `meta.security` instead. A FHIR client stores and forwards resources; the REST lookup
//! (`/v1/persons/lookup`) is where a caller with a purpose sees them, as in the CLI. (The
//! registry, asked with a purpose, audits the lookup as revealing them.)

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use grunndata_sync::core::id::{Gender, NationalId, fhir as systems};
use grunndata_sync::core::model::{AddressProtection, ContactAddress, ResidentialAddress};
use grunndata_sync::registry::{AddressAccess, Caller, PersonAnswer, PersonView};
use serde_json::{Value, json};

use super::bundle::base;
use super::fhir_response;
use super::outcome::{FhirResult, operation_outcome};
use super::params::token;
use super::resource::{instant, meta, period, put};
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::ApiError;
use crate::commands::serve::rest::purpose;
use crate::commands::serve::state::AppState;

const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const OBSERVATION_VALUE: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

/// The whole number of `nin`, for the one place it must be shown: a Patient's identifier
/// answered to a person-scope caller.
fn nin_text(nin: &NationalId) -> String {
    nin.expose()
}

/// The resource for a person as shown to the caller.
pub fn resource(view: &PersonView) -> Value {
    let found = &view.person;
    let person = &found.record;
    let mut patient = json!({
        "resourceType": "Patient",
        "id": person.id,
        "meta": meta("Patient", found),
    });
    let mut security = Vec::new();
    let protected = matches!(
        view.protection,
        AddressProtection::Confidential | AddressProtection::StrictlyConfidential
    );
    if protected {
        security.push(json!({ "system": CONFIDENTIALITY, "code": "R", "display": "restricted" }));
    }
    let withheld = protected || view.addresses == AddressAccess::Withheld;
    if withheld {
        security.push(
            json!({ "system": OBSERVATION_VALUE, "code": "REDACTED", "display": "redacted" }),
        );
    }
    if !security.is_empty() {
        patient["meta"]["security"] = json!(security);
    }
    let identifiers: Vec<Value> = person
        .identifiers
        .iter()
        .filter_map(|identifier| {
            let nin = identifier.number.valid()?;
            let mut value = json!({ "system": nin.fhir_system()?, "value": nin_text(nin) });
            put(&mut value, "period", period(identifier.validity));
            Some(value)
        })
        .collect();
    if !identifiers.is_empty() {
        patient["identifier"] = json!(identifiers);
    }
    if let Some(name) = &person.name {
        let mut value = json!({ "use": "official", "text": name.full() });
        put(&mut value, "family", name.family.clone().map(Value::from));
        let given: Vec<&String> = [&name.given, &name.middle].into_iter().flatten().collect();
        if !given.is_empty() {
            value["given"] = json!(given);
        }
        patient["name"] = json!([value]);
    }
    put(
        &mut patient,
        "gender",
        person.gender.map(|gender| {
            json!(match gender {
                Gender::Male => "male",
                Gender::Female => "female",
            })
        }),
    );
    put(
        &mut patient,
        "birthDate",
        person.birth_date.map(|d| json!(d.to_string())),
    );
    put(
        &mut patient,
        "deceasedDateTime",
        person.death_date.map(|d| json!(d.to_string())),
    );
    let addresses: Vec<Value> = if withheld {
        Vec::new()
    } else {
        person
            .residential_addresses
            .iter()
            .map(residential)
            .chain(person.postal_addresses.iter().map(postal))
            .collect()
    };
    if !addresses.is_empty() {
        patient["address"] = json!(addresses);
    }
    patient
}

fn residential(address: &ResidentialAddress) -> Value {
    let street = [
        &address.street_name,
        &address.house_number,
        &address.house_letter,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect::<Vec<_>>()
    .join(" ");
    let mut value = json!({ "use": "home", "type": "physical" });
    let lines: Vec<&str> = [
        address.co_name.as_deref(),
        Some(street.as_str()).filter(|s| !s.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !lines.is_empty() {
        value["line"] = json!(lines);
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
        address.municipality_name.clone().map(Value::from),
    );
    put(&mut value, "period", period(address.validity));
    value
}

fn postal(address: &ContactAddress) -> Value {
    let mut value = json!({ "use": "home", "type": "postal" });
    let lines: Vec<&str> = address
        .co_name
        .iter()
        .chain(&address.lines)
        .map(String::as_str)
        .collect();
    if !lines.is_empty() {
        value["line"] = json!(lines);
    }
    put(
        &mut value,
        "postalCode",
        address.postal_code.clone().map(Value::from),
    );
    put(&mut value, "city", address.city.clone().map(Value::from));
    put(&mut value, "period", period(address.validity));
    value
}

/// `GET /fhir/Patient`: refused, persons are searched only by `POST`.
pub async fn refuse_get() -> Response {
    operation_outcome(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        "Patient is searched only by POST /fhir/Patient/_search (form body: identifier, purpose), so no person number appears in a URL",
    )
}

/// `POST /fhir/Patient/_search`.
pub async fn search(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: axum::http::HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> FhirResult<Response> {
    let Form(pairs) = form.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let mut identifier = None;
    let mut given_purpose = None;
    for (name, value) in pairs {
        match name.as_str() {
            "identifier" if identifier.is_none() => identifier = Some(value),
            "purpose" if given_purpose.is_none() => given_purpose = Some(value),
            "identifier" | "purpose" => {
                return Err(ApiError::BadRequest(format!("`{name}` given twice")).into());
            }
            "_format" => {}
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unknown or unsupported search parameter `{name}`; Patient is searched by identifier and purpose"
                ))
                .into());
            }
        }
    }
    let identifier = identifier.ok_or_else(|| {
        ApiError::BadRequest("`identifier` (FNR or DNR system|number) is required".to_owned())
    })?;
    let (system, number) = token(&identifier);
    if !matches!(system, None | Some(systems::FNR | systems::DNR)) {
        return Err(ApiError::BadRequest(format!(
            "Patient identifiers are searchable as {}|<number> or {}|<number>",
            systems::FNR,
            systems::DNR
        ))
        .into());
    }
    let nin: NationalId = number
        .parse()
        .map_err(|error| ApiError::BadRequest(format!("invalid person number: {error}")))?;
    let purpose = purpose(given_purpose.as_deref())?;
    let caller = Caller::new(principal.actor()).with_purpose(purpose);
    let registry = state.registry().for_caller(caller);
    let answer = registry.person(&nin).await?;
    let base = base(&headers);
    let mut entries = Vec::new();
    let mut total = 0;
    match &answer {
        PersonAnswer::Found(view) => {
            total = 1;
            let patient = resource(view);
            entries.push(json!({
                "fullUrl": format!("{base}/Patient/{}", view.person.record.id),
                "resource": patient,
                "search": { "mode": "match" },
            }));
        }
        PersonAnswer::NotTracked | PersonAnswer::NotFetched => {
            let reason = if matches!(answer, PersonAnswer::NotTracked) {
                "the person is not tracked: only tracked persons are mirrored from Persontjenesten"
            } else {
                "the person is tracked but not yet fetched from Persontjenesten"
            };
            entries.push(json!({
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{ "severity": "information", "code": "not-found", "diagnostics": reason }],
                },
                "search": { "mode": "outcome" },
            }));
        }
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": { "lastUpdated": instant(chrono::Utc::now()) },
        "total": total,
        "link": [{ "relation": "self", "url": format!("{base}/Patient/_search") }],
        "entry": entries,
    });
    Ok(fhir_response(&bundle))
}

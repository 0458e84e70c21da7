//! `GET /fhir/metadata`: the CapabilityStatement, saying exactly what is supported.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::bundle::base;
use super::resource::profile;
use super::{fhir_response, practitioner_role};

/// `GET /fhir/metadata`.
pub async fn capability_statement(headers: HeaderMap) -> Response {
    fhir_response(&statement(&base(&headers)))
}

fn param(name: &str, kind: &str, documentation: &str) -> Value {
    json!({ "name": name, "type": kind, "documentation": documentation })
}

fn common() -> Vec<Value> {
    vec![
        param("_id", "token", "The resource id."),
        param(
            "_lastUpdated",
            "date",
            "When the mirror's version became current (eq, gt, ge, lt, le).",
        ),
    ]
}

fn read_only(resource: &str, history: bool, search: &[Value], includes: &[&str]) -> Value {
    let mut interactions = vec![json!({ "code": "read" })];
    if history {
        interactions.push(json!({ "code": "vread" }));
        interactions.push(json!({ "code": "history-instance" }));
    }
    if !search.is_empty() {
        interactions.push(json!({ "code": "search-type" }));
    }
    let mut value = json!({
        "type": resource,
        "profile": profile(resource),
        "interaction": interactions,
        "versioning": if history { "versioned" } else { "no-version" },
        "readHistory": history,
        "updateCreate": false,
        "conditionalCreate": false,
        "conditionalRead": "not-supported",
        "conditionalUpdate": false,
        "conditionalDelete": "not-supported",
    });
    if !search.is_empty() {
        value["searchParam"] = json!(search);
    }
    if !includes.is_empty() {
        value["searchInclude"] = json!(includes);
    }
    value
}

/// The CapabilityStatement for a server at `base`.
pub fn statement(base: &str) -> Value {
    let mut practitioner = common();
    practitioner.push(param(
        "identifier",
        "token",
        "urn:oid:2.16.578.1.12.4.1.4.4|<HPR-nummer>",
    ));
    practitioner.push(param(
        "name",
        "string",
        "Every word starts a word of the name.",
    ));
    let mut organization = common();
    organization.push(param(
        "identifier",
        "token",
        "urn:oid:2.16.578.1.12.4.1.4.101|<orgnr> or urn:oid:2.16.578.1.12.4.1.2|<HER-id>",
    ));
    organization.push(param(
        "name",
        "string",
        "Every word starts a word of the name (Brreg and AR).",
    ));
    organization.push(param(
        "partof",
        "reference",
        "Organization/enh-<orgnr> (sub-units) or Organization/her-<HER-id> (child parties).",
    ));
    let mut role = common();
    role.push(param(
        "identifier",
        "token",
        "urn:oid:2.16.578.1.12.4.1.2|<HER-id>",
    ));
    role.push(param(
        "practitioner",
        "reference",
        "Practitioner/<HPR-nummer>",
    ));
    role.push(param(
        "organization",
        "reference",
        "Organization/her-<HER-id>",
    ));
    let patient = vec![
        param(
            "identifier",
            "token",
            "urn:oid:2.16.578.1.12.4.1.4.1|<fødselsnummer> or urn:oid:2.16.578.1.12.4.1.4.2|<D-nummer>; POST /fhir/Patient/_search only (form body), tracked persons only.",
        ),
        param(
            "purpose",
            "string",
            "Required: why the lookup is made; recorded in the audit log with the token's caller.",
        ),
    ];
    let mut patient_resource = json!({
        "type": "Patient",
        "profile": profile("Patient"),
        "interaction": [{ "code": "search-type", "documentation": "POST /fhir/Patient/_search only; the person scope is required" }],
        "versioning": "no-version",
        "searchParam": patient,
    });
    patient_resource["readHistory"] = json!(false);
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-05",
        "publisher": "grunndata",
        "kind": "instance",
        "software": { "name": "grunndata serve", "version": env!("CARGO_PKG_VERSION") },
        "implementation": {
            "description": "Norwegian health master data (HPR, Adresseregisteret, Enhetsregisteret, Persontjenesten) from a local mirror; read-only.",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search parameters not listed are refused (400). _count is capped at 100; next links carry every filter. Errors are OperationOutcomes.",
            "security": {
                "service": [{ "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth",
                }] }],
                "description": "Bearer JWT (HelseID): the lookup scope for Practitioner, PractitionerRole, Organization and Endpoint; the person scope for Patient.",
            },
            "resource": [
                read_only("Practitioner", true, &practitioner, &[]),
                read_only("PractitionerRole", true, &role, practitioner_role::INCLUDES),
                read_only("Organization", true, &organization, &[]),
                read_only("Endpoint", false, &[], &[]),
                patient_resource,
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::serve::fhir::{organization, practitioner};

    /// The statement documents exactly the parameters each search accepts.
    #[test]
    fn search_parameters_match_the_handlers() {
        let statement = statement("http://localhost/fhir");
        for (resource, accepted) in [
            ("Practitioner", practitioner::SEARCH),
            ("Organization", organization::SEARCH),
            ("PractitionerRole", practitioner_role::SEARCH),
        ] {
            let documented: Vec<String> = statement["rest"][0]["resource"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["type"] == resource)
                .flat_map(|r| r["searchParam"].as_array().cloned().unwrap_or_default())
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .filter(|name| name != "_lastUpdated")
                .collect();
            let mut documented = documented;
            documented.sort();
            let mut accepted: Vec<String> = accepted.iter().map(|s| (*s).to_owned()).collect();
            accepted.sort();
            assert_eq!(documented, accepted, "{resource}");
        }
    }
}

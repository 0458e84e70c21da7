//! `/openapi.json`: OpenAPI 3.0 generated from the route table ([`endpoints`]), so the
//! document lists exactly the routes, parameters, bodies and statuses the server has.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::Scope;
use super::rest::json_response;
use super::routes::{Endpoint, In, Kind, endpoints};

/// `GET /openapi.json`.
pub async fn document() -> Response {
    json_response(StatusCode::OK, &build())
}

/// The OpenAPI document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| json!({}));
        item[endpoint.method.as_str().to_ascii_lowercase()] = operation(&endpoint);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "grunndata serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Norwegian health master data from the local grunndata mirror. FHIR R4 (HL7 Norway no-basis) is served under /fhir; its CapabilityStatement is /fhir/metadata.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "string" } }
                }
            }
        }
    })
}

fn operation(endpoint: &Endpoint) -> Value {
    let parameters: Vec<Value> = endpoint
        .params
        .iter()
        .map(|param| {
            json!({
                "name": param.name,
                "in": if param.location == In::Path { "path" } else { "query" },
                "required": param.location == In::Path || param.name == "q",
                "description": param.description,
                "schema": schema(param.kind),
            })
        })
        .collect();
    let mut responses = Map::new();
    for status in endpoint.statuses {
        let description = status.canonical_reason().unwrap_or("answer");
        let schema = if status.is_success() {
            if endpoint.media_type == "text/plain" {
                json!({ "type": "string" })
            } else {
                json!({ "type": "object" })
            }
        } else if *status == StatusCode::NOT_FOUND || *status == StatusCode::SERVICE_UNAVAILABLE {
            json!({ "type": "object" })
        } else {
            json!({ "$ref": "#/components/schemas/Error" })
        };
        let media_type = if status.is_success() {
            endpoint.media_type
        } else {
            "application/json"
        };
        responses.insert(
            status.as_str().to_owned(),
            json!({ "description": description, "content": { media_type: { "schema": schema } } }),
        );
    }
    if endpoint.method == axum::http::Method::GET {
        responses.insert(
            "304".to_owned(),
            json!({ "description": "Not Modified (If-None-Match named the ETag)" }),
        );
    }
    let mut operation = json!({
        "tags": [endpoint.tag],
        "summary": endpoint.summary,
        "parameters": parameters,
        "responses": responses,
    });
    if endpoint.scope == Scope::Public {
        operation["security"] = json!([]);
    } else {
        operation["security"] = json!([{ "bearer": [] }]);
        operation["responses"]["401"] =
            json!({ "description": "No valid bearer token (WWW-Authenticate says why)" });
        operation["responses"]["403"] =
            json!({ "description": "The token lacks the scope (WWW-Authenticate names it)" });
    }
    if !endpoint.body.is_empty() {
        let properties: Map<String, Value> = endpoint
            .body
            .iter()
            .map(|field| {
                let mut schema = schema(field.kind);
                schema["description"] = json!(field.description);
                (field.name.to_owned(), schema)
            })
            .collect();
        let required: Vec<&str> = endpoint
            .body
            .iter()
            .filter(|field| field.required)
            .map(|field| field.name)
            .collect();
        operation["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": properties,
            } } }
        });
    }
    operation
}

fn schema(kind: Kind) -> Value {
    match kind {
        Kind::Text => json!({ "type": "string" }),
        Kind::Digits(min, max) => {
            json!({ "type": "string", "pattern": format!("^[0-9]{{{min},{max}}}$") })
        }
        Kind::Letters(min, max) => {
            json!({ "type": "string", "pattern": format!("^[A-Za-z]{{{min},{max}}}$") })
        }
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Integer(min, max) => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::OneOf(values) => json!({ "type": "string", "enum": values }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_once_with_its_parameters() {
        let document = build();
        let paths = document["paths"].as_object().map_or(0, |paths| {
            paths
                .values()
                .map(|item| item.as_object().map_or(0, Map::len))
                .sum::<usize>()
        });
        assert_eq!(paths, endpoints().len());
        for endpoint in endpoints() {
            for segment in endpoint.path.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        endpoint
                            .params
                            .iter()
                            .any(|p| p.name == name && p.location == In::Path),
                        "{} documents {name}",
                        endpoint.path
                    );
                }
            }
        }
    }
}

//! The route table: every route with its method, scope and documentation, from which both
//! the router and `/openapi.json` are built — so the document cannot drift from the server.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::routing::{MethodRouter, get, post};
use tower_http::compression::CompressionLayer;

use super::auth::{self, Scope};
use super::layers::{self, Limits, MAX_BODY_BYTES};
use super::rest::{self, search::MAX_LIMIT};
use super::state::AppState;
use super::{fhir, health, metrics, openapi};

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment.
    Path,
    /// The query string.
    Query,
}

/// A parameter's JSON schema, in words.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text.
    Text,
    /// Digits, between the two lengths (an identifier's shape; its check digit is the
    /// server's to judge).
    Digits(u8, u8),
    /// Letters (a code).
    Letters(u8, u8),
    /// `YYYY-MM-DD`.
    Date,
    /// `true` / `false`.
    Bool,
    /// An integer in a range.
    Integer(u32, u32),
    /// One of these values.
    OneOf(&'static [&'static str]),
}

/// One documented parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it goes.
    pub location: In,
    /// Its schema.
    pub kind: Kind,
    /// What it means.
    pub description: &'static str,
}

/// One documented JSON body field (all bodies are objects without other fields).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name.
    pub name: &'static str,
    /// Its schema.
    pub kind: Kind,
    /// Whether it must be present.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
}

/// One route: documentation and handler.
pub struct Endpoint {
    /// `GET` or `POST`.
    pub method: Method,
    /// The path, in axum's `{name}` form (also OpenAPI's).
    pub path: &'static str,
    /// What the token must grant.
    pub scope: Scope,
    /// The OpenAPI tag.
    pub tag: &'static str,
    /// One line on what it answers.
    pub summary: &'static str,
    /// Path and query parameters.
    pub params: &'static [Param],
    /// The JSON body's fields, for `POST`.
    pub body: &'static [Field],
    /// The statuses it answers with (besides 401/403 on protected routes and 304 on `GET`).
    pub statuses: &'static [StatusCode],
    /// The response media type.
    pub media_type: &'static str,
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

const AT: Param = Param {
    name: "at",
    location: In::Query,
    kind: Kind::Date,
    description: "The day asked about (YYYY-MM-DD); default today (UTC).",
};
const HPR: Param = Param {
    name: "hpr",
    location: In::Path,
    kind: Kind::Digits(1, 9),
    description: "HPR number. Person numbers are refused here: use the POST lookup.",
};
const NIN_BODY: &[Field] = &[
    Field {
        name: "nin",
        kind: Kind::Digits(11, 11),
        required: true,
        description: "Fødselsnummer or D-nummer (11 digits).",
    },
    Field {
        name: "purpose",
        kind: Kind::Text,
        required: true,
        description: "Why the lookup is made; recorded in the audit log. No purpose, no person data.",
    },
    Field {
        name: "at",
        kind: Kind::Date,
        required: false,
        description: "The day asked about (YYYY-MM-DD); default today.",
    },
];
const LOOKUP: &[StatusCode] = &[
    StatusCode::OK,
    StatusCode::BAD_REQUEST,
    StatusCode::NOT_FOUND,
];
const POSTED: &[StatusCode] = &[
    StatusCode::OK,
    StatusCode::BAD_REQUEST,
    StatusCode::NOT_FOUND,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
];
const JSON: &str = "application/json";

/// Every REST and operations route.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: Method::GET,
            path: "/v1/personnel/{hpr}",
            scope: Scope::Lookup,
            tag: "personnel",
            summary: "A health worker's HPR record with a verdict per category held (as `grunndata personnel --json`).",
            params: &[HPR, AT],
            body: &[],
            statuses: LOOKUP,
            media_type: JSON,
            handler: get(rest::personnel::by_hpr),
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/personnel/lookup",
            scope: Scope::Person,
            tag: "personnel",
            summary: "A health worker by fødselsnummer / D-nummer; audited with the purpose.",
            params: &[],
            body: NIN_BODY,
            statuses: POSTED,
            media_type: JSON,
            handler: post(rest::personnel::by_nin),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/authz/{hpr}/{category}",
            scope: Scope::Lookup,
            tag: "personnel",
            summary: "Is the health worker authorised as the category (9060) on the day, and if not, why (as `grunndata authz --json`).",
            params: &[
                HPR,
                Param {
                    name: "category",
                    location: In::Path,
                    kind: Kind::Letters(2, 3),
                    description: "Health-personnel category, kodeverk 9060 (LE, SP, …).",
                },
                AT,
            ],
            body: &[],
            statuses: LOOKUP,
            media_type: JSON,
            handler: get(rest::personnel::authz),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/personnel/{hpr}/requisition-rights",
            scope: Scope::Lookup,
            tag: "personnel",
            summary: "The requisition rights in force on the day.",
            params: &[HPR, AT],
            body: &[],
            statuses: LOOKUP,
            media_type: JSON,
            handler: get(rest::personnel::requisition_rights),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/personnel/{hpr}/parties",
            scope: Scope::Lookup,
            tag: "personnel",
            summary: "The AR person parties of the health worker (HER-ids, addresses).",
            params: &[HPR],
            body: &[],
            statuses: &[StatusCode::OK, StatusCode::BAD_REQUEST],
            media_type: JSON,
            handler: get(rest::personnel::parties),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/organisations/{orgnr}",
            scope: Scope::Lookup,
            tag: "organisations",
            summary: "A Brreg unit with parent and sub-units (as `grunndata org --json`).",
            params: &[Param {
                name: "orgnr",
                location: In::Path,
                kind: Kind::Digits(9, 9),
                description: "Organisasjonsnummer (9 digits).",
            }],
            body: &[],
            statuses: LOOKUP,
            media_type: JSON,
            handler: get(rest::organisation::by_orgnr),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/parties/{her_id}",
            scope: Scope::Lookup,
            tag: "parties",
            summary: "An AR communication party with parent, children and addresses (as `grunndata her --json`).",
            params: &[
                Param {
                    name: "her_id",
                    location: In::Path,
                    kind: Kind::Digits(1, 9),
                    description: "HER-id.",
                },
                Param {
                    name: "tree",
                    location: In::Query,
                    kind: Kind::Bool,
                    description: "Include the whole tree below the party.",
                },
            ],
            body: &[],
            statuses: LOOKUP,
            media_type: JSON,
            handler: get(rest::party::by_her_id),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/search",
            scope: Scope::Lookup,
            tag: "search",
            summary: "Names in Brreg, AR and HPR: every word must start a word of the name.",
            params: &[
                Param {
                    name: "q",
                    location: In::Query,
                    kind: Kind::Text,
                    description: "The name or its beginning (required).",
                },
                Param {
                    name: "register",
                    location: In::Query,
                    kind: Kind::OneOf(&["brreg", "ar", "hpr"]),
                    description: "Only this register.",
                },
                Param {
                    name: "limit",
                    location: In::Query,
                    kind: Kind::Integer(1, MAX_LIMIT),
                    description: "Hits per register; default 20.",
                },
            ],
            body: &[],
            statuses: &[StatusCode::OK, StatusCode::BAD_REQUEST],
            media_type: JSON,
            handler: get(rest::search::search),
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/persons/lookup",
            scope: Scope::Person,
            tag: "persons",
            summary: "A tracked person by fødselsnummer / D-nummer; audited with the caller and purpose; protected addresses only with a purpose.",
            params: &[],
            body: NIN_BODY,
            statuses: POSTED,
            media_type: JSON,
            handler: post(rest::person::lookup),
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/status",
            scope: Scope::Lookup,
            tag: "operations",
            summary: "Per mirrored register: last success, last error, staleness.",
            params: &[],
            body: &[],
            statuses: &[StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE],
            media_type: JSON,
            handler: get(rest::status::status),
        },
        Endpoint {
            method: Method::GET,
            path: "/health/live",
            scope: Scope::Public,
            tag: "operations",
            summary: "The process answers.",
            params: &[],
            body: &[],
            statuses: &[StatusCode::OK],
            media_type: JSON,
            handler: get(health::live),
        },
        Endpoint {
            method: Method::GET,
            path: "/health/ready",
            scope: Scope::Public,
            tag: "operations",
            summary: "The mirror opens and every mirrored register is within its staleness bound (else 503).",
            params: &[],
            body: &[],
            statuses: &[StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE],
            media_type: JSON,
            handler: get(health::ready),
        },
        Endpoint {
            method: Method::GET,
            path: "/metrics",
            scope: Scope::Public,
            tag: "operations",
            summary: "Prometheus text format: requests and latency per route and status, mirror lag per register.",
            params: &[],
            body: &[],
            statuses: &[StatusCode::OK],
            media_type: "text/plain",
            handler: get(metrics::metrics),
        },
        Endpoint {
            method: Method::GET,
            path: "/openapi.json",
            scope: Scope::Public,
            tag: "operations",
            summary: "This document.",
            params: &[],
            body: &[],
            statuses: &[StatusCode::OK],
            media_type: JSON,
            handler: get(openapi::document),
        },
    ]
}

/// The whole application: the table's routes, FHIR, and the layers around them.
pub fn router(state: AppState, limits: &Limits) -> Router {
    let mut router = Router::new();
    for endpoint in endpoints() {
        let guard = middleware::from_fn_with_state((state.clone(), endpoint.scope), auth::require);
        router = router.route(endpoint.path, endpoint.handler.layer(guard));
    }
    router
        .nest("/fhir", fhir::router(&state))
        .fallback(not_found)
        .layer(middleware::from_fn(layers::etag))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.max_concurrency,
        ))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            layers::timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::observe,
        ))
        .with_state(state)
}

/// Any path outside the table: 404 with a reason.
async fn not_found() -> super::error::ApiError {
    super::error::ApiError::NotFound("no such route; see /openapi.json".to_owned())
}

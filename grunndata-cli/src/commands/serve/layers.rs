//! What wraps every route: bounded concurrency, a request timeout, a body limit, gzip,
//! `ETag` / `If-None-Match`, and the access log with the request metrics.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Principal;
use super::state::AppState;

/// Largest request body accepted (person lookups are a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Largest response body an `ETag` is computed for; larger ones go out without.
const MAX_ETAG_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The server's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long one request may take.
    pub request_timeout: Duration,
    /// How many requests are worked on at once.
    pub max_concurrency: usize,
}

/// Middleware: one structured access-log line per request (method, route template, status,
/// microseconds, client — never the path, which could hold an identifier, nor a body) and
/// the request metrics.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // Known methods only: a label per invented method would grow the metrics without bound.
    let method_label = match method {
        Method::GET
        | Method::POST
        | Method::HEAD
        | Method::PUT
        | Method::DELETE
        | Method::PATCH
        | Method::OPTIONS => method.as_str(),
        _ => "other",
    };
    state
        .metrics()
        .record(&route, method_label, status, elapsed);
    let client = response
        .extensions()
        .get::<Principal>()
        .map(|principal| principal.client_id.as_str());
    tracing::info!(
        target: "grunndata::access",
        method = method_label,
        route = %route,
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        client,
        "request"
    );
    response
}

/// Middleware: a request not answered within `limit` gets 503 with the reason (as an
/// `OperationOutcome` under `/fhir`): usually the mirror's database is unreachable.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let fhir = request.uri().path().starts_with("/fhir");
    if let Ok(response) = tokio::time::timeout(limit, next.run(request)).await {
        return response;
    }
    let reason = format!(
        "no answer within {}: the mirror may be unreachable; try again",
        humantime::format_duration(limit)
    );
    let body = if fhir {
        serde_json::json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": "timeout", "diagnostics": reason }],
        })
    } else {
        serde_json::json!({ "error": reason })
    };
    let content_type = if fhir {
        "application/fhir+json"
    } else {
        "application/json"
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}

/// Middleware: a weak `ETag` (SHA-256 of the body) on successful `GET`s, and `304 Not
/// Modified` when `If-None-Match` names it. Weak, because gzip changes the bytes, not the
/// representation.
pub async fn etag(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    // A rendered answer brings its own (see `rendered.rs`).
    if let Some(value) = response.headers().get(header::ETAG).cloned() {
        let tag = value.to_str().unwrap_or_default();
        if if_none_match.is_some_and(|wanted| matches(&wanted, tag)) {
            let mut headers = HeaderMap::new();
            headers.insert(header::ETAG, value);
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ETAG_BODY_BYTES).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Some(value) = super::rendered::etag(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let tag = value.to_str().unwrap_or_default().to_owned();
    if if_none_match.is_some_and(|wanted| matches(&wanted, &tag)) {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, value);
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    parts.headers.insert(header::ETAG, value);
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an `If-None-Match` value names `tag` (weak comparison, `*`, lists).
fn matches(wanted: &HeaderValue, tag: &str) -> bool {
    let Ok(wanted) = wanted.to_str() else {
        return false;
    };
    let opaque = |value: &str| value.trim().trim_start_matches("W/").to_owned();
    let tag = opaque(tag);
    wanted
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_in_lists() {
        let tag = "W/\"abc\"";
        for (header, expected) in [
            ("W/\"abc\"", true),
            ("\"abc\"", true),
            ("\"x\", W/\"abc\"", true),
            ("*", true),
            ("\"abd\"", false),
        ] {
            let value = HeaderValue::from_static(header);
            assert_eq!(matches(&value, tag), expected, "{header}");
        }
    }
}

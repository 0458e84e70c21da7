//! Content negotiation: a request whose `Accept` names nothing an upstream can produce gets
//! `406 Not Acceptable`, as the real services answer (#13). The media types per upstream are
//! those its stored contract declares (AR: `text/plain`, `application/json`, `text/json`;
//! Persontjenesten: `application/json`) plus what the fake serves beyond the contract (the
//! Brreg vendor types of the current API, the HPR export ZIP, SOAP's `text/xml`).
//!
//! The check is per upstream, not per route: a type one route of an upstream produces is
//! accepted on all of its routes. That is enough to catch a client that asks for something
//! no route of the service serves, which is the drift the check exists for.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What Adresseregisteret's contract declares for every response.
pub(crate) const AR: &[&str] = &["text/plain", "application/json", "text/json"];

/// What Persontjenesten's contract declares.
pub(crate) const PREG: &[&str] = &["application/json"];

/// The stored 2020 contract's types and the current API's vendor types (UPSTREAMS.md §1).
pub(crate) const BRREG: &[&str] = &[
    "application/json",
    "application/vnd.enhetsregisteret.enhet.v1+json",
    "application/vnd.enhetsregisteret.organisasjonsform.v1+json",
    "application/vnd.brreg.enhetsregisteret.enhet.v2+json",
    "application/vnd.brreg.enhetsregisteret.underenhet.v2+json",
    "application/vnd.brreg.enhetsregisteret.enhet.v2+gzip",
    "application/vnd.brreg.enhetsregisteret.underenhet.v2+gzip",
    "application/vnd.brreg.enhetsregisteret.oppdatering.enhet.v1+json",
    "application/vnd.brreg.enhetsregisteret.oppdatering.underenhet.v1+json",
];

/// HPR: the REST lookups (JSON), the export (a ZIP) and the SOAP service (SOAP 1.1 XML).
pub(crate) const HPR: &[&str] = &[
    "application/json",
    "application/zip",
    "application/octet-stream",
    "text/xml",
];

/// Whether `accept` (the header's value, `None` when absent) admits one of `produces`.
///
/// A missing or empty header admits anything (RFC 9110 §12.5.1). A range with `q=0` admits
/// nothing; `*/*` and `type/*` admit what they cover. Parameters other than `q` are ignored.
pub(crate) fn acceptable(accept: Option<&str>, produces: &[&str]) -> bool {
    let Some(accept) = accept.filter(|accept| !accept.trim().is_empty()) else {
        return true;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = parts.any(|parameter| {
            let Some((name, value)) = parameter.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("q")
                && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
        });
        if refused {
            return false;
        }
        let Some((kind, subtype)) = media.split_once('/') else {
            return false;
        };
        produces.iter().any(|produced| {
            let Some((produced_kind, produced_subtype)) = produced.split_once('/') else {
                return false;
            };
            (kind == "*" && subtype == "*")
                || (kind == produced_kind && (subtype == "*" || subtype == produced_subtype))
        })
    })
}

/// Middleware: `406` when the request's `Accept` admits none of `produces`.
pub(crate) async fn negotiate(
    produces: &'static [&'static str],
    request: Request,
    next: Next,
) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .map(|value| value.to_str().unwrap_or("\u{0}"));
    if acceptable(accept, produces) {
        return next.run(request).await;
    }
    let mut response = (
        StatusCode::NOT_ACCEPTABLE,
        format!(
            "Not Acceptable: this service produces {}",
            produces.join(", ")
        ),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_match_as_rfc_9110_says() {
        let cases = [
            (None, true),
            (Some(""), true),
            (Some("*/*"), true),
            (Some("application/json"), true),
            (Some("Application/JSON; charset=utf-8"), true),
            (Some("application/*"), true),
            (Some("text/html"), false),
            (Some("text/html, application/json;q=0.5"), true),
            (Some("application/json;q=0"), false),
            (Some("application/xml, text/*;q=0"), false),
            (Some("garbage"), false),
        ];
        for (accept, expected) in cases {
            assert_eq!(acceptable(accept, PREG), expected, "{accept:?}");
        }
        assert!(acceptable(Some("text/json"), AR));
        assert!(acceptable(
            Some("application/vnd.brreg.enhetsregisteret.enhet.v2+gzip;charset=UTF-8"),
            BRREG
        ));
        assert!(!acceptable(Some("application/xml"), BRREG));
    }
}

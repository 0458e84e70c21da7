//! HTTP for token requests: the default client and one form POST.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use super::AuthError;
use super::token::Exchange;

/// Connect timeout of the default token-endpoint client.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout of the default token-endpoint client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for token endpoints when the caller gives none: rustls, timeouts, no redirects
/// (a token endpoint that redirects is misconfigured, and following would resend the assertion).
pub(crate) fn default_client(upstream: &'static str) -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("grunndata/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AuthError::Config {
            upstream,
            reason: format!("cannot build the HTTP client: {e}"),
        })
}

/// POSTs `form` to a token endpoint (with extra headers) and reads the whole answer, returning
/// it with the `DPoP-Nonce` header it carried, if any.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    upstream: &'static str,
    endpoint: &reqwest::Url,
    form: &[(&str, &str)],
    headers: &[(HeaderName, HeaderValue)],
) -> Result<(Exchange, Option<String>), AuthError> {
    let mut request = http
        .post(endpoint.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form);
    for (name, value) in headers {
        request = request.header(name, value.clone());
    }
    let response = request.send().await.map_err(|source| AuthError::Http {
        upstream,
        endpoint: endpoint.to_string(),
        source,
    })?;
    let nonce = response
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((
        Exchange::read(upstream, endpoint.as_str(), response).await?,
        nonce,
    ))
}

/// A sensitive header value `"<scheme> <token>"` (hidden from `http`'s `Debug`).
pub(crate) fn authorization(scheme: &str, token: &str) -> Option<HeaderValue> {
    let text = zeroize::Zeroizing::new(format!("{scheme} {token}"));
    let mut value = HeaderValue::from_str(&text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The host of a URL, for error messages that must not repeat the path.
pub(crate) fn host_of(url: &reqwest::Url) -> String {
    url.host_str().unwrap_or("(no host)").to_owned()
}

/// Parses a configured endpoint URL.
pub(crate) fn endpoint_url(
    upstream: &'static str,
    what: &str,
    url: &str,
) -> Result<reqwest::Url, AuthError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| AuthError::Config {
        upstream,
        reason: format!("{what} {url:?} is not a URL: {e}"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AuthError::Config {
            upstream,
            reason: format!("{what} {url:?} is not an http(s) URL"),
        });
    }
    Ok(parsed)
}

/// Parses a configured JWS algorithm name (`RS256`, `PS256`, `ES256`, ...).
pub(crate) fn parse_algorithm(
    upstream: &'static str,
    name: Option<&str>,
) -> Result<Option<jsonwebtoken::Algorithm>, AuthError> {
    name.map(|name| {
        name.parse().map_err(|_| AuthError::Config {
            upstream,
            reason: format!("unknown signing algorithm {name:?}"),
        })
    })
    .transpose()
}

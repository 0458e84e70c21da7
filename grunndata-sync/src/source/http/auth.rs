//! The authentication seam: a hook applied to every attempt of every request.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};

use crate::auth::TokenProvider;

/// What an auth hook returns when it cannot authorise a request.
pub type AuthFailure = Box<dyn std::error::Error + Send + Sync>;

/// The seam for authentication: applied to every attempt of every request of a client.
///
/// `None` for Brreg (open data); a HelseID + DPoP provider for Adresseregisteret and
/// Persontjenesten. Called once per attempt, after the URL, method and body are final, so a
/// DPoP proof (`htm`, `htu`, `jti`) is fresh for each attempt.
pub trait Authorise: Send + Sync + fmt::Debug {
    /// Adds the credentials (`Authorization`, `DPoP`, …) to `request`.
    fn authorise<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), AuthFailure>>;

    /// Upstream answered 401 or 403 to a request for `url`. Return `true` to have the request
    /// retried once with fresh credentials (after, say, storing a `DPoP-Nonce` or dropping a
    /// cached token).
    fn refused(&self, url: &Url, status: StatusCode, headers: &HeaderMap) -> bool {
        let _ = (url, status, headers);
        false
    }
}

/// A [`TokenProvider`] as an [`Authorise`] hook.
#[derive(Debug)]
pub struct TokenAuth {
    provider: TokenProvider,
    /// Set by a 401: drop the cached token before the next request.
    stale: AtomicBool,
}

impl TokenAuth {
    /// Wraps a provider (for HPR REST: [`TokenProvider::Maskinporten`] with the scopes the
    /// calls need — `nhn:hpr/extended` for `personerutvidet`, `nhn:hpr/export` for the export).
    pub fn new(provider: TokenProvider) -> Self {
        Self {
            provider,
            stale: AtomicBool::new(false),
        }
    }
}

impl Authorise for TokenAuth {
    fn authorise<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), AuthFailure>> {
        Box::pin(async move {
            if self.stale.swap(false, Ordering::SeqCst) {
                self.provider.invalidate().await;
            }
            let placeholder = reqwest::Request::new(Method::GET, request.url().clone());
            let owned = std::mem::replace(request, placeholder);
            *request = self
                .provider
                .authorize(owned)
                .await
                .map_err(|error| AuthFailure::from(error.to_string()))?;
            Ok(())
        })
    }

    fn refused(&self, url: &Url, status: StatusCode, headers: &HeaderMap) -> bool {
        if status == StatusCode::UNAUTHORIZED
            && let TokenProvider::HelseId(client) = &self.provider
            && let Some(nonce) = demanded_nonce(headers)
        {
            // RFC 9449 §9: the resource server wants a nonce in the proof; the token is fine.
            tracing::debug!(origin = %url.origin().ascii_serialization(), "resource server asked for a DPoP nonce; retrying");
            client.remember_api_nonce(url, nonce);
            return true;
        }
        if status == StatusCode::UNAUTHORIZED {
            self.stale.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }
}

/// The `DPoP-Nonce` of a 401 whose `WWW-Authenticate` is a DPoP challenge with
/// `error="use_dpop_nonce"`.
fn demanded_nonce(headers: &HeaderMap) -> Option<&str> {
    let asks = headers.get_all(WWW_AUTHENTICATE).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            let text = text.trim_start();
            text.len() > 4
                && text[..4].eq_ignore_ascii_case("dpop")
                && text.contains("use_dpop_nonce")
        })
    });
    if !asks {
        return None;
    }
    headers
        .get("dpop-nonce")
        .and_then(|value| value.to_str().ok())
        .filter(|nonce| !nonce.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[tokio::test]
    async fn token_auth_keeps_the_request_and_retries_once_after_401() {
        let auth = TokenAuth::new(TokenProvider::Anonymous);
        let url = reqwest::Url::parse("http://127.0.0.1:1/v1/personerutvidet")
            .unwrap_or_else(|error| panic!("{error}"));
        let mut request = reqwest::Request::new(Method::POST, url);
        *request.body_mut() = Some(reqwest::Body::from("{}"));
        assert!(auth.authorise(&mut request).await.is_ok());
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.url().path(), "/v1/personerutvidet");
        assert!(request.body().is_some());
        let url = request.url().clone();
        assert!(auth.refused(&url, StatusCode::UNAUTHORIZED, &HeaderMap::new()));
        assert!(!auth.refused(&url, StatusCode::FORBIDDEN, &HeaderMap::new()));
        assert!(auth.authorise(&mut request).await.is_ok());
    }

    #[test]
    fn a_dpop_use_dpop_nonce_challenge_yields_its_nonce() {
        let mut headers = HeaderMap::new();
        headers.insert(
            WWW_AUTHENTICATE,
            reqwest::header::HeaderValue::from_static(
                "DPoP error=\"use_dpop_nonce\", error_description=\"nonce\"",
            ),
        );
        assert_eq!(demanded_nonce(&headers), None, "no DPoP-Nonce header");
        headers.insert(
            "dpop-nonce",
            reqwest::header::HeaderValue::from_static("n-1"),
        );
        assert_eq!(demanded_nonce(&headers), Some("n-1"));
        headers.insert(
            WWW_AUTHENTICATE,
            reqwest::header::HeaderValue::from_static("DPoP error=\"invalid_token\""),
        );
        assert_eq!(demanded_nonce(&headers), None, "another error");
    }
}

//! Access tokens and reading a token endpoint's answer.

use std::fmt;

use reqwest::StatusCode;
use serde::Deserialize;

use super::{AuthError, Secret};

/// How an access token is presented to an API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// `Authorization: DPoP <token>` plus a `DPoP` proof (HelseID).
    Dpop,
    /// `Authorization: Bearer <token>` (Maskinporten).
    Bearer,
}

impl TokenType {
    /// The `Authorization` scheme and `token_type` value: `"DPoP"` or `"Bearer"`.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Dpop => "DPoP",
            Self::Bearer => "Bearer",
        }
    }
}

/// Largest token-endpoint answer read (a token answer is a few kilobytes).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// An access token with what the token server said about it. `Debug` hides the token.
#[derive(Clone)]
pub struct AccessToken {
    value: Secret<String>,
    token_type: TokenType,
    scope: Option<String>,
    expires_at: i64,
}

impl AccessToken {
    /// A token as received.
    pub fn new(
        value: Secret<String>,
        token_type: TokenType,
        scope: Option<String>,
        expires_at: i64,
    ) -> Self {
        Self {
            value,
            token_type,
            scope,
            expires_at,
        }
    }

    /// The token itself. Never log it.
    pub fn secret(&self) -> &str {
        self.value.expose()
    }

    /// How the token is presented.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The granted scopes (space-separated), when the server said.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When it expires (seconds since the epoch, by the client's clock).
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &self.value)
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A token endpoint's JSON answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    expires_in: Option<i64>,
    scope: Option<String>,
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
pub(crate) struct OAuthError {
    pub(crate) error: String,
    pub(crate) error_description: Option<String>,
}

/// Lifetime assumed when a token response has no `expires_in`.
///
/// Decision (specs silent; RFC 6749 only recommends the member): 60 s, so that a token of
/// unknown lifetime is soon replaced rather than used until it is refused.
const DEFAULT_EXPIRES_IN: i64 = 60;

/// A token endpoint's status and body, read in full.
pub(crate) struct Exchange {
    pub(crate) upstream: &'static str,
    pub(crate) endpoint: String,
    pub(crate) status: StatusCode,
    pub(crate) body: Secret<Vec<u8>>,
}

impl Exchange {
    /// Reads the whole response.
    pub(crate) async fn read(
        upstream: &'static str,
        endpoint: &str,
        mut response: reqwest::Response,
    ) -> Result<Self, AuthError> {
        let status = response.status();
        let too_large = || AuthError::BadResponse {
            upstream,
            endpoint: endpoint.to_owned(),
            status: status.as_u16(),
            reason: format!("answer larger than {MAX_TOKEN_RESPONSE_BYTES} bytes"),
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_TOKEN_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|source| AuthError::Http {
            upstream,
            endpoint: endpoint.to_owned(),
            source,
        })? {
            if body.len() + chunk.len() > MAX_TOKEN_RESPONSE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Self {
            upstream,
            endpoint: endpoint.to_owned(),
            status,
            body: Secret::new(body),
        })
    }

    /// The OAuth error in a non-success answer, if the body is one.
    pub(crate) fn oauth_error(&self) -> Option<OAuthError> {
        if self.status.is_success() {
            return None;
        }
        serde_json::from_slice(self.body.expose()).ok()
    }

    /// The token in a success answer, or the error the answer is.
    pub(crate) fn into_token(
        self,
        expected: TokenType,
        now: i64,
    ) -> Result<AccessToken, AuthError> {
        if !self.status.is_success() {
            let (error, description) = match self.oauth_error() {
                Some(e) => (e.error, e.error_description),
                None => ("(no OAuth error in the response body)".to_owned(), None),
            };
            return Err(AuthError::Refused {
                upstream: self.upstream,
                endpoint: self.endpoint,
                status: self.status.as_u16(),
                error,
                description,
            });
        }
        let bad = |reason: &str| AuthError::BadResponse {
            upstream: self.upstream,
            endpoint: self.endpoint.clone(),
            status: self.status.as_u16(),
            reason: reason.to_owned(),
        };
        let mut response: TokenResponse = serde_json::from_slice(self.body.expose())
            .map_err(|_| bad("not a token response (JSON with access_token and token_type)"))?;
        let value = Secret::new(std::mem::take(&mut response.access_token));
        if value.expose().is_empty() {
            return Err(bad("empty access_token"));
        }
        // Decision: a DPoP client insists on a DPoP-bound token. A Bearer answer means the
        // server ignored the proof, and sending that token with DPoP would be refused later
        // with a less helpful message.
        if !response.token_type.eq_ignore_ascii_case(expected.scheme()) {
            return Err(bad(&format!(
                "token_type is {:?}, expected {:?}",
                response.token_type,
                expected.scheme()
            )));
        }
        let expires_in = response.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        if expires_in <= 0 {
            return Err(bad("expires_in is not positive"));
        }
        Ok(AccessToken::new(
            value,
            expected,
            response.scope.take(),
            now + expires_in,
        ))
    }
}

impl Drop for TokenResponse {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

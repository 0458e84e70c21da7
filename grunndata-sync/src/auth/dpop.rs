//! DPoP proofs (RFC 9449) as a client makes them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AuthError, DPOP_JWT_TYPE, SigningKey, random};

/// One DPoP proof for one HTTP request (UPSTREAMS.md §5.2).
///
/// Header: `typ` `dpop+jwt`, `alg`, `jwk` (the public key, no `kid`). Claims: `jti` random, `htm`,
/// `htu` (the URL without query and fragment, see [`htu`]), `iat`; `nonce` when the server asked
/// for one; `ath` = base64url(SHA-256(access token)) when calling an API with a token.
#[derive(Clone, Copy)]
pub struct DpopProof<'a> {
    /// The HTTP method, e.g. `"POST"`.
    pub method: &'a str,
    /// The request URL; query and fragment are dropped.
    pub url: &'a Url,
    /// The server-provided nonce, if any.
    pub nonce: Option<&'a str>,
    /// The access token the request carries, if any (adds `ath`).
    pub access_token: Option<&'a str>,
}

impl std::fmt::Debug for DpopProof<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopProof")
            .field("method", &self.method)
            .field("htu", &htu(self.url))
            .field("nonce", &self.nonce.map(|_| "[present]"))
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: String,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

impl DpopProof<'_> {
    /// Signs the proof with `key` as of `now` (seconds since the epoch).
    pub fn sign(&self, key: &SigningKey, now: i64) -> Result<String, AuthError> {
        let claims = ProofClaims {
            jti: random::jti()?,
            htm: self.method,
            htu: htu(self.url),
            iat: now,
            nonce: self.nonce,
            ath: self.access_token.map(ath),
        };
        let mut header = key.header(DPOP_JWT_TYPE);
        header.kid = None;
        header.jwk = Some(key.public_jwk().clone());
        key.sign(&header, &claims, "DPoP proof")
    }
}

/// The `htu` of a request URL: scheme, host, port and path, without query and fragment
/// (RFC 9449 §4.2). `Url` has already lower-cased scheme and host and dropped a default port.
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// `ath`: base64url(SHA-256(access token)).
pub(crate) fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

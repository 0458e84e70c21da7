//! DPoP proofs (RFC 9449), at a token endpoint and at an API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use reqwest::Url;
use serde::Deserialize;

use super::{ExpiringSet, LEEWAY, REPLAY_CAPACITY, VerifyError, required};
use crate::auth::dpop::ath;
use crate::auth::keyformat::{EC_ALGORITHMS, RSA_ALGORITHMS};
use crate::auth::verifying_key::has_private_members;
use crate::auth::{AuthError, DPOP_JWT_TYPE, VerifyingKey, htu, random};

/// What the request a proof came with looks like.
#[derive(Clone, Copy, Debug)]
pub struct DpopExpectation<'a> {
    /// The request method (`htm` must equal it).
    pub method: &'a str,
    /// The request URL as the client addressed it (`htu` must equal it without query and
    /// fragment).
    pub url: &'a str,
    /// At an API: the access token the request carries (`ath` must be its hash).
    pub access_token: Option<&'a str>,
    /// At a token endpoint that demands nonces: true.
    pub require_nonce: bool,
}

/// A proof that passed: the thumbprint of its key, for token binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProof {
    /// RFC 7638 SHA-256 thumbprint of the proof's `jwk` (the token's `cnf.jkt`).
    pub jkt: String,
}

/// Checks DPoP proofs and issues the nonces a token endpoint demands.
///
/// Rules: header `typ` `dpop+jwt`, `alg` RSA (RS/PS 256–512) or ES256, `jwk` a public RSA
/// (≥ 2048 bits) or P-256 key without private members; the signature verifies with that `jwk`;
/// `jti`, `htm`, `htu`, `iat` present; `htm` and `htu` match the request; `iat` no older than
/// `max_age` and not in the future (± [`LEEWAY`]); with `require_nonce` a `nonce` this verifier
/// issued and that has not expired; with an access token an `ath` matching it; the `jti` not seen
/// before for this key.
#[derive(Debug)]
pub struct DpopVerifier {
    max_age: i64,
    nonce_lifetime: i64,
    seen: ExpiringSet,
    nonces: ExpiringSet,
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    nonce: Option<String>,
    ath: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    typ: Option<String>,
    jwk: Option<serde_json::Value>,
}

impl Default for DpopVerifier {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_AGE, Self::DEFAULT_NONCE_LIFETIME)
    }
}

impl DpopVerifier {
    /// How old a proof may be, in seconds.
    ///
    /// Decision (RFC 9449 leaves the window to the server; HelseID does not publish its own):
    /// 60 s. A client makes a proof right before each request.
    pub const DEFAULT_MAX_AGE: i64 = 60;

    /// How long an issued nonce is accepted, in seconds.
    ///
    /// Decision (HelseID does not document it): 5 minutes; a nonce may be used by several
    /// proofs within that time (each proof's `jti` is still single-use).
    pub const DEFAULT_NONCE_LIFETIME: i64 = 300;

    /// A verifier accepting proofs up to `max_age` seconds old and nonces up to
    /// `nonce_lifetime` seconds old.
    pub fn new(max_age: i64, nonce_lifetime: i64) -> Self {
        Self {
            max_age,
            nonce_lifetime,
            seen: ExpiringSet::new(REPLAY_CAPACITY),
            nonces: ExpiringSet::new(REPLAY_CAPACITY),
        }
    }

    /// A fresh nonce for the `DPoP-Nonce` header, valid from `now` for the nonce lifetime.
    pub fn issue_nonce(&self, now: i64) -> Result<String, VerifyError> {
        let nonce = random::random_b64::<16>("a DPoP nonce").map_err(|e: AuthError| {
            VerifyError::Server {
                reason: e.to_string(),
            }
        })?;
        self.nonces
            .insert_new(nonce.clone(), now + self.nonce_lifetime, now)?;
        Ok(nonce)
    }

    /// Verifies `proof` for the request described by `expect`, as of `now`.
    pub fn verify(
        &self,
        proof: &str,
        expect: &DpopExpectation<'_>,
        now: i64,
    ) -> Result<VerifiedProof, VerifyError> {
        let key = proof_key(proof)?;
        let allowed: Vec<_> = RSA_ALGORITHMS
            .iter()
            .chain(&EC_ALGORITHMS)
            .copied()
            .collect();
        let (_, claims): (_, Claims) = key.decode(proof, &allowed)?;

        let jti = required(claims.jti, "jti")?;
        let htm = required(claims.htm, "htm")?;
        let proof_htu = required(claims.htu, "htu")?;
        let iat = required(claims.iat, "iat")?;
        if htm != expect.method {
            return Err(VerifyError::Htm);
        }
        if !same_htu(&proof_htu, expect.url) {
            return Err(VerifyError::Htu);
        }
        if iat > now + LEEWAY || iat < now - self.max_age - LEEWAY {
            return Err(VerifyError::Stale);
        }
        if expect.require_nonce
            && !claims
                .nonce
                .as_deref()
                .is_some_and(|n| self.nonces.contains(n, now))
        {
            return Err(VerifyError::UseDpopNonce);
        }
        if let Some(token) = expect.access_token
            && claims.ath.as_deref() != Some(ath(token).as_str())
        {
            return Err(VerifyError::Ath);
        }
        let jkt = key.thumbprint().to_owned();
        self.seen.insert_new(
            format!("{jkt}\n{jti}"),
            iat + self.max_age + 2 * LEEWAY,
            now,
        )?;
        Ok(VerifiedProof { jkt })
    }
}

/// The proof's own key, after checking the header's `typ` and that `jwk` is a public key.
fn proof_key(proof: &str) -> Result<VerifyingKey, VerifyError> {
    let malformed = |reason: &str| VerifyError::Malformed {
        reason: reason.to_owned(),
    };
    let encoded = proof
        .split('.')
        .next()
        .ok_or_else(|| malformed("not a JWS compact serialisation"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| malformed("header is not base64url"))?;
    let header: RawHeader =
        serde_json::from_slice(&bytes).map_err(|_| malformed("header is not a JSON object"))?;
    if header.typ.as_deref() != Some(DPOP_JWT_TYPE) {
        return Err(VerifyError::Type { found: header.typ });
    }
    let jwk = header.jwk.ok_or_else(|| malformed("header has no jwk"))?;
    if has_private_members(&jwk.to_string()) {
        return Err(VerifyError::InvalidKey {
            reason: "jwk contains private key members".to_owned(),
        });
    }
    let jwk: Jwk = serde_json::from_value(jwk).map_err(|_| VerifyError::InvalidKey {
        reason: "jwk is not a JWK".to_owned(),
    })?;
    VerifyingKey::try_from_jwk(&jwk).map_err(|reason| VerifyError::InvalidKey { reason })
}

/// True when a proof's `htu` names the request URL (RFC 9449 §4.3: compared without query and
/// fragment, after syntax-based normalisation, which `Url` parsing performs).
fn same_htu(proof_htu: &str, request_url: &str) -> bool {
    match (Url::parse(proof_htu), Url::parse(request_url)) {
        (Ok(a), Ok(b)) => htu(&a) == htu(&b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::same_htu;

    #[test]
    fn htu_ignores_query_fragment_case_and_default_port() {
        let cases = [
            ("https://a.example/p", "https://a.example/p?x=1#f", true),
            ("HTTPS://A.EXAMPLE:443/p", "https://a.example/p", true),
            ("http://127.0.0.1:8080/p", "http://127.0.0.1:8080/p", true),
            ("http://127.0.0.1:8080/p", "http://127.0.0.1:8081/p", false),
            ("http://127.0.0.1:8080/p", "http://127.0.0.1:8080/q", false),
            ("http://a.example/p", "https://a.example/p", false),
            ("not a url", "https://a.example/p", false),
        ];
        for (proof, request, same) in cases {
            assert_eq!(same_htu(proof, request), same, "{proof} vs {request}");
        }
    }
}

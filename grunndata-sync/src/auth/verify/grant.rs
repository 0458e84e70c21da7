//! Maskinporten JWT grants (UPSTREAMS.md §5.3).

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    Audience, ExpiringSet, LEEWAY, REPLAY_CAPACITY, VerifyError, candidate_keys, decode_with_any,
    header, required, unverified_claim,
};
use crate::auth::VerifyingKey;
use crate::auth::keyformat::RSA_PKCS1_ALGORITHMS;

/// Checks JWT grants against registered clients' public keys.
///
/// Rules: `alg` RS256/RS384/RS512; header `kid` present and registered for the `iss` client
/// (`x5c` certificate chains are not supported by this verifier); signature verifies; `aud` is
/// the configured audience; `scope` non-empty; `iat` not in the future and `exp` not passed
/// (± [`LEEWAY`]); `exp - iat` ≤ 120 s; `jti`, when present, not seen before for this client.
#[derive(Debug)]
pub struct GrantVerifier {
    audience: String,
    clients: HashMap<String, Vec<VerifyingKey>>,
    max_lifetime: i64,
    seen: ExpiringSet,
}

/// What a verified grant asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedGrant {
    /// The client (`iss`).
    pub client_id: String,
    /// The requested scopes.
    pub scopes: Vec<String>,
    /// The requested `resource`, if any.
    pub resource: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<Audience>,
    scope: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
    resource: Option<String>,
}

impl GrantVerifier {
    /// Maskinporten's limit on `exp - iat`, in seconds.
    pub const MAX_LIFETIME: i64 = 120;

    /// A verifier for grants addressed to `audience` (Maskinporten's issuer URL).
    pub fn new(audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            clients: HashMap::new(),
            max_lifetime: Self::MAX_LIFETIME,
            seen: ExpiringSet::new(REPLAY_CAPACITY),
        }
    }

    /// Registers `key` for `client_id`. The key needs a `kid`, which grants must name.
    pub fn register(&mut self, client_id: impl Into<String>, key: VerifyingKey) {
        self.clients.entry(client_id.into()).or_default().push(key);
    }

    /// Verifies `grant` as of `now`.
    pub fn verify(&self, grant: &str, now: i64) -> Result<VerifiedGrant, VerifyError> {
        let header = header(grant)?;
        if !RSA_PKCS1_ALGORITHMS.contains(&header.alg) {
            return Err(VerifyError::Algorithm {
                alg: format!("{:?}", header.alg),
            });
        }
        let Some(kid) = header.kid.as_deref() else {
            let reason = if header.x5c.is_some() {
                "x5c certificate chains are not supported here; send kid"
            } else {
                "the header has neither kid nor x5c"
            };
            return Err(VerifyError::Malformed {
                reason: reason.to_owned(),
            });
        };
        let client_id =
            unverified_claim(grant, "iss")?.ok_or(VerifyError::MissingClaim { claim: "iss" })?;
        let keys = self
            .clients
            .get(&client_id)
            .ok_or_else(|| VerifyError::UnknownClient {
                client_id: client_id.clone(),
            })?;
        let candidates = candidate_keys(keys, Some(kid))?;
        let claims: Claims = decode_with_any(&candidates, grant, &RSA_PKCS1_ALGORITHMS)?;

        if required(claims.iss.as_deref(), "iss")? != client_id {
            return Err(VerifyError::WrongClaim {
                claim: "iss",
                reason: "changed between reads".to_owned(),
            });
        }
        if !required(claims.aud.as_ref(), "aud")?.matches(std::slice::from_ref(&self.audience)) {
            return Err(VerifyError::Audience);
        }
        let scope = required(claims.scope, "scope")?;
        let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
        if scopes.is_empty() {
            return Err(VerifyError::MissingClaim { claim: "scope" });
        }
        let exp = required(claims.exp, "exp")?;
        let iat = required(claims.iat, "iat")?;
        if now >= exp + LEEWAY {
            return Err(VerifyError::Expired);
        }
        if iat > now + LEEWAY {
            return Err(VerifyError::NotYetValid);
        }
        if exp - iat > self.max_lifetime {
            return Err(VerifyError::LifetimeTooLong {
                lifetime: exp - iat,
                max: self.max_lifetime,
            });
        }
        if let Some(jti) = claims.jti {
            self.seen
                .insert_new(format!("{client_id}\n{jti}"), exp + LEEWAY, now)?;
        }
        Ok(VerifiedGrant {
            client_id,
            scopes,
            resource: claims.resource,
        })
    }
}

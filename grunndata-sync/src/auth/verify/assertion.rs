//! HelseID client assertions (`private_key_jwt`, UPSTREAMS.md §5.1).

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    Audience, ExpiringSet, LEEWAY, REPLAY_CAPACITY, VerifyError, candidate_keys, decode_with_any,
    header, required, unverified_claim,
};
use crate::auth::keyformat::{EC_ALGORITHMS, RSA_ALGORITHMS};
use crate::auth::{CLIENT_ASSERTION_JWT_TYPE, CLIENT_ASSERTION_JWT_TYPE_RFC7523BIS, VerifyingKey};

/// Checks client assertions against registered clients' public keys.
///
/// Rules: header `typ` is `client-authentication+jwt` or `JWT` (or absent); `alg` is RSA
/// (RS/PS 256–512) or ES256 and suits the key; the signature verifies with a key registered for
/// the client (the one named by `kid`, or any when `kid` is absent); `iss` = `sub` = the client
/// id; `aud` names the issuer or token endpoint; `exp`, `iat` and `jti` are present; not
/// expired, `nbf`/`iat` not in the future (± [`LEEWAY`]); `exp - iat` ≤ `max_lifetime`; the
/// `jti` not seen before for this client.
#[derive(Debug)]
pub struct AssertionVerifier {
    audiences: Vec<String>,
    clients: HashMap<String, Vec<VerifyingKey>>,
    max_lifetime: i64,
    seen: ExpiringSet,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

impl AssertionVerifier {
    /// Longest accepted `exp - iat`, in seconds.
    ///
    /// Decision: HelseID wants `exp` at most 60 s ahead (UPSTREAMS.md §5.1); we allow the
    /// leeway on top, since clients commonly use exactly 60 s.
    pub const DEFAULT_MAX_LIFETIME: i64 = 60 + LEEWAY;

    /// A verifier accepting assertions whose `aud` is one of `audiences` (the issuer URL, and
    /// the token endpoint URL that older clients use).
    pub fn new(audiences: Vec<String>) -> Self {
        Self {
            audiences,
            clients: HashMap::new(),
            max_lifetime: Self::DEFAULT_MAX_LIFETIME,
            seen: ExpiringSet::new(REPLAY_CAPACITY),
        }
    }

    /// Registers `key` for `client_id` (a client may have several keys).
    pub fn register(&mut self, client_id: impl Into<String>, key: VerifyingKey) {
        self.clients.entry(client_id.into()).or_default().push(key);
    }

    /// True when `client_id` is registered.
    pub fn knows(&self, client_id: &str) -> bool {
        self.clients.contains_key(client_id)
    }

    /// Verifies `assertion` as of `now`; `client_id` is the request's `client_id` parameter,
    /// which must match `iss` when sent. Returns the authenticated client id.
    pub fn verify(
        &self,
        assertion: &str,
        client_id: Option<&str>,
        now: i64,
    ) -> Result<String, VerifyError> {
        let header = header(assertion)?;
        match header.typ.as_deref() {
            None | Some(CLIENT_ASSERTION_JWT_TYPE | CLIENT_ASSERTION_JWT_TYPE_RFC7523BIS) => {}
            Some(other) => {
                return Err(VerifyError::Type {
                    found: Some(other.to_owned()),
                });
            }
        }
        let client_id = match client_id {
            Some(id) => id.to_owned(),
            None => unverified_claim(assertion, "iss")?
                .ok_or(VerifyError::MissingClaim { claim: "iss" })?,
        };
        let keys = self
            .clients
            .get(&client_id)
            .ok_or_else(|| VerifyError::UnknownClient {
                client_id: client_id.clone(),
            })?;
        let candidates = candidate_keys(keys, header.kid.as_deref())?;
        let allowed: Vec<_> = RSA_ALGORITHMS
            .iter()
            .chain(&EC_ALGORITHMS)
            .copied()
            .collect();
        let claims: Claims = decode_with_any(&candidates, assertion, &allowed)?;

        for (claim, value) in [("iss", &claims.iss), ("sub", &claims.sub)] {
            if required(value.as_deref(), claim)? != client_id {
                return Err(VerifyError::WrongClaim {
                    claim,
                    reason: "must be the client id".to_owned(),
                });
            }
        }
        if !required(claims.aud.as_ref(), "aud")?.matches(&self.audiences) {
            return Err(VerifyError::Audience);
        }
        let exp = required(claims.exp, "exp")?;
        let iat = required(claims.iat, "iat")?;
        let jti = required(claims.jti, "jti")?;
        if now >= exp + LEEWAY {
            return Err(VerifyError::Expired);
        }
        if iat > now + LEEWAY || claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY) {
            return Err(VerifyError::NotYetValid);
        }
        if exp - iat > self.max_lifetime {
            return Err(VerifyError::LifetimeTooLong {
                lifetime: exp - iat,
                max: self.max_lifetime,
            });
        }
        self.seen
            .insert_new(format!("{client_id}\n{jti}"), exp + LEEWAY, now)?;
        Ok(client_id)
    }
}

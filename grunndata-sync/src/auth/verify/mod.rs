//! What a token server and a resource server check, for the fake upstream (and anyone who wants
//! to test a client against real rules).
//!
//! - [`AssertionVerifier`]: HelseID client assertions (`private_key_jwt`).
//! - [`GrantVerifier`]: Maskinporten JWT grants.
//! - [`DpopVerifier`]: DPoP proofs at the token endpoint (with server nonces) and at APIs (with
//!   `ath` and key binding).
//!
//! Signatures are checked by `jsonwebtoken` against registered public keys (or, for DPoP, the
//! proof's own `jwk`); every claim is then checked here against an injectable clock. Each
//! verifier keeps a bounded replay cache of `jti`s until they would expire anyway.
//!
//! Time rules (decisions where the specs are silent are marked in each verifier): a leeway of
//! [`LEEWAY`] seconds for clock skew on `exp`, `nbf` and `iat`.

mod assertion;
mod dpop;
mod expiring;
mod grant;

use serde::Deserialize;

pub use assertion::AssertionVerifier;
pub use dpop::{DpopExpectation, DpopVerifier, VerifiedProof};
pub use expiring::ExpiringSet;
pub use grant::{GrantVerifier, VerifiedGrant};

use super::VerifyingKey;

/// Clock-skew allowance in seconds (Maskinporten documents ±10 s for `iat`; we use it
/// everywhere).
pub const LEEWAY: i64 = 10;

/// How many `jti`s (or nonces) a verifier remembers at most. When full of unexpired entries it
/// refuses new JWTs rather than forget one that could then be replayed.
pub const REPLAY_CAPACITY: usize = 100_000;

/// Why a JWT was refused. Messages name the rule broken, never the JWT or a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a well-formed JWS/JWT of the expected shape.
    #[error("malformed JWT: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The header `typ` is not accepted here.
    #[error("JWT typ {found:?} is not accepted here")]
    Type {
        /// The `typ` found, if any.
        found: Option<String>,
    },
    /// The header `alg` is not accepted here or for this key.
    #[error("signature algorithm {alg} is not accepted")]
    Algorithm {
        /// The `alg` found.
        alg: String,
    },
    /// The key is unusable (bad JWK in a DPoP proof, ...).
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong.
        reason: String,
    },
    /// No client with this id is registered.
    #[error("unknown client {client_id:?}")]
    UnknownClient {
        /// The client id.
        client_id: String,
    },
    /// No registered key of the client matches the header's `kid`.
    #[error("no registered key matches kid {kid:?}")]
    UnknownKey {
        /// The header's `kid`.
        kid: Option<String>,
    },
    /// The signature does not verify with the key.
    #[error("signature does not verify")]
    BadSignature,
    /// A required claim is missing.
    #[error("claim {claim} is missing")]
    MissingClaim {
        /// The claim.
        claim: &'static str,
    },
    /// A claim has a value not accepted here.
    #[error("claim {claim} is wrong: {reason}")]
    WrongClaim {
        /// The claim.
        claim: &'static str,
        /// How.
        reason: String,
    },
    /// `aud` does not name this server.
    #[error("audience is not this server")]
    Audience,
    /// `exp` has passed.
    #[error("expired")]
    Expired,
    /// `nbf` or `iat` lies in the future.
    #[error("not yet valid")]
    NotYetValid,
    /// `exp - iat` is longer than allowed.
    #[error("lifetime of {lifetime} s exceeds the {max} s allowed")]
    LifetimeTooLong {
        /// `exp - iat`.
        lifetime: i64,
        /// The limit.
        max: i64,
    },
    /// The `jti` was seen before.
    #[error("jti was already used")]
    Replayed,
    /// The replay cache is full of unexpired entries.
    #[error("too many JWTs in flight; try again later")]
    CacheFull,
    /// A DPoP proof's `htm` is not the request's method.
    #[error("DPoP proof htm does not match the request method")]
    Htm,
    /// A DPoP proof's `htu` is not the request's URL.
    #[error("DPoP proof htu does not match the request URL")]
    Htu,
    /// A DPoP proof's `iat` is outside the accepted window.
    #[error("DPoP proof iat is outside the accepted window")]
    Stale,
    /// A DPoP proof's `ath` is missing or not the hash of the access token.
    #[error("DPoP proof ath does not match the access token")]
    Ath,
    /// The verifier itself failed (no randomness for a nonce).
    #[error("server error: {reason}")]
    Server {
        /// What failed.
        reason: String,
    },
    /// The server requires a (fresh) DPoP nonce.
    #[error("a DPoP nonce is required")]
    UseDpopNonce,
}

/// `aud` as JWTs carry it: one string or an array.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// True when any value names one of `accepted` (a trailing `/` is ignored on both sides:
    /// issuers are written both ways, UPSTREAMS.md §5.1).
    fn matches(&self, accepted: &[String]) -> bool {
        let norm = |s: &str| s.trim_end_matches('/').to_owned();
        let accepted: Vec<String> = accepted.iter().map(|a| norm(a)).collect();
        let hit = |a: &String| accepted.contains(&norm(a));
        match self {
            Self::One(a) => hit(a),
            Self::Many(all) => all.iter().any(hit),
        }
    }
}

/// Picks the keys a JWT may be signed with: those with the header's `kid`, or all when the
/// header has none.
fn candidate_keys<'k>(
    keys: &'k [VerifyingKey],
    kid: Option<&str>,
) -> Result<Vec<&'k VerifyingKey>, VerifyError> {
    let found: Vec<&VerifyingKey> = match kid {
        Some(kid) => keys.iter().filter(|k| k.kid() == Some(kid)).collect(),
        None => keys.iter().collect(),
    };
    if found.is_empty() {
        return Err(VerifyError::UnknownKey {
            kid: kid.map(str::to_owned),
        });
    }
    Ok(found)
}

/// Verifies `jwt` with the first candidate key that accepts it.
fn decode_with_any<C: serde::de::DeserializeOwned>(
    keys: &[&VerifyingKey],
    jwt: &str,
    allowed: &[jsonwebtoken::Algorithm],
) -> Result<C, VerifyError> {
    // A signature failure with a key of the right type says more than "wrong algorithm" from
    // another key of the same client, so it wins.
    let mut other = None;
    for key in keys {
        match key.decode::<C>(jwt, allowed) {
            Ok((_, claims)) => return Ok(claims),
            Err(VerifyError::BadSignature) => return Err(VerifyError::BadSignature),
            Err(e) => other = Some(e),
        }
    }
    Err(other.unwrap_or(VerifyError::BadSignature))
}

/// The issuer a JWT claims to be, read before its signature is checked (only to find the key).
fn unverified_claim(jwt: &str, claim: &'static str) -> Result<Option<String>, VerifyError> {
    let claims: serde_json::Map<String, serde_json::Value> =
        jsonwebtoken::dangerous::insecure_decode_claims(jwt).map_err(|_| {
            VerifyError::Malformed {
                reason: "not a JWS compact serialisation with JSON claims".to_owned(),
            }
        })?;
    Ok(claims
        .get(claim)
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

fn header(jwt: &str) -> Result<jsonwebtoken::Header, VerifyError> {
    jsonwebtoken::decode_header(jwt).map_err(|_| VerifyError::Malformed {
        reason: "not a JWS compact serialisation".to_owned(),
    })
}

fn required<T>(value: Option<T>, claim: &'static str) -> Result<T, VerifyError> {
    value.ok_or(VerifyError::MissingClaim { claim })
}

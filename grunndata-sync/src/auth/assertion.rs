//! The JWTs a client signs to get a token: HelseID's client assertion (`private_key_jwt`) and
//! Maskinporten's JWT grant.

use serde::Serialize;

use super::{AuthError, CLIENT_ASSERTION_JWT_TYPE, SigningKey, random};

/// A HelseID client assertion (`private_key_jwt`, UPSTREAMS.md §5.1).
///
/// Claims: `iss` = `sub` = client id, `aud` = the HelseID issuer, `iat` = `nbf` = now,
/// `exp` = now + `lifetime`, `jti` random. Header: `alg` and `kid` from the key, `typ`
/// [`CLIENT_ASSERTION_JWT_TYPE`].
#[derive(Clone, Debug)]
pub struct ClientAssertion<'a> {
    /// The client id (`iss` and `sub`).
    pub client_id: &'a str,
    /// The audience: the HelseID issuer URL.
    pub audience: &'a str,
    /// Seconds until `exp`; HelseID wants at most 60.
    pub lifetime: i64,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
}

impl ClientAssertion<'_> {
    /// The lifetime grunndata uses: short, so a leaked assertion is soon useless.
    pub const DEFAULT_LIFETIME: i64 = 60;

    /// Signs the assertion as of `now` (seconds since the epoch).
    pub fn sign(&self, key: &SigningKey, now: i64) -> Result<String, AuthError> {
        let claims = AssertionClaims {
            iss: self.client_id,
            sub: self.client_id,
            aud: self.audience,
            iat: now,
            nbf: now,
            exp: now + self.lifetime,
            jti: random::jti()?,
        };
        key.sign(
            &key.header(CLIENT_ASSERTION_JWT_TYPE),
            &claims,
            "client assertion",
        )
    }
}

/// A Maskinporten JWT grant (UPSTREAMS.md §5.3).
///
/// Claims: `aud`, `iss` = client id, `scope` (space-separated), `iat` = now,
/// `exp` = now + `lifetime` (Maskinporten allows at most 120 s), `jti` random, `resource` when
/// set. Header: `alg` (RS256/384/512) and `kid` from the key.
#[derive(Clone, Debug)]
pub struct JwtGrant<'a> {
    /// The client id (`iss`).
    pub client_id: &'a str,
    /// The audience: Maskinporten's issuer URL, e.g. `https://test.maskinporten.no/`.
    pub audience: &'a str,
    /// The scopes, space-separated.
    pub scope: &'a str,
    /// The optional `resource` (audience-restricted token).
    pub resource: Option<&'a str>,
    /// Seconds until `exp`.
    pub lifetime: i64,
}

#[derive(Serialize)]
struct GrantClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    scope: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
}

impl JwtGrant<'_> {
    /// The lifetime grunndata uses, well inside Maskinporten's 120 s.
    pub const DEFAULT_LIFETIME: i64 = 60;

    /// Signs the grant as of `now` (seconds since the epoch).
    pub fn sign(&self, key: &SigningKey, now: i64) -> Result<String, AuthError> {
        let claims = GrantClaims {
            aud: self.audience,
            iss: self.client_id,
            scope: self.scope,
            iat: now,
            exp: now + self.lifetime,
            jti: random::jti()?,
            resource: self.resource,
        };
        key.sign(&key.header("JWT"), &claims, "JWT grant")
    }
}

//! Access tokens for the upstreams that need them, and the checks a token server makes.
//!
//! | upstream | token | client |
//! |---|---|---|
//! | Brreg | none | [`TokenProvider::Anonymous`] |
//! | Adresseregisteret, Persontjenesten | HelseID, client credentials + `private_key_jwt`, DPoP-bound | [`HelseIdClient`] |
//! | HPR REST | Maskinporten JWT-bearer grant, Bearer | [`MaskinportenClient`] |
//!
//! Upstream clients hold a [`TokenProvider`] and call [`TokenProvider::authorize`] on every
//! request they build; it fetches (or reuses) a token and adds `Authorization` (and, for HelseID,
//! a fresh `DPoP` proof bound to that request and token). Build the clients from the
//! `[helseid]` / `[maskinporten]` configuration sections with [`HelseIdClient::from_config`] (one
//! per API: Adresseregisteret and Persontjenesten have different scopes and audiences) and
//! [`MaskinportenClient::from_config`], or with their builders.
//!
//! All signing and signature checking is done by `jsonwebtoken` with its RustCrypto backend;
//! this module only builds claims, compares them and moves keys between file formats.
//!
//! The [`verify`] submodule holds what a token server or resource server checks (client
//! assertions, JWT grants, DPoP proofs, replay); the fake upstream uses it
//! (`crate::fake::token`), and [`testkeys`] generates the keys the fake and the tests register.
//!
//! **Secrets.** Private keys, access tokens and signed assertions never reach a log line, an
//! error message or `Debug` output: keys live in [`SigningKey`] (its `Debug` shows algorithm and
//! `kid` only), tokens in [`Secret`], and [`AuthError`] carries only endpoints, statuses and the
//! server's OAuth `error`/`error_description`.

mod assertion;
mod cache;
pub mod clock;
mod dpop;
mod error;
mod helseid;
mod key;
mod keyformat;
mod maskinporten;
mod provider;
pub(crate) mod random;
pub mod scopes;
#[cfg(feature = "fake")]
pub mod testkeys;
mod token;
mod transport;
pub mod verify;
mod verifying_key;

pub use crate::secret::Secret;
pub use assertion::{ClientAssertion, JwtGrant};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use dpop::{DpopProof, htu};
pub use error::AuthError;
pub use helseid::{HelseIdClient, HelseIdClientBuilder};
pub use jsonwebtoken::Algorithm;
pub use jsonwebtoken::jwk::Jwk;
pub use key::{KeyFile, SigningKey, VerifyingKey};
pub use maskinporten::{MaskinportenClient, MaskinportenClientBuilder};
pub use provider::TokenProvider;
pub use token::{AccessToken, MAX_TOKEN_RESPONSE_BYTES, TokenType};

/// `client_assertion_type` for `private_key_jwt` client authentication (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `grant_type` of the JWT-bearer authorization grant used by Maskinporten (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// JOSE `typ` of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_JWT_TYPE: &str = "dpop+jwt";

/// JOSE `typ` grunndata puts on HelseID client assertions: `"JWT"`, as HelseID's own
/// documentation of the client assertion shows (UPSTREAMS.md §5.1).
///
/// NHN's 2025 .NET sample sends [`CLIENT_ASSERTION_JWT_TYPE_RFC7523BIS`] instead; the fake
/// accepts both. See docs/upstream-decisions.md ("client assertion typ").
pub const CLIENT_ASSERTION_JWT_TYPE: &str = "JWT";

/// The newer `typ` for client assertions (draft-ietf-oauth-rfc7523bis), sent by NHN's 2025
/// .NET sample; accepted by the fake, not sent by grunndata.
pub const CLIENT_ASSERTION_JWT_TYPE_RFC7523BIS: &str = "client-authentication+jwt";

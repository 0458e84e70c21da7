//! The client side's error type.
//!
//! Policy: every failure to load a key, sign an assertion or obtain a token is an [`AuthError`].
//! Each variant says which upstream or key file, which endpoint and which HTTP status, and for a
//! refusal the OAuth `error` and `error_description` the token server sent. No variant ever holds
//! key material, an access token or a signed assertion, and none repeats a resource URL (a path
//! may hold a person's number). Callers react by kind:
//!
//! - [`ReadKey`](AuthError::ReadKey), [`InvalidKey`](AuthError::InvalidKey),
//!   [`Config`](AuthError::Config): a configuration problem; retrying will not help.
//! - [`Refused`](AuthError::Refused): the token server said no (`invalid_client`: key or client
//!   id not registered; `invalid_scope`: scope not granted). Usually configuration.
//! - [`Http`](AuthError::Http), [`BadResponse`](AuthError::BadResponse): network or server
//!   trouble; may be retried later.

use std::path::PathBuf;

/// Why a key could not be loaded or a token could not be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A key file could not be read.
    #[error("cannot read key file {}", path.display())]
    ReadKey {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A generated key could not be written.
    #[error("cannot write key file {}", path.display())]
    WriteKey {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A key file (or inline key) was read but is not a usable key.
    #[error("invalid key {origin}: {reason}")]
    InvalidKey {
        /// The file path, or a short description of where an inline key came from.
        origin: String,
        /// What is wrong with it (never the key itself).
        reason: String,
    },

    /// A client was configured inconsistently (wrong algorithm for the upstream, missing `kid`,
    /// unparsable endpoint URL, ...).
    #[error("invalid {upstream} configuration: {reason}")]
    Config {
        /// `"HelseID"` or `"Maskinporten"`.
        upstream: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// Signing a JWT (client assertion, grant or DPoP proof) failed.
    #[error("cannot sign the {what}: {reason}")]
    Sign {
        /// `"client assertion"`, `"JWT grant"` or `"DPoP proof"`.
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// The operating system's random number generator failed.
    #[error("no randomness available for {what}")]
    Random {
        /// What needed it.
        what: &'static str,
    },

    /// The token request did not get an HTTP response (connect, TLS, timeout, ...).
    #[error("{upstream} token endpoint {endpoint}: request failed")]
    Http {
        /// `"HelseID"` or `"Maskinporten"`.
        upstream: &'static str,
        /// The token endpoint URL.
        endpoint: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The token server answered with an OAuth error.
    #[error(
        "{upstream} token endpoint {endpoint} refused the token request (HTTP {status}): {error}{}",
        description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Refused {
        /// `"HelseID"` or `"Maskinporten"`.
        upstream: &'static str,
        /// The token endpoint URL.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code (`invalid_client`, `invalid_grant`, `invalid_scope`, ...), or
        /// `"(no OAuth error in the response body)"`.
        error: String,
        /// The OAuth `error_description`, when sent.
        description: Option<String>,
    },

    /// The token server answered 2xx, but not with a usable token response.
    #[error("{upstream} token endpoint {endpoint}: unusable response (HTTP {status}): {reason}")]
    BadResponse {
        /// `"HelseID"` or `"Maskinporten"`.
        upstream: &'static str,
        /// The token endpoint URL.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// What is wrong with it (never the body, which might hold a token).
        reason: String,
    },

    /// A resource request could not be prepared for authorization.
    #[error("cannot authorize the {method} request to {host}: {reason}")]
    Request {
        /// The request method.
        method: String,
        /// The request's host (the path is left out: it may hold a person's number).
        host: String,
        /// Why.
        reason: String,
    },
}

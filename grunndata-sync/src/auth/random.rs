//! Unguessable identifiers (`jti`, opaque tokens, nonces) from the operating system's RNG.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::rand_core::{OsRng, RngCore};

use super::AuthError;

/// `N` random bytes from the OS, base64url-encoded without padding.
pub(crate) fn random_b64<const N: usize>(what: &'static str) -> Result<String, AuthError> {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| AuthError::Random { what })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A fresh JWT id: 128 random bits.
pub(crate) fn jti() -> Result<String, AuthError> {
    random_b64::<16>("a JWT id")
}

/// A fresh opaque access token: 256 random bits.
pub(crate) fn opaque_token() -> Result<String, AuthError> {
    random_b64::<32>("an access token")
}

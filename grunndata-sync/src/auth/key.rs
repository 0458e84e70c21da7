//! Signing keys (ours, private) and verifying keys (a client's, public).

use std::fmt;
use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::AuthError;
use super::keyformat::{self, PrivateKey};

pub use super::verifying_key::VerifyingKey;

/// Where a signing key is configured: a PEM or JWK file, with optional algorithm and key id.
///
/// ```toml
/// [helseid.key]
/// path = "keys/helseid.pem"
/// alg = "PS256"        # optional; default from the key (RS256 for RSA, ES256 for EC)
/// kid = "my-key-1"     # optional; default from the JWK's `kid`
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// The file: PEM (PKCS#1, PKCS#8 or SEC1, unencrypted) or a private JWK.
    pub path: PathBuf,
    /// The JWS algorithm; must suit the key type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<Algorithm>,
    /// The `kid` sent in JWT headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

impl KeyFile {
    /// Reads and parses the key file.
    pub fn load(&self) -> Result<SigningKey, AuthError> {
        SigningKey::from_file(&self.path, self.alg, self.kid.clone())
    }
}

/// A private key we sign client assertions, JWT grants and DPoP proofs with.
///
/// Loaded from PEM or JWK; RSA (≥ 2048 bits; RS256/384/512, PS256/384/512) or EC P-256 (ES256).
/// `Debug` shows the algorithm, `kid` and thumbprint, never key material.
#[derive(Clone)]
pub struct SigningKey {
    encoding: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
    /// Public half, as sent in a DPoP proof's `jwk` header (with `alg`, without `kid`).
    public: Jwk,
    /// RFC 7638 SHA-256 thumbprint of `public`, base64url.
    thumbprint: String,
}

impl SigningKey {
    /// Reads a key from a PEM or JWK file.
    ///
    /// `alg` overrides the JWK's `alg`; `kid` overrides the JWK's `kid`.
    pub fn from_file(
        path: &Path,
        alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path)
            .map(Zeroizing::new)
            .map_err(|source| AuthError::ReadKey {
                path: path.to_owned(),
                source,
            })?;
        Self::parse(&text, alg, kid, &path.display().to_string())
    }

    /// Parses a key from PEM or JWK text.
    pub fn from_text(
        text: &str,
        alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<Self, AuthError> {
        Self::parse(text, alg, kid, "(inline key)")
    }

    fn parse(
        text: &str,
        alg: Option<Algorithm>,
        kid: Option<String>,
        origin: &str,
    ) -> Result<Self, AuthError> {
        let invalid = |reason: String| AuthError::InvalidKey {
            origin: origin.to_owned(),
            reason,
        };
        let parsed = keyformat::parse_private_key(text).map_err(invalid)?;
        Self::from_private(&parsed.key, alg.or(parsed.alg), kid.or(parsed.kid)).map_err(invalid)
    }

    pub(crate) fn from_private(
        key: &PrivateKey,
        alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<Self, String> {
        let alg = alg.unwrap_or_else(|| key.default_algorithm());
        if !key.algorithms().contains(&alg) {
            return Err(format!("{alg:?} cannot be used with an {} key", key.kind()));
        }
        let encoding = key.encoding_key()?;
        let mut public = key.public_jwk();
        public.common.key_algorithm = Some(alg.into());
        let thumbprint = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|_| "cannot compute the key thumbprint".to_owned())?;
        Ok(Self {
            encoding,
            alg,
            kid,
            public,
            thumbprint,
        })
    }

    /// The JWS algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id sent in client assertions and grants, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The public key as a JWK (with `alg`; without `kid`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// The public key as registered with a token server: the public JWK with `kid` when set.
    pub fn verifying_key(&self) -> Result<VerifyingKey, AuthError> {
        let mut jwk = self.public.clone();
        jwk.common.key_id.clone_from(&self.kid);
        VerifyingKey::from_jwk(&jwk)
    }

    /// RFC 7638 SHA-256 JWK thumbprint (base64url), the `jkt` a DPoP-bound token is bound to.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A JWS header for this key with `typ`; `kid` when the key has one.
    pub(crate) fn header(&self, typ: &str) -> Header {
        let mut header = Header::new(self.alg);
        header.typ = Some(typ.to_owned());
        header.kid.clone_from(&self.kid);
        header
    }

    /// Signs `claims` under `header` (whose `alg` must be this key's).
    pub(crate) fn sign<C: Serialize>(
        &self,
        header: &Header,
        claims: &C,
        what: &'static str,
    ) -> Result<String, AuthError> {
        jsonwebtoken::encode(header, claims, &self.encoding).map_err(|e| AuthError::Sign {
            what,
            reason: sign_reason(&e),
        })
    }
}

/// A description of a signing failure that cannot echo key bytes.
fn sign_reason(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidAlgorithm => "algorithm does not match the key".to_owned(),
        ErrorKind::InvalidKeyFormat | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey => {
            "the key cannot sign".to_owned()
        }
        ErrorKind::Json(_) => "cannot serialise the claims".to_owned(),
        _ => "signing failed".to_owned(),
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("thumbprint", &self.thumbprint)
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

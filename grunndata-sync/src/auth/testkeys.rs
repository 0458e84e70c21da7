//! Fresh key pairs for tests and for the fake upstream's `--write-config`.
//!
//! Everything here blocks, and RSA generation takes seconds in debug builds: call it once per
//! process (e.g. behind a `OnceLock`) and from `spawn_blocking` in async code.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use jsonwebtoken::Algorithm;

use super::keyformat::{MIN_RSA_BITS, PrivateKey};
use super::{AuthError, KeyFile, Secret, SigningKey, VerifyingKey};

/// Client id the generated HelseID key is meant to be registered under.
pub const HELSEID_CLIENT_ID: &str = "grunndata-fake-helseid";
/// `kid` of the generated HelseID key.
pub const HELSEID_KID: &str = "grunndata-fake-helseid-1";
/// Client id the generated Maskinporten key is meant to be registered under.
pub const MASKINPORTEN_CLIENT_ID: &str = "grunndata-fake-maskinporten";
/// `kid` of the generated Maskinporten key.
pub const MASKINPORTEN_KID: &str = "grunndata-fake-maskinporten-1";

/// A freshly generated private key. `Debug` shows only its type.
pub struct GeneratedKey {
    key: PrivateKey,
}

impl GeneratedKey {
    /// A new EC P-256 key (ES256). Fast.
    pub fn es256() -> Self {
        Self {
            key: PrivateKey::P256(p256::SecretKey::random(&mut rsa::rand_core::OsRng)),
        }
    }

    /// A new RSA key of `bits` (at least 2048). Slow: seconds in a debug build.
    pub fn rsa(bits: usize) -> Result<Self, AuthError> {
        let invalid = |reason: String| AuthError::InvalidKey {
            origin: "(generated)".to_owned(),
            reason,
        };
        if bits < MIN_RSA_BITS {
            return Err(invalid(format!(
                "RSA keys need at least {MIN_RSA_BITS} bits"
            )));
        }
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
            .map_err(|_| invalid("RSA key generation failed".to_owned()))?;
        Ok(Self {
            key: PrivateKey::Rsa(Box::new(key)),
        })
    }

    /// The key ready to sign with, as [`SigningKey::from_file`] would load it.
    pub fn signing_key(
        &self,
        alg: Option<Algorithm>,
        kid: Option<&str>,
    ) -> Result<SigningKey, AuthError> {
        let pem = self.pkcs8_pem()?;
        SigningKey::from_text(pem.expose(), alg, kid.map(str::to_owned))
    }

    /// The private key as unencrypted PKCS#8 PEM.
    pub fn pkcs8_pem(&self) -> Result<Secret<String>, AuthError> {
        let pem = self
            .key
            .to_pkcs8_pem()
            .map_err(|reason| self.invalid(reason))?;
        Ok(Secret::new(pem.as_str().to_owned()))
    }

    /// The private key as a JWK, with `kid` and `alg` members when given.
    pub fn private_jwk(
        &self,
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<Secret<String>, AuthError> {
        let jwk = self
            .key
            .to_private_jwk(kid, alg)
            .map_err(|reason| self.invalid(reason))?;
        Ok(Secret::new(jwk.as_str().to_owned()))
    }

    /// Writes the key as PKCS#8 PEM to `path`, readable by the owner only.
    pub fn write_pem(&self, path: &Path) -> Result<(), AuthError> {
        write_private(path, self.pkcs8_pem()?.expose())
    }

    /// Writes the key as a private JWK to `path`, readable by the owner only.
    pub fn write_jwk(
        &self,
        path: &Path,
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<(), AuthError> {
        write_private(path, self.private_jwk(kid, alg)?.expose())
    }

    fn invalid(&self, reason: String) -> AuthError {
        AuthError::InvalidKey {
            origin: format!("(generated {})", self.key.kind()),
            reason,
        }
    }
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kind", &self.key.kind())
            .field("key", &"[redacted]")
            .finish()
    }
}

/// A generated client: its id, where its private key was written, and its public key (to
/// register with the fake's token server).
#[derive(Clone, Debug)]
pub struct TestClient {
    /// The client id.
    pub client_id: String,
    /// The private key file, algorithm and `kid`, as a client configuration names them.
    pub key: KeyFile,
    /// The public key.
    pub public: VerifyingKey,
}

/// The keys [`generate`] wrote.
#[derive(Clone, Debug)]
pub struct TestKeys {
    /// HelseID client (EC P-256, ES256, JWK file `helseid.jwk`); also its DPoP key.
    pub helseid: TestClient,
    /// Maskinporten client (RSA 2048, RS256, PEM file `maskinporten.pem`).
    pub maskinporten: TestClient,
}

/// Generates a HelseID and a Maskinporten test key into `dir` (created if missing), private
/// files with mode 0600, existing files replaced.
///
/// Decision: HelseID gets an ES256 key (fast to generate, small proofs) written as JWK;
/// Maskinporten only accepts RS256/384/512, so it gets RSA 2048 written as PEM. Between them the
/// two formats a real deployment uses are exercised.
pub fn generate(dir: &Path) -> Result<TestKeys, AuthError> {
    std::fs::create_dir_all(dir).map_err(|source| AuthError::WriteKey {
        path: dir.to_owned(),
        source,
    })?;
    let helseid_path = dir.join("helseid.jwk");
    let helseid = GeneratedKey::es256();
    helseid.write_jwk(&helseid_path, Some(HELSEID_KID), Some(Algorithm::ES256))?;
    let maskinporten_path = dir.join("maskinporten.pem");
    let maskinporten = GeneratedKey::rsa(2048)?;
    maskinporten.write_pem(&maskinporten_path)?;
    Ok(TestKeys {
        helseid: test_client(
            HELSEID_CLIENT_ID,
            &helseid,
            helseid_path,
            Algorithm::ES256,
            HELSEID_KID,
        )?,
        maskinporten: test_client(
            MASKINPORTEN_CLIENT_ID,
            &maskinporten,
            maskinporten_path,
            Algorithm::RS256,
            MASKINPORTEN_KID,
        )?,
    })
}

fn test_client(
    client_id: &str,
    key: &GeneratedKey,
    path: PathBuf,
    alg: Algorithm,
    kid: &str,
) -> Result<TestClient, AuthError> {
    Ok(TestClient {
        client_id: client_id.to_owned(),
        public: key.signing_key(Some(alg), Some(kid))?.verifying_key()?,
        key: KeyFile {
            path,
            alg: Some(alg),
            kid: Some(kid.to_owned()),
        },
    })
}

/// Writes `contents` to `path` with mode 0600 (on Unix), replacing any file there.
fn write_private(path: &Path, contents: &str) -> Result<(), AuthError> {
    let error = |source| AuthError::WriteKey {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // `mode` applies only to a new file; tighten one that already existed before writing.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(error)?;
        }
    }
    let mut file = options.open(path).map_err(error)?;
    file.write_all(contents.as_bytes()).map_err(error)?;
    file.sync_all().map_err(error)
}

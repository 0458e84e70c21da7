//! The issuer's signing keys (a JWKS), from a file or read once from a URL at start-up.

use anyhow::Context as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};

/// How long fetching a JWKS URL may take.
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Verification keys by `kid` and algorithm.
pub struct Keys {
    keys: Vec<Key>,
}

struct Key {
    kid: Option<String>,
    /// The JWK's `alg` as written (`ES256`), if it names one.
    alg: Option<String>,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|key| key.kid.as_deref()).collect();
        f.debug_struct("Keys").field("kids", &kids).finish()
    }
}

impl Keys {
    /// Keys from a JWKS document; keys of unsupported types are skipped, none at all is an
    /// error.
    pub fn from_jwks(text: &str, origin: &str) -> anyhow::Result<Self> {
        let set: JwkSet =
            serde_json::from_str(text).with_context(|| format!("{origin} is not a JWKS"))?;
        let keys: Vec<Key> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let decoding = DecodingKey::from_jwk(jwk).ok()?;
                let alg = jwk
                    .common
                    .key_algorithm
                    .and_then(|alg| serde_json::to_value(alg).ok())
                    .and_then(|alg| alg.as_str().map(str::to_owned));
                Some(Key {
                    kid: jwk.common.key_id.clone(),
                    alg,
                    decoding,
                })
            })
            .collect();
        anyhow::ensure!(!keys.is_empty(), "{origin} holds no usable signing key");
        Ok(Self { keys })
    }

    /// The key for a token's `kid` and `alg`: the one with that `kid` (a token without `kid`
    /// is accepted only when the set has one key), whose `alg`, if named, is the token's.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&DecodingKey> {
        let alg = serde_json::to_value(alg).ok()?;
        let alg = alg.as_str()?;
        let candidates: Vec<&Key> = match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|key| key.kid.as_deref() == Some(kid))
                .collect(),
            None if self.keys.len() == 1 => self.keys.iter().collect(),
            None => Vec::new(),
        };
        candidates
            .into_iter()
            .find(|key| key.alg.as_deref().is_none_or(|named| named == alg))
            .map(|key| &key.decoding)
    }
}

/// Reads the JWKS at `source`: an `http(s)://` URL, else a file path.
pub async fn load(source: &str) -> anyhow::Result<Keys> {
    if source.starts_with("https://") || source.starts_with("http://") {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .context("building the HTTP client for the JWKS")?;
        let text = client
            .get(source)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("fetching the JWKS from {source}"))?
            .text()
            .await
            .with_context(|| format!("reading the JWKS from {source}"))?;
        Keys::from_jwks(&text, source)
    } else {
        let text = tokio::fs::read_to_string(source)
            .await
            .with_context(|| format!("reading the JWKS file {source}"))?;
        Keys::from_jwks(&text, source)
    }
}

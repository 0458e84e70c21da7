//! A public key a token server checks signatures with.

use std::collections::HashSet;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;

use super::AuthError;
use super::keyformat::{self, EC_ALGORITHMS, RSA_ALGORITHMS};
use super::verify::VerifyError;

/// A registered client's public key (or the key a DPoP proof carries): RSA ≥ 2048 bits or EC
/// P-256, with the algorithms it may be used with and its RFC 7638 thumbprint.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    jwk: Jwk,
    decoding: DecodingKey,
    algorithms: Vec<Algorithm>,
    thumbprint: String,
}

impl VerifyingKey {
    /// A key from a public JWK. The JWK's `alg`, when present, limits the algorithms accepted.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, AuthError> {
        Self::try_from_jwk(jwk).map_err(|reason| AuthError::InvalidKey {
            origin: "(JWK)".to_owned(),
            reason,
        })
    }

    /// A key from a PEM or JWK file: a public key (`PUBLIC KEY`, `RSA PUBLIC KEY`, public JWK)
    /// or a private key, whose public half is taken.
    pub fn from_file(path: &Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|source| AuthError::ReadKey {
                path: path.to_owned(),
                source,
            })?;
        let invalid = |reason: String| AuthError::InvalidKey {
            origin: path.display().to_string(),
            reason,
        };
        let jwk = if text.trim_start().starts_with('{') {
            match serde_json::from_str::<Jwk>(&text) {
                Ok(jwk) if !has_private_members(&text) => jwk,
                _ => keyformat::parse_private_key(&text)
                    .map_err(invalid)?
                    .key
                    .public_jwk(),
            }
        } else {
            keyformat::parse_public_pem(&text).map_err(invalid)?
        };
        Self::try_from_jwk(&jwk).map_err(invalid)
    }

    pub(crate) fn try_from_jwk(jwk: &Jwk) -> Result<Self, String> {
        let (decoding, family): (DecodingKey, &[Algorithm]) = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let n = URL_SAFE_NO_PAD
                    .decode(&rsa.n)
                    .map_err(|_| "RSA modulus `n` is not base64url")?;
                let significant = n.iter().skip_while(|b| **b == 0).count();
                keyformat::check_rsa_size(significant * 8)?;
                let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e)
                    .map_err(|_| "RSA exponent `e` is not base64url")?;
                (key, &RSA_ALGORITHMS)
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                if ec.curve != EllipticCurve::P256 {
                    return Err("only the P-256 curve is supported".to_owned());
                }
                let x = URL_SAFE_NO_PAD
                    .decode(&ec.x)
                    .map_err(|_| "EC `x` is not base64url")?;
                let y = URL_SAFE_NO_PAD
                    .decode(&ec.y)
                    .map_err(|_| "EC `y` is not base64url")?;
                let mut sec1 = Vec::with_capacity(65);
                sec1.push(4);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                p256::PublicKey::from_sec1_bytes(&sec1)
                    .map_err(|_| "the EC point is not on P-256")?;
                let key = DecodingKey::from_ec_components(&ec.x, &ec.y)
                    .map_err(|_| "EC coordinates are not base64url")?;
                (key, &EC_ALGORITHMS)
            }
            _ => return Err("only RSA and EC keys are supported".to_owned()),
        };
        let algorithms = match jwk.common.key_algorithm {
            Some(alg) => {
                let alg = Algorithm::try_from(alg).map_err(|_| "unsupported JWK `alg`")?;
                if !family.contains(&alg) {
                    return Err(format!("JWK `alg` {alg:?} does not suit the key type"));
                }
                vec![alg]
            }
            None => family.to_vec(),
        };
        let thumbprint = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|_| "cannot compute the key thumbprint".to_owned())?;
        Ok(Self {
            jwk: jwk.clone(),
            decoding,
            algorithms,
            thumbprint,
        })
    }

    /// The key as a public JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The JWK's `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.jwk.common.key_id.as_deref()
    }

    /// The algorithms a JWT signed with this key may use.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Checks the JWT's signature with this key and returns header and claims. Only the
    /// signature and algorithm are checked here; the caller checks every claim (with its own
    /// clock).
    pub(crate) fn decode<C: DeserializeOwned>(
        &self,
        jwt: &str,
        allowed: &[Algorithm],
    ) -> Result<(Header, C), VerifyError> {
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| VerifyError::Malformed {
            reason: "not a JWS compact serialisation".to_owned(),
        })?;
        if !self.algorithms.contains(&header.alg) || !allowed.contains(&header.alg) {
            return Err(VerifyError::Algorithm {
                alg: format!("{:?}", header.alg),
            });
        }
        let mut validation = Validation::new(header.alg);
        validation.required_spec_claims = HashSet::new();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<C>(jwt, &self.decoding, &validation)
            .map(|data| (data.header, data.claims))
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::Json(_) => VerifyError::Malformed {
                    reason: "claims are not the expected JSON".to_owned(),
                },
                jsonwebtoken::errors::ErrorKind::InvalidToken
                | jsonwebtoken::errors::ErrorKind::Base64(_)
                | jsonwebtoken::errors::ErrorKind::Utf8(_) => VerifyError::Malformed {
                    reason: "not a JWS compact serialisation".to_owned(),
                },
                _ => VerifyError::BadSignature,
            })
    }
}

/// True when a JWK's JSON carries private-key members.
pub(crate) fn has_private_members(json: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json).is_ok_and(|m| {
        ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
            .iter()
            .any(|k| m.contains_key(*k))
    })
}

//! Private and public keys in and out of the file formats people keep them in: PEM (PKCS#1,
//! PKCS#8, SEC1) and JWK. Parsing and encoding are the `rsa` and `p256` crates'; this file only
//! picks the right parser and turns key objects into what `jsonwebtoken` wants (PKCS#1 DER for
//! RSA, PKCS#8 DER for EC).
//!
//! Error strings here describe the problem and never quote the input.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, LineEnding};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

/// Smallest RSA modulus accepted, in bits. Maskinporten and HelseID both expect at least 2048.
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// The RSA signature algorithms (PKCS#1 v1.5 and PSS).
pub(crate) const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// The RSA PKCS#1 v1.5 algorithms, the only ones Maskinporten accepts.
pub(crate) const RSA_PKCS1_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];

/// The EC signature algorithms supported: P-256 only.
pub(crate) const EC_ALGORITHMS: [Algorithm; 1] = [Algorithm::ES256];

/// A private key of a supported type.
pub(crate) enum PrivateKey {
    /// RSA, at least [`MIN_RSA_BITS`].
    Rsa(Box<RsaPrivateKey>),
    /// EC on P-256.
    P256(p256::SecretKey),
}

/// A private key with the `kid` and `alg` its JWK carried, if any.
pub(crate) struct ParsedKey {
    pub(crate) key: PrivateKey,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<Algorithm>,
}

impl PrivateKey {
    /// The algorithms this key can sign with.
    pub(crate) fn algorithms(&self) -> &'static [Algorithm] {
        match self {
            Self::Rsa(_) => &RSA_ALGORITHMS,
            Self::P256(_) => &EC_ALGORITHMS,
        }
    }

    /// The algorithm used when neither configuration nor JWK names one.
    ///
    /// Decision (specs silent): RS256 for RSA, because Maskinporten allows only RS256/384/512 and
    /// HelseID accepts RSA with SHA-256 too; ES256 for P-256.
    pub(crate) fn default_algorithm(&self) -> Algorithm {
        match self {
            Self::Rsa(_) => Algorithm::RS256,
            Self::P256(_) => Algorithm::ES256,
        }
    }

    /// `"RSA"` or `"EC P-256"`, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RSA",
            Self::P256(_) => "EC P-256",
        }
    }

    /// The key as `jsonwebtoken` signs with it.
    pub(crate) fn encoding_key(&self) -> Result<EncodingKey, String> {
        match self {
            Self::Rsa(key) => {
                let der = key
                    .to_pkcs1_der()
                    .map_err(|_| "cannot encode the RSA key as PKCS#1".to_owned())?;
                Ok(EncodingKey::from_rsa_der(der.as_bytes()))
            }
            Self::P256(key) => {
                let der = key
                    .to_pkcs8_der()
                    .map_err(|_| "cannot encode the EC key as PKCS#8".to_owned())?;
                Ok(EncodingKey::from_ec_der(der.as_bytes()))
            }
        }
    }

    /// The public half as a JWK (`kty` and key parameters only).
    pub(crate) fn public_jwk(&self) -> Jwk {
        match self {
            Self::Rsa(key) => rsa_public_jwk(&key.to_public_key()),
            Self::P256(key) => p256_public_jwk(&key.public_key()),
        }
    }

    /// The key as unencrypted PKCS#8 PEM.
    pub(crate) fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, String> {
        match self {
            Self::Rsa(key) => key.to_pkcs8_pem(LineEnding::LF),
            Self::P256(key) => key.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|_| format!("cannot encode the {} key as PKCS#8 PEM", self.kind()))
    }

    /// The key as a private JWK (RFC 7518 §6.2.2 / §6.3.2), with `kid` and `alg` when given.
    pub(crate) fn to_private_jwk(
        &self,
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<Zeroizing<String>, String> {
        let mut value: serde_json::Value = match self {
            Self::P256(key) => {
                let AlgorithmParameters::EllipticCurve(public) =
                    p256_public_jwk(&key.public_key()).algorithm
                else {
                    return Err("cannot encode the EC key as JWK".to_owned());
                };
                let d = Zeroizing::new(URL_SAFE_NO_PAD.encode(key.to_bytes()));
                serde_json::json!({
                    "kty": "EC", "crv": "P-256", "x": public.x, "y": public.y, "d": d.as_str(),
                })
            }
            Self::Rsa(key) => {
                let [p, q] = key.primes() else {
                    return Err("multi-prime RSA keys cannot be written as JWK".to_owned());
                };
                let (Some(dp), Some(dq), Some(qi)) = (key.dp(), key.dq(), key.crt_coefficient())
                else {
                    return Err("the RSA key lacks its CRT parameters".to_owned());
                };
                serde_json::json!({
                    "kty": "RSA",
                    "n": b64(key.n()), "e": b64(key.e()), "d": b64(key.d()),
                    "p": b64(p), "q": b64(q), "dp": b64(dp), "dq": b64(dq), "qi": b64(&qi),
                })
            }
        };
        if let Some(kid) = kid {
            value["kid"] = kid.into();
        }
        if let Some(alg) = alg {
            value["alg"] = format!("{alg:?}").into();
        }
        let text = Zeroizing::new(value.to_string());
        zeroize_json(&mut value);
        Ok(text)
    }
}

/// Reads a private key from PEM or JWK text (a JWK starts with `{`).
pub(crate) fn parse_private_key(text: &str) -> Result<ParsedKey, String> {
    let key = if text.trim_start().starts_with('{') {
        parse_private_jwk(text)?
    } else {
        ParsedKey {
            key: parse_private_pem(text)?,
            kid: None,
            alg: None,
        }
    };
    if let PrivateKey::Rsa(rsa) = &key.key {
        check_rsa_size(rsa.size() * 8)?;
    }
    Ok(key)
}

fn parse_private_pem(text: &str) -> Result<PrivateKey, String> {
    let label = pem_label(text).ok_or("neither a PEM block nor a JWK")?;
    let parsed = match label {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(text)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|_| "malformed PKCS#1 RSA private key")?,
        "EC PRIVATE KEY" => p256::SecretKey::from_sec1_pem(text)
            .map(PrivateKey::P256)
            .map_err(|_| "not a P-256 SEC1 EC private key (only P-256 is supported)")?,
        "PRIVATE KEY" => {
            if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(text) {
                PrivateKey::Rsa(Box::new(key))
            } else if let Ok(key) = p256::SecretKey::from_pkcs8_pem(text) {
                PrivateKey::P256(key)
            } else {
                return Err("PKCS#8 key is neither RSA nor EC P-256".to_owned());
            }
        }
        "ENCRYPTED PRIVATE KEY" => return Err("encrypted private keys are not supported".into()),
        other if other.contains("PUBLIC KEY") || other == "CERTIFICATE" => {
            return Err(format!("a {other} PEM block is not a private key"));
        }
        other => return Err(format!("unsupported PEM block type {other}")),
    };
    Ok(parsed)
}

/// The label of the first PEM block, e.g. `PRIVATE KEY`.
pub(crate) fn pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let end = rest.find("-----")?;
    Some(&rest[..end])
}

/// The members of a private JWK we read. `Drop` wipes the private parts.
#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
}

impl Drop for PrivateJwk {
    fn drop(&mut self) {
        self.d.zeroize();
        self.p.zeroize();
        self.q.zeroize();
    }
}

fn parse_private_jwk(text: &str) -> Result<ParsedKey, String> {
    let jwk: PrivateJwk = serde_json::from_str(text)
        .map_err(|e| format!("not a JWK object ({})", e.classify_str()))?;
    if jwk.d.is_none() {
        return Err("the JWK has no private part (`d`)".to_owned());
    }
    let alg = jwk
        .alg
        .as_deref()
        .map(|a| {
            a.parse::<Algorithm>()
                .map_err(|_| format!("unknown JWK alg {a}"))
        })
        .transpose()?;
    let key = match jwk.kty.as_str() {
        "EC" => PrivateKey::P256(p256_from_jwk(&jwk)?),
        "RSA" => PrivateKey::Rsa(Box::new(rsa_from_jwk(&jwk)?)),
        other => return Err(format!("unsupported JWK kty {other}")),
    };
    Ok(ParsedKey {
        key,
        kid: jwk.kid.clone(),
        alg,
    })
}

fn p256_from_jwk(jwk: &PrivateJwk) -> Result<p256::SecretKey, String> {
    if jwk.crv.as_deref() != Some("P-256") {
        return Err("only EC keys on P-256 are supported".to_owned());
    }
    let d = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(jwk.d.as_deref().unwrap_or_default())
            .map_err(|_| "the EC JWK member `d` is not base64url")?,
    );
    let key =
        p256::SecretKey::from_slice(&d).map_err(|_| "the EC JWK `d` is not a P-256 scalar")?;
    // `x` and `y` are redundant; when given they must describe the same key.
    let public = p256_public_jwk(&key.public_key());
    if let AlgorithmParameters::EllipticCurve(p) = &public.algorithm
        && (jwk.x.as_ref().is_some_and(|x| *x != p.x) || jwk.y.as_ref().is_some_and(|y| *y != p.y))
    {
        return Err("the EC JWK's `x`/`y` do not belong to its `d`".to_owned());
    }
    Ok(key)
}

fn rsa_from_jwk(jwk: &PrivateJwk) -> Result<RsaPrivateKey, String> {
    let int = |name: &str, v: Option<&String>| -> Result<BigUint, String> {
        let v = v.ok_or_else(|| format!("the RSA JWK lacks `{name}`"))?;
        let bytes = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(v)
                .map_err(|_| format!("the RSA JWK member `{name}` is not base64url"))?,
        );
        Ok(BigUint::from_bytes_be(&bytes))
    };
    let primes = match (&jwk.p, &jwk.q) {
        (Some(_), Some(_)) => vec![int("p", jwk.p.as_ref())?, int("q", jwk.q.as_ref())?],
        // Without p and q the rsa crate recovers them from n, e and d.
        _ => Vec::new(),
    };
    RsaPrivateKey::from_components(
        int("n", jwk.n.as_ref())?,
        int("e", jwk.e.as_ref())?,
        int("d", jwk.d.as_ref())?,
        primes,
    )
    .map_err(|_| "the RSA JWK parameters do not form a valid key".to_owned())
}

/// Reads a public key from a PEM block (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) or a
/// private-key PEM/JWK (its public half is used), as a public JWK.
pub(crate) fn parse_public_pem(text: &str) -> Result<Jwk, String> {
    match pem_label(text) {
        Some("PUBLIC KEY") => {
            if let Ok(key) = RsaPublicKey::from_public_key_pem(text) {
                check_rsa_size(key.size() * 8)?;
                Ok(rsa_public_jwk(&key))
            } else if let Ok(key) = p256::PublicKey::from_public_key_pem(text) {
                Ok(p256_public_jwk(&key))
            } else {
                Err("public key is neither RSA nor EC P-256".to_owned())
            }
        }
        Some("RSA PUBLIC KEY") => {
            let key = RsaPublicKey::from_pkcs1_pem(text)
                .map_err(|_| "malformed PKCS#1 RSA public key")?;
            check_rsa_size(key.size() * 8)?;
            Ok(rsa_public_jwk(&key))
        }
        _ => Ok(parse_private_key(text)?.key.public_jwk()),
    }
}

pub(crate) fn check_rsa_size(bits: usize) -> Result<(), String> {
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "RSA key of {bits} bits is too small (at least {MIN_RSA_BITS})"
        ));
    }
    Ok(())
}

fn rsa_public_jwk(key: &RsaPublicKey) -> Jwk {
    Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: b64(key.n()),
            e: b64(key.e()),
        }),
    }
}

fn p256_public_jwk(key: &p256::PublicKey) -> Jwk {
    let point = key.to_encoded_point(false);
    // An uncompressed point always has both coordinates; the fallbacks are unreachable.
    let x = point
        .x()
        .map(|x| URL_SAFE_NO_PAD.encode(x))
        .unwrap_or_default();
    let y = point
        .y()
        .map(|y| URL_SAFE_NO_PAD.encode(y))
        .unwrap_or_default();
    Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x,
            y,
        }),
    }
}

fn b64(n: &BigUint) -> String {
    URL_SAFE_NO_PAD.encode(n.to_bytes_be())
}

fn zeroize_json(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        for v in map.values_mut() {
            if let serde_json::Value::String(s) = v {
                s.zeroize();
            }
        }
    }
}

/// Short description of a JSON error without its position details (which could point into a
/// key).
trait ClassifyStr {
    fn classify_str(&self) -> &'static str;
}

impl ClassifyStr for serde_json::Error {
    fn classify_str(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "JSON syntax error",
            serde_json::error::Category::Data => "missing or mistyped member",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

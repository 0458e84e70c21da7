//! Loading keys from PEM and JWK files, and what keys may do.

use grunndata_sync::auth::testkeys::{self, GeneratedKey};
use grunndata_sync::auth::verify::{DpopExpectation, DpopVerifier};
use grunndata_sync::auth::{
    Algorithm, AuthError, DpopProof, HelseIdClient, MaskinportenClient, SigningKey, VerifyingKey,
    scopes,
};
use grunndata_sync::config::Config;
use grunndata_sync::fake::token::TokenServerConfig;

use crate::support::{self, HELSEID_CLIENT, keys};

/// Signs a DPoP proof with `key` and checks it verifies (by the proof's embedded public key).
fn proof_round_trip(key: &SigningKey) {
    let url = reqwest::Url::parse("https://api.example/x?q=1").expect("URL");
    let proof = DpopProof {
        method: "GET",
        url: &url,
        nonce: None,
        access_token: Some("t"),
    }
    .sign(key, 1_000)
    .expect("proof");
    let expect = DpopExpectation {
        method: "GET",
        url: "https://api.example/x",
        access_token: Some("t"),
        require_nonce: false,
    };
    let verified = DpopVerifier::default()
        .verify(&proof, &expect, 1_000)
        .expect("verifies");
    assert_eq!(verified.jkt, key.thumbprint());
}

#[test]
fn pem_and_jwk_files_load_for_rsa_and_ec() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &GeneratedKey, Option<Algorithm>, Algorithm); 4] = [
        ("rsa-rs256", &keys().rsa, None, Algorithm::RS256),
        (
            "rsa-ps256",
            &keys().rsa,
            Some(Algorithm::PS256),
            Algorithm::PS256,
        ),
        (
            "rsa-ps512",
            &keys().rsa,
            Some(Algorithm::PS512),
            Algorithm::PS512,
        ),
        ("ec-es256", &keys().helseid, None, Algorithm::ES256),
    ];
    for (name, generated, alg, expected) in cases {
        let pem = dir.path().join(format!("{name}.pem"));
        let jwk = dir.path().join(format!("{name}.jwk"));
        generated.write_pem(&pem).expect("write PEM");
        generated
            .write_jwk(&jwk, Some("kid-from-jwk"), alg)
            .expect("write JWK");

        let from_pem = SigningKey::from_file(&pem, alg, Some("kid-1".into())).expect(name);
        let from_jwk = SigningKey::from_file(&jwk, None, None).expect(name);

        assert_eq!(from_pem.algorithm(), expected, "{name}");
        assert_eq!(from_jwk.algorithm(), expected, "{name}: alg from the JWK");
        assert_eq!(from_pem.kid(), Some("kid-1"), "{name}");
        assert_eq!(
            from_jwk.kid(),
            Some("kid-from-jwk"),
            "{name}: kid from the JWK"
        );
        assert_eq!(
            from_pem.thumbprint(),
            from_jwk.thumbprint(),
            "{name}: same key"
        );
        proof_round_trip(&from_pem);
        proof_round_trip(&from_jwk);

        let public = VerifyingKey::from_file(&pem).expect("public half of a private PEM");
        assert_eq!(public.thumbprint(), from_pem.thumbprint(), "{name}");
    }
}

#[test]
fn pkcs1_and_sec1_pem_load_too() {
    use p256::pkcs8::DecodePrivateKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;

    let pkcs8 = keys().rsa.pkcs8_pem().expect("PEM");
    let rsa = rsa::RsaPrivateKey::from_pkcs8_pem(pkcs8.expose()).expect("RSA");
    let pkcs1 = rsa
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .expect("PKCS#1");
    let key = SigningKey::from_text(&pkcs1, None, None).expect("PKCS#1 RSA");
    assert_eq!(key.algorithm(), Algorithm::RS256);

    let pkcs8 = keys().helseid.pkcs8_pem().expect("PEM");
    let ec = p256::SecretKey::from_pkcs8_pem(pkcs8.expose()).expect("EC");
    let sec1 = ec.to_sec1_pem(rsa::pkcs8::LineEnding::LF).expect("SEC1");
    let key = SigningKey::from_text(&sec1, None, None).expect("SEC1 EC");
    assert_eq!(key.algorithm(), Algorithm::ES256);
}

#[test]
fn unusable_keys_are_refused_with_a_reason() {
    let rsa_pem = keys().rsa.pkcs8_pem().expect("PEM");
    let ec_pem = keys().helseid.pkcs8_pem().expect("PEM");
    let public_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    let cases = [
        (
            "ES256 with RSA",
            SigningKey::from_text(rsa_pem.expose(), Some(Algorithm::ES256), None),
            "cannot be used",
        ),
        (
            "RS256 with EC",
            SigningKey::from_text(ec_pem.expose(), Some(Algorithm::RS256), None),
            "cannot be used",
        ),
        (
            "HMAC",
            SigningKey::from_text(rsa_pem.expose(), Some(Algorithm::HS256), None),
            "cannot be used",
        ),
        (
            "public key",
            SigningKey::from_text(public_pem, None, None),
            "not a private key",
        ),
        (
            "garbage",
            SigningKey::from_text("hello", None, None),
            "neither a PEM block nor a JWK",
        ),
        (
            "public JWK",
            SigningKey::from_text(r#"{"kty":"EC","crv":"P-256","x":"a","y":"b"}"#, None, None),
            "no private part",
        ),
    ];
    for (name, result, reason) in cases {
        match result {
            Err(AuthError::InvalidKey { reason: got, .. }) => {
                assert!(got.contains(reason), "{name}: {got:?} lacks {reason:?}");
            }
            other => panic!("{name}: expected InvalidKey, got {other:?}"),
        }
    }
    let missing = SigningKey::from_file(std::path::Path::new("/nonexistent/key.pem"), None, None);
    assert!(matches!(missing, Err(AuthError::ReadKey { .. })));
}

#[test]
fn maskinporten_needs_an_rsa_pkcs1_algorithm_and_a_kid() {
    let builder = |key: SigningKey| {
        MaskinportenClient::builder("http://127.0.0.1:9/token", "http://127.0.0.1:9/", "c", key)
            .scopes([scopes::HPR_BASIC])
            .build()
    };
    let cases = [
        (
            "ES256",
            keys().helseid.signing_key(None, Some("k")),
            "RS256, RS384 or RS512",
        ),
        (
            "PS256",
            keys().rsa.signing_key(Some(Algorithm::PS256), Some("k")),
            "RS256, RS384 or RS512",
        ),
        ("no kid", keys().rsa.signing_key(None, None), "kid"),
    ];
    for (name, key, reason) in cases {
        match builder(key.expect("key")) {
            Err(AuthError::Config { reason: got, .. }) => {
                assert!(got.contains(reason), "{name}: {got}");
            }
            other => panic!("{name}: expected a configuration error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn helseid_works_with_an_rsa_ps256_key_from_a_jwk_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rsa.jwk");
    keys()
        .rsa
        .write_jwk(&path, Some("rsa-1"), Some(Algorithm::PS256))
        .expect("write");
    let fake = support::start().await;
    let config = grunndata_sync::config::HelseIdConfig {
        token_endpoint: fake.config.helseid_token_endpoint(),
        issuer: fake.config.helseid_issuer(),
        client_id: Some(HELSEID_CLIENT.to_owned()),
        key_path: Some(path),
        algorithm: None,
        dpop_key_path: None,
    };
    let client = HelseIdClient::from_config(&config, scopes::AR, None).expect("client");
    client
        .token()
        .await
        .expect("token with a PS256 client assertion and DPoP proof");
}

#[test]
fn from_config_names_what_is_missing() {
    let helseid = grunndata_sync::config::HelseIdConfig::default();
    let error = HelseIdClient::from_config(&helseid, scopes::AR, None).expect_err("no client id");
    assert!(
        error.to_string().contains("helseid.client_id is not set"),
        "{error}"
    );
    let maskinporten = grunndata_sync::config::MaskinportenConfig {
        client_id: Some("c".to_owned()),
        ..Default::default()
    };
    let error = MaskinportenClient::from_config(&maskinporten, &[], None).expect_err("no key");
    assert!(
        error
            .to_string()
            .contains("maskinporten.key_path is not set"),
        "{error}"
    );
}

/// The `--write-config` story: generated keys, registered with a fake, written into a
/// configuration that survives TOML, from which both clients get tokens.
#[tokio::test]
async fn generated_test_keys_configure_working_clients() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = testkeys::generate(dir.path()).expect("keys");
    for client in [&generated.helseid, &generated.maskinporten] {
        let key = client.key.load().expect("loads");
        assert_eq!(key.thumbprint(), client.public.thumbprint());
        assert_eq!(key.kid(), client.key.kid.as_deref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&client.key.path)
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", client.key.path.display());
        }
    }

    let fake = support::start_with(|c| {
        let with_keys = TokenServerConfig::with_test_keys(&c.base_url, &generated);
        c.helseid_clients = with_keys.helseid_clients;
        c.maskinporten_clients = with_keys.maskinporten_clients;
    })
    .await;
    let mut config = Config::default();
    fake.config.configure_clients(&generated, &mut config);
    let config = Config::from_toml(&config.to_toml().expect("TOML")).expect("parses back");

    let helseid = HelseIdClient::from_config(&config.helseid, scopes::AR, None).expect("client");
    helseid.token().await.expect("HelseID token");
    let maskinporten = MaskinportenClient::from_config(
        &config.maskinporten,
        &[scopes::HPR_BASIC.to_owned()],
        None,
    )
    .expect("client");
    maskinporten.token().await.expect("Maskinporten token");
}

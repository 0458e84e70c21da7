//! No key material or token in `Debug`, `Display` or errors.

use grunndata_sync::auth::{Algorithm, Secret, TokenProvider, scopes};

use crate::support::{helseid_key, keys, start};

/// Base64 runs of the private key texts long enough to identify them.
fn secret_fragments() -> Vec<String> {
    let mut fragments = Vec::new();
    for key in [&keys().helseid, &keys().rsa] {
        let pem = key.pkcs8_pem().expect("PEM");
        fragments.extend(
            pem.expose()
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 40)
                .map(|l| l[..40].to_owned()),
        );
        let jwk: serde_json::Value =
            serde_json::from_str(key.private_jwk(None, None).expect("JWK").expose()).expect("JSON");
        for member in ["d", "p", "q", "dp", "dq", "qi"] {
            if let Some(v) = jwk[member].as_str() {
                fragments.push(v[..v.len().min(40)].to_owned());
            }
        }
    }
    fragments
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} leaks a secret: {text}"
        );
    }
}

#[tokio::test]
async fn debug_output_and_errors_hold_no_keys_or_tokens() {
    let fake = start().await;
    let client = fake.helseid(helseid_key(), scopes::AR);
    let token = client.token().await.expect("token");
    let maskinporten = fake.maskinporten();
    let bearer = maskinporten.token().await.expect("token");
    let mut secrets = secret_fragments();
    secrets.push(token.secret().to_owned());
    secrets.push(bearer.secret().to_owned());

    let refused = fake
        .helseid(
            keys().stranger.signing_key(None, None).expect("key"),
            scopes::AR,
        )
        .token()
        .await
        .expect_err("unregistered key");
    let authorized = client
        .authorize(
            reqwest::Client::new()
                .get(fake.url("/x"))
                .build()
                .expect("request"),
        )
        .await
        .expect("authorized");

    let shown = [
        ("SigningKey", format!("{:?}", helseid_key())),
        (
            "RSA SigningKey",
            format!(
                "{:?}",
                keys()
                    .rsa
                    .signing_key(Some(Algorithm::PS256), None)
                    .expect("key")
            ),
        ),
        (
            "GeneratedKey",
            format!("{:?} {:?}", keys().helseid, keys().rsa),
        ),
        ("AccessToken", format!("{token:?} {bearer:?}")),
        ("HelseIdClient", format!("{client:?}")),
        ("MaskinportenClient", format!("{maskinporten:?}")),
        (
            "TokenProvider",
            format!("{:?}", TokenProvider::HelseId(client.clone())),
        ),
        ("AuthError", format!("{refused} {refused:?}")),
        ("authorized request", format!("{authorized:?}")),
        (
            "Secret",
            format!(
                "{:?} {}",
                Secret::new(token.secret().to_owned()),
                Secret::new(token.secret().to_owned())
            ),
        ),
        (
            "PEM Secret",
            format!("{:?}", keys().rsa.pkcs8_pem().expect("PEM")),
        ),
    ];
    for (what, text) in &shown {
        assert_clean(what, text, &secrets);
    }
    assert!(shown[0].1.contains("[redacted]"));
    assert!(shown[3].1.contains("[redacted]"));
}

//! Maskinporten: the JWT-bearer grant and its refusals.

use grunndata_sync::auth::{AuthError, JWT_BEARER_GRANT_TYPE, JwtGrant, TokenType, scopes};
use grunndata_sync::fake::token::MASKINPORTEN_TOKEN_PATH;

use crate::support::{Fake, MASKINPORTEN_CLIENT, maskinporten_key, start, status_json};

#[tokio::test]
async fn a_grant_gets_a_cached_bearer_token() {
    let fake = start().await;
    let client = fake.maskinporten();
    let token = client.token().await.expect("token");
    assert_eq!(token.token_type(), TokenType::Bearer);
    assert_eq!(token.scope(), Some(scopes::HPR_BASIC));
    client.token().await.expect("cached token");
    assert_eq!(fake.server.token_requests(), 1);
}

fn grant(fake: &Fake, audience: &str, lifetime: i64) -> String {
    JwtGrant {
        client_id: MASKINPORTEN_CLIENT,
        audience,
        scope: scopes::HPR_BASIC,
        resource: None,
        lifetime,
    }
    .sign(&maskinporten_key(), fake.now())
    .expect("grant")
}

async fn post_grant(fake: &Fake, assertion: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(fake.url(MASKINPORTEN_TOKEN_PATH))
        .form(&[
            ("grant_type", JWT_BEARER_GRANT_TYPE),
            ("assertion", assertion),
        ])
        .send()
        .await
        .expect("response");
    status_json(response).await
}

/// `jwt` with the signature of `other`, a JWT by the same key over different claims.
fn with_foreign_signature(jwt: &str, other: &str) -> String {
    let (signed, _) = jwt.rsplit_once('.').expect("JWS");
    let (_, signature) = other.rsplit_once('.').expect("JWS");
    format!("{signed}.{signature}")
}

#[tokio::test]
async fn grants_are_refused_as_maskinporten_would() {
    let fake = start().await;
    let audience = fake.config.maskinporten_audience();
    let cases = [
        (
            "lifetime over 120 s",
            grant(&fake, &audience, 121),
            "exceeds the 120 s",
        ),
        (
            "wrong aud",
            grant(&fake, "https://maskinporten.no/", 60),
            "audience",
        ),
        (
            "bad signature",
            with_foreign_signature(&grant(&fake, &audience, 60), &grant(&fake, &audience, 30)),
            "signature",
        ),
    ];
    for (name, jwt, message) in cases {
        let (status, body) = post_grant(&fake, &jwt).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"], "invalid_grant", "{name}: {body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.contains(message),
            "{name}: {description:?} lacks {message:?}"
        );
    }
}

#[tokio::test]
async fn a_grant_at_exactly_120_s_is_accepted_once() {
    let fake = start().await;
    let jwt = grant(&fake, &fake.config.maskinporten_audience(), 120);
    let (status, body) = post_grant(&fake, &jwt).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let (status, body) = post_grant(&fake, &jwt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn the_client_reports_a_refusal_with_endpoint_status_and_oauth_error() {
    let fake = start().await;
    let client = grunndata_sync::auth::MaskinportenClient::builder(
        fake.config.maskinporten_token_endpoint(),
        fake.config.maskinporten_audience(),
        MASKINPORTEN_CLIENT,
        maskinporten_key(),
    )
    .scopes([scopes::HPR_EXPORT])
    .build()
    .expect("client");
    let error = client.token().await.expect_err("scope not granted");
    assert!(
        matches!(&error, AuthError::Refused { status: 400, error, .. } if error == "invalid_scope")
    );
    let message = error.to_string();
    assert!(message.contains("Maskinporten"), "{message}");
    assert!(message.contains(MASKINPORTEN_TOKEN_PATH), "{message}");
    assert!(message.contains("HTTP 400"), "{message}");
}

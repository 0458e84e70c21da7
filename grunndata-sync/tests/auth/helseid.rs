//! HelseID: the token request with client assertion and DPoP, the nonce dance, caching, and the
//! token endpoint's refusals.

use grunndata_sync::auth::{
    AuthError, CLIENT_ASSERTION_TYPE, ClientAssertion, DpopProof, SigningKey, TokenType, scopes,
};

use crate::support::{self, Fake, HELSEID_CLIENT, helseid_key, start, status_json, stranger_key};

#[tokio::test]
async fn token_needs_the_nonce_dance_and_is_dpop_bound() {
    let fake = start().await;
    let client = fake.helseid(helseid_key(), scopes::AR);

    let token = client.token().await.expect("token");

    assert_eq!(token.token_type(), TokenType::Dpop);
    assert_eq!(token.scope(), Some(scopes::AR));
    assert_eq!(token.expires_at(), fake.now() + 600);
    // One refusal asking for a nonce, one grant.
    assert_eq!(fake.server.token_requests(), 2);
}

#[tokio::test]
async fn token_is_cached_until_thirty_seconds_before_expiry() {
    let fake = support::start_with(|c| c.token_lifetime = 120).await;
    let client = fake.helseid(helseid_key(), scopes::AR);

    let first = client.token().await.expect("token");
    let again = client.token().await.expect("token");
    assert_eq!(again.secret(), first.secret());
    assert_eq!(
        fake.server.token_requests(),
        2,
        "second call made no request"
    );

    fake.clock.advance(89);
    let still = client.token().await.expect("token");
    assert_eq!(still.secret(), first.secret());
    assert_eq!(fake.server.token_requests(), 2);

    fake.clock.advance(1);
    let fresh = client.token().await.expect("token");
    assert_ne!(fresh.secret(), first.secret());
    // The nonce from the first dance is still valid, so one request suffices.
    assert_eq!(fake.server.token_requests(), 3);

    client.invalidate().await;
    let after_invalidate = client.token().await.expect("token");
    assert_ne!(after_invalidate.secret(), fresh.secret());
}

#[tokio::test]
async fn an_expired_nonce_is_refreshed_by_another_dance() {
    let fake = support::start_with(|c| c.token_lifetime = 60).await;
    let client = fake.helseid(helseid_key(), scopes::AR);
    client.token().await.expect("token");
    fake.clock.advance(400); // past the nonce lifetime (300 s) and the token's
    client.token().await.expect("token after nonce expiry");
    assert_eq!(fake.server.token_requests(), 4);
}

#[tokio::test]
async fn a_scope_not_granted_is_refused_with_invalid_scope() {
    let fake = start().await;
    let client = fake.helseid(helseid_key(), scopes::PREG_LEGAL_BASIS);
    match client.token().await {
        Err(AuthError::Refused {
            status,
            error,
            upstream,
            ..
        }) => {
            assert_eq!(
                (status, error.as_str(), upstream),
                (400, "invalid_scope", "HelseID")
            );
        }
        other => panic!("expected invalid_scope, got {other:?}"),
    }
}

/// Posts a token request with `assertion` and a nonce-bearing proof, as the client would.
async fn post_assertion(fake: &Fake, client_id: &str, assertion: &str) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let endpoint = fake.url(grunndata_sync::fake::token::HELSEID_TOKEN_PATH);
    let dpop_key = helseid_key();
    let proof = |nonce: Option<&str>| {
        DpopProof {
            method: "POST",
            url: &endpoint,
            nonce,
            access_token: None,
        }
        .sign(&dpop_key, fake.now())
        .expect("proof")
    };
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("scope", scopes::AR),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    let first = http
        .post(endpoint.clone())
        .header("DPoP", proof(None))
        .form(&form)
        .send()
        .await
        .expect("response");
    assert_eq!(first.status().as_u16(), 400);
    let nonce = first.headers()["dpop-nonce"]
        .to_str()
        .expect("nonce")
        .to_owned();
    assert_eq!(status_json(first).await.1["error"], "use_dpop_nonce");
    let response = http
        .post(endpoint.clone())
        .header("DPoP", proof(Some(&nonce)))
        .form(&form)
        .send()
        .await
        .expect("response");
    status_json(response).await
}

fn assertion(key: &SigningKey, client_id: &str, audience: &str, now: i64) -> String {
    ClientAssertion {
        client_id,
        audience,
        lifetime: 60,
    }
    .sign(key, now)
    .expect("assertion")
}

#[tokio::test]
async fn client_assertions_are_refused_as_helseid_would() {
    let fake = start().await;
    let issuer = fake.config.helseid_issuer();
    let now = fake.now();
    let cases: [(&str, String, &str, &str); 6] = [
        (
            "bad signature",
            assertion(&stranger_key(), HELSEID_CLIENT, &issuer, now),
            HELSEID_CLIENT,
            "signature",
        ),
        (
            "wrong aud",
            assertion(
                &helseid_key(),
                HELSEID_CLIENT,
                "https://helseid-sts.nhn.no/",
                now,
            ),
            HELSEID_CLIENT,
            "audience",
        ),
        (
            "expired",
            assertion(&helseid_key(), HELSEID_CLIENT, &issuer, now - 300),
            HELSEID_CLIENT,
            "expired",
        ),
        (
            "not yet valid",
            assertion(&helseid_key(), HELSEID_CLIENT, &issuer, now + 300),
            HELSEID_CLIENT,
            "not yet valid",
        ),
        (
            "unknown client",
            assertion(&helseid_key(), "someone-else", &issuer, now),
            "someone-else",
            "unknown client",
        ),
        (
            "iss is not client_id",
            assertion(&helseid_key(), "someone-else", &issuer, now),
            HELSEID_CLIENT,
            "iss",
        ),
    ];
    for (name, jwt, client_id, message) in cases {
        let (status, body) = post_assertion(&fake, client_id, &jwt).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"], "invalid_client", "{name}: {body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.contains(message),
            "{name}: {description:?} lacks {message:?}"
        );
    }
}

#[tokio::test]
async fn a_replayed_client_assertion_is_refused() {
    let fake = start().await;
    let jwt = assertion(
        &helseid_key(),
        HELSEID_CLIENT,
        &fake.config.helseid_issuer(),
        fake.now(),
    );

    let (status, body) = post_assertion(&fake, HELSEID_CLIENT, &jwt).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");

    let (status, body) = post_assertion(&fake, HELSEID_CLIENT, &jwt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("already used")
    );
}

#[tokio::test]
async fn the_token_endpoint_accepts_the_token_endpoint_url_as_audience() {
    let fake = start().await;
    let jwt = assertion(
        &helseid_key(),
        HELSEID_CLIENT,
        &fake.config.helseid_token_endpoint(),
        fake.now(),
    );
    let (status, body) = post_assertion(&fake, HELSEID_CLIENT, &jwt).await;
    assert_eq!(status, 200, "{body}");
}

/// A token request without a DPoP proof gets a plain Bearer token (what Persontjenesten v2
/// declares), and a DPoP API refuses that token with 401.
#[tokio::test]
async fn a_token_request_without_dpop_gets_a_bearer_token_that_dpop_apis_refuse() {
    let fake = start().await;
    let jwt = assertion(
        &helseid_key(),
        HELSEID_CLIENT,
        &fake.config.helseid_issuer(),
        fake.now(),
    );
    let response = reqwest::Client::new()
        .post(fake.url(grunndata_sync::fake::token::HELSEID_TOKEN_PATH))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", HELSEID_CLIENT),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", jwt.as_str()),
        ])
        .send()
        .await
        .expect("response");
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("Bearer")),
        "{body}"
    );
    let token = body["access_token"].as_str().expect("access_token");
    let refused = reqwest::Client::new()
        .get(fake.url("/ar/api/v1/communicationparty/1"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("response");
    assert_eq!(refused.status(), 401);
}

/// Regression (#13): the client assertion's header and claims are HelseID's documented ones:
/// `typ` `JWT` (not the draft's `client-authentication+jwt`), `alg` and `kid` from the key;
/// `iss` = `sub` = client id, `aud` the issuer, `iat` = `nbf`, `exp` ≤ 60 s ahead, a `jti`.
#[test]
fn the_client_assertion_is_shaped_as_helseid_documents() {
    use base64::Engine as _;
    let jwt = assertion(
        &helseid_key(),
        HELSEID_CLIENT,
        "https://helseid-sts.test.nhn.no/",
        1_700_000_000,
    );
    let part = |index: usize| -> serde_json::Value {
        let text = jwt.split('.').nth(index).expect("JWT part");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    let (header, claims) = (part(0), part(1));
    assert_eq!(header["typ"], "JWT");
    assert!(
        header["alg"].is_string() && header["kid"].is_string(),
        "{header}"
    );
    assert_eq!(claims["iss"], HELSEID_CLIENT);
    assert_eq!(claims["sub"], HELSEID_CLIENT);
    assert_eq!(claims["aud"], "https://helseid-sts.test.nhn.no/");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["nbf"], 1_700_000_000);
    assert!(
        claims["exp"]
            .as_i64()
            .is_some_and(|exp| exp - 1_700_000_000 <= 60)
    );
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()));
}

/// Regression (#14): a token endpoint's answer is read with a cap
/// (`MAX_TOKEN_RESPONSE_BYTES`); a larger one is a typed `BadResponse`, not unbounded memory.
#[tokio::test]
async fn an_oversized_token_answer_is_refused() {
    let app = axum::Router::new().route(
        "/connect/token",
        axum::routing::post(|| async {
            vec![b' '; grunndata_sync::auth::MAX_TOKEN_RESPONSE_BYTES + 1]
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = grunndata_sync::auth::HelseIdClient::builder(
        format!("{base}/connect/token"),
        format!("{base}/"),
        HELSEID_CLIENT,
        helseid_key(),
    )
    .scopes([scopes::AR])
    .build()
    .expect("client");
    match client.token().await {
        Err(AuthError::BadResponse { reason, .. }) => {
            assert!(reason.contains("larger"), "{reason}");
        }
        other => panic!("expected BadResponse, got {other:?}"),
    }
}

//! The API guards: DPoP-bound tokens at Adresseregisteret/Persontjenesten routes, Bearer at HPR.

use grunndata_sync::auth::{DpopProof, SigningKey, TokenProvider, scopes};

use crate::support::{Fake, helseid_key, start, status_json, stranger_key};

const AR_PATH: &str = "/ar/api/v1/communicationparty/8094866";

/// A GET with `Authorization: DPoP <token>` and a proof signed by `key` for `method` and `url`.
async fn get_with_proof(
    fake: &Fake,
    token: &str,
    key: &SigningKey,
    method: &str,
    url: &reqwest::Url,
) -> reqwest::Response {
    let proof = DpopProof {
        method,
        url,
        nonce: None,
        access_token: Some(token),
    }
    .sign(key, fake.now())
    .expect("proof");
    reqwest::Client::new()
        .get(fake.url(AR_PATH))
        .header("Authorization", format!("DPoP {token}"))
        .header("DPoP", proof)
        .send()
        .await
        .expect("response")
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_dpop_bound_token_with_a_fresh_proof_is_accepted() {
    let fake = start().await;
    let auth = TokenProvider::HelseId(fake.helseid(helseid_key(), scopes::AR));
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let request = http.get(fake.url(&format!("{AR_PATH}?includeDeactivated=false")));
        let response = auth
            .authorize_builder(request)
            .await
            .expect("authorized")
            .send()
            .await
            .expect("response");
        assert_eq!(response.status().as_u16(), 200, "{}", challenge(&response));
    }
    assert_eq!(fake.server.token_requests(), 2, "the token was reused");
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_dpop_challenge() {
    let fake = start().await;
    let response = reqwest::get(fake.url(AR_PATH)).await.expect("response");
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        challenge(&response).starts_with("DPoP algs="),
        "{}",
        challenge(&response)
    );
}

#[tokio::test]
async fn dpop_api_refusals() {
    let fake = start().await;
    let token = fake
        .helseid(helseid_key(), scopes::AR)
        .token()
        .await
        .expect("token");
    let token = token.secret();
    let ar = fake.url(AR_PATH);
    let elsewhere = fake.url("/ar/api/v1/communicationparty/1");

    let cases = [
        (
            "unknown token",
            get_with_proof(&fake, "not-a-token", &helseid_key(), "GET", &ar).await,
            "invalid_token",
        ),
        (
            "token bound to another key",
            get_with_proof(&fake, token, &stranger_key(), "GET", &ar).await,
            "bound to another key",
        ),
        (
            "wrong htm",
            get_with_proof(&fake, token, &helseid_key(), "POST", &ar).await,
            "htm",
        ),
        (
            "wrong htu",
            get_with_proof(&fake, token, &helseid_key(), "GET", &elsewhere).await,
            "htu",
        ),
    ];
    for (name, response, expected) in cases {
        assert_eq!(response.status().as_u16(), 401, "{name}");
        let challenge = challenge(&response);
        assert!(challenge.starts_with("DPoP error="), "{name}: {challenge}");
        assert!(
            challenge.contains(expected),
            "{name}: {challenge} lacks {expected}"
        );
    }
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let fake = start().await;
    let auth = fake.helseid(helseid_key(), scopes::AR);
    let request = reqwest::Client::new()
        .get(fake.url(AR_PATH))
        .build()
        .expect("request");
    let request = auth.authorize(request).await.expect("authorized");
    let replay = request.try_clone().expect("cloneable");

    let http = reqwest::Client::new();
    let first = http.execute(request).await.expect("response");
    assert_eq!(first.status().as_u16(), 200);
    let second = http.execute(replay).await.expect("response");
    assert_eq!(second.status().as_u16(), 401);
    assert!(
        challenge(&second).contains("jti was already used"),
        "{}",
        challenge(&second)
    );
}

#[tokio::test]
async fn a_proof_without_ath_is_refused() {
    let fake = start().await;
    let token = fake
        .helseid(helseid_key(), scopes::AR)
        .token()
        .await
        .expect("token");
    let url = fake.url(AR_PATH);
    let proof = DpopProof {
        method: "GET",
        url: &url,
        nonce: None,
        access_token: None,
    }
    .sign(&helseid_key(), fake.now())
    .expect("proof");
    let response = reqwest::Client::new()
        .get(url.clone())
        .header("Authorization", format!("DPoP {}", token.secret()))
        .header("DPoP", proof)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        challenge(&response).contains("ath"),
        "{}",
        challenge(&response)
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_a_dpop_token_as_bearer_too() {
    let fake = crate::support::start_with(|c| c.token_lifetime = 60).await;
    let client = fake.helseid(helseid_key(), scopes::AR);
    let token = client.token().await.expect("token");

    let as_bearer = reqwest::Client::new()
        .get(fake.url(AR_PATH))
        .bearer_auth(token.secret())
        .send()
        .await
        .expect("response");
    assert_eq!(as_bearer.status().as_u16(), 401);
    assert!(challenge(&as_bearer).contains("invalid_token"));

    fake.clock.advance(61);
    let expired = get_with_proof(
        &fake,
        token.secret(),
        &helseid_key(),
        "GET",
        &fake.url(AR_PATH),
    )
    .await;
    assert_eq!(expired.status().as_u16(), 401);
    assert!(
        challenge(&expired).contains("unknown or expired"),
        "{}",
        challenge(&expired)
    );
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_on_a_nested_route() {
    let fake = start().await;
    let auth = TokenProvider::HelseId(fake.helseid(helseid_key(), scopes::AR));
    let request = reqwest::Client::new().get(fake.url("/preg/api/legal-basis/person/abc"));
    let response = auth
        .authorize_builder(request)
        .await
        .expect("authorized")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 403, "{}", challenge(&response));
    assert!(challenge(&response).contains("insufficient_scope"));
}

#[tokio::test]
async fn hpr_takes_a_maskinporten_bearer_token_only() {
    let fake = start().await;
    let http = reqwest::Client::new();
    let hpr = fake.url("/hpr/v1/personer/123456");

    let none = http.get(hpr.clone()).send().await.expect("response");
    assert_eq!(none.status().as_u16(), 401);
    assert_eq!(challenge(&none), "Bearer");

    let helseid = fake
        .helseid(helseid_key(), scopes::AR)
        .token()
        .await
        .expect("token");
    let wrong_issuer = http
        .get(hpr.clone())
        .bearer_auth(helseid.secret())
        .send()
        .await
        .expect("response");
    assert_eq!(wrong_issuer.status().as_u16(), 401);

    let auth = TokenProvider::Maskinporten(fake.maskinporten());
    let ok = auth
        .authorize_builder(http.get(hpr.clone()))
        .await
        .expect("authorized")
        .send()
        .await
        .expect("response");
    let (status, _) = status_json(ok).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn anonymous_adds_nothing() {
    let request = reqwest::Client::new()
        .get("http://127.0.0.1:9/x")
        .build()
        .expect("request");
    let request = TokenProvider::Anonymous
        .authorize(request)
        .await
        .expect("unchanged");
    assert!(request.headers().get("authorization").is_none());
}

/// Regression (#13, RFC 9449 §9): a resource server that answers 401 with
/// `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` gets the request again
/// once, with the nonce in the proof; the nonce is remembered for that origin, so the next
/// request carries it from the start.
#[tokio::test]
async fn a_resource_server_nonce_is_retried_once_and_remembered_per_origin() {
    use grunndata_sync::source::http::{HttpClient, RequestSpec, TokenAuth};
    use grunndata_sync::store::Register;
    let fake = crate::support::start_with(|config| config.api_requires_dpop_nonce = true).await;
    let hook = TokenAuth::new(TokenProvider::HelseId(
        fake.helseid(helseid_key(), scopes::AR),
    ));
    let http = HttpClient::builder(Register::Ar, format!("{}/ar", fake.base))
        .auth(Some(std::sync::Arc::new(hook)))
        .build()
        .expect("client");
    for id in ["1", "2"] {
        let fetched = http
            .fetch(&RequestSpec::get(format!(
                "/api/v1/communicationparty/{id}"
            )))
            .await
            .expect("answered after the nonce retry");
        assert_eq!(fetched.status, 200);
    }
    assert_eq!(
        fake.server.api_nonce_refusals(),
        1,
        "the nonce is remembered"
    );
}

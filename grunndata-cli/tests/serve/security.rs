//! Tokens and input tried the way an attacker would: nothing crashes, nothing leaks.

use base64::Engine as _;
use serde_json::json;

use crate::harness::{
    AUDIENCE, ISSUER, KID, LOOKUP, PERSON, Server, block_on, claims, client, forger, get, issuer,
    now, post, send, token,
};

#[test]
fn tokens_are_refused_with_a_challenge_and_nothing_else() {
    let server = Server::start();
    let b64 = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(&[LOOKUP], &json!({})))
    );
    let cases: Vec<(&str, Option<String>, u16, &str)> = vec![
        ("no token", None, 401, r#"Bearer realm="grunndata""#),
        (
            "garbage",
            Some("not-a-jwt".to_owned()),
            401,
            "invalid_token",
        ),
        ("alg none", Some(unsigned), 401, "invalid_token"),
        (
            "forged",
            Some(forger().sign(KID, &claims(&[LOOKUP], &json!({})))),
            401,
            "invalid_token",
        ),
        (
            "unknown kid",
            Some(issuer().sign("other", &claims(&[LOOKUP], &json!({})))),
            401,
            "invalid_token",
        ),
        (
            "expired",
            Some(issuer().sign(KID, &claims(&[LOOKUP], &json!({ "exp": now() - 120 })))),
            401,
            "invalid_token",
        ),
        (
            "not yet valid",
            Some(issuer().sign(KID, &claims(&[LOOKUP], &json!({ "nbf": now() + 600 })))),
            401,
            "invalid_token",
        ),
        (
            "wrong audience",
            Some(issuer().sign(KID, &claims(&[LOOKUP], &json!({ "aud": "someone-else" })))),
            401,
            "invalid_token",
        ),
        (
            "wrong issuer",
            Some(issuer().sign(
                KID,
                &claims(&[LOOKUP], &json!({ "iss": "https://evil.example" })),
            )),
            401,
            "invalid_token",
        ),
        (
            "no expiry",
            Some(issuer().sign(KID, &claims(&[LOOKUP], &json!({ "exp": null })))),
            401,
            "invalid_token",
        ),
        (
            "no scope",
            Some(issuer().sign(KID, &claims(&[], &json!({ "scope": null })))),
            403,
            "insufficient_scope",
        ),
        (
            "person scope only",
            Some(token(&[PERSON])),
            403,
            r#"scope="grunndata:lookup""#,
        ),
        (
            "scope as text",
            Some(issuer().sign(
                KID,
                &claims(&[], &json!({ "scope": "openid grunndata:lookup" })),
            )),
            200,
            "",
        ),
    ];
    block_on(async {
        for (name, token, status, challenge) in cases {
            let mut request = client().get(server.url("/v1/personnel/9144889"));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let reply = send(request).await;
            assert_eq!(reply.status, status, "{name}: {}", reply.text);
            if status != 200 {
                assert!(
                    reply.header("www-authenticate").contains(challenge),
                    "{name}: {:?}",
                    reply.headers
                );
                assert!(reply.text.is_empty(), "{name}: a refusal has no body");
            }
        }
        // Basic credentials are no bearer token.
        let basic = send(
            client()
                .get(server.url("/v1/status"))
                .basic_auth("admin", Some("x")),
        )
        .await;
        assert_eq!(basic.status, 401);
    });
}

#[test]
fn bad_input_is_400_with_the_reason_never_echoing_it() {
    let server = Server::start();
    let lookup = token(&[LOOKUP]);
    let person = token(&[PERSON]);
    block_on(async {
        for (path, reason) in [
            ("/v1/personnel/12a45", "invalid HPR number"),
            ("/v1/personnel/0", "invalid HPR number"),
            ("/v1/personnel/99999999999999999999", "invalid HPR number"),
            ("/v1/authz/9144889/ZZ", "9060"),
            ("/v1/authz/9144889/LE?at=yesterday", "at"),
            ("/v1/organisations/974760674", "organisasjonsnummer"),
            ("/v1/parties/abc", "HER-id"),
            ("/v1/personnel/9144889?unknown=1", "unknown"),
            ("/v1/search?q=a&limit=100000", "limit"),
            ("/v1/search?q=a&limit=-1", "limit"),
            ("/v1/search?q=%20", "empty"),
            ("/v1/search?q=a&register=preg", "register"),
            ("/v1/search", "q"),
        ] {
            let reply = get(&server, path, &lookup).await;
            assert_eq!(reply.status, 400, "{path}: {}", reply.text);
            let error = reply.json()["error"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(error.contains(reason), "{path}: {error}");
        }
        let malformed_nin = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": "01018012345", "purpose": "x" }),
        )
        .await;
        assert_eq!(malformed_nin.status, 400);
        assert!(!malformed_nin.text.contains("01018012345"));
        let unknown_field = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": "1", "purpose": "x", "extra": 1 }),
        )
        .await;
        assert_eq!(unknown_field.status, 400);
        let not_json = send(
            client()
                .post(server.url("/v1/persons/lookup"))
                .bearer_auth(&person)
                .header("content-type", "text/plain")
                .body("nin=1"),
        )
        .await;
        assert_eq!(not_json.status, 415);
        let huge = json!({ "nin": "1", "purpose": "x".repeat(100_000) });
        let too_large = post(&server, "/v1/persons/lookup", &person, &huge).await;
        assert_eq!(too_large.status, 413);
        let unknown_route = get(&server, "/v2/everything", &lookup).await;
        assert_eq!(unknown_route.status, 404);
        assert!(unknown_route.json()["error"].is_string());
    });
}

#[test]
fn no_auth_is_refused_off_loopback() {
    let (_dir, db) = crate::harness::fixture();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["serve", "--listen", "0.0.0.0:0", "--no-auth", "--db", &db])
        .env_remove("GRUNNDATA_CONFIG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));

    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db])
        .env_remove("GRUNNDATA_CONFIG")
        .env_remove("GRUNNDATA_SERVE_ISSUER")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--issuer"));
}

#[test]
fn no_auth_on_loopback_answers_and_says_so_loudly() {
    let server = Server::start_bare(&["--no-auth"]);
    block_on(async {
        let reply = send(client().get(server.url("/v1/personnel/9144889"))).await;
        assert_eq!(reply.status, 200);
    });
    let (code, stderr, _dir) = server.terminate();
    assert_eq!(code, Some(0));
    assert!(stderr.contains("WARNING: --no-auth"), "{stderr}");
}

#[test]
fn jwks_from_a_url_is_read_at_start_and_again_when_keys_rotate() {
    // A one-route HTTP server handing out the issuer's JWKS, as HelseID's endpoint does:
    // first one key, then (rotated) two.
    let rotated = crate::harness::Key::generate_public("rotated-2");
    let first = json!({ "keys": [crate::harness::issuer_jwk()] }).to_string();
    let second = json!({ "keys": [crate::harness::issuer_jwk(), rotated.1.clone()] }).to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        for (index, stream) in listener.incoming().take(3).enumerate() {
            let jwks = if index == 0 { &first } else { &second };
            let mut stream = stream.unwrap();
            let mut request = [0_u8; 2048];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
        }
    });
    let url = format!("http://{address}/.well-known/jwks");
    let server = Server::start_bare(&["--issuer", ISSUER, "--audience", AUDIENCE, "--jwks", &url]);
    block_on(async {
        let reply = get(&server, "/v1/personnel/9144889", &token(&[LOOKUP])).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let forged = get(
            &server,
            "/v1/personnel/9144889",
            &forger().sign(KID, &claims(&[LOOKUP], &json!({}))),
        )
        .await;
        assert_eq!(forged.status, 401);
    });
}

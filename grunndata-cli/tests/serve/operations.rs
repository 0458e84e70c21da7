//! Health, metrics, the OpenAPI document, ETag, gzip, access logs and SIGTERM.

use crate::harness::{LOOKUP, Server, block_on, client, get, send, token};

#[test]
fn health_metrics_and_openapi_need_no_token() {
    let server = Server::start();
    block_on(async {
        let live = send(client().get(server.url("/health/live"))).await;
        assert_eq!(live.status, 200);
        // The fixture mirror was never synced by a sync run: every register is stale.
        let ready = send(client().get(server.url("/health/ready"))).await;
        assert_eq!(ready.status, 503, "{}", ready.text);
        assert_eq!(ready.json()["ready"], false);
        assert_eq!(ready.json()["registers"][0]["stale"], true);

        let _ = get(&server, "/v1/personnel/9144889", &token(&[LOOKUP])).await;
        for _ in 0..2 {
            let _ = get(&server, "/fhir/Practitioner/9144889", &token(&[LOOKUP])).await;
        }
        let metrics = send(client().get(server.url("/metrics"))).await;
        assert_eq!(metrics.status, 200);
        assert!(metrics.header("content-type").starts_with("text/plain"));
        for expected in [
            r#"grunndata_http_requests_total{route="/v1/personnel/{hpr}",method="GET",status="200"} 1"#,
            r#"grunndata_http_request_duration_seconds_bucket{route="/v1/personnel/{hpr}",method="GET",status="200",le="+Inf"} 1"#,
            r#"grunndata_register_stale{register="hpr"} 1"#,
            r#"grunndata_register_last_success_timestamp_seconds{register="hpr"} 0"#,
            r#"grunndata_rendered_cache_requests_total{result="hit"} 1"#,
            r#"grunndata_rendered_cache_requests_total{result="miss"} 1"#,
            "grunndata_rendered_cache_hit_ratio 0.5",
        ] {
            assert!(
                metrics.text.contains(expected),
                "{expected} in\n{}",
                metrics.text
            );
        }

        let openapi = send(client().get(server.url("/openapi.json"))).await;
        assert_eq!(openapi.status, 200);
        let document = openapi.json();
        assert_eq!(document["openapi"], "3.0.3");
        assert!(document["paths"]["/v1/authz/{hpr}/{category}"]["get"].is_object());
        assert!(document["paths"]["/v1/persons/lookup"]["post"]["requestBody"].is_object());
    });
}

#[test]
fn etag_if_none_match_and_gzip() {
    let server = Server::start();
    let lookup = token(&[LOOKUP]);
    block_on(async {
        let first = get(&server, "/v1/personnel/9144889?at=2026-09-30", &lookup).await;
        let tag = first.header("etag");
        assert!(tag.starts_with("W/\""), "{tag}");
        let again = send(
            client()
                .get(server.url("/v1/personnel/9144889?at=2026-09-30"))
                .bearer_auth(&lookup)
                .header("if-none-match", &tag),
        )
        .await;
        assert_eq!(again.status, 304);
        assert!(again.text.is_empty());
        let other_day = send(
            client()
                .get(server.url("/v1/personnel/9144889?at=2026-10-15"))
                .bearer_auth(&lookup)
                .header("if-none-match", &tag),
        )
        .await;
        assert_eq!(other_day.status, 200);

        let gzip = send(
            client()
                .get(server.url("/v1/personnel/9144889"))
                .bearer_auth(&lookup)
                .header("accept-encoding", "gzip"),
        )
        .await;
        assert_eq!(gzip.status, 200);
        assert_eq!(gzip.header("content-encoding"), "gzip");
    });
}

#[test]
fn sigterm_stops_cleanly_and_access_logs_carry_no_path() {
    let server = Server::start();
    block_on(async {
        let reply = get(&server, "/v1/personnel/9144889", &token(&[LOOKUP])).await;
        assert_eq!(reply.status, 200);
    });
    let (code, stderr, _dir) = server.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    let access: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("grunndata::access"))
        .collect();
    assert_eq!(access.len(), 1, "{stderr}");
    assert!(
        access[0].contains("route=/v1/personnel/{hpr}"),
        "{}",
        access[0]
    );
    assert!(
        access[0].contains("client=\"journal-svc\""),
        "{}",
        access[0]
    );
    assert!(!access[0].contains("9144889"), "{}", access[0]);
}

//! Fault injection of the fake upstream: every fault class is observable by a client.

// In tests a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used)]

mod fake_support;

use std::io::Read;
use std::time::Duration;

use fake_support::{client, get, preg_get, set_faults, soap, start, xml_texts};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn status_faults_fire_by_count_then_stop() {
    let fake = start().await;
    let client = client();
    let events = format!("{}/api/v1/event?maxEvents=1", fake.ar_url());
    set_faults(
        &client,
        &fake,
        json!({
            "status_500": { "count": 1, "path_prefix": "/ar/api/v1/event" },
            "status_503": { "count": 1, "path_prefix": "/ar/api/v1/event" },
        }),
    )
    .await;
    // 503 is checked before 500, so the first request gets 503 and the second 500.
    assert_eq!(
        get(&client, &events).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&client, &events).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(get(&client, &events).await.0, StatusCode::OK);
    assert_eq!(
        get(&client, &format!("{}/api/v1/event/latest", fake.ar_url()))
            .await
            .0,
        StatusCode::OK,
        "other paths unaffected"
    );
    let (_, report) = get(&client, &format!("{}/_admin/faults", fake.base_url())).await;
    assert_eq!(report["fired"]["status_500"], 1);
    assert_eq!(report["fired"]["status_503"], 1);
    assert_eq!(report["config"]["status_500"]["count"], 1);
}

#[tokio::test]
async fn rate_limit_sends_retry_after() {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({ "rate_limit": { "count": 1, "retry_after_seconds": 7 } }),
    )
    .await;
    let response = client
        .get(format!("{}/enheter/lastned", fake.brreg_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    // The admin API is never faulted.
    set_faults(
        &client,
        &fake,
        json!({ "status_500": { "probability": 1.0 } }),
    )
    .await;
    assert_eq!(
        get(&client, &format!("{}/_admin/status", fake.base_url()))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn stalls_outlast_the_client_timeout() {
    let fake = start().await;
    let admin = client();
    set_faults(
        &admin,
        &fake,
        json!({ "stall": { "count": 1, "millis": 5000 } }),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient
        .get(format!("{}/api/v1/event/latest", fake.ar_url()))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    fake.shutdown().await; // ends the stalled response instead of waiting 5 s
}

#[tokio::test]
async fn truncated_bodies_fail_to_read() {
    let fake = start().await;
    let client = client();
    set_faults(&client, &fake, json!({ "truncate_body": { "count": 2 } })).await;
    let response = client
        .get(format!("{}/api/v1/event", fake.ar_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.bytes().await.is_err(),
        "a body cut short is an error"
    );
    let response = client
        .get(format!("{}/enheter/lastned", fake.brreg_url()))
        .send()
        .await
        .unwrap();
    assert!(
        response.bytes().await.is_err(),
        "a streamed body cut short is an error"
    );
}

#[tokio::test]
async fn truncated_gzip_is_a_complete_response_with_a_broken_stream() {
    let fake = start().await;
    let client = client();
    set_faults(&client, &fake, json!({ "truncate_gzip": { "count": 1 } })).await;
    let bytes = client
        .get(format!("{}/enheter/lastned", fake.brreg_url()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!bytes.is_empty());
    let mut out = Vec::new();
    let result = flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out);
    assert!(result.is_err(), "the gzip stream ends without its trailer");
    assert!(out.len() > 1000, "what came decompresses");
}

#[tokio::test]
async fn malformed_records_lack_their_key() {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({ "malformed_record": { "count": 3 } }),
    )
    .await;
    let (status, party) = get(
        &client,
        &format!("{}/api/v1/communicationparty/8000000", fake.ar_url()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(party.get("herId").is_none());
    let (_, unit) = get(&client, &format!("{}/enheter/910000004", fake.brreg_url())).await;
    assert!(unit.get("organisasjonsnummer").is_none());
    let (_, page) = get(
        &client,
        &format!("{}/oppdateringer/enheter?size=3", fake.brreg_url()),
    )
    .await;
    assert!(
        page["_embedded"]["oppdaterteEnheter"][0]
            .get("oppdateringsid")
            .is_none()
    );
    let (_, fine) = get(
        &client,
        &format!("{}/api/v1/communicationparty/8000000", fake.ar_url()),
    )
    .await;
    assert_eq!(fine["herId"], 8_000_000);
}

fn sequence_numbers(results: &Value) -> Vec<u64> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match &e["sequenceNumber"] {
            Value::String(s) => s.parse().unwrap(),
            other => other.as_u64().unwrap(),
        })
        .collect()
}

#[tokio::test]
async fn feeds_can_duplicate_and_reorder_events() {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({
            "duplicate_events": { "count": 1, "path_prefix": "/ar" },
            "out_of_order_events": { "count": 1, "path_prefix": "/preg" },
        }),
    )
    .await;
    let (_, page) = get(
        &client,
        &format!(
            "{}/api/v1/event?fromSequenceNumber=1&maxEvents=10",
            fake.ar_url()
        ),
    )
    .await;
    let seqs = sequence_numbers(&page["results"]);
    assert_eq!(seqs.len(), 11);
    assert_eq!(page["count"], 11);
    let mut unique = seqs.clone();
    unique.dedup();
    assert_eq!(unique.len(), 10, "one event repeated");

    let (_, page) = preg_get(
        &client,
        &format!("{}/api/legal-basis/event?sequenceNumber=1", fake.preg_url()),
    )
    .await;
    let seqs = sequence_numbers(&page["results"]);
    assert!(seqs.windows(2).any(|w| w[0] > w[1]), "two events swapped");
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=1000).collect::<Vec<_>>());
}

#[tokio::test]
async fn expired_history_is_refused_as_documented() {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({ "history_expired_below": { "ar": 10, "preg": 10, "brreg_enheter": 10 } }),
    )
    .await;
    let (status, problem) = get(
        &client,
        &format!("{}/api/v1/event?fromSequenceNumber=9", fake.ar_url()),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(problem["status"], 410);
    assert_eq!(
        get(
            &client,
            &format!("{}/api/v1/event?fromSequenceNumber=10", fake.ar_url())
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        preg_get(
            &client,
            &format!("{}/api/legal-basis/event?sequenceNumber=1", fake.preg_url())
        )
        .await
        .0,
        StatusCode::GONE
    );
    assert_eq!(
        preg_get(
            &client,
            &format!(
                "{}/api/legal-basis/event?sequenceNumber=10",
                fake.preg_url()
            )
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, error) = get(
        &client,
        &format!(
            "{}/oppdateringer/enheter?oppdateringsid=5",
            fake.brreg_url()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(error["status"], 410);
    assert_eq!(
        get(
            &client,
            &format!(
                "{}/oppdateringer/enheter?oppdateringsid=10",
                fake.brreg_url()
            )
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        get(
            &client,
            &format!("{}/oppdateringer/underenheter", fake.brreg_url())
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn soap_feed_faults_apply_too() {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({ "duplicate_events": { "count": 1, "path_prefix": "/hpr" } }),
    )
    .await;
    let (_, body) = soap(&client, &fake, "HentRegisterEndringer", "<fra>2000-01-01T00:00:00</fra><til>2030-01-01T00:00:00</til><side>1</side><resultaterPerSide>5</resultaterPerSide>").await;
    assert_eq!(xml_texts(&body, "HPRNummer").len(), 6);
}

/// The pattern of 500s a series of requests meets under a probability rule.
async fn pattern(seed: u64) -> Vec<bool> {
    let fake = start().await;
    let client = client();
    set_faults(
        &client,
        &fake,
        json!({ "seed": seed, "status_500": { "probability": 0.5 } }),
    )
    .await;
    let mut hits = Vec::new();
    for _ in 0..24 {
        hits.push(
            get(&client, &format!("{}/api/v1/event/latest", fake.ar_url()))
                .await
                .0
                == StatusCode::INTERNAL_SERVER_ERROR,
        );
    }
    hits
}

#[tokio::test]
async fn probabilities_are_deterministic_for_a_seed() {
    let (a, b, c) = (pattern(42).await, pattern(42).await, pattern(43).await);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().any(|&x| x) && a.iter().any(|&x| !x));
}

#[tokio::test]
async fn bad_fault_configurations_are_refused_and_can_be_cleared() {
    let fake = start().await;
    let client = client();
    let response = client
        .put(format!("{}/_admin/faults", fake.base_url()))
        .json(&json!({ "status_418": {} }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    set_faults(
        &client,
        &fake,
        json!({ "status_500": { "probability": 1.0 } }),
    )
    .await;
    let response = client
        .delete(format!("{}/_admin/faults", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&client, &format!("{}/api/v1/event/latest", fake.ar_url()))
            .await
            .0,
        StatusCode::OK
    );
}

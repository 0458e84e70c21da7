//! The AR client against the fake upstream over real HTTP: export + bulk bootstrap, the event
//! feed, bulk limits, certificates, faults, and HelseID refusals.

use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use grunndata_sync::auth::scopes;
use grunndata_sync::core::id::HerId;
use grunndata_sync::core::model::CommunicationParty;
use grunndata_sync::fake::FakeHandle;
use grunndata_sync::source::ar::{ArClient, ArConfig, ArCursor, CertificateUse};
use grunndata_sync::source::{Authorise, Change, Cursor, Parsed, Source, SourceError};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Admin, SecuredFake, client_key, fast_http, next, start, stranger_key, synth};

fn client_at(base_url: String, auth: Option<Arc<dyn Authorise>>, max_events: u32) -> ArClient {
    let mut config = ArConfig::new(base_url);
    config.http = fast_http();
    config.max_events = max_events;
    ArClient::new(config, auth).unwrap_or_else(|error| panic!("client: {error}"))
}

fn client(fake: &FakeHandle, max_events: u32) -> ArClient {
    client_at(fake.ar_url(), None, max_events)
}

async fn at_head(admin: &Admin) -> Cursor {
    let head = admin.status().await["heads"]["ar"].as_u64().unwrap_or(0);
    ArCursor(i64::try_from(head).unwrap_or(0) + 1).to_cursor()
}

fn her(value: u64) -> HerId {
    HerId::new(i64::try_from(value).unwrap_or(0)).unwrap_or_else(|error| panic!("{error}"))
}

/// Party `index` of the generator as JSON, with `name` replaced.
fn renamed(index: u64, name: &str) -> Value {
    let mut party = serde_json::to_value(synth().communication_party(index)).unwrap_or(Value::Null);
    party["name"] = json!(name);
    party
}

fn new_party(her_id: u64) -> Value {
    json!({ "herId": her_id, "name": "Ny testpart", "type": "Organization",
            "organizationDetails": { "organizationNumber": "310000019",
                "businessType": { "codeListId": "9040", "value": "115" }, "persons": [], "services": [] },
            "amqpTransportStatus": "Enabled" })
}

#[tokio::test]
async fn bootstrap_fetches_every_exported_party() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let export = client
        .export()
        .await
        .unwrap_or_else(|e| panic!("export: {e}"));
    assert!(!export.her_ids.is_empty());
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|e| panic!("bootstrap: {e}"));
    assert_eq!(
        snapshot.resume,
        at_head(&admin).await,
        "lastSequenceNumber + 1"
    );
    let mut records = snapshot.records;
    let mut seen = Vec::new();
    while let Some(item) = records.next().await {
        match item {
            Ok(Parsed::Record(party)) => seen.push(party.her_id),
            Ok(Parsed::Malformed(record)) => panic!("malformed: {record}"),
            Err(error) => panic!("stream: {error}"),
        }
    }
    assert_eq!(
        seen, export.her_ids,
        "every exported party, in export order"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn changes_upsert_created_updated_and_deactivated_parties() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let cursor = at_head(&admin).await;
    let synth = synth();
    let (updated, deactivated) = (synth.ar_her_id(0), synth.ar_her_id(1));
    admin
        .upsert("ar", json!([renamed(0, "Nytt navn"), new_party(8_900_001)]))
        .await;
    admin.delete("ar", &deactivated.to_string(), "").await;

    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("changes: {e}"));
    assert!(page.caught_up);
    assert_eq!(page.events_seen, 3);
    let records: Vec<&CommunicationParty> = page
        .changes
        .iter()
        .map(|change| match change {
            Change::Upsert {
                record, changed_at, ..
            } => {
                assert!(changed_at.is_some(), "eventTimestamp");
                record
            }
            other => panic!("AR only upserts: {other:?}"),
        })
        .collect();
    let ids: Vec<u32> = records.iter().map(|party| party.her_id.get()).collect();
    assert_eq!(
        ids,
        [
            u32::try_from(updated).unwrap_or(0),
            8_900_001,
            u32::try_from(deactivated).unwrap_or(0)
        ]
    );
    assert_eq!(records[0].name.as_deref(), Some("Nytt navn"));
    assert!(
        records[2].valid_to.is_some_and(|to| to < Utc::now()),
        "deactivated: validTo in the past"
    );
    assert!(!records[2].is_active_at(Utc::now()));
    let next = ArCursor::parse(&page.next_cursor).unwrap_or(ArCursor(0));
    assert_eq!(
        next,
        ArCursor::parse(&at_head(&admin).await).unwrap_or(ArCursor(1))
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn paging_from_sequence_number_inclusive() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 2);
    let mut cursor = at_head(&admin).await;
    let first = ArCursor::parse(&cursor).unwrap_or(ArCursor(1));
    for index in 0..5 {
        admin.upsert("ar", json!([renamed(index, "Side")])).await;
    }
    let mut keys = Vec::new();
    loop {
        let page = client
            .changes(&cursor)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        keys.extend(page.changes.iter().map(|change| change.key().get()));
        cursor = page.next_cursor;
        if page.caught_up {
            break;
        }
    }
    let synth = synth();
    let expected: Vec<u32> = (0..5)
        .map(|i| u32::try_from(synth.ar_her_id(i)).unwrap_or(0))
        .collect();
    assert_eq!(keys, expected);
    assert_eq!(
        ArCursor::parse(&cursor).map(|c| c.0).ok(),
        Some(first.0 + 5)
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn fetch_chunks_beyond_the_bulk_limit() {
    let fake = start().await;
    let client = client(&fake, 1000);
    let export = client
        .export()
        .await
        .unwrap_or_else(|e| panic!("export: {e}"));
    let mut ids = export.her_ids.clone();
    while ids.len() < 250 {
        ids.extend(export.her_ids.iter().copied());
    }
    ids.truncate(250);
    // The fake answers 400 to more than 100 herIds: success means the client chunked.
    let parsed = client
        .fetch(&ids)
        .await
        .unwrap_or_else(|e| panic!("fetch: {e}"));
    assert_eq!(parsed.len(), 250);
    assert!(parsed.iter().all(|p| matches!(p, Parsed::Record(_))));
    // One unknown herId is simply absent.
    let parsed = client
        .fetch(&[her(8_999_999)])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.is_empty());
    assert!(matches!(client.party(her(8_999_999)).await, Ok(None)));
    fake.shutdown().await;
}

#[tokio::test]
async fn certificates_and_latest_event() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let synth = synth();
    let with_certificate = (0..synth.counts().ar_organizations)
        .map(|i| synth.communication_party(i))
        .filter_map(|party| serde_json::to_value(party).ok())
        .find(|party| !party["currentSigningCertificate"].is_null())
        .and_then(|party| party["herId"].as_u64())
        .unwrap_or_else(|| panic!("the generator gives some party a certificate"));
    let pairs = client
        .certificates(her(with_certificate), true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pairs.len(), 2);
    assert!(pairs[0].is_current && !pairs[1].is_current);
    assert!(pairs[0].signing.is_some());
    let missing = client
        .certificate(her(8_999_999), CertificateUse::Signing)
        .await;
    assert!(matches!(missing, Ok(None)), "404 → None: {missing:?}");
    let latest = client
        .latest_event()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let head = admin.status().await["heads"]["ar"].as_i64();
    assert_eq!(latest.map(|event| event.sequence_number), head);
    fake.shutdown().await;
}

// --- faults ---------------------------------------------------------------------------------

#[tokio::test]
async fn faults_on_the_feed_and_the_bulk_fetch() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let cursor = at_head(&admin).await;
    for index in 0..4 {
        admin.upsert("ar", json!([renamed(index, "Feil")])).await;
    }
    admin
        .faults(json!({
            "status_500": next(1, "/ar/api/v1/event"),
            "status_503": next(1, "/ar/api/v1/communicationparty"),
            "rate_limit": { "count": 1, "path_prefix": "/ar/api/v1/event", "retry_after_seconds": 1 },
            "truncate_body": next(1, "/ar/api/v1/communicationparty"),
            "duplicate_events": next(1, "/ar"),
            "out_of_order_events": next(1, "/ar"),
        }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.changes.len(),
        4,
        "retried through every fault, one change per party"
    );
    let sequence: Vec<u32> = page.changes.iter().map(|c| c.key().get()).collect();
    let synth = synth();
    let expected: Vec<u32> = (0..4)
        .map(|i| u32::try_from(synth.ar_her_id(i)).unwrap_or(0))
        .collect();
    assert_eq!(sequence, expected, "feed order restored");

    admin
        .faults(json!({ "malformed_record": next(1, "/ar/api/v1/communicationparty") }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The broken record has no herId to match it to its event, so that party is looked up
    // singly (and parses); the broken record is still reported.
    assert_eq!((page.changes.len(), page.malformed.len()), (4, 1));
    assert_eq!(page.malformed[0].field.as_deref(), Some("herId"));
    assert_eq!(page.malformed[0].upstream_id, None);
    fake.shutdown().await;
}

/// Regression (#13): a gap in the sequence numbers is not an expired cursor: the page is
/// applied and the cursor moves past it.
#[tokio::test]
async fn a_sequence_gap_is_applied_not_expiry() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let cursor = at_head(&admin).await;
    for index in 0..5 {
        admin.upsert("ar", json!([renamed(index, "Gap")])).await;
    }
    admin
        .faults(json!({ "sequence_gaps": next(1, "/ar/api/v1/event") }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("a gap is not expiry: {e}"));
    assert_eq!(page.events_seen, 4, "one number left out");
    assert_eq!(page.changes.len(), 4);
    let head = admin.status().await["heads"]["ar"].as_i64().unwrap_or(0);
    assert_eq!(page.next_cursor, ArCursor(head + 1).to_cursor());
    assert_eq!(admin.fired().await["sequence_gaps"], 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn expired_history_and_bad_cursors() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    admin
        .faults(json!({ "history_expired_below": { "ar": 10 } }))
        .await;
    let error = client.changes(&ArCursor(3).to_cursor()).await.err();
    assert!(
        matches!(error, Some(SourceError::CursorExpired { ref cursor, .. }) if cursor == "3"),
        "{error:?}"
    );
    assert!(client.changes(&ArCursor(10).to_cursor()).await.is_ok());
    let error = client.changes(&Cursor::new("zero")).await.err();
    assert!(
        matches!(error, Some(SourceError::InvalidCursor { .. })),
        "{error:?}"
    );
    fake.shutdown().await;
}

// --- HelseID --------------------------------------------------------------------------------

#[tokio::test]
async fn helseid_dpop_is_accepted_and_refusals_are_typed() {
    let fake = SecuredFake::start(&[scopes::AR, scopes::PREG_LEGAL_BASIS]).await;

    let good = client_at(
        fake.ar_url(),
        Some(fake.hook(client_key(), scopes::AR)),
        1000,
    );
    let export = good
        .export()
        .await
        .unwrap_or_else(|e| panic!("authorised export: {e}"));
    let page = good
        .changes(&ArCursor(1).to_cursor())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!page.changes.is_empty());
    assert!(!export.her_ids.is_empty());

    let anonymous = client_at(fake.ar_url(), None, 1000);
    match anonymous.export().await.err() {
        Some(SourceError::Unauthorised {
            status,
            challenge,
            path,
            ..
        }) => {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(challenge.is_some_and(|c| c.contains("DPoP")));
            assert_eq!(path, "/api/v1/communicationparty/export");
        }
        other => panic!("expected 401, got {other:?}"),
    }

    let wrong_scope = client_at(
        fake.ar_url(),
        Some(fake.hook(client_key(), scopes::PREG_LEGAL_BASIS)),
        1000,
    );
    let error = wrong_scope.export().await.err();
    assert!(
        matches!(
            error,
            Some(SourceError::Unauthorised {
                status: StatusCode::FORBIDDEN,
                ..
            })
        ),
        "{error:?}"
    );

    let stranger = client_at(
        fake.ar_url(),
        Some(fake.hook(stranger_key(), scopes::AR)),
        1000,
    );
    let error = stranger.export().await.err();
    assert!(
        matches!(error, Some(SourceError::Auth { .. })),
        "token refused: {error:?}"
    );
    let text = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(!text.contains("eyJ"), "no JWT in the error: {text}");
    fake.stop();
}

/// Decision (#13, docs/upstream-decisions.md "AR sequence number width"): the export declares
/// `lastSequenceNumber` int64, the feed's `fromSequenceNumber` int32. We keep 64 bits end to
/// end: an export past `i32::MAX` resumes the feed at exactly the next number, sent as is (a
/// validating int32 server would refuse it, which is then a loud error, never a silent wrap).
#[tokio::test]
async fn sequence_numbers_past_i32_are_kept_whole() {
    use axum::extract::{Query, State};
    use axum::routing::get;
    use std::collections::HashMap;
    use std::sync::Mutex;

    const LAST: i64 = 4_000_000_000;
    type Seen = Arc<Mutex<Vec<String>>>;
    async fn export(State(_): State<Seen>) -> axum::Json<Value> {
        axum::Json(json!({ "lastSequenceNumber": LAST, "count": 0, "communicationParties": [] }))
    }
    async fn events(
        State(seen): State<Seen>,
        Query(query): Query<HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let from = query.get("fromSequenceNumber").cloned().unwrap_or_default();
        seen.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(from);
        axum::Json(json!({ "results": [] }))
    }
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/communicationparty/export", get(export))
        .route("/api/v1/event", get(events))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("address: {error}"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = client_at(format!("http://{address}"), None, 1000);
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|error| panic!("bootstrap: {error}"));
    let resume = snapshot.resume.clone();
    assert_eq!(snapshot.records.count().await, 0);
    assert_eq!(resume, ArCursor(LAST + 1).to_cursor());
    let page = client
        .changes(&resume)
        .await
        .unwrap_or_else(|error| panic!("changes: {error}"));
    assert_eq!(page.next_cursor, resume, "nothing new: the cursor stays");
    assert_eq!(
        *seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        [(LAST + 1).to_string()]
    );
    server.abort();
}

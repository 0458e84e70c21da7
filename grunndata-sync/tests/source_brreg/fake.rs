//! The Brreg client against the fake upstream over real HTTP: bulk files, the two feeds with
//! every `endringstype`, paging, and each fault class.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use grunndata_sync::core::id::OrgNumber;
use grunndata_sync::core::model::{Organisation, UnitKind};
use grunndata_sync::fake::FakeHandle;
use grunndata_sync::source::brreg::{
    BrregClient, BrregConfig, BrregCursor, FeedPosition, UnitLookup,
};
use grunndata_sync::source::{Change, Cursor, Page, Parsed, Source, SourceError};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Admin, fast_http, next, start, synth};

fn client(fake: &FakeHandle, page_size: u32) -> BrregClient {
    let mut config = BrregConfig::new(fake.brreg_url());
    config.http = fast_http();
    config.page_size = page_size;
    BrregClient::new(config).unwrap_or_else(|error| panic!("client: {error}"))
}

/// A cursor just past both feeds' current heads.
async fn at_head(admin: &Admin) -> Cursor {
    let status = admin.status().await;
    let head = |key: &str| status["heads"][key].as_u64().unwrap_or(0);
    BrregCursor {
        enheter: FeedPosition::Id(head("brregEnheter") + 1),
        underenheter: FeedPosition::Id(head("brregUnderenheter") + 1),
    }
    .to_cursor()
}

/// A new unit record in Brreg's shape.
fn unit(orgnr: &str, name: &str) -> Value {
    json!({
        "organisasjonsnummer": orgnr,
        "navn": name,
        "organisasjonsform": { "kode": "AS", "beskrivelse": "Aksjeselskap" },
        "registreringsdatoEnhetsregisteret": "2024-01-02",
        "registrertIMvaregisteret": false,
        "konkurs": false
    })
}

/// A synthetic orgnr outside the generator's ranges (valid mod 11).
const NEW_A: &str = "310000019";
const NEW_B: &str = "310000027";
const NEW_C: &str = "310000035";

fn org(text: &str) -> OrgNumber {
    text.parse()
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// Reads pages until caught up; returns them all.
async fn drain(client: &BrregClient, mut cursor: Cursor) -> (Vec<Page<Organisation>>, Cursor) {
    let mut pages = Vec::new();
    for _ in 0..100 {
        let page = client
            .changes(&cursor)
            .await
            .unwrap_or_else(|error| panic!("changes: {error}"));
        cursor = page.next_cursor.clone();
        let done = page.caught_up;
        pages.push(page);
        if done {
            return (pages, cursor);
        }
    }
    panic!("the feed never caught up");
}

#[tokio::test]
async fn bootstrap_streams_both_bulk_files() {
    let fake = start().await;
    let synth = synth();
    let counts = synth.counts();
    let live_main = (0..counts.enheter)
        .filter(|&i| !synth.enhet_is_deleted(i))
        .count();
    let live_sub = (0..counts.underenheter)
        .filter(|&i| {
            serde_json::to_value(synth.underenhet(i)).map_or(true, |value| {
                value.get("slettedato").is_none_or(Value::is_null)
            })
        })
        .count();

    let snapshot = client(&fake, 1000)
        .bootstrap()
        .await
        .unwrap_or_else(|error| panic!("bootstrap: {error}"));
    assert!(
        snapshot.id.contains("enheter"),
        "ETag as the id: {}",
        snapshot.id
    );
    let resume = BrregCursor::parse(&snapshot.resume).unwrap_or(BrregCursor::START);
    let FeedPosition::Since(since) = resume.enheter else {
        panic!("a bootstrap resumes by time: {resume}");
    };
    assert!(since < snapshot.at, "resume before the file's time");

    let mut records = snapshot.records;
    let (mut main, mut sub) = (0, 0);
    let mut seen = HashSet::new();
    while let Some(item) = records.next().await {
        match item {
            Ok(Parsed::Record(org)) => {
                assert!(seen.insert(org.org_number), "each unit once");
                match org.unit {
                    UnitKind::MainUnit => main += 1,
                    UnitKind::SubUnit => sub += 1,
                }
            }
            Ok(Parsed::Malformed(record)) => panic!("unexpected malformed record: {record}"),
            Err(error) => panic!("stream error: {error}"),
        }
    }
    assert_eq!((main, sub), (live_main, live_sub));
    fake.shutdown().await;
}

#[tokio::test]
async fn bootstrap_then_feed_by_dato_reaches_the_head() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let mut config = BrregConfig::new(fake.brreg_url());
    config.http = fast_http();
    // No margin: start exactly at the file's time (the fake's Last-Modified is exact), so the
    // test does not replay the whole base feed.
    config.resume_margin = Duration::ZERO;
    let client = BrregClient::new(config).unwrap_or_else(|error| panic!("client: {error}"));
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|e| panic!("bootstrap: {e}"));
    drop(snapshot.records);
    admin
        .upsert("brreg/enheter", json!([unit(NEW_A, "ETTER SNAPSHOT AS")]))
        .await;
    let (pages, cursor) = drain(&client, snapshot.resume).await;
    let upserted: Vec<String> = pages
        .iter()
        .flat_map(|page| &page.changes)
        .map(|change| change.key().to_string())
        .collect();
    assert!(
        upserted.contains(&NEW_A.to_owned()),
        "the change after the file is seen"
    );
    // The main-unit feed saw an event: its position is now an id just past the head. The
    // sub-unit feed saw none and stays at its time.
    let expected = BrregCursor::parse(&at_head(&admin).await).unwrap_or(BrregCursor::START);
    let reached = BrregCursor::parse(&cursor).unwrap_or(BrregCursor::START);
    assert_eq!(reached.enheter, expected.enheter);
    assert!(
        matches!(reached.underenheter, FeedPosition::Since(_)),
        "{reached}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn endringstype_ny_endring_sletting_fjernet() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let cursor = at_head(&admin).await;

    admin
        .upsert(
            "brreg/enheter",
            json!([
                unit(NEW_A, "NY AS"),
                unit(NEW_B, "SKAL SLETTES AS"),
                unit(NEW_C, "SKAL FJERNES AS")
            ]),
        )
        .await;
    admin
        .upsert("brreg/enheter", json!([unit(NEW_A, "ENDRET AS")]))
        .await;
    admin.delete("brreg/enheter", NEW_B, "").await;
    admin
        .delete("brreg/enheter", NEW_C, "?endringstype=Fjernet")
        .await;
    let sub_orgnr = synth().underenhet_orgnr(0);
    admin.delete("brreg/underenheter", &sub_orgnr, "").await;

    let (pages, _) = drain(&client, cursor).await;
    let changes: Vec<&Change<Organisation>> = pages.iter().flat_map(|page| &page.changes).collect();
    assert_eq!(
        changes.len(),
        4,
        "one change per unit, the latest event wins: {changes:#?}"
    );
    let find = |key: &str| {
        changes
            .iter()
            .find(|change| change.key().to_string() == key)
            .unwrap_or_else(|| panic!("no change for {key}"))
    };
    match find(NEW_A) {
        Change::Upsert {
            record, changed_at, ..
        } => {
            assert_eq!(
                record.name.as_deref(),
                Some("ENDRET AS"),
                "refetched: current state"
            );
            assert!(changed_at.is_some());
        }
        other => panic!("Ny+Endring → upsert, got {other:?}"),
    }
    match find(NEW_B) {
        Change::Upsert { record, .. } => {
            assert!(
                record.deleted_date.is_some(),
                "Sletting → kept with slettedato"
            );
        }
        other => panic!("Sletting → upsert with slettedato, got {other:?}"),
    }
    assert!(
        matches!(find(NEW_C), Change::Purge { .. }),
        "Fjernet → purge"
    );
    match find(&sub_orgnr) {
        Change::Upsert { record, .. } => {
            assert_eq!(record.unit, UnitKind::SubUnit);
            assert!(record.is_deleted());
        }
        other => panic!("sub-unit Sletting, got {other:?}"),
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn paging_is_inclusive_and_never_repeats() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 2);
    let start_cursor = at_head(&admin).await;
    let orgnrs: Vec<String> = (0..5).map(|i| synth().enhet_orgnr(i)).collect();
    for orgnr in &orgnrs {
        admin
            .upsert("brreg/enheter", json!([unit(orgnr, "ENDRET")]))
            .await;
    }
    let (pages, end) = drain(&client, start_cursor.clone()).await;
    assert!(pages.len() >= 3, "five events in pages of two");
    let keys: Vec<String> = pages
        .iter()
        .flat_map(|page| &page.changes)
        .map(|change| change.key().to_string())
        .collect();
    assert_eq!(keys, orgnrs, "every event once, in oppdateringsid order");
    let begin = BrregCursor::parse(&start_cursor).unwrap_or(BrregCursor::START);
    let after = BrregCursor::parse(&end).unwrap_or(BrregCursor::START);
    let (FeedPosition::Id(from), FeedPosition::Id(to)) = (begin.enheter, after.enheter) else {
        panic!("id cursors");
    };
    assert_eq!(to, from + 5, "next = last seen + 1");
    // Reading again from the end gives nothing.
    let again = client.changes(&end).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again.changes.is_empty() && again.caught_up);
    assert_eq!(again.next_cursor, end);
    fake.shutdown().await;
}

#[tokio::test]
async fn lookups_and_fetch() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let synth = synth();
    let main = org(&synth.enhet_orgnr(1));
    let sub = org(&synth.underenhet_orgnr(1));
    assert!(matches!(
        client.lookup(UnitKind::MainUnit, &main).await,
        Ok(UnitLookup::Found(Parsed::Record(_)))
    ));
    assert!(matches!(
        client.lookup(UnitKind::MainUnit, &org(NEW_A)).await,
        Ok(UnitLookup::NotFound)
    ));
    admin
        .upsert("brreg/enheter", json!([unit(NEW_C, "FJERNES")]))
        .await;
    admin
        .delete("brreg/enheter", NEW_C, "?endringstype=Fjernet")
        .await;
    assert!(matches!(
        client.lookup(UnitKind::MainUnit, &org(NEW_C)).await,
        Ok(UnitLookup::Removed)
    ));

    let fetched = client
        .fetch(&[main, sub, org(NEW_A)])
        .await
        .unwrap_or_else(|error| panic!("fetch: {error}"));
    let got: Vec<(OrgNumber, UnitKind)> = fetched
        .into_iter()
        .filter_map(Parsed::record)
        .map(|org| (org.org_number, org.unit))
        .collect();
    assert_eq!(
        got,
        [(main, UnitKind::MainUnit), (sub, UnitKind::SubUnit)],
        "unknown keys left out"
    );
    fake.shutdown().await;
}

// --- faults ---------------------------------------------------------------------------------

const FEED: &str = "/brreg/enhetsregisteret/api/oppdateringer";
const LASTNED: &str = "/brreg/enhetsregisteret/api/enheter/lastned";
/// Where a feed page's units are refetched first: the search, many units per request (also a
/// prefix of the single-unit paths, which come after it).
const SEARCH: &str = "/brreg/enhetsregisteret/api/enheter";

/// One changed main unit past the head, and the cursor before it.
async fn one_change(admin: &Admin) -> Cursor {
    let cursor = at_head(admin).await;
    admin
        .upsert("brreg/enheter", json!([unit(NEW_A, "FEIL")]))
        .await;
    cursor
}

#[tokio::test]
async fn server_errors_are_retried() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = one_change(&admin).await;
    admin
        .faults(json!({ "status_500": next(2, FEED), "status_503": next(1, SEARCH) }))
        .await;
    let page = client(&fake, 100)
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.changes.len(), 1);
    let fired = admin.fired().await;
    assert_eq!(
        (fired["status_500"].as_u64(), fired["status_503"].as_u64()),
        (Some(2), Some(1))
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn retries_run_out_with_an_error_naming_upstream_path_and_status() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = one_change(&admin).await;
    admin.faults(json!({ "status_500": next(100, FEED) })).await;
    let error = client(&fake, 100).changes(&cursor).await.err();
    match error {
        Some(SourceError::Status {
            status,
            attempts,
            path,
            ..
        }) => {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(attempts, fast_http().max_attempts);
            // Both feeds are read at once; whichever fails first is reported.
            assert!(path.starts_with("/oppdateringer/"), "{path}");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
    let text = client(&fake, 100)
        .changes(&cursor)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(text.starts_with("brreg: GET /oppdateringer/"), "{text}");
    assert!(text.contains("HTTP 500"), "{text}");
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limit_waits_retry_after() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = one_change(&admin).await;
    admin
        .faults(
            json!({ "rate_limit": { "count": 1, "path_prefix": FEED, "retry_after_seconds": 1 } }),
        )
        .await;
    let began = Instant::now();
    let page = client(&fake, 100)
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "waited Retry-After"
    );
    assert_eq!(page.changes.len(), 1);
    // A Retry-After beyond the configured maximum is an error, not a long sleep.
    admin
        .faults(json!({ "rate_limit": { "count": 1, "path_prefix": FEED, "retry_after_seconds": 3600 } }))
        .await;
    let error = client(&fake, 100).changes(&cursor).await.err();
    assert!(
        matches!(
            error,
            Some(SourceError::RateLimited {
                retry_after_secs: 3600,
                ..
            })
        ),
        "{error:?}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_stall_times_out_and_is_retried() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = one_change(&admin).await;
    admin
        .faults(json!({ "stall": { "count": 1, "path_prefix": FEED, "millis": 5000 } }))
        .await;
    let began = Instant::now();
    let page = client(&fake, 100)
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.changes.len(), 1);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "did not wait out the stall"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_cut_body_is_retried() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = one_change(&admin).await;
    admin
        .faults(json!({ "truncate_body": next(2, "/brreg") }))
        .await;
    let page = client(&fake, 100)
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.changes.len(), 1);
    assert_eq!(admin.fired().await["truncate_body"].as_u64(), Some(2));
    fake.shutdown().await;
}

/// Reads a bulk stream to its end: (records, malformed, the error that ended it).
async fn read_bulk(client: &BrregClient) -> (usize, Vec<String>, Option<SourceError>) {
    let (mut stream, _) = client
        .bulk(UnitKind::MainUnit)
        .await
        .unwrap_or_else(|error| panic!("bulk: {error}"));
    let (mut records, mut malformed) = (0, Vec::new());
    while let Some(item) = stream.next().await {
        match item {
            Ok(Parsed::Record(_)) => records += 1,
            Ok(Parsed::Malformed(record)) => {
                malformed.push(record.field.clone().unwrap_or_default());
            }
            Err(error) => return (records, malformed, Some(error)),
        }
    }
    (records, malformed, None)
}

#[tokio::test]
async fn truncated_bulk_files_are_errors_not_short_snapshots() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let (full, _, error) = read_bulk(&client).await;
    assert!(error.is_none() && full > 0);

    admin
        .faults(json!({ "truncate_gzip": next(1, LASTNED) }))
        .await;
    let (records, _, error) = read_bulk(&client).await;
    assert!(records < full);
    assert!(
        matches!(error, Some(SourceError::Body { .. })),
        "gzip without trailer: {error:?}"
    );

    admin
        .faults(json!({ "truncate_body": next(1, LASTNED) }))
        .await;
    let (records, _, error) = read_bulk(&client).await;
    assert!(records < full);
    let text = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(text.contains("/enheter/lastned"), "{text}");
    fake.shutdown().await;
}

#[tokio::test]
async fn a_malformed_record_does_not_stop_the_rest() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let (full, _, _) = read_bulk(&client).await;
    admin
        .faults(json!({ "malformed_record": next(1, LASTNED) }))
        .await;
    let (records, malformed, error) = read_bulk(&client).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(malformed, ["organisasjonsnummer"]);
    assert_eq!(records + 1, full);

    // In a feed page: a malformed refetched unit and a malformed event.
    let cursor = at_head(&admin).await;
    admin
        .upsert("brreg/enheter", json!([unit(NEW_A, "A"), unit(NEW_B, "B")]))
        .await;
    admin
        .faults(json!({ "malformed_record": next(1, SEARCH) }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((page.changes.len(), page.malformed.len()), (1, 1));
    admin
        .faults(json!({ "malformed_record": next(1, FEED) }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.malformed.len(), 1, "the event without oppdateringsid");
    assert_eq!(page.malformed[0].field.as_deref(), Some("oppdateringsid"));
    assert_eq!(page.changes.len(), 1, "the other event still counts");
    fake.shutdown().await;
}

#[tokio::test]
async fn duplicated_and_reordered_events_give_one_change_each_in_order() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let cursor = at_head(&admin).await;
    let orgnrs: Vec<String> = (0..4).map(|i| synth().enhet_orgnr(i)).collect();
    for orgnr in &orgnrs {
        admin
            .upsert("brreg/enheter", json!([unit(orgnr, "X")]))
            .await;
    }
    admin
        .faults(json!({ "duplicate_events": next(1, FEED), "out_of_order_events": next(1, FEED) }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = page.changes.iter().map(|c| c.key().to_string()).collect();
    assert_eq!(keys, orgnrs);
    assert_eq!(page.events_seen, 5, "the duplicate was read");
    fake.shutdown().await;
}

#[tokio::test]
async fn expired_history_is_cursor_expired() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    admin
        .faults(json!({ "history_expired_below": { "brreg_enheter": 50 } }))
        .await;
    let error = client(&fake, 100)
        .changes(&BrregCursor::START.to_cursor())
        .await
        .err();
    match error {
        Some(error @ SourceError::CursorExpired { .. }) => {
            assert!(error.needs_resnapshot());
            assert!(
                error
                    .to_string()
                    .contains(r#"{"enheter":1,"underenheter":1}"#),
                "{error}"
            );
        }
        other => panic!("expected CursorExpired, got {other:?}"),
    }
    fake.shutdown().await;
}

// --- bulk refetch ---------------------------------------------------------------------------

/// Requests the fake has served on `route`, e.g. `GET /brreg/…/enheter/{id}`.
fn served(status: &Value, route: &str) -> u64 {
    status["requests"][route].as_u64().unwrap_or(0)
}

/// Requests per route between two `status` answers.
fn cost(before: &Value, after: &Value, route: &str) -> u64 {
    served(after, route) - served(before, route)
}

const ENHETER_SEARCH: &str = "GET /brreg/enhetsregisteret/api/enheter";
const ENHET_SINGLE: &str = "GET /brreg/enhetsregisteret/api/enheter/{id}";
const UNDERENHETER_SEARCH: &str = "GET /brreg/enhetsregisteret/api/underenheter";
const UNDERENHET_SINGLE: &str = "GET /brreg/enhetsregisteret/api/underenheter/{id}";
const ENHETER_FEED: &str = "GET /brreg/enhetsregisteret/api/oppdateringer/enheter";

#[tokio::test]
async fn a_feed_page_of_many_changes_costs_few_requests() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 1000);
    let cursor = at_head(&admin).await;
    let s = synth();
    let orgnrs: Vec<String> = (0..250).map(|index| s.enhet_orgnr(index)).collect();
    let records: Vec<Value> = orgnrs
        .iter()
        .map(|orgnr| unit(orgnr, &format!("ENDRET {orgnr}")))
        .collect();
    admin.upsert("brreg/enheter", Value::Array(records)).await;

    let before = admin.status().await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = admin.status().await;

    let keys: Vec<String> = page.changes.iter().map(|c| c.key().to_string()).collect();
    assert_eq!(keys, orgnrs, "one change per unit, in feed order");
    for change in &page.changes {
        match change {
            Change::Upsert { record, .. } => assert_eq!(
                record.name,
                Some(format!("ENDRET {}", record.org_number)),
                "the current state"
            ),
            other => panic!("expected an upsert, got {other:?}"),
        }
    }
    assert!(page.malformed.is_empty());
    assert_eq!(cost(&before, &after, ENHETER_FEED), 1);
    assert_eq!(
        cost(&before, &after, ENHETER_SEARCH),
        3,
        "250 units in searches of at most 100"
    );
    assert_eq!(
        cost(&before, &after, ENHET_SINGLE),
        0,
        "every unit was live"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn units_search_leaves_out_are_looked_up_singly() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, 100);
    let cursor = at_head(&admin).await;
    admin
        .upsert(
            "brreg/enheter",
            json!([
                unit(NEW_A, "LEVENDE AS"),
                unit(NEW_B, "SKAL SLETTES AS"),
                unit(NEW_C, "SKAL FJERNES AS")
            ]),
        )
        .await;
    admin.delete("brreg/enheter", NEW_B, "").await;
    admin
        .delete("brreg/enheter", NEW_C, "?endringstype=Fjernet")
        .await;
    let sub_orgnr = synth().underenhet_orgnr(0);
    admin.delete("brreg/underenheter", &sub_orgnr, "").await;

    let before = admin.status().await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = admin.status().await;

    let keys: Vec<String> = page.changes.iter().map(|c| c.key().to_string()).collect();
    assert_eq!(
        keys,
        [NEW_A, NEW_B, NEW_C, sub_orgnr.as_str()],
        "feed order"
    );
    match &page.changes[0] {
        Change::Upsert { record, .. } => {
            assert_eq!(record.name.as_deref(), Some("LEVENDE AS"));
            assert!(!record.is_deleted());
        }
        other => panic!("a live unit from search, got {other:?}"),
    }
    match &page.changes[1] {
        Change::Upsert { record, .. } => {
            assert!(record.is_deleted(), "Sletting → kept with slettedato");
        }
        other => panic!("a deleted unit from its single lookup, got {other:?}"),
    }
    assert!(
        matches!(page.changes[2], Change::Purge { .. }),
        "Fjernet → purge"
    );
    match &page.changes[3] {
        Change::Upsert { record, .. } => {
            assert_eq!(record.unit, UnitKind::SubUnit);
            assert!(record.is_deleted());
        }
        other => panic!("a deleted sub-unit from its single lookup, got {other:?}"),
    }
    assert_eq!(cost(&before, &after, ENHETER_SEARCH), 1);
    assert_eq!(
        cost(&before, &after, ENHET_SINGLE),
        1,
        "only the deleted unit; the removed one is not fetched at all"
    );
    assert_eq!(cost(&before, &after, UNDERENHETER_SEARCH), 1);
    assert_eq!(cost(&before, &after, UNDERENHET_SINGLE), 1);
    fake.shutdown().await;
}

/// Regression (#13): expiry is not detected by matching error text only our fake writes. A
/// 400 from the feed is a status error naming the path, even when its text reads like the
/// fake's old "history expired" message; only 410 means the cursor is gone.
#[tokio::test]
async fn a_feed_400_is_not_read_as_expiry_from_its_text() {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/oppdateringer/enheter",
        get(|| async {
            (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "status": 400,
                    "error": "Bad Request",
                    "message": "Oppdateringshistorikken er ikke lenger tilgjengelig (expired)",
                })),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let base = format!(
        "http://{}",
        listener
            .local_addr()
            .unwrap_or_else(|error| panic!("address: {error}"))
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut config = BrregConfig::new(base);
    config.http = fast_http();
    let client = BrregClient::new(config).unwrap_or_else(|error| panic!("client: {error}"));
    match client.changes(&BrregCursor::START.to_cursor()).await.err() {
        Some(SourceError::Status { status, path, .. }) => {
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(path, "/oppdateringer/enheter");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
}

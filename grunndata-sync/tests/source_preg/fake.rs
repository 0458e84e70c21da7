//! The Persontjenesten client against the fake upstream over real HTTP: tracked-only
//! bootstrap and feed, identity changes, faults, the `api-version` header, and HelseID
//! refusals.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::StreamExt;
use grunndata_sync::auth::scopes;
use grunndata_sync::core::id::NationalId;
use grunndata_sync::core::model::{Person, PersonStatus};
use grunndata_sync::fake::FakeHandle;
use grunndata_sync::source::preg::{
    PregClient, PregConfig, PregCursor, TrackedPersons, TrackedSet,
};
use grunndata_sync::source::{Authorise, Change, Cursor, Parsed, Source, SourceError};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Admin, SecuredFake, client_key, fast_http, next, start, synth};

fn client_at(
    base_url: String,
    auth: Option<Arc<dyn Authorise>>,
    tracked: Arc<dyn TrackedPersons>,
    adjust: impl FnOnce(&mut PregConfig),
) -> PregClient {
    let mut config = PregConfig::new(base_url);
    config.http = fast_http();
    adjust(&mut config);
    PregClient::new(config, auth, tracked).unwrap_or_else(|error| panic!("client: {error}"))
}

fn client(fake: &FakeHandle, tracked: Arc<dyn TrackedPersons>) -> PregClient {
    client_at(fake.preg_url(), None, tracked, |_| {})
}

fn nin(index: u64) -> NationalId {
    synth()
        .preg_nin(index)
        .parse()
        .unwrap_or_else(|error| panic!("generator NIN: {error}"))
}

/// Tracks persons `indexes` by id and NIN.
fn tracking(indexes: impl IntoIterator<Item = u64> + Clone) -> Arc<TrackedSet> {
    let synth = synth();
    Arc::new(TrackedSet::with(
        indexes.clone().into_iter().map(|i| synth.preg_person_id(i)),
        indexes.into_iter().map(nin),
    ))
}

async fn at_head(admin: &Admin) -> Cursor {
    let head = admin.status().await["heads"]["preg"].as_i64().unwrap_or(0);
    PregCursor(head + 1).to_cursor()
}

/// Person `index` of the generator with its current given name replaced.
fn renamed(index: u64, given: &str) -> Value {
    let mut person = serde_json::to_value(synth().preg_person(index)).unwrap_or(Value::Null);
    if let Some(names) = person["name"].as_array_mut() {
        for name in names
            .iter_mut()
            .filter(|name| name["isValid"] == json!(true))
        {
            name["givenName"] = json!(given);
        }
    }
    person
}

fn upserts(changes: &[Change<Person>]) -> Vec<&Person> {
    changes
        .iter()
        .filter_map(|change| match change {
            Change::Upsert { record, .. } => Some(record),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn bootstrap_fetches_tracked_nins_only_in_chunks() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    // 150 NINs: more than one bulk-by-nin request (the fake refuses more than 100).
    let tracked = tracking(0..150);
    let client = client(&fake, tracked);
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|e| panic!("bootstrap: {e}"));
    assert_eq!(
        snapshot.resume,
        at_head(&admin).await,
        "latest sequenceNumber + 1"
    );
    let mut records = snapshot.records;
    let mut ids = HashSet::new();
    while let Some(item) = records.next().await {
        match item {
            Ok(Parsed::Record(person)) => {
                assert!(person.current_nin().is_some());
                ids.insert(person.id);
            }
            Ok(Parsed::Malformed(record)) => panic!("malformed: {record}"),
            Err(error) => panic!("stream: {error}"),
        }
    }
    let synth = synth();
    let expected: HashSet<String> = (0..150).map(|i| synth.preg_person_id(i)).collect();
    assert_eq!(ids, expected);
    fake.shutdown().await;
}

#[tokio::test]
async fn only_tracked_persons_are_refetched() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, tracking([0, 1, 2]));
    let cursor = at_head(&admin).await;
    admin
        .upsert(
            "preg",
            json!([renamed(0, "SPORET"), renamed(10, "USPORET")]),
        )
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("changes: {e}"));
    assert_eq!(page.events_seen, 2);
    let persons = upserts(&page.changes);
    assert_eq!(persons.len(), 1, "the untracked person is skipped");
    assert_eq!(persons[0].id, synth().preg_person_id(0));
    assert_eq!(
        persons[0].name.as_ref().and_then(|n| n.given.as_deref()),
        Some("SPORET")
    );
    assert_eq!(page.next_cursor, at_head(&admin).await);
    assert!(page.caught_up);
    fake.shutdown().await;
}

#[tokio::test]
async fn identity_changes_follow_the_nins() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, tracking([2]));
    let cursor = at_head(&admin).await;
    // Person 2 is discontinued and a new person id takes over its NIN (a merge). The
    // survivor's own event is skipped (its id is not tracked); following the discontinued
    // person's NINs finds it.
    admin.delete("preg", &synth().preg_person_id(2), "").await;
    let mut survivor = serde_json::to_value(synth().preg_person(2)).unwrap_or(Value::Null);
    survivor["id"] = json!("survivor-of-merge");
    admin.upsert("preg", json!([survivor])).await;

    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("changes: {e}"));
    let persons = upserts(&page.changes);
    let ids: Vec<&str> = persons.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [synth().preg_person_id(2).as_str(), "survivor-of-merge"]
    );
    assert_eq!(persons[0].status, Some(PersonStatus::Discontinued));
    assert_eq!(persons[1].current_nin(), Some(&nin(2)));
    fake.shutdown().await;
}

#[tokio::test]
async fn lookups_by_id_and_nin() {
    let fake = start().await;
    let client = client(&fake, tracking([]));
    let found = client
        .get_by_nin(&nin(5))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let person = found
        .and_then(Parsed::record)
        .unwrap_or_else(|| panic!("person 5"));
    assert_eq!(person.id, synth().preg_person_id(5));
    let by_id = client
        .fetch(&[person.id.clone(), "no-such-person".to_owned()])
        .await;
    assert_eq!(
        by_id.map(|found| found.len()).ok(),
        Some(1),
        "unknown ids are left out"
    );
    assert!(matches!(client.person("no-such-person").await, Ok(None)));
    fake.shutdown().await;
}

// --- faults ---------------------------------------------------------------------------------

#[tokio::test]
async fn faults_on_feed_and_bulk() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let client = client(&fake, tracking([0, 1, 2, 3]));
    let cursor = at_head(&admin).await;
    for index in 0..4 {
        admin.upsert("preg", json!([renamed(index, "FEIL")])).await;
    }
    admin
        .faults(json!({
            "status_500": next(1, "/preg"),
            "stall": { "count": 1, "path_prefix": "/preg", "millis": 4000 },
            "truncate_body": next(1, "/preg"),
            "duplicate_events": next(1, "/preg"),
            "out_of_order_events": next(1, "/preg"),
        }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let synth = synth();
    let ids: Vec<String> = upserts(&page.changes)
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let expected: Vec<String> = (0..4).map(|i| synth.preg_person_id(i)).collect();
    assert_eq!(ids, expected, "one upsert per person, in feed order");

    admin
        .faults(json!({ "malformed_record": next(1, "/preg/api/person/personIds") }))
        .await;
    let page = client
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.malformed.len(), 1);
    assert_eq!(page.malformed[0].field.as_deref(), Some("id"));
    assert_eq!(
        upserts(&page.changes).len(),
        4,
        "the broken one is looked up singly"
    );
    assert!(!format!("{:?}", page.malformed[0]).contains(&synth.preg_nin(0)));
    fake.shutdown().await;
}

#[tokio::test]
async fn expired_history_is_cursor_expired() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    admin
        .faults(json!({ "history_expired_below": { "preg": 100 } }))
        .await;
    let error = client(&fake, tracking([]))
        .changes(&PregCursor(5).to_cursor())
        .await
        .err();
    assert!(
        matches!(error, Some(SourceError::CursorExpired { .. })),
        "{error:?}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn past_the_head_is_an_empty_caught_up_page() {
    let fake = start().await;
    let admin = Admin::new(fake.base_url());
    let cursor = at_head(&admin).await;
    let page = client(&fake, tracking([0]))
        .changes(&cursor)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(page.changes.is_empty() && page.caught_up);
    assert_eq!(page.next_cursor, cursor);
    fake.shutdown().await;
}

#[tokio::test]
async fn the_api_version_header_is_sent_and_errors_carry_no_body() {
    let fake = start().await;
    let wrong = client_at(fake.preg_url(), None, tracking([]), |config| {
        config.api_version = "3".to_owned();
    });
    match wrong.get_by_nin(&nin(1)).await.err() {
        Some(SourceError::Status {
            status, body, path, ..
        }) => {
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(body, None, "Persontjenesten bodies are never excerpted");
            assert_eq!(path, "/api/legal-basis/person/get-by-nin");
        }
        other => panic!("expected 400, got {other:?}"),
    }
    fake.shutdown().await;
}

/// Regression (#13): Persontjenesten v2 declares HTTP bearer (`securitySchemes.HelseID`); a
/// client presenting its token as DPoP is refused with 401, as the contract's server would.
#[tokio::test]
async fn persontjenesten_takes_bearer_not_dpop() {
    let fake = SecuredFake::start(&[scopes::PREG_LEGAL_BASIS]).await;
    let dpop = client_at(
        fake.preg_url(),
        Some(fake.hook(client_key(), scopes::PREG_LEGAL_BASIS)),
        tracking([0]),
        |_| {},
    );
    match dpop.get_by_nin(&nin(0)).await.err() {
        Some(SourceError::Unauthorised {
            status, challenge, ..
        }) => {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(challenge.is_some_and(|c| c.starts_with("Bearer")));
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let bearer = client_at(
        fake.preg_url(),
        Some(fake.bearer_hook(client_key(), scopes::PREG_LEGAL_BASIS)),
        tracking([0]),
        |_| {},
    );
    assert!(matches!(
        bearer.get_by_nin(&nin(0)).await,
        Ok(Some(Parsed::Record(_)))
    ));
    assert_eq!(
        grunndata_sync::config::PregConfig::default().auth_scheme,
        grunndata_sync::config::AuthScheme::Bearer
    );
    assert_eq!(
        grunndata_sync::config::ArConfig::default().auth_scheme,
        grunndata_sync::config::AuthScheme::Dpop
    );
    fake.stop();
}

#[tokio::test]
async fn helseid_refusals() {
    let fake = SecuredFake::start(&[scopes::AR, scopes::PREG_LEGAL_BASIS]).await;
    let good = client_at(
        fake.preg_url(),
        Some(fake.bearer_hook(client_key(), scopes::PREG_LEGAL_BASIS)),
        tracking([0]),
        |_| {},
    );
    let found = good
        .get_by_nin(&nin(0))
        .await
        .unwrap_or_else(|e| panic!("authorised: {e}"));
    assert!(matches!(found, Some(Parsed::Record(_))));

    let anonymous = client_at(fake.preg_url(), None, tracking([0]), |_| {});
    let error = anonymous.get_by_nin(&nin(0)).await.err();
    assert!(
        matches!(
            error,
            Some(SourceError::Unauthorised {
                status: StatusCode::UNAUTHORIZED,
                ..
            })
        ),
        "{error:?}"
    );
    let wrong_scope = client_at(
        fake.preg_url(),
        Some(fake.bearer_hook(client_key(), scopes::AR)),
        tracking([0]),
        |_| {},
    );
    let error = wrong_scope.changes(&PregCursor(1).to_cursor()).await.err();
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
    let text = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(!text.contains(&synth().preg_nin(0)), "{text}");
    fake.stop();
}

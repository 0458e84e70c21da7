//! A fake upstream, a config pointing at it, and helpers to sync a mirror from it.

#![allow(dead_code)]

use grunndata_sync::config::Config;
use grunndata_sync::core::id::NationalId;
use grunndata_sync::engine::{Engine, Request, RunReport, Sources, SyncOptions};
use grunndata_sync::fake::FakeHandle;
use grunndata_sync::store::{Register, RegisterDigest, Store, StoreOptions};
use grunndata_sync::synth::{Synth, SynthConfig};
use serde_json::Value;

use crate::common::db::TestDb;
use crate::fake_support;

/// The persons every test mirror tracks: the first few synthetic persons.
pub const TRACKED: u64 = 5;

/// The fake's synthetic data: seed 1 at the fake-support scale.
pub fn synth() -> Synth {
    Synth::new(SynthConfig {
        seed: 1,
        scale: fake_support::SCALE,
        ..SynthConfig::default()
    })
    .expect("synth")
}

/// A configuration with every upstream at `fake` (served without auth).
pub fn config(fake: &FakeHandle) -> Config {
    fake.config()
}

/// Opens the mirror and tracks the first [`TRACKED`] synthetic persons.
pub async fn open(db: &TestDb) -> Store {
    open_with(db, &StoreOptions::default()).await
}

/// [`open`] with `options`.
pub async fn open_with(db: &TestDb, options: &StoreOptions) -> Store {
    let store = Store::open_with(&db.url, options)
        .await
        .expect("store opens");
    let synth = synth();
    for index in 0..TRACKED {
        let nin: NationalId = synth.preg_nin(index).parse().expect("synthetic NIN");
        store.track_person(&nin, Some("test")).await.expect("track");
    }
    store
}

/// Small batches, so that even a small data set spans several of them.
pub fn options() -> SyncOptions {
    SyncOptions {
        deadline: Some(std::time::Duration::from_mins(2)),
        batch_size: 250,
        ..SyncOptions::default()
    }
}

/// Runs `request` for every register.
pub async fn run(store: &Store, fake: &FakeHandle, request: &Request) -> RunReport {
    let sources = Sources::from_config(&config(fake), &Register::ALL).expect("sources");
    Engine::new(store.clone(), sources)
        .options(options())
        .run(&Register::ALL, request)
        .await
}

/// Runs a sync and insists every register succeeded and caught up.
pub async fn sync_ok(store: &Store, fake: &FakeHandle) -> RunReport {
    let report = run(store, fake, &Request::Sync).await;
    for register in &report.registers {
        assert!(
            register.succeeded() && register.caught_up,
            "{} did not sync: {register:?}",
            register.register
        );
    }
    assert_eq!(report.registers.len(), 4, "all four registers ran");
    report
}

/// The digests of all four registers.
pub async fn digests(store: &Store) -> Vec<RegisterDigest> {
    let mut digests = Vec::new();
    for register in Register::ALL {
        digests.push(store.digest(register).await.expect("digest"));
    }
    digests
}

/// What a clean run against `fake` reaches now: the digests of a fresh SQLite mirror synced
/// once without faults.
pub async fn clean_digests(fake: &FakeHandle) -> Vec<RegisterDigest> {
    let db = TestDb::sqlite();
    let store = open(&db).await;
    sync_ok(&store, fake).await;
    let digests = digests(&store).await;
    store.close().await;
    digests
}

/// The fake's `/_admin/status`.
pub async fn status(fake: &FakeHandle) -> Value {
    let client = fake_support::client();
    fake_support::get(&client, &format!("{}/_admin/status", fake.base_url()))
        .await
        .1
}

/// POSTs upstream-shaped records to `/_admin/{path}/records`.
pub async fn admin_upsert(fake: &FakeHandle, path: &str, records: &Value) {
    let client = fake_support::client();
    let (status, body) = fake_support::post_json(
        &client,
        &format!("{}/_admin/{path}/records", fake.base_url()),
        records,
    )
    .await;
    assert!(status.is_success(), "admin upsert {path}: {status} {body}");
}

/// DELETEs one record through `/_admin/{path}/records/{id}`.
pub async fn admin_delete(fake: &FakeHandle, path: &str, id: &str) {
    let client = fake_support::client();
    let response = client
        .delete(format!("{}/_admin/{path}/records/{id}", fake.base_url()))
        .send()
        .await
        .expect("admin delete");
    assert!(response.status().is_success(), "admin delete {path}/{id}");
}

/// Both backends, one after the other: SQLite always, PostgreSQL when configured (and
/// always under `CI=true`).
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(db) = TestDb::postgres().await {
        dbs.push(db);
    }
    dbs
}

//! Lookup benchmark of the `Registry`, next to its two baselines, measured in one run on
//! the same SQLite file.
//!
//! Loads N synthetic HPR records, then times one lookup at a time (single task, so the
//! figures are latencies, and throughput is their inverse):
//!
//! - **raw query**: a prepared `SELECT record, changed_at, fetched_at, digest FROM hpr WHERE
//!   hpr_number = ?` on one sqlx connection, row fetched, JSON not decoded;
//! - **raw query + decode**: the same, with the JSON decoded into `HealthPersonnel` (what
//!   any reader of the mirror must do; shown for context);
//! - **store get**: `Store::get` (pooled connection, query, decode), for context;
//! - **registry uncached**: `Registry::personnel` on a fresh registry, each key once (all
//!   misses: version check, query, decode, cache insert);
//! - **raw moka get**: `moka::future::Cache::get` of an `Arc<HealthPersonnel>`;
//! - **registry cached**: `Registry::personnel` on keys already cached.
//!
//! Targets (issue #6): registry uncached ≤ 2 × raw query; registry cached ≤ 1.5 × raw moka.
//!
//! ```text
//! cargo bench -p grunndata-sync --bench lookup
//! GRUNNDATA_BENCH_N=50000 GRUNNDATA_BENCH_ROUNDS=5 cargo bench -p grunndata-sync --bench lookup
//! ```
//!
//! Settings: `GRUNNDATA_BENCH_N` records (default 20 000); `GRUNNDATA_BENCH_ROUNDS` passes
//! over the keys for the cached measurements (default 5).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::db::TestDb;
use common::setting;
use common::synth::personnel;
use grunndata_sync::core::id::HprNumber;
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::registry::{Registry, RegistryOptions};
use grunndata_sync::store::{Batch, Store};
use sqlx::{Connection as _, Row as _, SqliteConnection};

/// Latencies of one measurement.
struct Sample {
    name: &'static str,
    nanos: Vec<u64>,
    total: Duration,
}

impl Sample {
    fn percentile(&self, p: f64) -> u64 {
        let mut sorted = self.nanos.clone();
        sorted.sort_unstable();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a non-empty vector"
        )]
        let index = ((sorted.len() - 1) as f64 * p).round() as usize;
        sorted[index]
    }

    fn per_second(&self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
        let count = self.nanos.len() as f64;
        count / self.total.as_secs_f64().max(f64::EPSILON)
    }

    fn print(&self) {
        println!(
            "{:<24} p50 {:>9} ns   p99 {:>9} ns   {:>12.0} lookups/s",
            self.name,
            self.percentile(0.5),
            self.percentile(0.99),
            self.per_second()
        );
    }
}

/// Times `op` once per key, in order.
async fn measure(
    name: &'static str,
    keys: &[HprNumber],
    mut op: impl AsyncFnMut(HprNumber),
) -> Sample {
    let mut nanos = Vec::with_capacity(keys.len());
    let started = Instant::now();
    for &key in keys {
        let at = Instant::now();
        op(key).await;
        nanos.push(u64::try_from(at.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Sample {
        name,
        nanos,
        total: started.elapsed(),
    }
}

fn hpr(index: usize) -> HprNumber {
    HprNumber::new(1_000_000 + i64::try_from(index).unwrap_or(0)).expect("valid HPR number")
}

async fn load(store: &Store, records: usize) -> Vec<HprNumber> {
    let keys: Vec<HprNumber> = (0..records).map(hpr).collect();
    let now = Utc::now();
    for chunk in keys.chunks(5_000) {
        let mut batch = Batch::new(now);
        for key in chunk {
            let record = personnel(key.get(), None, "Syntetisk", &format!("Person {key}"));
            batch = batch.upsert(record, None, now);
        }
        store.apply(batch).await.expect("load batch");
    }
    keys
}

/// Shuffles deterministically (a fixed LCG), so that lookups do not walk the B-tree in
/// key order.
fn shuffled(mut keys: Vec<HprNumber>) -> Vec<HprNumber> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..keys.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
        keys.swap(i, j);
    }
    keys
}

fn ratio(a: &Sample, b: &Sample) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a ratio for people")]
    let value = a.percentile(0.5) as f64 / (b.percentile(0.5) as f64).max(1.0);
    format!("{value:.2}×")
}

async fn run() {
    let records = setting("GRUNNDATA_BENCH_N", 20_000);
    let rounds = setting("GRUNNDATA_BENCH_ROUNDS", 5);
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open store");
    let keys = shuffled(load(&store, records).await);
    println!("{records} HPR records in {}", db.url);

    // Raw prepared statement on its own connection.
    let mut conn = SqliteConnection::connect(&db.url).await.expect("connect");
    let sql = "SELECT record, changed_at, fetched_at, digest FROM hpr WHERE hpr_number = $1";
    let raw = measure("raw query", &keys, async |key| {
        let row = sqlx::query(sql)
            .bind(i64::from(key.get()))
            .fetch_optional(&mut conn)
            .await
            .expect("raw query");
        assert!(row.is_some());
    })
    .await;
    let raw_decode = measure("raw query + decode", &keys, async |key| {
        let row = sqlx::query(sql)
            .bind(i64::from(key.get()))
            .fetch_one(&mut conn)
            .await
            .expect("raw query");
        let json: String = row.get(0);
        let record: HealthPersonnel = serde_json::from_str(&json).expect("decode");
        assert_eq!(record.hpr_number, key);
    })
    .await;
    conn.close().await.expect("close");

    let store_get = measure("store get", &keys, async |key| {
        let found = store.get::<HealthPersonnel>(&key).await.expect("get");
        assert!(found.is_some());
    })
    .await;

    let registry = Registry::from_store(store.clone(), RegistryOptions::default());
    let uncached = measure("registry uncached", &keys, async |key| {
        let found = registry.personnel(key).await.expect("lookup");
        assert!(found.is_some());
    })
    .await;

    let cache: moka::future::Cache<HprNumber, Arc<HealthPersonnel>> =
        moka::future::Cache::builder().max_capacity(100_000).build();
    for &key in &keys {
        let found = registry
            .personnel(key)
            .await
            .expect("lookup")
            .expect("found");
        cache.insert(key, Arc::new(found.record.clone())).await;
    }
    let many: Vec<HprNumber> = (0..rounds).flat_map(|_| keys.iter().copied()).collect();
    let moka_get = measure("raw moka get", &many, async |key| {
        assert!(cache.get(&key).await.is_some());
    })
    .await;
    let cached = measure("registry cached", &many, async |key| {
        let found = registry.personnel(key).await.expect("lookup");
        assert!(found.is_some());
    })
    .await;

    for sample in [&raw, &raw_decode, &store_get, &uncached, &moka_get, &cached] {
        sample.print();
    }
    println!(
        "registry uncached / raw query: {} (target ≤ 2×); / raw query + decode: {}",
        ratio(&uncached, &raw),
        ratio(&uncached, &raw_decode)
    );
    println!(
        "registry cached / raw moka get: {} (target ≤ 1.5×)",
        ratio(&cached, &moka_get)
    );
    store.close().await;
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

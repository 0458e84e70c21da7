//! Sync benchmark: bootstrap records/s per register and incremental changes/s, through the
//! engine, from the fake upstream over loopback HTTP, into SQLite and (when
//! `GRUNNDATA_TEST_PG` names a server) PostgreSQL.
//!
//! ```text
//! cargo bench -p grunndata-sync --bench sync -- 0.01
//! GRUNNDATA_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p grunndata-sync --bench sync -- 0.1
//! ```
//!
//! Settings: the synthetic scale as the first numeric argument (default 0.01); the number
//! of upstream changes for the incremental step `GRUNNDATA_BENCH_CHANGES` (default 20 000);
//! `GRUNNDATA_BENCH_BACKENDS` (default `sqlite,postgres`).
//!
//! Each step is run in a child process of this binary, so that its peak resident memory
//! (`VmHWM`) is its own. Besides the end-to-end incremental figure (which includes the
//! per-record refetch each feed event costs over HTTP), the store's side of the same work
//! is measured alone: pages of 1000 changes applied with their cursor.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::db::TestDb;
use grunndata_sync::config::Config;
use grunndata_sync::core::id::NationalId;
use grunndata_sync::core::model::Organisation;
use grunndata_sync::engine::{Engine, Request, Sources, SyncMode};
use grunndata_sync::fake::{DataSource, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::store::{Batch, Register, Store};
use grunndata_sync::synth::{Synth, SynthConfig};

const SEED: u64 = 42;
const TRACKED: u64 = 200;

fn synth_config(scale: f64) -> SynthConfig {
    SynthConfig {
        seed: SEED,
        scale,
        ..SynthConfig::default()
    }
}

#[allow(clippy::cast_precision_loss, reason = "a rate for people")]
fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Child step: bootstrap one register of the mirror at `url` with the config file `path`.
async fn bootstrap_step(url: &str, path: &str, register: Register) {
    let store = Store::open(url).await.expect("store");
    let config = Config::from_file(std::path::Path::new(path)).expect("config");
    let sources = Sources::from_config(&config, &[register]).expect("sources");
    let started = Instant::now();
    let report = Engine::new(store.clone(), sources)
        .run(&[register], &Request::Sync)
        .await;
    let elapsed = started.elapsed();
    let register_report = &report.registers[0];
    assert!(register_report.succeeded(), "{register_report:?}");
    assert_eq!(register_report.mode, SyncMode::Bootstrap);
    let records = u64::try_from(store.counts(register).await.expect("counts").records).unwrap_or(0);
    println!(
        "RESULT {register} {records} {:.3} {}",
        elapsed.as_secs_f64(),
        common::rss::peak_kib()
    );
}

/// Runs this binary as a child for one step and reads its `RESULT` line.
fn child(args: &[&str]) -> Vec<String> {
    let output = Command::new(std::env::current_exe().expect("exe"))
        .args(args)
        .output()
        .expect("child step");
    assert!(
        output.status.success(),
        "step {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .expect("a RESULT line")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Upstream changes for the incremental step: renames of Brreg main units.
async fn change_brreg(fake: &FakeHandle, synth: &Synth, changes: u64) {
    let client = reqwest::Client::new();
    let total = synth.counts().enheter;
    let mut index = 0;
    while index < changes {
        let end = (index + 1000).min(changes);
        let units: Vec<serde_json::Value> = (index..end)
            .map(|i| {
                let mut unit = serde_json::to_value(synth.enhet(i % total)).expect("json");
                unit["navn"] = serde_json::json!(format!("ENDRET {i} AS"));
                unit
            })
            .collect();
        let response = client
            .post(format!("{}/_admin/brreg/enheter/records", fake.base_url()))
            .json(&units)
            .send()
            .await
            .expect("admin upsert");
        assert!(response.status().is_success());
        index = end;
    }
}

/// The store's side of incremental sync alone: pages of 1000 changed records with cursors.
async fn store_incremental(store: &Store, changes: u64) -> Duration {
    let now = Utc::now();
    let current: Vec<Organisation> = store
        .search::<Organisation>("as", 1000)
        .await
        .expect("records")
        .into_iter()
        .map(|stored| stored.record)
        .collect();
    assert!(!current.is_empty());
    let started = Instant::now();
    let mut applied = 0;
    let mut page = 0_u64;
    while applied < changes {
        let mut batch = Batch::new(now).cursor(format!("bench-{page}"));
        for record in current
            .iter()
            .take(usize::try_from(changes - applied).unwrap_or(1000))
        {
            let mut changed = record.clone();
            changed.name = Some(format!("STORE ENDRET {page}"));
            batch = batch.upsert(changed, None, now);
        }
        applied += batch.changes.len() as u64;
        store.apply(batch).await.expect("apply");
        page += 1;
    }
    started.elapsed()
}

async fn run_backend(db: &TestDb, fake: &FakeHandle, synth: &Synth, changes: u64) {
    let kind = format!("{:?}", db.kind).to_lowercase();
    let store = Store::open(&db.url).await.expect("store");
    for index in 0..TRACKED {
        let nin: NationalId = synth.preg_nin(index).parse().expect("nin");
        store.track_person(&nin, None).await.expect("track");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.toml");
    std::fs::write(&path, fake.config().to_toml().expect("toml")).expect("config file");
    let path = path.display().to_string();
    for register in Register::ALL {
        let result = child(&["--step", "bootstrap", &db.url, &path, register.as_str()]);
        let records: u64 = result[1].parse().unwrap_or(0);
        let seconds: f64 = result[2].parse().unwrap_or(f64::NAN);
        println!(
            "{kind:<8} bootstrap {register:<5} {records:>8} records in {seconds:>7.2} s = {:>9.0} records/s, peak RSS {} MiB",
            rate(records, Duration::from_secs_f64(seconds)),
            result[3].parse::<u64>().unwrap_or(0) / 1024
        );
    }

    change_brreg(fake, synth, changes).await;
    let sources = Sources::from_config(&fake.config(), &[Register::Brreg]).expect("sources");
    let started = Instant::now();
    let report = Engine::new(store.clone(), sources)
        .run(&[Register::Brreg], &Request::Sync)
        .await;
    let elapsed = started.elapsed();
    let brreg = &report.registers[0];
    assert!(brreg.succeeded(), "{brreg:?}");
    println!(
        "{kind:<8} incremental brreg feed {:>7} changes in {:>7.2} s = {:>9.0} changes/s (HTTP refetch per event included)",
        brreg.counts.applied,
        elapsed.as_secs_f64(),
        rate(brreg.counts.applied, elapsed)
    );
    let elapsed = store_incremental(&store, changes).await;
    println!(
        "{kind:<8} incremental store      {changes:>7} changes in {:>7.2} s = {:>9.0} changes/s (pages of 1000 with cursor)",
        elapsed.as_secs_f64(),
        rate(changes, elapsed)
    );
    store.close().await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--step") {
        let register: Register = args[4].parse().expect("register");
        bootstrap_step(&args[2], &args[3], register).await;
        return;
    }
    let scale = args
        .iter()
        .find_map(|arg| arg.parse::<f64>().ok())
        .unwrap_or(0.01);
    let changes = std::env::var("GRUNNDATA_BENCH_CHANGES")
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(20_000);
    let backends =
        std::env::var("GRUNNDATA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let synth = Synth::new(synth_config(scale)).expect("synth");
    println!("sync benchmark: scale {scale}, {changes} incremental changes");
    for backend in backends.split(',') {
        let db = match backend.trim() {
            "sqlite" => Some(TestDb::sqlite()),
            "postgres" => TestDb::postgres().await,
            other => panic!("unknown backend {other}"),
        };
        let Some(db) = db else { continue };
        // A fresh upstream per backend, so both bootstrap the same data.
        let fake = FakeUpstream::start(FakeConfig {
            data: DataSource::Synth(synth_config(scale)),
            ..FakeConfig::default()
        })
        .await
        .expect("fake upstream");
        run_backend(&db, &fake, &synth, changes).await;
        fake.shutdown().await;
    }
}

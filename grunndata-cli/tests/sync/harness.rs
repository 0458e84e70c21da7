//! A fake upstream in the test process, a config file pointing at it, and the `grunndata`
//! binary run against a test database.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use grunndata_sync::fake::{DataSource, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::store::{Register, RegisterDigest, Store};
use grunndata_sync::synth::{Synth, SynthConfig};
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::db::TestDb;

/// The synthetic data every test serves.
pub fn synth_config() -> SynthConfig {
    SynthConfig {
        seed: 3,
        scale: 0.001,
        ..SynthConfig::default()
    }
}

/// The same generator, to pick keys from.
pub fn synth() -> Synth {
    Synth::new(synth_config()).expect("synth")
}

/// A fake upstream without auth, and a config file pointing at it.
pub struct Upstream {
    pub fake: FakeHandle,
    pub config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Upstream {
    pub async fn start() -> Self {
        let fake = FakeUpstream::start(FakeConfig {
            data: DataSource::Synth(synth_config()),
            ..FakeConfig::default()
        })
        .await
        .expect("fake upstream");
        let config = fake.config();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("grunndata.toml");
        std::fs::write(&path, config.to_toml().expect("toml")).expect("config written");
        Self {
            fake,
            config: path,
            _dir: dir,
        }
    }

    /// `PUT /_admin/faults`.
    pub async fn faults(&self, faults: &Value) {
        let response = reqwest::Client::new()
            .put(format!("{}/_admin/faults", self.fake.base_url()))
            .json(faults)
            .send()
            .await
            .expect("faults");
        assert!(response.status().is_success());
    }

    /// `POST /_admin/{path}/records`.
    pub async fn upsert(&self, path: &str, records: &Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/_admin/{path}/records", self.fake.base_url()))
            .json(records)
            .send()
            .await
            .expect("admin upsert");
        assert!(response.status().is_success(), "{path}");
    }
}

/// The `grunndata` binary with `args`, the test's config and database.
pub fn grunndata(upstream: &Upstream, db: &TestDb, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grunndata"));
    command
        .args(args)
        .arg("--config")
        .arg(&upstream.config)
        .arg("--db")
        .arg(&db.url)
        .env_remove("GRUNNDATA_DB")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    command
}

/// Runs `grunndata ARGS` to the end.
pub async fn run(upstream: &Upstream, db: &TestDb, args: &[&str]) -> Output {
    tokio::time::timeout(
        Duration::from_mins(5),
        grunndata(upstream, db, args).output(),
    )
    .await
    .expect("grunndata finished within 5 minutes")
    .expect("grunndata ran")
}

/// Starts `grunndata ARGS` in the background.
pub fn spawn(upstream: &Upstream, db: &TestDb, args: &[&str]) -> Child {
    grunndata(upstream, db, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("grunndata started")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Tracks the first few synthetic persons through the CLI.
pub async fn track(upstream: &Upstream, db: &TestDb) {
    let synth = synth();
    let nins: Vec<String> = (0..4).map(|index| synth.preg_nin(index)).collect();
    let mut args = vec!["person", "track"];
    args.extend(nins.iter().map(String::as_str));
    let output = run(upstream, db, &args).await;
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Digests and history counts of every register: what two mirrors must share to hold the
/// same data with nothing duplicated.
#[derive(Debug, PartialEq, Eq)]
pub struct Content {
    pub digests: Vec<RegisterDigest>,
    pub history: Vec<i64>,
}

pub async fn content(url: &str) -> Content {
    let store = Store::open(url).await.expect("store");
    let mut digests = Vec::new();
    let mut history = Vec::new();
    for register in Register::ALL {
        digests.push(store.digest(register).await.expect("digest"));
        history.push(store.counts(register).await.expect("counts").history);
    }
    store.close().await;
    Content { digests, history }
}

/// Whether `register` has a cursor in the mirror at `url`.
pub async fn has_cursor(url: &str, register: Register) -> bool {
    let store = Store::open(url).await.expect("store");
    let state = store.sync_state(register).await.expect("sync state");
    store.close().await;
    state.cursor.is_some()
}

/// Both backends: SQLite, and PostgreSQL when configured (always under `CI=true`).
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(db) = TestDb::postgres().await {
        dbs.push(db);
    }
    dbs
}

/// A small deterministic generator for kill delays (reproducible runs: the seed is printed).
pub struct Delays(u64);

impl Delays {
    pub fn new(seed: u64) -> Self {
        eprintln!("kill delays seeded with {seed}");
        Self(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }

    /// A delay in `[low, high)` milliseconds.
    pub fn next(&mut self, low: u64, high: u64) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_millis(low + (self.0 >> 33) % (high - low))
    }
}

pub fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

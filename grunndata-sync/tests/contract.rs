//! Contract tests (#13): the real clients against Prism mock servers started from the stored
//! published contracts (copies in `tests/fixtures/contracts/`), not against our own fake.
//!
//! Pass condition: every request our clients make passes Prism's request validation (path,
//! query, headers, body, security scheme) — zero `Violation: request` lines in Prism's log —
//! and no client call panics, in static mode (the contract's examples) and in dynamic mode
//! (random schema-valid answers, a few seeds here; `contract_dynamic_many_seeds` runs 20 per
//! register and is `#[ignore]`d: run it with
//! `cargo test -p grunndata-sync --test contract -- --ignored`).
//!
//! Prism comes from `GRUNNDATA_PRISM` (a path to the `prism` binary; `.ci/run` installs a
//! pinned version into `.ci/node/` and sets it) or, failing that, `.ci/node/node_modules/.bin/
//! prism`. Without it the tests fail under `CI=true` and are skipped with a message otherwise.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use grunndata_sync::auth::testkeys;
use grunndata_sync::config::Config;
use grunndata_sync::engine::Sources;
use grunndata_sync::fake::{DataSource, FakeAuth, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::source::brreg::{BrregClient, BrregConfig, BrregCursor};
use grunndata_sync::source::{Cursor, HttpConfig, Source};
use grunndata_sync::store::Register;
use grunndata_sync::synth::SynthConfig;

const PREG_SPEC: &str = "persontjenesten-openapi.yaml";
const AR_SPEC: &str = "adresseregister-spec.json";
const BRREG_SPEC: &str = "enhetsregisteret.json";

/// Seeds of the dynamic runs in `cargo test` (the long test runs 20).
const CI_SEEDS: [u32; 2] = [1, 2];

fn prism_binary() -> Option<PathBuf> {
    let path = std::env::var_os("GRUNNDATA_PRISM").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/node/node_modules/.bin/prism"),
        PathBuf::from,
    );
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "Prism not found at {} (GRUNNDATA_PRISM); .ci/run installs it",
        path.display()
    );
    eprintln!(
        "skipped: Prism not found at {}; run `npm install --prefix .ci/node @stoplight/prism-cli@5.16.0` or set GRUNNDATA_PRISM",
        path.display()
    );
    None
}

/// A running Prism mock; killed on drop.
struct Prism {
    child: std::process::Child,
    log: PathBuf,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prism {
    fn start(binary: &PathBuf, spec: &str, seed: Option<u32>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_or_else(
                |error| panic!("free port: {error}"),
                |address| address.port(),
            );
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
        let log = dir.path().join("prism.log");
        let file = std::fs::File::create(&log).unwrap_or_else(|error| panic!("log: {error}"));
        let err = file
            .try_clone()
            .unwrap_or_else(|error| panic!("log: {error}"));
        let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/contracts")
            .join(spec);
        let mut command = std::process::Command::new(binary);
        command
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        if let Some(seed) = seed {
            command.args(["-d", "--seed", &seed.to_string()]);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start Prism: {error}"));
        let prism = Self {
            child,
            log,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let started = Instant::now();
        while !prism.log().contains("Prism is listening") {
            assert!(
                started.elapsed() < Duration::from_mins(2),
                "Prism did not start: {}",
                prism.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        prism
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Prism's request-validation errors so far.
    fn violations(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| line.contains("Violation: request"))
            .map(str::to_owned)
            .collect()
    }

    /// How many requests Prism received.
    fn requests(&self) -> usize {
        self.log().matches("Request received").count()
    }

    fn assert_clean(&self, what: &str) {
        assert!(self.requests() > 0, "{what}: no request reached Prism");
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "{what}: request violations:\n{}\n--- log ---\n{}",
            violations.join("\n"),
            self.log()
        );
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fast_http() -> HttpConfig {
    HttpConfig {
        max_attempts: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        ..HttpConfig::default()
    }
}

/// The fake upstream's token endpoints, and a config whose HelseID client uses them (as in
/// production, tokens come from a token service, not from the API under test).
async fn token_service(dir: &std::path::Path) -> (FakeHandle, Config) {
    let keys_dir = dir.to_owned();
    let keys = tokio::task::spawn_blocking(move || testkeys::generate(&keys_dir))
        .await
        .unwrap_or_else(|error| panic!("join: {error}"))
        .unwrap_or_else(|error| panic!("keys: {error}"));
    let fake = FakeUpstream::start(FakeConfig {
        data: DataSource::Synth(SynthConfig {
            seed: 3,
            scale: 0.001,
            ..SynthConfig::default()
        }),
        auth: Some(FakeAuth::new(keys.clone())),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("fake upstream: {error}"));
    let mut config = Config::default();
    fake.tokens()
        .unwrap_or_else(|| panic!("auth is on"))
        .configure_clients(&keys, &mut config);
    (fake, config)
}

/// Persontjenesten through the `Source` API: latest event, a feed page, a bootstrap of tracked
/// persons (bulk by NIN) and a fetch by id.
async fn run_preg(prism: &Prism, config: &Config) {
    let mut config = config.clone();
    config.preg.base_url.clone_from(&prism.url);
    let sources = Sources::from_config(&config, &[Register::Preg])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let nin = grunndata_sync::synth::Synth::new(SynthConfig::default())
        .unwrap_or_else(|error| panic!("synth: {error}"))
        .preg_nin(0)
        .parse()
        .unwrap_or_else(|error| panic!("NIN: {error}"));
    sources.tracked.set_nins([nin]);
    sources.tracked.set_person_ids(["person-1".to_owned()]);
    let preg = sources.preg.unwrap_or_else(|| panic!("a PREG client"));
    let _ = preg.latest_sequence().await;
    let _ = preg.changes(&Cursor::from("5".to_owned())).await;
    if let Ok(snapshot) = preg.bootstrap().await {
        let _ = snapshot.records.collect::<Vec<_>>().await;
    }
    let _ = preg.fetch_by_ids(&["person-1".to_owned()]).await;
}

/// Adresseregisteret through the `Source` API: export, feed page, single and bulk fetches.
async fn run_ar(prism: &Prism, config: &Config) {
    let mut config = config.clone();
    config.ar.base_url.clone_from(&prism.url);
    let sources = Sources::from_config(&config, &[Register::Ar])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let ar = sources.ar.unwrap_or_else(|| panic!("an AR client"));
    let _ = ar.latest_event().await;
    let _ = ar.changes(&Cursor::from("5".to_owned())).await;
    if let Ok(snapshot) = ar.bootstrap().await {
        let _ = snapshot.records.take(50).collect::<Vec<_>>().await;
    }
}

/// Enhetsregisteret: the paths the stored contract describes (feeds, search, single unit).
async fn run_brreg(prism: &Prism) {
    let mut config = BrregConfig::new(prism.url.clone());
    config.http = fast_http();
    let brreg = BrregClient::new(config).unwrap_or_else(|error| panic!("client: {error}"));
    let _ = brreg.changes(&BrregCursor::START.to_cursor()).await;
    let keys: Vec<grunndata_sync::core::id::OrgNumber> = ["310000019", "310000027"]
        .iter()
        .filter_map(|text| text.parse().ok())
        .collect();
    assert!(!keys.is_empty());
    let _ = brreg.fetch(&keys).await;
}

#[tokio::test]
async fn clients_pass_prism_request_validation_static() {
    let Some(binary) = prism_binary() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (fake, config) = token_service(dir.path()).await;
    let preg = Prism::start(&binary, PREG_SPEC, None);
    run_preg(&preg, &config).await;
    preg.assert_clean("Persontjenesten (static)");
    let ar = Prism::start(&binary, AR_SPEC, None);
    run_ar(&ar, &config).await;
    ar.assert_clean("Adresseregisteret (static)");
    let brreg = Prism::start(&binary, BRREG_SPEC, None);
    run_brreg(&brreg).await;
    brreg.assert_clean("Enhetsregisteret (static)");
    fake.shutdown().await;
}

async fn dynamic(seeds: &[u32]) {
    let Some(binary) = prism_binary() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (fake, config) = token_service(dir.path()).await;
    for &seed in seeds {
        let preg = Prism::start(&binary, PREG_SPEC, Some(seed));
        run_preg(&preg, &config).await;
        preg.assert_clean(&format!("Persontjenesten (seed {seed})"));
        let ar = Prism::start(&binary, AR_SPEC, Some(seed));
        run_ar(&ar, &config).await;
        ar.assert_clean(&format!("Adresseregisteret (seed {seed})"));
        let brreg = Prism::start(&binary, BRREG_SPEC, Some(seed));
        run_brreg(&brreg).await;
        brreg.assert_clean(&format!("Enhetsregisteret (seed {seed})"));
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn clients_pass_prism_request_validation_dynamic() {
    dynamic(&CI_SEEDS).await;
}

/// The long run: 20 seeds per register (documented in docs/upstream-decisions.md).
#[tokio::test]
#[ignore = "long run (20 Prism seeds per register); run with -- --ignored"]
async fn contract_dynamic_many_seeds() {
    let seeds: Vec<u32> = (1..=20).collect();
    dynamic(&seeds).await;
}

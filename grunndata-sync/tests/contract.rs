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
//! The fake upstream is held to the same contracts (`the_fake_passes_prism_proxy_validation`):
//! the clients talk to the fake through Prism's validating proxy, and every request and every
//! response the fake gives must pass — zero `Violation` lines of either kind.
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

/// How Prism answers.
#[derive(Clone, Copy)]
enum Mode<'a> {
    /// From the contract's examples.
    Static,
    /// Random schema-valid answers from this seed.
    Dynamic(u32),
    /// Forwards to this upstream, validating requests and responses.
    Proxy(&'a str),
}

impl Prism {
    fn start(binary: &PathBuf, spec: &str, mode: Mode<'_>) -> Self {
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
        match mode {
            Mode::Static | Mode::Dynamic(_) => command.arg("mock").arg(&spec),
            Mode::Proxy(upstream) => command.arg("proxy").arg(&spec).arg(upstream),
        };
        command
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        if let Mode::Dynamic(seed) = mode {
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

    /// Every validation message, of requests and of responses (errors and warnings).
    fn all_violations(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| line.contains("Violation"))
            .map(str::to_owned)
            .collect()
    }

    fn assert_clean(&self, what: &str) {
        self.assert_no(what, &self.violations());
    }

    /// For the proxy: neither the client's requests nor the fake's responses break the
    /// contract.
    fn assert_all_clean(&self, what: &str) {
        self.assert_no(what, &self.all_violations());
    }

    /// As [`Self::assert_all_clean`], except messages containing `excused` (a defect of the
    /// contract itself, named where this is called).
    fn assert_all_clean_but(&self, what: &str, excused: &str) {
        let violations: Vec<String> = self
            .all_violations()
            .into_iter()
            .filter(|line| !line.contains(excused))
            .collect();
        self.assert_no(what, &violations);
    }

    fn assert_no(&self, what: &str, violations: &[String]) {
        assert!(self.requests() > 0, "{what}: no request reached Prism");
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

/// What became of the records a run received: every record is applied or quarantined, and a
/// quarantined one names the field at fault (the page is never aborted for it).
#[derive(Default)]
struct Received {
    records: usize,
    /// `(upstream id, error)` of quarantined records that name no field.
    unnamed: Vec<(Option<String>, String)>,
    quarantined: usize,
}

impl Received {
    fn page<R: grunndata_sync::source::UpstreamRecord>(
        &mut self,
        page: &grunndata_sync::source::Page<R>,
    ) {
        self.records += page.changes.len();
        for malformed in &page.malformed {
            self.malformed(malformed);
        }
    }

    fn parsed<R>(&mut self, parsed: &grunndata_sync::source::Parsed<R>) {
        match parsed {
            grunndata_sync::source::Parsed::Record(_) => self.records += 1,
            grunndata_sync::source::Parsed::Malformed(malformed) => self.malformed(malformed),
        }
    }

    fn malformed(&mut self, malformed: &grunndata_sync::source::MalformedRecord) {
        self.quarantined += 1;
        if malformed.field.is_none() {
            self.unnamed
                .push((malformed.upstream_id.clone(), malformed.error.clone()));
        }
    }

    fn assert_accounted(&self, what: &str) {
        assert!(
            self.unnamed.is_empty(),
            "{what}: quarantined without naming the field: {:?}",
            self.unnamed
        );
    }
}

/// Persontjenesten through the `Source` API: latest event, a feed page, a bootstrap of tracked
/// persons (bulk by NIN) and a fetch by id.
async fn run_preg(prism: &Prism, config: &Config) -> Received {
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
    let mut received = Received::default();
    let _ = preg.latest_sequence().await;
    if let Ok(page) = preg.changes(&Cursor::from("5".to_owned())).await {
        received.page(&page);
    }
    if let Ok(snapshot) = preg.bootstrap().await {
        for parsed in snapshot.records.collect::<Vec<_>>().await.iter().flatten() {
            received.parsed(parsed);
        }
    }
    if let Ok(persons) = preg.fetch_by_ids(&["person-1".to_owned()]).await {
        for parsed in &persons {
            received.parsed(parsed);
        }
    }
    received
}

/// Adresseregisteret through the `Source` API: export, feed page, single and bulk fetches.
async fn run_ar(prism: &Prism, config: &Config) -> Received {
    let mut config = config.clone();
    config.ar.base_url.clone_from(&prism.url);
    let sources = Sources::from_config(&config, &[Register::Ar])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let ar = sources.ar.unwrap_or_else(|| panic!("an AR client"));
    let mut received = Received::default();
    let _ = ar.latest_event().await;
    if let Ok(page) = ar.changes(&Cursor::from("5".to_owned())).await {
        received.page(&page);
    }
    if let Ok(snapshot) = ar.bootstrap().await {
        for parsed in snapshot
            .records
            .take(50)
            .collect::<Vec<_>>()
            .await
            .iter()
            .flatten()
        {
            received.parsed(parsed);
        }
    }
    received
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
    let preg = Prism::start(&binary, PREG_SPEC, Mode::Static);
    run_preg(&preg, &config)
        .await
        .assert_accounted("Persontjenesten (static)");
    preg.assert_clean("Persontjenesten (static)");
    let ar = Prism::start(&binary, AR_SPEC, Mode::Static);
    run_ar(&ar, &config)
        .await
        .assert_accounted("Adresseregisteret (static)");
    ar.assert_clean("Adresseregisteret (static)");
    let brreg = Prism::start(&binary, BRREG_SPEC, Mode::Static);
    run_brreg(&brreg).await;
    brreg.assert_clean("Enhetsregisteret (static)");
    fake.shutdown().await;
}

async fn dynamic(seeds: &[u32]) {
    let Some(binary) = prism_binary() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (fake, config) = token_service(dir.path()).await;
    for &seed in seeds {
        let preg = Prism::start(&binary, PREG_SPEC, Mode::Dynamic(seed));
        let received = run_preg(&preg, &config).await;
        preg.assert_clean(&format!("Persontjenesten (seed {seed})"));
        received.assert_accounted(&format!("Persontjenesten (seed {seed})"));
        let ar = Prism::start(&binary, AR_SPEC, Mode::Dynamic(seed));
        let received = run_ar(&ar, &config).await;
        ar.assert_clean(&format!("Adresseregisteret (seed {seed})"));
        received.assert_accounted(&format!("Adresseregisteret (seed {seed})"));
        eprintln!(
            "seed {seed}: AR {} records applied, {} quarantined",
            received.records, received.quarantined
        );
        let brreg = Prism::start(&binary, BRREG_SPEC, Mode::Dynamic(seed));
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

/// The synthetic data of the fakes in this file (see [`token_service`]).
fn fake_synth() -> SynthConfig {
    SynthConfig {
        seed: 3,
        scale: 0.001,
        ..SynthConfig::default()
    }
}

/// The fake held to the contracts (#13): each client runs its whole cycle against the fake
/// through Prism's validating proxy, and each call must succeed with real records. Any
/// request or response Prism finds at odds with the stored contract fails the test.
///
/// Persontjenesten runs with the fake's auth on (bearer tokens pass a proxy unchanged). AR
/// runs against a fake with auth off: a DPoP proof is bound to the URL the client calls
/// (`htu`), which the proxy changes, so the fake would rightly refuse it; the client's
/// security scheme is checked by the mock tests above and the fake's by `fake_auth.rs`.
/// Brreg is open data; only the paths its stored contract describes are called (the bulk
/// download is not in it), and its response bodies are not described (see below).
#[tokio::test]
async fn the_fake_passes_prism_proxy_validation() {
    let Some(binary) = prism_binary() else { return };
    let synth = grunndata_sync::synth::Synth::new(fake_synth())
        .unwrap_or_else(|error| panic!("synth: {error}"));

    // Persontjenesten, auth on.
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (secured, config) = token_service(dir.path()).await;
    let preg = Prism::start(&binary, PREG_SPEC, Mode::Proxy(&secured.preg_url()));
    let mut preg_config = config.clone();
    preg_config.preg.base_url.clone_from(&preg.url);
    let sources = Sources::from_config(&preg_config, &[Register::Preg])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let nin = synth
        .preg_nin(0)
        .parse()
        .unwrap_or_else(|error| panic!("NIN: {error}"));
    let person_id = synth.preg_person_id(0);
    sources.tracked.set_nins([nin]);
    sources.tracked.set_person_ids([person_id.clone()]);
    let client = sources.preg.unwrap_or_else(|| panic!("a PREG client"));
    let head = client
        .latest_sequence()
        .await
        .unwrap_or_else(|error| panic!("latest: {error}"))
        .unwrap_or_else(|| panic!("the fake has events"));
    let page = client
        .changes(&Cursor::from("1".to_owned()))
        .await
        .unwrap_or_else(|error| panic!("feed: {error}"));
    assert!(page.events_seen > 0 && head > 0);
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|error| panic!("bootstrap: {error}"));
    let persons = snapshot.records.collect::<Vec<_>>().await;
    assert_eq!(persons.len(), 1, "the tracked person");
    assert!(
        persons
            .iter()
            .all(|person| matches!(person, Ok(grunndata_sync::source::Parsed::Record(_))))
    );
    let fetched = client
        .fetch_by_ids(&[person_id])
        .await
        .unwrap_or_else(|error| panic!("by id: {error}"));
    assert_eq!(fetched.len(), 1);
    preg.assert_all_clean("fake Persontjenesten through Prism's proxy");
    secured.shutdown().await;

    // Adresseregisteret and Enhetsregisteret, auth off.
    let open = FakeUpstream::start(FakeConfig {
        data: DataSource::Synth(fake_synth()),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("fake upstream: {error}"));
    let ar = Prism::start(&binary, AR_SPEC, Mode::Proxy(&open.ar_url()));
    let mut ar_config = open.config();
    ar_config.ar.base_url.clone_from(&ar.url);
    let sources = Sources::from_config(&ar_config, &[Register::Ar])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let client = sources.ar.unwrap_or_else(|| panic!("an AR client"));
    assert!(
        client
            .latest_event()
            .await
            .unwrap_or_else(|error| panic!("latest: {error}"))
            .is_some()
    );
    let page = client
        .changes(&Cursor::from("1".to_owned()))
        .await
        .unwrap_or_else(|error| panic!("feed: {error}"));
    assert!(!page.changes.is_empty() && page.malformed.is_empty());
    let snapshot = client
        .bootstrap()
        .await
        .unwrap_or_else(|error| panic!("bootstrap: {error}"));
    let parties = snapshot.records.collect::<Vec<_>>().await;
    assert_eq!(parties.len() as u64, snapshot.expected.unwrap_or(0));
    assert!(
        parties
            .iter()
            .all(|party| matches!(party, Ok(grunndata_sync::source::Parsed::Record(_))))
    );
    ar.assert_all_clean("fake Adresseregisteret through Prism's proxy");

    let brreg = Prism::start(&binary, BRREG_SPEC, Mode::Proxy(&open.brreg_url()));
    let mut config = BrregConfig::new(brreg.url.clone());
    config.http = fast_http();
    let client = BrregClient::new(config).unwrap_or_else(|error| panic!("client: {error}"));
    client
        .changes(&BrregCursor::START.to_cursor())
        .await
        .unwrap_or_else(|error| panic!("feed: {error}"));
    let keys: Vec<grunndata_sync::core::id::OrgNumber> =
        [synth.enhet_orgnr(0), synth.underenhet_orgnr(0)]
            .iter()
            .map(|text| {
                text.parse()
                    .unwrap_or_else(|error| panic!("orgnr: {error}"))
            })
            .collect();
    let units = client
        .fetch(&keys)
        .await
        .unwrap_or_else(|error| panic!("units: {error}"));
    assert_eq!(units.len(), 2);
    // The stored 2020 Brreg contract declares every 200 body as `{"type": "string"}` (it does
    // not describe them), which no JSON answer can meet; everything else must pass.
    brreg.assert_all_clean_but(
        "fake Enhetsregisteret through Prism's proxy",
        "response.body Response body must be string",
    );
    open.shutdown().await;
}

//! Step 5, audited lookups under load (issue 14): audited person lookups (cache hits, each
//! writing its audit row) on the SQLite mirror, idle and while a re-snapshot of Brreg writes
//! the same mirror — from the same process (sharing its `Store`, as a journal system running
//! the sync job embedded would) and from another process (`grunndata sync` beside it). The
//! audit log has its own database, so the rows never wait for a sync batch; the target is p99
//! under load at most twice idle.

use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use grunndata_sync::config::Config;
use grunndata_sync::core::id::{HprNumber, NationalId};
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::engine::{Engine, Request as SyncRequest, Sources};
use grunndata_sync::registry::{Caller, PersonAnswer, Registry, RegistryOptions};
use grunndata_sync::store::{Register, Store};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Request;
use crate::report::{LatencyRow, mib};
use crate::run::Bench;
use crate::stats::{median, nanos_since};

/// What writes the mirror while the lookups run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// Nothing.
    Idle,
    /// A Brreg re-snapshot through the same `Store`, in this process.
    SameProcess,
    /// A Brreg re-snapshot by another process.
    OtherProcess,
}

/// Names of the measurements, as the targets refer to them.
pub mod names {
    /// No writer.
    pub const IDLE: &str = "audited person lookup, idle";
    /// A re-snapshot in the same process.
    pub const SAME_PROCESS: &str =
        "audited person lookup, Brreg re-snapshot writing (same process)";
    /// A re-snapshot in another process.
    pub const OTHER_PROCESS: &str =
        "audited person lookup, Brreg re-snapshot writing (another process)";
    /// The unaudited control of each: a cached personnel lookup by HPR number, interleaved
    /// with the audited ones, so that what the load costs every lookup (two cores shared with
    /// the writer) is told apart from what it costs the audit row.
    pub const CONTROL_SUFFIX: &str = " — control: cached personnel lookup, not audited";
}

/// Lookups measured when idle (under load: as many as fit while the writer runs).
const IDLE_LOOKUPS: usize = 20_000;

/// Parent side: the three measurements on the SQLite mirror at `url`, each `runs` times, each
/// with its unaudited control.
pub fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    let mut rows = Vec::new();
    for (load, subject) in [
        (Load::Idle, names::IDLE),
        (Load::SameProcess, names::SAME_PROCESS),
        (Load::OtherProcess, names::OTHER_PROCESS),
    ] {
        bench.progress(subject);
        let mut audited = Vec::new();
        let mut control = Vec::new();
        let mut peak: f64 = 0.0;
        for _ in 0..bench.settings.runs {
            let answer = crate::child::run::<_, [Measured; 2]>(&Request::Audit {
                url: url.to_owned(),
                config: bench.config.clone(),
                load,
            })?;
            let [audited_run, control_run] = answer.result;
            audited.push(audited_run);
            control.push(control_run);
            peak = peak.max(mib(answer.peak_rss_kib));
        }
        rows.push(row(subject.to_owned(), &audited, peak));
        rows.push(row(
            format!("{subject}{}", names::CONTROL_SUFFIX),
            &control,
            peak,
        ));
    }
    Ok(rows)
}

/// Medians over runs.
fn row(subject: String, runs: &[Measured], peak: f64) -> LatencyRow {
    let median_of =
        |field: fn(&Measured) -> f64| median(&runs.iter().map(field).collect::<Vec<_>>());
    LatencyRow {
        subject,
        threads: 1,
        p50_ns: median_of(|m| m.p50_ns),
        p99_ns: median_of(|m| m.p99_ns),
        per_second: median_of(|m| m.per_second),
        peak_rss_mib: Some(peak),
    }
}

/// One measurement's figures.
#[derive(Debug, Serialize, Deserialize)]
pub struct Measured {
    /// Median latency, ns.
    pub p50_ns: f64,
    /// 99th percentile, ns.
    pub p99_ns: f64,
    /// Lookups per second.
    pub per_second: f64,
    /// How many lookups were timed.
    pub lookups: usize,
}

/// The writer of a measurement under load.
enum Writer {
    None,
    Task(tokio::task::JoinHandle<anyhow::Result<()>>),
    Process(Child),
}

impl Writer {
    /// Whether the writer is still at work.
    fn running(&mut self) -> anyhow::Result<bool> {
        Ok(match self {
            Self::None => false,
            Self::Task(task) => !task.is_finished(),
            Self::Process(child) => child.try_wait()?.is_none(),
        })
    }

    /// Waits for the writer and insists it succeeded.
    async fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::None => Ok(()),
            Self::Task(task) => task.await.context("the re-snapshot task")?,
            Self::Process(mut child) => {
                let status = child.wait()?;
                anyhow::ensure!(status.success(), "the re-snapshot process failed: {status}");
                Ok(())
            }
        }
    }
}

/// Child side: audited person lookups of every tracked person, round robin, with `load`.
pub async fn run(url: &str, config: &std::path::Path, load: Load) -> anyhow::Result<[Measured; 2]> {
    let store = Store::open(url).await?;
    let nins: Vec<NationalId> = store
        .tracked_persons()
        .await?
        .into_iter()
        .filter(|tracked| tracked.person_id.is_some())
        .map(|tracked| tracked.nin)
        .collect();
    anyhow::ensure!(!nins.is_empty(), "the mirror holds no fetched persons");
    let registry = Registry::from_store(store.clone(), RegistryOptions::default())
        .for_caller(Caller::new("grunndata-bench").with_purpose("benchmark"));
    let hprs: Vec<HprNumber> = store
        .search::<HealthPersonnel>("a", 2_000)
        .await?
        .into_iter()
        .map(|found| found.record.hpr_number)
        .collect();
    anyhow::ensure!(!hprs.is_empty(), "the mirror holds no health personnel");
    // Fill the cache: what is measured is the hit plus its audit row (and the bare hit).
    for nin in &nins {
        person(&registry, nin).await?;
    }
    for &hpr in &hprs {
        registry.personnel(hpr).await?;
    }
    let mut writer = match load {
        Load::Idle => Writer::None,
        Load::SameProcess => {
            let config = Config::from_file(config)?;
            let sources = Sources::from_config(&config, &[Register::Brreg])?;
            let engine = Engine::new(store.clone(), sources);
            Writer::Task(tokio::spawn(async move {
                let report = engine
                    .run(&[Register::Brreg], &SyncRequest::Resnapshot)
                    .await;
                anyhow::ensure!(report.succeeded(), "the re-snapshot failed: {report:?}");
                Ok(())
            }))
        }
        Load::OtherProcess => Writer::Process(crate::child::spawn(&Request::Sync {
            url: url.to_owned(),
            config: config.to_owned(),
            registers: vec![Register::Brreg.as_str().to_owned()],
            batch_size: None,
            resnapshot: true,
        })?),
    };
    if load == Load::OtherProcess {
        // Let the other process open the mirror and start writing.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let nins: Arc<[NationalId]> = nins.into();
    // Histograms, not vectors of every latency: a run under load times as many lookups as fit
    // beside the writer (millions at national scale), and their memory would count against
    // the step's peak RSS — the faster the lookups, the more.
    let mut audited = Latencies::new()?;
    let mut control = Latencies::new()?;
    let started = Instant::now();
    let mut index = 0;
    loop {
        let done = match load {
            Load::Idle => audited.len() >= IDLE_LOOKUPS as u64,
            _ => !writer.running()? && audited.len() > 0,
        };
        if done {
            break;
        }
        let nin = &nins[index % nins.len()];
        let hpr = hprs[index % hprs.len()];
        index += 1;
        let at = Instant::now();
        person(&registry, nin).await?;
        audited.record(nanos_since(at));
        let at = Instant::now();
        let found = registry.personnel(hpr).await?;
        control.record(nanos_since(at));
        anyhow::ensure!(found.is_some(), "HPR {hpr} not found");
    }
    let wall = started.elapsed().as_secs_f64();
    writer.finish().await?;
    store.close().await;
    Ok([measured(&audited, wall), measured(&control, wall)])
}

/// Latencies in nanoseconds, to three significant digits, in fixed memory.
struct Latencies(Histogram<u64>);

impl Latencies {
    fn new() -> anyhow::Result<Self> {
        // 1 ns to 10 minutes; a slower lookup is recorded as 10 minutes.
        Ok(Self(Histogram::new_with_bounds(1, 600_000_000_000, 3)?))
    }

    fn record(&mut self, nanos: u64) {
        self.0.saturating_record(nanos);
    }

    fn len(&self) -> u64 {
        self.0.len()
    }
}

/// Percentiles of `nanos`, timed over `wall` seconds.
fn measured(nanos: &Latencies, wall: f64) -> Measured {
    #[allow(clippy::cast_precision_loss, reason = "figures for people")]
    Measured {
        p50_ns: nanos.0.value_at_quantile(0.5) as f64,
        p99_ns: nanos.0.value_at_quantile(0.99) as f64,
        per_second: nanos.len() as f64 / wall.max(f64::EPSILON),
        lookups: usize::try_from(nanos.len()).unwrap_or(usize::MAX),
    }
}

async fn person(registry: &Registry, nin: &NationalId) -> anyhow::Result<()> {
    let answer = registry.person(nin).await?;
    anyhow::ensure!(
        matches!(answer, PersonAnswer::Found(_)),
        "a tracked person was not found"
    );
    Ok(())
}

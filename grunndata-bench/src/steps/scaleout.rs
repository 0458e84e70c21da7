//! Two `grunndata serve` nodes on one PostgreSQL mirror under `wrk` (REST authz answers,
//! cached), idle and while rounds of 20 000 changes to distinct Brreg units are committed in
//! pages of 1000 with cursors, as a sync node commits a feed (#16). No request may fail.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use grunndata_sync::core::id::OrgNumber;
use grunndata_sync::core::model::Organisation;
use grunndata_sync::store::{Batch, Register, Store};

use super::propagation::serve;
use super::serve::{Wrk, wrk_with};
use crate::report::LatencyRow;
use crate::run::Bench;
use crate::stats::median;

/// Changes per round, and per page.
const ROUND: usize = 20_000;
const PAGE: usize = 1000;
/// `wrk` connections per node.
const CONNECTIONS: usize = 32;
/// How long each measurement runs.
const DURATION: Duration = Duration::from_secs(10);

/// Row subjects.
pub mod names {
    /// Both nodes, nothing being written.
    pub const IDLE: &str = "2 serve nodes on PostgreSQL, REST authz (cached), idle";
    /// Both nodes while changes are committed.
    pub const LOADED: &str =
        "2 serve nodes on PostgreSQL, REST authz (cached), while 20 000-change rounds commit";
}

/// Up to `ROUND` distinct stored Brreg units of the synthetic world.
async fn units(bench: &Bench, store: &Store) -> anyhow::Result<Vec<Organisation>> {
    let mut found = Vec::with_capacity(ROUND);
    let mut index = 0;
    while found.len() < ROUND && index < ROUND as u64 * 2 {
        let orgnr: OrgNumber = bench.synth.enhet_orgnr(index).parse()?;
        if let Some(stored) = store.get::<Organisation>(&orgnr).await? {
            found.push(stored.record);
        }
        index += 1;
    }
    anyhow::ensure!(
        found.len() == ROUND,
        "the mirror holds {} of the {ROUND} units",
        found.len()
    );
    Ok(found)
}

/// Commits rounds of changes until `until`; returns the changes committed.
async fn commit_rounds(
    store: Store,
    mut units: Vec<Organisation>,
    until: Instant,
) -> anyhow::Result<u64> {
    let cursor = store.sync_state(Register::Brreg).await?.cursor;
    let mut committed = 0;
    let mut round = 0_u64;
    while Instant::now() < until {
        for (page, chunk) in units.chunks_mut(PAGE).enumerate() {
            let now = Utc::now();
            let mut batch = Batch::new(now).cursor(
                cursor
                    .clone()
                    .unwrap_or_else(|| format!("bench-{round}-{page}")),
            );
            for unit in chunk.iter_mut() {
                unit.name = Some(format!("LAST {round}-{page}"));
                batch = batch.upsert(unit.clone(), None, now);
            }
            committed += store.apply(batch).await?.changed;
        }
        round += 1;
    }
    Ok(committed)
}

/// `wrk` against both nodes at once.
fn both(urls: &[String; 2]) -> anyhow::Result<[Wrk; 2]> {
    let [first, second] = urls.clone();
    let other = std::thread::spawn(move || wrk_with(&second, None, CONNECTIONS, DURATION));
    let one = wrk_with(&first, None, CONNECTIONS, DURATION)?;
    let two = other
        .join()
        .map_err(|_| anyhow::anyhow!("the second wrk panicked"))??;
    Ok([one, two])
}

fn row(subject: &str, runs: &[[Wrk; 2]]) -> LatencyRow {
    // Per run: the slower node's percentiles, the two nodes' requests together.
    let p50: Vec<f64> = runs.iter().map(|r| r[0].p50_ns.max(r[1].p50_ns)).collect();
    let p99: Vec<f64> = runs.iter().map(|r| r[0].p99_ns.max(r[1].p99_ns)).collect();
    let rate: Vec<f64> = runs
        .iter()
        .map(|r| r[0].per_second + r[1].per_second)
        .collect();
    LatencyRow {
        subject: subject.to_owned(),
        threads: CONNECTIONS * 2,
        p50_ns: median(&p50),
        p99_ns: median(&p99),
        per_second: median(&rate),
        peak_rss_mib: None,
    }
}

/// Runs the step against the PostgreSQL mirror at `url`.
pub async fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    bench.progress("two serve nodes under wrk, idle and while changes commit (PostgreSQL)");
    let (_first, first) = serve(url)?;
    let (_second, second) = serve(url)?;
    let hpr = bench.synth.hpr_number(0);
    let urls = [
        format!("{first}/v1/authz/{hpr}/LE"),
        format!("{second}/v1/authz/{hpr}/LE"),
    ];
    for url in &urls {
        reqwest::get(url)
            .await?
            .error_for_status()
            .with_context(|| format!("warming {url}"))?;
    }
    let store = Store::open(url).await?;
    let units = units(bench, &store).await?;
    let mut idle = Vec::new();
    let mut loaded = Vec::new();
    let mut committed = Vec::new();
    for _ in 0..bench.settings.runs.max(1) {
        let urls_idle = urls.clone();
        idle.push(tokio::task::spawn_blocking(move || both(&urls_idle)).await??);
        let writer = tokio::spawn(commit_rounds(
            store.clone(),
            units.clone(),
            Instant::now() + DURATION,
        ));
        let urls_loaded = urls.clone();
        loaded.push(tokio::task::spawn_blocking(move || both(&urls_loaded)).await??);
        committed.push(writer.await??);
    }
    store.close().await;
    bench.progress(&format!(
        "changes committed during the loaded measurements: {committed:?}"
    ));
    Ok(vec![row(names::IDLE, &idle), row(names::LOADED, &loaded)])
}

//! Cross-process cache invalidation on PostgreSQL (#16): two `grunndata serve` processes
//! answer a health worker from their caches; the bench process commits a change to that
//! record (as a sync node would) and times how long after `Store::apply` returned both
//! servers answer the new value. The commit's `pg_notify` reaches their `LISTEN`; the
//! version poll (1 s) is the backstop that would otherwise bound it.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use grunndata_sync::core::id::HprNumber;
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::store::{Batch, Store};

use super::serve::{Killed, start_serve};
use crate::report::LatencyRow;
use crate::run::Bench;
use crate::stats::percentile;

/// Commits timed per run.
const COMMITS: usize = 200;
/// How long one commit may take to reach both servers before the step fails.
const GIVE_UP: Duration = Duration::from_secs(10);

/// Row subjects.
pub mod names {
    /// Commit returned → both serve processes answer the new value.
    pub const BOTH: &str = "PostgreSQL commit → 2 serve processes answer it (LISTEN/NOTIFY)";
}

/// `grunndata serve --no-auth` on loopback over `url`; returns it and its base URL.
pub(crate) fn serve(url: &str) -> anyhow::Result<(Killed, String)> {
    start_serve(url, &["--no-auth"])
}

/// Runs the step against the PostgreSQL mirror at `url`.
pub async fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    bench.progress("cross-process invalidation (PostgreSQL)");
    let (_first, first) = serve(url)?;
    let (_second, second) = serve(url)?;
    let store = Store::open(url).await?;
    let hpr: HprNumber = bench.synth.hpr_number(0).to_string().parse()?;
    let mut record = store
        .get::<HealthPersonnel>(&hpr)
        .await?
        .context("the benchmark's health worker is in the mirror")?
        .record;
    let client = reqwest::Client::new();
    let answers = |base: &str, wanted: &str| {
        let url = format!("{base}/v1/personnel/{hpr}");
        let client = client.clone();
        let wanted = wanted.to_owned();
        async move {
            let body = client.get(&url).send().await?.text().await?;
            Ok::<bool, reqwest::Error>(body.contains(&wanted))
        }
    };
    let mut runs = Vec::new();
    for run in 0..bench.settings.runs.max(1) {
        let mut delays: Vec<u64> = Vec::with_capacity(COMMITS);
        for commit in 0..COMMITS {
            let family = format!("Propagert{run}x{commit}");
            // Both caches hold the current value before the commit.
            for base in [&first, &second] {
                answers(base, "").await?;
            }
            record.name.family = Some(family.clone());
            let now = chrono::Utc::now();
            store
                .apply(Batch::new(now).upsert(record.clone(), Some(now), now))
                .await?;
            let committed = Instant::now();
            let mut pending = vec![first.clone(), second.clone()];
            while !pending.is_empty() {
                let mut still = Vec::new();
                for base in pending {
                    if !answers(&base, &family).await? {
                        still.push(base);
                    }
                }
                pending = still;
                if committed.elapsed() > GIVE_UP {
                    bail!("a commit did not reach both serve processes within {GIVE_UP:?}");
                }
            }
            delays.push(crate::stats::nanos_since(committed));
        }
        runs.push(delays);
    }
    store.close().await;
    let p50s: Vec<f64> = runs.iter_mut().map(|d| percentile(d, 0.5)).collect();
    let p99s: Vec<f64> = runs.iter_mut().map(|d| percentile(d, 0.99)).collect();
    Ok(vec![LatencyRow {
        subject: names::BOTH.to_owned(),
        threads: 2,
        p50_ns: crate::stats::median(&p50s),
        p99_ns: crate::stats::median(&p99s),
        per_second: 0.0,
        peak_rss_mib: None,
    }])
}

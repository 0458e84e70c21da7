//! Step 5, check: a full mirror (all four registers bootstrapped from the fake, with the
//! health workers tracked in Persontjenesten) per backend, then `grunndata check`'s full rule
//! set run repeatedly on it.

use std::time::Instant;

use grunndata_sync::check::{self, CheckOptions};
use grunndata_sync::config::Config;
use grunndata_sync::core::id::NationalId;
use grunndata_sync::store::{Register, Store};
use grunndata_sync::synth::produced_at;
use serde::{Deserialize, Serialize};

use super::Request;
use crate::databases::Database;
use crate::report::TimeRow;
use crate::run::Bench;

/// Persons tracked in Persontjenesten: the first health workers, as a hospital tracks its
/// own staff (the mirror holds tracked persons only).
const TRACKED: u64 = 20_000;

/// A full mirror per backend; returns its rows and the mirrors (the lookup step reads the
/// SQLite one).
pub async fn mirror(bench: &Bench) -> anyhow::Result<(Vec<TimeRow>, Vec<Database>)> {
    let mut rows = Vec::new();
    let mut mirrors = Vec::new();
    let tracked = bench.synth.counts().hpr_persons.min(TRACKED);
    for &backend in &bench.settings.backends {
        let database = bench.databases.create(backend, "full").await?;
        bench.progress(&format!("full mirror: {backend}"));
        let store = Store::open(&database.url).await?;
        for index in 0..tracked {
            let nin: NationalId = bench.synth.preg_nin(index).parse()?;
            store.track_person(&nin, None).await?;
        }
        store.close().await;
        let answer = super::sync::in_child(bench, &database.url, &Register::ALL)?;
        let records: Vec<String> = answer
            .result
            .registers
            .iter()
            .map(|r| format!("{} {}", r.register, r.records))
            .collect();
        rows.push(TimeRow::new(
            "bootstrap of all four registers (concurrently)",
            backend,
            vec![answer.result.seconds],
            records.join(", "),
            answer.peak_rss_kib,
        ));
        mirrors.push(database);
    }
    Ok((rows, mirrors))
}

/// Runs the check child on each full mirror.
pub fn run_step(bench: &Bench, mirrors: &[Database]) -> anyhow::Result<Vec<TimeRow>> {
    let mut rows = Vec::new();
    for mirror in mirrors {
        bench.progress(&format!("check: {}", mirror.backend));
        let answer = crate::child::run::<_, Checked>(&Request::Check {
            url: mirror.url.clone(),
            runs: bench.settings.runs,
        })?;
        rows.push(TimeRow::new(
            "grunndata check (every rule)",
            mirror.backend,
            answer.result.seconds,
            format!("{} findings", answer.result.findings),
            answer.peak_rss_kib,
        ));
    }
    Ok(rows)
}

/// What the check child did.
#[derive(Debug, Serialize, Deserialize)]
pub struct Checked {
    /// Seconds per run.
    pub seconds: Vec<f64>,
    /// Findings of the last run.
    pub findings: usize,
}

/// Child side: every rule, `runs` times.
pub async fn run(url: &str, runs: usize) -> anyhow::Result<Checked> {
    let store = Store::open(url).await?;
    let options = CheckOptions::new(produced_at(), &Config::default());
    let mut seconds = Vec::new();
    let mut findings = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        findings = check::run(&store, &options).await?.len();
        seconds.push(started.elapsed().as_secs_f64());
    }
    store.close().await;
    Ok(Checked { seconds, findings })
}

//! Step 3, incremental: rounds of upstream changes (renames of Brreg main units, posted to
//! the fake) followed from the feed by each backend's mirror (pages of 1000 events and the
//! refetch of the changed units), the store's side of the same work alone, and on SQLite
//! the statements that work needs, run bare on a copy of the mirror (the store-alone anchor).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use grunndata_sync::core::id::OrgNumber;
use grunndata_sync::core::model::Organisation;
use grunndata_sync::store::{Batch, Register, Store};
use serde::{Deserialize, Serialize};

use super::Request;
use crate::anchors;
use crate::databases::{Backend, Database};
use crate::report::RateRow;
use crate::run::Bench;
use crate::stats::rate;

/// Records per feed page and per store page, as the engine commits them.
const PAGE: u64 = 1000;

/// Names of the step's rows that other code looks up.
pub mod names {
    /// The store applying content changes, without the feed.
    pub const STORE_ALONE: &str =
        "store alone (distinct units, pages of 1000 content changes, each with its cursor)";
    /// The anchor of [`STORE_ALONE`]: its statements alone.
    pub const RAW_CHANGES: &str = "raw rusqlite statements of the same changes (read, copy to \
                                   history, update; pages of 1000, each with its cursor)";
}

/// Runs the incremental step on the mirrors the bulk step left.
pub async fn run(bench: &Bench, mirrors: &[Database]) -> anyhow::Result<Vec<RateRow>> {
    let mut feed: Vec<(Vec<f64>, u64, u64)> = vec![(Vec::new(), 0, 0); mirrors.len()];
    let mut store: Vec<(Vec<f64>, u64)> = vec![(Vec::new(), 0); mirrors.len()];
    let mut raw: Vec<Vec<f64>> = vec![Vec::new(); mirrors.len()];
    for round in 0..bench.settings.runs {
        bench.progress(&format!(
            "incremental: round {} upstream changes",
            round + 1
        ));
        change_upstream(bench, round as u64).await?;
        for (index, mirror) in mirrors.iter().enumerate() {
            bench.progress(&format!(
                "incremental: {} feed round {}",
                mirror.backend,
                round + 1
            ));
            let answer = super::sync::in_child(bench, &mirror.url, &[Register::Brreg])?;
            let synced = answer.result.register(Register::Brreg)?;
            anyhow::ensure!(
                !synced.bootstrap,
                "the {} mirror re-bootstrapped",
                mirror.backend
            );
            let (rates, applied, peak) = &mut feed[index];
            *applied = synced.applied;
            rates.push(rate(
                synced.applied,
                Duration::from_secs_f64(answer.result.seconds),
            ));
            *peak = (*peak).max(answer.peak_rss_kib);

            if let Some(path) = mirror.path.as_deref() {
                bench.progress(&format!("incremental: raw statements round {}", round + 1));
                raw[index].push(raw_changes(bench, path, round as u64)?);
            }

            bench.progress(&format!(
                "incremental: {} store round {}",
                mirror.backend,
                round + 1
            ));
            let answer = crate::child::run::<_, Applied>(&Request::StoreChanges {
                url: mirror.url.clone(),
                keys: distinct_units_file(bench)?,
                round: round as u64,
            })?;
            let (rates, peak) = &mut store[index];
            rates.push(rate(
                answer.result.changes,
                Duration::from_secs_f64(answer.result.seconds),
            ));
            *peak = (*peak).max(answer.peak_rss_kib);
        }
    }
    let mut rows = Vec::new();
    for (((mirror, (rates, applied, peak)), (store_rates, store_peak)), raw_rates) in
        mirrors.iter().zip(feed).zip(store).zip(raw)
    {
        rows.push(RateRow::new(
            "feed end to end (pages of 1000 events + refetch over HTTP + store)",
            mirror.backend,
            applied,
            rates,
            Some(peak),
        ));
        rows.push(RateRow::new(
            names::STORE_ALONE,
            mirror.backend,
            bench.settings.changes,
            store_rates,
            Some(store_peak),
        ));
        if mirror.backend == Backend::Sqlite {
            rows.push(RateRow::new(
                names::RAW_CHANGES,
                mirror.backend,
                bench.settings.changes,
                raw_rates,
                None,
            ));
        }
    }
    Ok(rows)
}

/// Renames `--changes` main units at the fake (each round other names), in posts of 1000.
async fn change_upstream(bench: &Bench, round: u64) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let total = bench.synth.counts().enheter;
    let url = format!("{}/_admin/brreg/enheter/records", bench.fake.base_url());
    let mut next = 0;
    while next < bench.settings.changes {
        let end = (next + PAGE).min(bench.settings.changes);
        let mut units = Vec::new();
        for i in next..end {
            let mut unit = serde_json::to_value(bench.synth.enhet(i % total))?;
            unit["navn"] = serde_json::json!(format!("ENDRET {round}-{i} AS"));
            units.push(unit);
        }
        client
            .post(&url)
            .json(&units)
            .send()
            .await?
            .error_for_status()
            .context("posting upstream changes to the fake")?;
        next = end;
    }
    Ok(())
}

/// What the store-alone child did.
#[derive(Debug, Serialize, Deserialize)]
pub struct Applied {
    /// Changes applied.
    pub changes: u64,
    /// Seconds it took.
    pub seconds: f64,
}

/// The organisation numbers of the first `--changes` main units of the synthetic world: each
/// unit once (the world has more units than a run changes).
fn distinct_units(bench: &Bench) -> Vec<String> {
    let total = bench.synth.counts().enheter;
    (0..bench.settings.changes.min(total))
        .map(|index| bench.synth.enhet_orgnr(index))
        .collect()
}

/// [`distinct_units`] in a file, one per line (too many for a child's command line).
fn distinct_units_file(bench: &Bench) -> anyhow::Result<std::path::PathBuf> {
    let path = bench.dir.join("store-changes-keys.txt");
    std::fs::write(&path, distinct_units(bench).join("\n"))?;
    Ok(path)
}

/// The raw-statements anchor of one round, on a copy of the SQLite mirror at `mirror` taken
/// in the state the store-alone child then starts from; the copy is removed afterwards.
fn raw_changes(bench: &Bench, mirror: &std::path::Path, round: u64) -> anyhow::Result<f64> {
    let copy = bench.dir.join("raw-changes.db");
    anchors::sqlite::copy(mirror, &copy)?;
    let measured = anchors::sqlite::raw_changes(
        &copy,
        &distinct_units(bench),
        round,
        usize::try_from(PAGE).unwrap_or(1000),
    );
    anchors::sqlite::remove(&copy);
    let (applied, elapsed) = measured?;
    Ok(rate(applied, elapsed))
}

/// Child side: one content change to each stored Brreg unit of `keys` (distinct), applied in
/// pages of 1000, each committed with a cursor, as the engine commits feed pages. The records
/// are read before the clock starts; units the mirror does not hold (deleted upstream) are
/// left out and not counted.
pub async fn store_changes(
    url: &str,
    keys: &std::path::Path,
    round: u64,
) -> anyhow::Result<Applied> {
    let keys: Vec<String> = std::fs::read_to_string(keys)?
        .lines()
        .map(str::to_owned)
        .collect();
    let store = Store::open(url).await?;
    let mut current: Vec<Organisation> = Vec::with_capacity(keys.len());
    for key in &keys {
        let orgnr: OrgNumber = key.parse()?;
        if let Some(stored) = store.get::<Organisation>(&orgnr).await? {
            current.push(stored.record);
        }
    }
    anyhow::ensure!(
        current.len() * 10 >= keys.len() * 9,
        "the mirror holds only {} of the {} units to change",
        current.len(),
        keys.len()
    );
    // The cursor is put back afterwards: the next feed round goes on from where it was.
    let cursor = store.sync_state(Register::Brreg).await?.cursor;
    let started = Instant::now();
    let mut applied = 0;
    for (page, chunk) in current
        .chunks(usize::try_from(PAGE).unwrap_or(1000))
        .enumerate()
    {
        let now = Utc::now();
        let mut batch =
            Batch::new(now).cursor(cursor.clone().unwrap_or_else(|| format!("bench-{page}")));
        for record in chunk {
            let mut changed = record.clone();
            changed.name = Some(format!("STORE ENDRET {round}-{page}"));
            batch = batch.upsert(changed, None, now);
        }
        applied += store.apply(batch).await?.changed;
    }
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    Ok(Applied {
        changes: applied,
        seconds,
    })
}

//! Step 2, bulk import: Brreg bootstrapped from the fake upstream (gzip JSON over loopback
//! HTTP, parsed and validated) into a fresh mirror per run and backend; then the anchors load
//! the rows the last mirror holds.

use std::path::Path;

use grunndata_sync::store::Register;

use crate::anchors;
use crate::databases::{Backend, Database};
use crate::report::RateRow;
use crate::run::Bench;
use crate::stats::rate;

/// The mirror table the anchors load.
const TABLE: &str = "brreg";

/// What the bulk step leaves behind: its rows and the last mirror per backend, which the
/// incremental step goes on with.
pub struct Bulk {
    /// Report rows: grunndata and the anchors.
    pub rows: Vec<RateRow>,
    /// The last bootstrapped mirror of each backend.
    pub mirrors: Vec<Database>,
}

/// Runs the bulk step on every backend of the run.
pub async fn run(bench: &Bench) -> anyhow::Result<Bulk> {
    let mut rows = Vec::new();
    let mut mirrors = Vec::new();
    for &backend in &bench.settings.backends {
        let mut rates = Vec::new();
        let mut peak = 0;
        let mut records = 0;
        let mut kept = None;
        for run in 0..bench.settings.runs {
            let database = bench.databases.create(backend, "bulk").await?;
            bench.progress(&format!("bulk import: {backend} run {}", run + 1));
            let answer = super::sync::in_child(bench, &database.url, &[Register::Brreg])?;
            let synced = answer.result.register(Register::Brreg)?;
            anyhow::ensure!(
                synced.bootstrap,
                "a fresh {backend} mirror did not bootstrap"
            );
            records = synced.records;
            rates.push(rate(
                records,
                std::time::Duration::from_secs_f64(answer.result.seconds),
            ));
            peak = peak.max(answer.peak_rss_kib);
            if let Some(previous) = kept.replace(database) {
                bench.databases.drop_database(previous).await?;
            }
        }
        rows.push(RateRow::new(
            "grunndata bootstrap (HTTP + gzip + JSON + validation + store)",
            backend,
            records,
            rates,
            Some(peak),
        ));
        if let Some(mirror) = kept {
            rows.extend(anchor_rows(bench, &mirror)?);
            mirrors.push(mirror);
        }
    }
    Ok(Bulk { rows, mirrors })
}

/// The anchors on `mirror`'s backend, loading its rows.
fn anchor_rows(bench: &Bench, mirror: &Database) -> anyhow::Result<Vec<RateRow>> {
    let csv = bench
        .dir
        .join(format!("{TABLE}-{}.csv", mirror.backend as u8));
    match mirror.backend {
        Backend::Sqlite => {
            let path = mirror
                .path
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("an SQLite mirror has a path"))?;
            sqlite_anchors(bench, path, &csv)
        }
        Backend::Postgres => postgres_anchor(bench, &mirror.url, &csv),
    }
}

fn sqlite_anchors(bench: &Bench, mirror: &Path, csv: &Path) -> anyhow::Result<Vec<RateRow>> {
    let schema = anchors::sqlite::schema(mirror, TABLE)?;
    let count = anchors::sqlite::export_csv(mirror, TABLE, csv)?;
    let mut imports = Vec::new();
    for run in 0..bench.settings.runs {
        bench.progress(&format!("bulk import: sqlite3 .import run {}", run + 1));
        let path = bench.dir.join(format!("anchor-import-{run}.db"));
        imports.push(rate(
            count,
            anchors::sqlite::import(&path, &schema, TABLE, csv)?,
        ));
        anchors::sqlite::remove(&path);
    }
    let rows = anchors::sqlite::rows(mirror, TABLE)?;
    let mut loops = Vec::new();
    for run in 0..bench.settings.runs {
        bench.progress(&format!("bulk import: raw insert loop run {}", run + 1));
        let path = bench.dir.join(format!("anchor-loop-{run}.db"));
        loops.push(rate(
            count,
            anchors::sqlite::raw_loop(&path, &schema, TABLE, &rows)?,
        ));
        anchors::sqlite::remove(&path);
    }
    drop(rows);
    let _ = std::fs::remove_file(csv);
    Ok(vec![
        anchor_row(
            "sqlite3 .import of the same rows (CSV)",
            Backend::Sqlite,
            count,
            imports,
        ),
        anchor_row(
            "raw prepared INSERT loop of the same rows (rusqlite, one transaction)",
            Backend::Sqlite,
            count,
            loops,
        ),
    ])
}

fn postgres_anchor(bench: &Bench, url: &str, csv: &Path) -> anyhow::Result<Vec<RateRow>> {
    anchors::postgres::export_csv(url, TABLE, csv)?;
    let count = std::fs::read(csv).map(|bytes| line_count(&bytes))?;
    let mut copies = Vec::new();
    for run in 0..bench.settings.runs {
        bench.progress(&format!("bulk import: psql \\copy run {}", run + 1));
        let schema = format!("anchor_{run}");
        copies.push(rate(
            count,
            anchors::postgres::copy(url, TABLE, &schema, csv)?,
        ));
    }
    let _ = std::fs::remove_file(csv);
    Ok(vec![anchor_row(
        "psql \\copy of the same rows (CSV)",
        Backend::Postgres,
        count,
        copies,
    )])
}

fn anchor_row(subject: &str, backend: Backend, count: u64, rates: Vec<f64>) -> RateRow {
    RateRow::new(subject, backend, count, rates, None)
}

/// Rows of a CSV file whose fields may hold quoted newlines.
fn line_count(bytes: &[u8]) -> u64 {
    let mut quoted = false;
    let mut rows = 0;
    for &byte in bytes {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => rows += 1,
            _ => {}
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::line_count;

    #[test]
    fn counts_csv_rows_with_quoted_newlines() {
        assert_eq!(line_count(b"a,\"b\nc\"\nd,e\n"), 2);
    }
}

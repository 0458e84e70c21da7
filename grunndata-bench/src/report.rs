//! The run's results: rows per step, the targets judged against the anchors measured in the
//! same run, and their Markdown and JSON renderings.

use std::fmt::Write as _;

use serde::Serialize;

use crate::databases::Backend;
use crate::machine::Machine;
use crate::stats::median;

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// How the run was made.
    pub meta: Meta,
    /// Bulk import: grunndata bootstraps and the anchors.
    pub bulk: Vec<RateRow>,
    /// Incremental changes.
    pub incremental: Vec<RateRow>,
    /// Lookups.
    pub lookups: Vec<LatencyRow>,
    /// Full mirror bootstrap (all registers) and consistency checks.
    pub check: Vec<TimeRow>,
    /// Each target with the ratio measured in this run.
    pub targets: Vec<TargetRow>,
}

/// How the run was made.
#[derive(Debug, Serialize)]
pub struct Meta {
    /// The command line.
    pub command: String,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// Its wall time.
    pub seconds: f64,
    /// Synthetic scale (1.0 = national size).
    pub scale: f64,
    /// Repetitions of each measurement.
    pub runs: usize,
    /// Records of the synthetic world per register.
    pub world: Vec<(String, u64)>,
    /// The machine and the versions of what was measured.
    pub machine: Machine,
}

/// A throughput measured over repeated runs.
#[derive(Debug, Clone, Serialize)]
pub struct RateRow {
    /// What was measured.
    pub subject: String,
    /// Where it wrote.
    pub backend: Backend,
    /// Records (or changes) per run.
    pub count: u64,
    /// Median records (or changes) per second.
    pub median_per_second: f64,
    /// Every run's rate.
    pub runs_per_second: Vec<f64>,
    /// Largest peak RSS over the runs, in MiB; `None` for anchors (not grunndata's).
    pub peak_rss_mib: Option<f64>,
}

/// Lookup latency and throughput.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LatencyRow {
    /// What was measured.
    pub subject: String,
    /// Concurrent lookup threads (for `serve` rows: `wrk` connections).
    pub threads: usize,
    /// Median over runs of the median latency, ns.
    pub p50_ns: f64,
    /// Median over runs of the 99th percentile, ns.
    pub p99_ns: f64,
    /// Median over runs of lookups per second (all threads).
    pub per_second: f64,
    /// Peak RSS of the lookup process, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// A duration measured over repeated runs.
#[derive(Debug, Clone, Serialize)]
pub struct TimeRow {
    /// What was measured.
    pub subject: String,
    /// Where.
    pub backend: Backend,
    /// Median seconds.
    pub median_seconds: f64,
    /// Every run's seconds.
    pub runs_seconds: Vec<f64>,
    /// What it produced (records loaded, findings reported).
    pub note: String,
    /// Largest peak RSS, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// One target and how this run did against it.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    /// The target, as the issue states it.
    pub target: String,
    /// What was measured (ratio or value).
    pub measured: f64,
    /// The bound.
    pub bound: Bound,
    /// Whether the bound holds.
    pub met: bool,
}

/// A bound on a measured value.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The value must be at least this.
    AtLeast(f64),
    /// The value must be at most this.
    AtMost(f64),
}

impl RateRow {
    /// A row of `rates` (one per run) of `count` records each; `peak_rss_kib` is grunndata's
    /// largest peak over the runs, `None` for an anchor.
    pub fn new(
        subject: impl Into<String>,
        backend: Backend,
        count: u64,
        rates: Vec<f64>,
        peak_rss_kib: Option<u64>,
    ) -> Self {
        Self {
            subject: subject.into(),
            backend,
            count,
            median_per_second: median(&rates),
            runs_per_second: rates,
            peak_rss_mib: peak_rss_kib.map(mib),
        }
    }
}

impl TimeRow {
    /// A row of `seconds` (one per run) that produced `note`, with grunndata's peak RSS.
    pub fn new(
        subject: impl Into<String>,
        backend: Backend,
        seconds: Vec<f64>,
        note: String,
        peak_rss_kib: u64,
    ) -> Self {
        Self {
            subject: subject.into(),
            backend,
            median_seconds: median(&seconds),
            runs_seconds: seconds,
            note,
            peak_rss_mib: Some(mib(peak_rss_kib)),
        }
    }
}

impl TargetRow {
    /// A target row judging `measured` against `bound`.
    pub fn new(target: impl Into<String>, measured: f64, bound: Bound) -> Self {
        let met = match bound {
            Bound::AtLeast(limit) => measured >= limit,
            Bound::AtMost(limit) => measured <= limit,
        };
        Self {
            target: target.into(),
            measured,
            bound,
            met,
        }
    }
}

/// KiB to MiB.
#[allow(clippy::cast_precision_loss, reason = "memory for people")]
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A rate with thousands separated by thin spaces, as people read them.
fn count(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "display"
    )]
    let digits = value.round().max(0.0) as u64;
    let text = digits.to_string();
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A count, grouped as [`count`] groups rates.
fn count_of(value: u64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "exact below 2^52, far above any count here"
    )]
    count(value as f64)
}

fn rss(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |mib| format!("{mib:.0}"))
}

fn bound(bound: Bound) -> String {
    match bound {
        Bound::AtLeast(limit) => format!("≥ {limit}"),
        Bound::AtMost(limit) => format!("≤ {limit}"),
    }
}

impl Report {
    /// The report as Markdown: one table per step, then the targets.
    pub fn markdown(&self) -> String {
        let meta = &self.meta;
        let machine = &meta.machine;
        let mut md = String::new();
        let _ = writeln!(md, "Command: `{}`  ", meta.command);
        let _ = writeln!(
            md,
            "Started {} · {:.0} s · scale {} · medians over {} runs  ",
            meta.started_at, meta.seconds, meta.scale, meta.runs
        );
        let _ = writeln!(
            md,
            "Machine: {} cores, {:.1} GiB, {} · {}  ",
            machine.cores, machine.memory_gib, machine.cpu, machine.kernel
        );
        let _ = writeln!(md, "Versions: {}  ", machine.versions.join(", "));
        let world: Vec<String> = meta
            .world
            .iter()
            .map(|(register, records)| format!("{register} {}", count_of(*records)))
            .collect();
        let _ = writeln!(md, "World: {}\n", world.join(", "));

        if !self.bulk.is_empty() {
            md.push_str("### Bulk import (Brreg)\n\n");
            rate_table(&mut md, &self.bulk, "records/s");
        }
        if !self.incremental.is_empty() {
            md.push_str("### Incremental\n\n");
            rate_table(&mut md, &self.incremental, "changes/s");
        }
        if !self.lookups.is_empty() {
            md.push_str(
                "### Lookups (SQLite; audited person lookups and `serve` further down)\n\n",
            );
            md.push_str("| lookup | threads (serve: connections) | p50 ns | p99 ns | lookups/s | peak RSS MiB |\n");
            md.push_str("|---|---:|---:|---:|---:|---:|\n");
            for row in &self.lookups {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    row.subject,
                    row.threads,
                    count(row.p50_ns),
                    count(row.p99_ns),
                    count(row.per_second),
                    rss(row.peak_rss_mib)
                );
            }
            md.push('\n');
        }
        if !self.check.is_empty() {
            md.push_str("### Full mirror and `grunndata check`\n\n");
            md.push_str("| step | backend | median s | runs s | result | peak RSS MiB |\n");
            md.push_str("|---|---|---:|---|---|---:|\n");
            for row in &self.check {
                let runs: Vec<String> =
                    row.runs_seconds.iter().map(|s| format!("{s:.2}")).collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.2} | {} | {} | {} |",
                    row.subject,
                    row.backend,
                    row.median_seconds,
                    runs.join(", "),
                    row.note,
                    rss(row.peak_rss_mib)
                );
            }
            md.push('\n');
        }
        if !self.targets.is_empty() {
            md.push_str("### Targets (ratios measured in this run)\n\n");
            md.push_str("| target | measured | bound | met |\n|---|---:|---|---|\n");
            for row in &self.targets {
                let _ = writeln!(
                    md,
                    "| {} | {:.2} | {} | {} |",
                    row.target,
                    row.measured,
                    bound(row.bound),
                    if row.met { "yes" } else { "**no**" }
                );
            }
        }
        md
    }
}

fn rate_table(md: &mut String, rows: &[RateRow], unit: &str) {
    let _ = writeln!(
        md,
        "| what | backend | rows | median {unit} | runs | peak RSS MiB |"
    );
    md.push_str("|---|---|---:|---:|---|---:|\n");
    for row in rows {
        let runs: Vec<String> = row.runs_per_second.iter().map(|r| count(*r)).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            row.subject,
            row.backend,
            count_of(row.count),
            count(row.median_per_second),
            runs.join(", "),
            rss(row.peak_rss_mib)
        );
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(count(1_234_567.4), "1 234 567");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(f64::NAN), "–");
    }

    #[test]
    fn judges_bounds() {
        assert!(TargetRow::new("x", 1.3, Bound::AtLeast(1.25)).met);
        assert!(!TargetRow::new("x", 1.6, Bound::AtMost(1.5)).met);
    }
}

//! `grunndata check`: run the consistency rules against the mirror and explain each finding.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clap::Args;
use grunndata_core::check::{RULES, Rule, Severity};
use grunndata_sync::check::{self, CheckOptions, Finding, SkippedRule, summarise};
use grunndata_sync::store::Register;
use serde::Serialize;

use super::common::MirrorArgs;
use crate::exit::Outcome;

/// Check the mirror for disagreements between the registers.
///
/// Prints a summary (rule, severity, count), then the findings grouped by rule with the keys
/// involved and what to do. `--list` shows every rule, why it matters and how to fix it.
///
/// Exit status: 0 when no finding is at or above `--severity` (default error), 1 when there
/// is one, 2 on usage errors, 3 when the mirror cannot be read (missing, unreachable).
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only these rules (comma-separated ids; see --list).
    #[arg(long = "rule", value_delimiter = ',', value_parser = parse_rule)]
    rules: Vec<&'static Rule>,

    /// Only findings about these registers (brreg, ar, hpr, preg; comma-separated).
    #[arg(long = "register", value_delimiter = ',')]
    registers: Vec<Register>,

    /// The lowest severity that makes the exit status 1 (info, warning, error). Findings
    /// below it are still shown.
    #[arg(long, default_value = "error")]
    severity: Severity,

    /// Judge as of this day (YYYY-MM-DD, from midnight UTC) instead of now.
    #[arg(long)]
    at: Option<NaiveDate>,

    /// Warn about certificates expiring within this many days.
    #[arg(long, default_value_t = grunndata_core::check::party::CERTIFICATE_WARNING_DAYS)]
    certificate_days: u32,

    /// One JSON object per finding (per rule with --list).
    #[arg(long)]
    json: bool,

    /// Show at most N findings per rule (the summary still counts them all).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,

    /// List the rules instead of checking.
    #[arg(long)]
    list: bool,

    #[command(flatten)]
    mirror: MirrorArgs,
}

fn parse_rule(id: &str) -> Result<&'static Rule, String> {
    grunndata_core::check::rule(id.trim())
        .ok_or_else(|| format!("unknown rule {id:?}; `grunndata check --list` shows the rules"))
}

impl CheckArgs {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<Outcome> {
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        if self.list {
            list(&mut out, self.json)?;
            out.flush()?;
            return Ok(Outcome::Success);
        }
        let checked = super::common::runtime()?.block_on(self.check())?;
        let findings = &checked.findings;
        let negative = findings
            .iter()
            .any(|finding| finding.severity() >= self.severity);
        if self.json {
            self.print_json(&mut out, findings)?;
            // Stdout stays one finding per line; what did not run goes to stderr.
            for skipped in &checked.skipped {
                eprintln!("grunndata: {}", skipped_line(skipped));
            }
        } else {
            self.print_human(&mut out, &checked)?;
        }
        out.flush()?;
        Ok(if negative {
            Outcome::Negative
        } else {
            Outcome::Success
        })
    }

    async fn check(&self) -> anyhow::Result<Checked> {
        let config = self.mirror.load()?;
        // A check never creates a mirror: opening a missing SQLite file would make an empty one.
        let store = MirrorArgs::open_read_only(&config).await?;
        let at = self.at.map_or_else(Utc::now, |day| {
            DateTime::from_naive_utc_and_offset(day.and_time(NaiveTime::MIN), Utc)
        });
        let mut options = CheckOptions::new(at, &config);
        options.certificate_days = self.certificate_days;
        if !self.rules.is_empty() {
            options.rules = Some(self.rules.clone());
        }
        if !self.registers.is_empty() {
            options.registers = Some(self.registers.clone());
        }
        let findings = check::run(&store, &options).await;
        store.close().await;
        Ok(Checked {
            findings: findings?,
            selected: options.selected_rules(),
            skipped: options.skipped_rules(),
        })
    }

    fn shown<'a>(&self, findings: &'a [Finding]) -> Vec<&'a Finding> {
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        findings
            .iter()
            .filter(|finding| {
                let seen = per_rule.entry(finding.rule.id).or_insert(0);
                *seen += 1;
                self.limit.is_none_or(|limit| *seen <= limit)
            })
            .collect()
    }

    fn print_json(&self, out: &mut impl Write, findings: &[Finding]) -> anyhow::Result<()> {
        for finding in self.shown(findings) {
            serde_json::to_writer(&mut *out, finding)?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn print_human(&self, out: &mut impl Write, checked: &Checked) -> anyhow::Result<()> {
        let findings = &checked.findings;
        let summary = summarise(&checked.selected, findings);
        let width = summary
            .iter()
            .map(|line| line.rule.id.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            out,
            "{:<width$}  {:<8}  {:>8}",
            "rule", "severity", "findings"
        )?;
        for line in &summary {
            writeln!(
                out,
                "{:<width$}  {:<8}  {:>8}",
                line.rule.id,
                line.rule.severity.as_str(),
                line.count
            )?;
        }
        for skipped in &checked.skipped {
            writeln!(out, "{}", skipped_line(skipped))?;
        }
        let shown = self.shown(findings);
        for line in summary.iter().filter(|line| line.count > 0) {
            writeln!(out)?;
            writeln!(
                out,
                "{} ({}): {}",
                line.rule.id, line.rule.severity, line.rule.description
            )?;
            for finding in shown
                .iter()
                .filter(|finding| finding.rule.id == line.rule.id)
            {
                writeln!(out, "  [{}] {}", finding.keys_text(), finding.message)?;
            }
            let listed = shown
                .iter()
                .filter(|finding| finding.rule.id == line.rule.id)
                .count();
            if listed < line.count {
                writeln!(out, "  … and {} more (--limit)", line.count - listed)?;
            }
            writeln!(out, "  fix: {}", line.rule.fix)?;
        }
        let count = |severity| {
            findings
                .iter()
                .filter(|finding| finding.severity() == severity)
                .count()
        };
        writeln!(out)?;
        writeln!(
            out,
            "{} errors, {} warnings, {} info",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        )?;
        Ok(())
    }
}

/// What a check run found, which rules ran, and which were skipped.
struct Checked {
    findings: Vec<Finding>,
    selected: Vec<&'static Rule>,
    skipped: Vec<SkippedRule>,
}

/// "skipped ar-person-hpr-missing: needs hpr, which [sync] sources does not mirror".
fn skipped_line(skipped: &SkippedRule) -> String {
    let missing: Vec<&str> = skipped.missing.iter().map(|r| r.as_str()).collect();
    format!(
        "skipped {}: needs {}, which [sync] sources does not mirror",
        skipped.rule.id,
        missing.join(" and ")
    )
}

/// A rule as `--list --json` prints it.
#[derive(Serialize)]
struct ListedRule {
    id: &'static str,
    severity: Severity,
    register: &'static str,
    description: &'static str,
    why: &'static str,
    fix: &'static str,
}

fn list(out: &mut impl Write, json: bool) -> anyhow::Result<()> {
    for rule in RULES {
        if json {
            serde_json::to_writer(
                &mut *out,
                &ListedRule {
                    id: rule.id,
                    severity: rule.severity,
                    register: rule.register,
                    description: rule.description,
                    why: rule.why,
                    fix: rule.fix,
                },
            )?;
            writeln!(out)?;
        } else {
            writeln!(out, "{} ({}, {})", rule.id, rule.severity, rule.register)?;
            writeln!(out, "  {}", rule.description)?;
            writeln!(out, "  why: {}", rule.why)?;
            writeln!(out, "  fix: {}", rule.fix)?;
        }
    }
    Ok(())
}

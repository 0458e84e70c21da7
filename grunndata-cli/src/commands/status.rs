//! `grunndata status`: where each register's mirror stands, for people and for monitoring.

use std::io::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use grunndata_sync::config::Config;
use grunndata_sync::engine::{Lag, Sources, lag};
use grunndata_sync::store::{Register, Store};
use serde::Serialize;

use super::common::{self, MirrorArgs};
use crate::exit::Outcome;

/// Show each register's records, quarantine, cursor, last success and error, lag behind
/// upstream and content digest.
///
/// Exit status 1 when a register has not synced successfully within its `stale_after`
/// (monitoring can alert on that), 0 otherwise, 3 when the mirror cannot be read.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    mirror: MirrorArgs,

    /// Registers to show, comma-separated. Default: `[sync] sources`.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    source: Vec<String>,

    /// Do not ask the upstreams for their feed heads (no lag figure).
    #[arg(long)]
    offline: bool,

    /// Print JSON (one object with a `registers` array) instead of a table.
    #[arg(long)]
    json: bool,
}

/// One register's status, as printed by `--json` (stable field names).
#[derive(Debug, Serialize)]
struct RegisterStatus {
    register: Register,
    records: i64,
    deleted: i64,
    history: i64,
    quarantined: i64,
    cursor: Option<String>,
    snapshot_id: Option<String>,
    snapshot_at: Option<String>,
    last_success_at: Option<String>,
    last_error_at: Option<String>,
    last_error: Option<String>,
    /// Sequence numbers the feed has skipped since the mirror was created (applied, not an
    /// expired cursor).
    sequence_gaps: u64,
    /// `{"unit": "events"|"seconds", "value": N}`, or null when unknown or unreachable.
    lag: Option<Lag>,
    /// Why the lag is unknown, when upstream was asked and could not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    lag_error: Option<String>,
    digest: String,
    stale: bool,
    stale_after_seconds: u64,
}

#[derive(Debug, Serialize)]
struct Status {
    mirror: String,
    stale: bool,
    registers: Vec<RegisterStatus>,
}

fn time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl StatusArgs {
    /// Reads the status and prints it.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(self.status())
    }

    async fn status(self) -> anyhow::Result<Outcome> {
        let config = self.mirror.load()?;
        let registers = common::chosen_registers(&self.source, &config)?;
        let store = MirrorArgs::open_read_only(&config).await?;
        // Offline, no clients: the lags that need upstream's feed head stay unknown, HPR's
        // (a time) is still shown. A configuration that builds no clients leaves the lag
        // unknown too, and says why.
        let (sources, sources_error) = if self.offline {
            (Sources::default(), None)
        } else {
            match Sources::from_config(&config, &registers) {
                Ok(sources) => (sources, None),
                Err(error) => (Sources::default(), Some(error.to_string())),
            }
        };
        let now = Utc::now();
        let mut shown = Vec::new();
        for register in registers {
            let mut status = register_status(&store, &config, &sources, register, now).await?;
            if status.lag.is_none() && status.lag_error.is_none() {
                status.lag_error.clone_from(&sources_error);
            }
            shown.push(status);
        }
        store.close().await;
        let status = Status {
            mirror: store.location(),
            stale: shown.iter().any(|register| register.stale),
            registers: shown,
        };
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &status)?;
            writeln!(out)?;
        } else {
            print_table(&mut out, &status)?;
        }
        out.flush()?;
        Ok(if status.stale {
            Outcome::Negative
        } else {
            Outcome::Success
        })
    }
}

async fn register_status(
    store: &Store,
    config: &Config,
    sources: &Sources,
    register: Register,
    now: DateTime<Utc>,
) -> anyhow::Result<RegisterStatus> {
    let counts = store.counts(register).await?;
    let state = store.sync_state(register).await?;
    let digest = store.digest(register).await?;
    let threshold = config.stale_after(register);
    let asked = lag(sources, register, state.cursor.as_deref(), now);
    let (lag, lag_error) = match tokio::time::timeout(Duration::from_secs(10), asked).await {
        Ok(Ok(lag)) => (lag, None),
        Ok(Err(error)) => (None, Some(error.to_string())),
        Err(_) => (None, Some("upstream did not answer in 10 s".to_owned())),
    };
    Ok(RegisterStatus {
        register,
        records: counts.records,
        deleted: counts.deleted,
        history: counts.history,
        quarantined: counts.quarantined,
        cursor: state.cursor.clone(),
        snapshot_id: state.snapshot.as_ref().map(|snapshot| snapshot.id.clone()),
        snapshot_at: time(state.snapshot.as_ref().map(|snapshot| snapshot.at)),
        last_success_at: time(state.last_success_at),
        last_error_at: time(state.last_error_at),
        last_error: state.last_error.clone(),
        sequence_gaps: state.sequence_gaps,
        lag,
        lag_error,
        digest: digest.hex(),
        stale: state.is_stale(threshold, now),
        stale_after_seconds: threshold.as_secs(),
    })
}

fn print_table(out: &mut impl std::io::Write, status: &Status) -> std::io::Result<()> {
    writeln!(out, "mirror: {}", status.mirror)?;
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "register",
        "records",
        "deleted",
        "quarantined",
        "last success",
        "lag",
        "state",
    ]);
    for register in &status.registers {
        let state = if register.stale {
            "STALE"
        } else if register.last_error_at > register.last_success_at {
            "error"
        } else {
            "ok"
        };
        table.add_row([
            register.register.to_string(),
            register.records.to_string(),
            register.deleted.to_string(),
            register.quarantined.to_string(),
            register
                .last_success_at
                .clone()
                .unwrap_or_else(|| "never".to_owned()),
            register
                .lag
                .map_or_else(|| "unknown".to_owned(), |lag| lag.to_string()),
            state.to_owned(),
        ]);
    }
    writeln!(out, "{table}")?;
    for register in &status.registers {
        let name = register.register;
        writeln!(
            out,
            "{name}: cursor {}",
            register
                .cursor
                .as_deref()
                .unwrap_or("(none: next sync bootstraps)")
        )?;
        writeln!(out, "{name}: digest {}", register.digest)?;
        if let Some(error) = &register.last_error {
            let at = register.last_error_at.as_deref().unwrap_or("?");
            writeln!(out, "{name}: last error at {at}: {error}")?;
        }
        if register.sequence_gaps > 0 {
            writeln!(
                out,
                "{name}: {} sequence numbers missing from the feed so far (applied; not an expired cursor)",
                register.sequence_gaps
            )?;
        }
        if let Some(error) = &register.lag_error {
            writeln!(out, "{name}: lag unknown: {error}")?;
        }
        if register.stale {
            writeln!(
                out,
                "{name}: STALE: no successful sync within {}",
                humantime::format_duration(Duration::from_secs(register.stale_after_seconds))
            )?;
        }
    }
    Ok(())
}

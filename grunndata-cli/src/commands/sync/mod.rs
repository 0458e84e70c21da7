//! `grunndata sync`: bring the mirror up to date, once or on an interval.

mod metrics;
mod progress;
mod report;
mod standby;

pub use progress::Bars;
pub use report::print_table as print_report;

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use grunndata_sync::config::{AuditRetention, Config};
use grunndata_sync::engine::{
    Engine, NoProgress, Progress, Request, RunReport, Sources, SyncOptions,
};
use grunndata_sync::store::{Register, Store};
use tokio_util::sync::CancellationToken;

use super::common::{self, MirrorArgs};
use crate::exit::{InvalidInput, Outcome};

/// Bring the mirror up to date from the upstream registers.
///
/// With no cursor a register is bootstrapped from a snapshot, then its change feed is
/// followed; with a cursor only the feed is read. Each batch commits with its cursor, so an
/// interrupted sync (even kill -9) resumes where it stopped. Only one sync may write to a
/// mirror at a time: a second one is refused, but a second `--watch` node stands by and takes
/// over when the active one stops or dies (`[sync] standby_poll`).
///
/// Exit status: 0 when every register caught up, 3 when one failed (named in the report; what
/// it committed stays), 2 on invalid arguments.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "command-line switches; clap reads each into its own bool"
)]
pub struct SyncArgs {
    #[command(flatten)]
    mirror: MirrorArgs,

    /// Registers to sync, comma-separated (brreg, ar, hpr, preg). Default: `[sync] sources`.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    source: Vec<String>,

    /// Run until caught up, then exit (the default).
    #[arg(long, conflicts_with = "watch")]
    once: bool,

    /// Keep running: sync, wait `--interval` (plus up to 10 % jitter), sync again. SIGINT or
    /// SIGTERM stops after the current batch. While another node holds the writer lock, wait
    /// as its standby and take over when it goes.
    #[arg(long)]
    watch: bool,

    /// With `--watch`: serve `/metrics` (Prometheus text) and `/health` (JSON) on this
    /// address — active or standby, per register lag, records applied, quarantined, sequence
    /// gaps, failed runs. Port 0 picks a free one; the address is printed on stderr.
    #[arg(long, value_name = "ADDR", requires = "watch")]
    metrics_listen: Option<std::net::SocketAddr>,

    /// Pause between runs with `--watch`. Default: `[sync] interval`.
    #[arg(long, value_name = "DURATION", requires = "watch", value_parser = humantime::parse_duration)]
    interval: Option<Duration>,

    /// Stop a register that has not caught up after this long (it is reported as failed; what
    /// it committed stays). Default: `[sync] deadline`.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    deadline: Option<Duration>,

    /// Take a new snapshot and remove what upstream no longer holds (history kept), then
    /// follow the feed.
    #[arg(long, conflicts_with = "ids")]
    resnapshot: bool,

    /// Accept a snapshot that brings fewer records than `[sync] snapshot_floor_percent` of the
    /// mirror (or than upstream announced) and remove what it left out: for a register that
    /// really shrank. Without it such a snapshot fails and removes nothing.
    #[arg(long, conflicts_with = "ids")]
    accept_shrink: bool,

    /// Fetch these records again now, without moving the cursor (one `--source`; orgnr,
    /// HER-id, HPR number or Persontjenesten person id).
    #[arg(
        long,
        value_name = "KEYS",
        value_delimiter = ',',
        conflicts_with = "watch"
    )]
    ids: Vec<String>,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl SyncArgs {
    /// Runs the sync.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(self.sync())
    }

    fn request(&self, registers: &[Register]) -> anyhow::Result<Request> {
        if self.ids.is_empty() {
            return Ok(if self.resnapshot {
                Request::Resnapshot
            } else {
                Request::Sync
            });
        }
        let [register] = registers else {
            return Err(InvalidInput("--ids needs exactly one --source".to_owned()).into());
        };
        Ok(Request::Refresh {
            register: *register,
            keys: self.ids.iter().map(|id| id.trim().to_owned()).collect(),
        })
    }

    async fn sync(self) -> anyhow::Result<Outcome> {
        let config = self.mirror.load()?;
        let registers = common::chosen_registers(&self.source, &config)?;
        if registers.is_empty() {
            return Err(InvalidInput("no register to sync (--source)".to_owned()).into());
        }
        let request = self.request(&registers)?;
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signal(stop.clone()));
        let Some(store) = self.open(&config, &stop).await? else {
            return Ok(Outcome::Success);
        };
        let metrics = Arc::new(metrics::SyncMetrics::default());
        if let Some(listen) = self.metrics_listen {
            let address = metrics::serve(
                listen,
                Arc::clone(&metrics),
                store.clone(),
                &registers,
                stop.clone(),
            )
            .await?;
            eprintln!("metrics on http://{address}/metrics");
            tracing::info!(%address, "serving metrics and health");
        }
        let lock = if self.watch {
            let Some(lock) =
                standby::wait_for_lock(&store, config.sync.standby_poll, &stop).await?
            else {
                store.close().await;
                return Ok(Outcome::Success);
            };
            lock
        } else {
            store.writer_lock().await?
        };
        metrics.set_active(true);
        if registers.contains(&Register::Preg) {
            track_configured(&config, &store).await?;
        }
        let sources = Sources::from_config(&config, &registers)?;
        let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() && !self.json {
            Arc::new(progress::Bars::new())
        } else {
            Arc::new(NoProgress)
        };
        let engine = Engine::new(store.clone(), sources)
            .options(SyncOptions {
                deadline: Some(self.deadline.unwrap_or(config.sync.deadline)),
                snapshot_floor_percent: config.sync.snapshot_floor_percent,
                accept_shrink: self.accept_shrink,
                ..SyncOptions::default()
            })
            .progress(progress);
        let engine_stop = engine.stop_token();
        let signalled = stop.clone();
        tokio::spawn(async move {
            signalled.cancelled().await;
            engine_stop.cancel();
        });

        let interval = self.interval.unwrap_or(config.sync.interval);
        let mut lock = lock;
        loop {
            let report = engine.run(&registers, &request).await;
            metrics.record(&report);
            self.print(&report)?;
            apply_audit_retention(&config, &store).await?;
            if !self.watch || self.once || stop.is_cancelled() {
                store.close().await;
                return finish(&report);
            }
            if !lock.is_held().await {
                tracing::warn!("lost the writer lock; standing by");
                metrics.set_active(false);
                drop(lock);
                let Some(taken) =
                    standby::wait_for_lock(&store, config.sync.standby_poll, &stop).await?
                else {
                    store.close().await;
                    return Ok(Outcome::Success);
                };
                lock = taken;
                metrics.set_active(true);
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(with_jitter(interval)) => {}
                () = stop.cancelled() => {
                    store.close().await;
                    return Ok(Outcome::Success);
                }
            }
        }
    }

    /// Opens the mirror; with `--watch`, waits while its database cannot be reached (`None`
    /// when stopped meanwhile), so a node started during a database restart still comes up.
    async fn open(
        &self,
        config: &Config,
        stop: &CancellationToken,
    ) -> anyhow::Result<Option<Store>> {
        let mut said = false;
        loop {
            match MirrorArgs::open(config).await {
                Ok(store) => return Ok(Some(store)),
                Err(error)
                    if self.watch
                        && error
                            .downcast_ref::<grunndata_sync::store::StoreError>()
                            .is_some_and(standby::is_transient) =>
                {
                    if !said {
                        tracing::warn!(error = %format!("{error:#}"), "the mirror's database cannot be reached; trying again");
                        said = true;
                    }
                }
                Err(error) => return Err(error),
            }
            tokio::select! {
                () = tokio::time::sleep(config.sync.standby_poll) => {}
                () = stop.cancelled() => return Ok(None),
            }
        }
    }

    fn print(&self, report: &RunReport) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer(&mut out, report)?;
            writeln!(out)?;
        } else {
            report::print_table(&mut out, report)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Exit 0 when every register succeeded, else an error naming the failed ones.
fn finish(report: &RunReport) -> anyhow::Result<Outcome> {
    let failed = report.failed();
    if failed.is_empty() {
        return Ok(Outcome::Success);
    }
    let names: Vec<String> = failed.iter().map(ToString::to_string).collect();
    anyhow::bail!("sync failed for {}", names.join(", "))
}

/// Removes audit entries older than `[store] audit_retention`, if set (default: keep all).
async fn apply_audit_retention(config: &Config, store: &Store) -> anyhow::Result<()> {
    let AuditRetention::For(retention) = config.store.audit_retention else {
        return Ok(());
    };
    let before = chrono::Utc::now()
        - chrono::Duration::from_std(retention).context("[store] audit_retention is too long")?;
    let removed = store
        .prune_audit(before)
        .await
        .context("applying the audit retention")?;
    tracing::info!(removed, %before, "audit retention applied");
    Ok(())
}

/// Tracks the persons listed in `[preg] tracked_persons_file`, if set.
async fn track_configured(config: &Config, store: &Store) -> anyhow::Result<()> {
    let Some(path) = &config.preg.tracked_persons_file else {
        return Ok(());
    };
    let nins = common::read_nin_file(path)?;
    let mut added = 0;
    for nin in &nins {
        if store
            .track_person(nin, Some("tracked_persons_file"))
            .await
            .context("tracking persons from the configured file")?
        {
            added += 1;
        }
    }
    tracing::info!(persons = nins.len(), added, "tracked persons file read");
    Ok(())
}

async fn stop_on_signal(stop: CancellationToken) {
    common::shutdown_signal().await;
    tracing::info!("stopping after the current batch");
    stop.cancel();
}

/// `interval` plus up to 10 %, so that many mirrors do not poll upstream in step.
fn with_jitter(interval: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    interval + interval.mul_f64(f64::from(nanos % 1000) / 10_000.0)
}

//! The sync engine: brings the mirror up to date with the upstreams, crash-safe and resumable.
//!
//! ```text
//! source::<register> ──► engine ──► store
//!   snapshot stream       batches    one transaction per batch + cursor
//!   feed pages            in order
//! ```
//!
//! Per register: with no cursor, a snapshot ([`bootstrap`]) followed by the change feed from
//! the point the snapshot corresponds to; with a cursor, the feed from there ([`follow`]). A
//! feed that no longer reaches back to the cursor (expired history: 410) triggers a
//! re-snapshot with reconciliation: records absent from the new snapshot are removed, history
//! kept, and the report says how many. Registers run concurrently, each on its own task;
//! within a register changes apply in upstream order.
//!
//! **Crash safety.** Every batch commits with its cursor in one transaction; a snapshot's
//! batches carry no cursor until the last, which also sweeps what the snapshot did not see.
//! `kill -9` at any instant therefore leaves either a batch boundary of the feed or a
//! register without a cursor, and the restart converges to the state a clean run reaches.
//!
//! **Stopping.** [`Engine::stop_token`] asks every register to stop after its current batch
//! (SIGINT/SIGTERM in `grunndata sync --watch`); a deadline ([`SyncOptions::deadline`]) stops
//! a register wherever it is, which is safe because a batch commits whole or not at all.
//! Either way what was committed stays, and a register that did not finish is recorded as
//! failed in its sync state.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use grunndata_sync::config::Config;
//! use grunndata_sync::engine::{Engine, Request, Sources};
//! use grunndata_sync::store::{Register, Store};
//!
//! let config = Config::load(None)?;
//! let store = Store::open("sqlite:///var/lib/grunndata/grunndata.db").await?;
//! let _lock = store.writer_lock().await?; // one writer per mirror
//! let sources = Sources::from_config(&config, &Register::ALL)?;
//! let report = Engine::new(store, sources).run(&Register::ALL, &Request::Sync).await;
//! for register in &report.registers {
//!     println!("{}: {} applied, {:?}", register.register, register.counts.applied, register.error);
//! }
//! # Ok(()) }
//! ```

mod bootstrap;
mod convert;
mod error;
mod follow;
mod position;
mod progress;
mod refresh;
mod report;
mod shrink;
mod sources;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

pub use error::EngineError;
pub use position::{Lag, cursor_from_date, lag, parse_cursor};
pub use progress::{NoProgress, Progress};
pub use report::{Counts, Reconciliation, RegisterReport, RunReport, SyncMode};
pub use sources::Sources;

use crate::core::id::{HerId, HprNumber, OrgNumber};
use crate::source::{Cursor, Source, UpstreamRecord};
use crate::store::{Register, Store, TrackedPerson};
use bootstrap::Bootstrapped;
use convert::Synced;

/// Tuning of a run. The defaults suit production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// A register still running after this long is stopped and reported as failed; what it
    /// committed stays. `None`: no deadline.
    pub deadline: Option<Duration>,
    /// Records per snapshot batch (one transaction each). The default, 2500, keeps a
    /// bootstrap of all four registers at once at about 240 MiB of peak RSS at national size
    /// (under 200 MiB at a tenth of it); larger batches gain a few per cent of speed for
    /// memory (measured in BENCHMARKS.md).
    pub batch_size: usize,
    /// A (re-)snapshot that brings fewer records than this percentage of what the mirror
    /// holds is refused before it removes anything (as is one short of upstream's own
    /// count). Default 90.
    pub snapshot_floor_percent: u8,
    /// Accept a snapshot below the floor (an operator who knows the register shrank).
    pub accept_shrink: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            deadline: Some(Duration::from_hours(1)),
            batch_size: 2500,
            snapshot_floor_percent: 90,
            accept_shrink: false,
        }
    }
}

/// What a run should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Bring each register up to date: snapshot if it has no cursor, else follow the feed.
    Sync,
    /// Take a new snapshot of each register and remove what it no longer holds, then follow
    /// the feed (`grunndata sync --resnapshot`).
    Resnapshot,
    /// Fetch these records of one register again now; the cursor is left alone
    /// (`grunndata sync --source ar --ids 81234,81235`). Keys as the register writes them:
    /// orgnr, HER-id, HPR number or Persontjenesten person id.
    Refresh {
        /// The register.
        register: Register,
        /// The keys, as text.
        keys: Vec<String>,
    },
}

/// What every register's task shares.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) store: Store,
    pub(crate) options: SyncOptions,
    pub(crate) progress: Arc<dyn Progress>,
    pub(crate) stop: CancellationToken,
}

/// Runs syncs of a mirror from its upstreams. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    context: Arc<Context>,
    sources: Sources,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.context.store.location())
            .field("options", &self.context.options)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine writing to `store` from `sources`, with default options.
    ///
    /// The engine does not take the writer lock: hold [`Store::writer_lock`] while it runs.
    pub fn new(store: Store, sources: Sources) -> Self {
        Self {
            context: Arc::new(Context {
                store,
                options: SyncOptions::default(),
                progress: Arc::new(NoProgress),
                stop: CancellationToken::new(),
            }),
            sources,
        }
    }

    fn with_context(mut self, change: impl FnOnce(&mut Context)) -> Self {
        let mut owned = (*self.context).clone();
        change(&mut owned);
        self.context = Arc::new(owned);
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn options(self, options: SyncOptions) -> Self {
        self.with_context(|context| context.options = options)
    }

    /// Reports progress to `progress` (a progress bar, a metrics sink).
    #[must_use]
    pub fn progress(self, progress: Arc<dyn Progress>) -> Self {
        self.with_context(|context| context.progress = progress)
    }

    /// Cancel this token to have every register stop after its current batch.
    pub fn stop_token(&self) -> CancellationToken {
        self.context.stop.clone()
    }

    /// The store the engine writes to.
    pub fn store(&self) -> &Store {
        &self.context.store
    }

    /// Runs `request` for `registers` (those without a client in the sources are skipped),
    /// concurrently, and reports per register. Never fails as a whole: each register's
    /// failure is in its report and in its sync state.
    pub async fn run(&self, registers: &[Register], request: &Request) -> RunReport {
        let mut tasks = Vec::new();
        for register in Register::ALL {
            if !registers.contains(&register) || !self.sources.has(register) {
                continue;
            }
            if let Request::Refresh { register: only, .. } = request
                && *only != register
            {
                continue;
            }
            let engine = self.clone();
            let request = request.clone();
            let task = tokio::spawn(async move { engine.run_register(register, &request).await });
            tasks.push((register, task));
        }
        let mut report = RunReport::default();
        for (register, task) in tasks {
            let register_report = match task.await {
                Ok(register_report) => register_report,
                Err(error) => {
                    let mut failed = RegisterReport::new(register, SyncMode::Incremental);
                    failed.error = Some(format!("sync task failed: {error}"));
                    failed
                }
            };
            report.registers.push(register_report);
        }
        report.interrupted = self.context.stop.is_cancelled();
        report
    }

    /// One register, under the deadline, with its outcome recorded in the sync state.
    async fn run_register(&self, register: Register, request: &Request) -> RegisterReport {
        let started = Instant::now();
        let mut report = RegisterReport::new(register, SyncMode::Incremental);
        let work = self.sync_register(register, request, &mut report);
        let result = match self.context.options.deadline {
            Some(deadline) => match tokio::time::timeout(deadline, work).await {
                Ok(result) => result,
                Err(_) => Err(EngineError::Deadline {
                    register,
                    deadline: humantime::format_duration(deadline).to_string(),
                }),
            },
            None => work.await,
        };
        report.duration = started.elapsed();
        let store = &self.context.store;
        match result {
            // A refresh of named records says nothing about the feed: no success recorded,
            // or `status` would call a mirror fresh whose feed has stalled.
            Ok(()) if report.caught_up && report.mode != SyncMode::Refresh => {
                if let Err(error) = store.record_success(register, Utc::now()).await {
                    report.error = Some(crate::error_chain(&error));
                }
            }
            // Stopped on request before catching up, or a refresh: neither a success nor a
            // failure.
            Ok(()) => {}
            Err(error) => {
                let message = crate::error_chain(&error);
                tracing::error!(%register, error = %message, "sync failed");
                if let Err(record) = store.record_error(register, Utc::now(), &message).await {
                    let record = crate::error_chain(&record);
                    tracing::error!(%register, error = %record, "could not record the failure");
                }
                report.error = Some(message);
            }
        }
        if let Ok(state) = store.sync_state(register).await {
            report.cursor = state.cursor;
        }
        self.context.progress.finished(&report);
        report
    }

    async fn sync_register(
        &self,
        register: Register,
        request: &Request,
        report: &mut RegisterReport,
    ) -> Result<(), EngineError> {
        let context = &self.context;
        match register {
            Register::Brreg => {
                let source = required(self.sources.brreg.as_ref(), register)?;
                run_source(context, source, request, report).await
            }
            Register::Ar => {
                let source = required(self.sources.ar.as_ref(), register)?;
                run_source(context, source, request, report).await
            }
            Register::Hpr => {
                let source = required(self.sources.hpr.as_ref(), register)?;
                run_source(context, source, request, report).await
            }
            Register::Preg => {
                let source = required(self.sources.preg.as_ref(), register)?;
                let tracked = self.load_tracked().await?;
                if context.store.sync_state(register).await?.cursor.is_some()
                    && matches!(request, Request::Sync)
                {
                    self.fetch_newly_tracked(source, tracked, report).await?;
                }
                run_source(context, source, request, report).await
            }
        }
    }

    /// Loads the tracked persons into the set the Persontjenesten client filters its feed
    /// with, and returns them.
    async fn load_tracked(&self) -> Result<Vec<TrackedPerson>, EngineError> {
        let tracked = self.context.store.tracked_persons().await?;
        self.sources
            .tracked
            .set_person_ids(tracked.iter().filter_map(|person| person.person_id.clone()));
        self.sources
            .tracked
            .set_nins(tracked.iter().map(|person| person.nin));
        Ok(tracked)
    }

    /// Persons tracked since the last snapshot have no person id yet, so the feed (filtered by
    /// person id) would never mention them: fetch them by NIN now.
    async fn fetch_newly_tracked(
        &self,
        source: &crate::source::preg::PregClient,
        tracked: Vec<TrackedPerson>,
        report: &mut RegisterReport,
    ) -> Result<(), EngineError> {
        let pending: Vec<_> = tracked
            .into_iter()
            .filter(|person| person.person_id.is_none())
            .map(|person| person.nin)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        tracing::info!(register = %Register::Preg, persons = pending.len(), "fetching newly tracked persons");
        let fetched = source.fetch_by_nins(&pending).await?;
        let fetched_at = Utc::now();
        let mut batch = crate::store::Batch::new(fetched_at);
        for parsed in fetched {
            convert::add_parsed(&mut batch, parsed, fetched_at, &mut report.counts);
        }
        let outcome = self.context.store.apply(batch).await?;
        report.counts.add_outcome(&outcome);
        self.load_tracked().await.map(drop)
    }
}

fn required<S>(source: Option<&S>, register: Register) -> Result<&S, EngineError> {
    source.ok_or_else(|| EngineError::Config {
        register,
        message: "no client configured".to_owned(),
    })
}

/// Keys of a register, parsed from text (`--ids`).
trait ParseKey: Sized {
    fn parse_key(text: &str) -> Result<Self, String>;
}

impl ParseKey for OrgNumber {
    fn parse_key(text: &str) -> Result<Self, String> {
        text.parse().map_err(|error| format!("{error}"))
    }
}

impl ParseKey for HerId {
    fn parse_key(text: &str) -> Result<Self, String> {
        text.parse().map_err(|error| format!("{error}"))
    }
}

impl ParseKey for HprNumber {
    fn parse_key(text: &str) -> Result<Self, String> {
        text.parse().map_err(|error| format!("{error}"))
    }
}

impl ParseKey for String {
    fn parse_key(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            Err("empty person id".to_owned())
        } else {
            Ok(text.to_owned())
        }
    }
}

/// The register-independent flow: refresh, or (re-)snapshot and follow.
async fn run_source<S>(
    context: &Context,
    source: &S,
    request: &Request,
    report: &mut RegisterReport,
) -> Result<(), EngineError>
where
    S: Source + Clone + 'static,
    S::Record: Synced,
    <S::Record as UpstreamRecord>::Key: ParseKey,
{
    let register = <S::Record as UpstreamRecord>::REGISTER;
    let store = &context.store;
    if let Request::Refresh { keys, .. } = request {
        report.mode = SyncMode::Refresh;
        let keys = keys
            .iter()
            .map(|text| {
                <S::Record as UpstreamRecord>::Key::parse_key(text).map_err(|message| {
                    EngineError::Unsupported {
                        register,
                        message: format!("--ids {text:?}: {message}"),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        refresh::refresh(context, source, &keys, &mut report.counts).await?;
        report.caught_up = true;
        return Ok(());
    }
    if matches!(request, Request::Resnapshot) {
        // Drop the cursor first: a re-snapshot killed half-way then starts again on restart
        // instead of resuming a feed it was asked to replace.
        store.set_cursor(register, None).await?;
        report.resnapshot_reason = Some("asked for by the operator".to_owned());
    }
    let mut cursor = store.sync_state(register).await?.cursor.map(Cursor::new);
    loop {
        let from = if let Some(cursor) = cursor.take() {
            cursor
        } else {
            let held = store.counts(register).await?.records > 0;
            report.mode = if held {
                SyncMode::Resnapshot
            } else {
                SyncMode::Bootstrap
            };
            match bootstrap::bootstrap(context, source, report.mode, &mut report.counts).await? {
                Bootstrapped::Complete {
                    resume,
                    reconciliation,
                } => {
                    report.reconciliation = Some(reconciliation);
                    resume
                }
                Bootstrapped::Interrupted => return Ok(()),
            }
        };
        context.progress.started(register, report.mode, None);
        match follow::follow(context, source, from, &mut report.counts).await {
            Ok(followed) => {
                report.caught_up = followed.caught_up;
                tracing::info!(
                    %register,
                    cursor = %followed.cursor,
                    caught_up = followed.caught_up,
                    interrupted = followed.interrupted,
                    "feed followed"
                );
                return Ok(());
            }
            Err(EngineError::Source(error)) if error.needs_resnapshot() => {
                let reason = crate::error_chain(&error);
                tracing::warn!(%register, %reason, "the feed no longer reaches the cursor; taking a new snapshot");
                if report.reconciliation.is_some() {
                    // A fresh snapshot's own resume point already expired: do not loop.
                    return Err(EngineError::Source(error));
                }
                store.set_cursor(register, None).await?;
                report.resnapshot_reason = Some(reason);
            }
            Err(error) => return Err(error),
        }
    }
}

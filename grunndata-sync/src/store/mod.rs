//! The mirror store: one API over SQLite and PostgreSQL.
//!
//! The store is what journal systems read from all day and what sync jobs write to all night.
//! [`Store::open`] picks the backend by URL scheme (`sqlite://PATH`, `postgres://…`), creates
//! or migrates the schema (embedded migrations, one folder per backend), and refuses a database
//! that is not grunndata's or whose schema is newer than this binary.
//!
//! What it holds, per register (`brreg`, `ar`, `hpr`, `preg`): the current records with typed,
//! indexed columns for every identifier, parent link, search name, validity and status flag,
//! plus the full canonical JSON; earlier versions with the interval in which they were current;
//! and the sync state (cursor, snapshot, last success and error, a change-marker version).
//! Beside them: the tracked persons, an append-only audit log and the quarantine.
//!
//! Writes go through [`Store::apply`]: a [`Batch`] of upserts and deletes, quarantine entries,
//! an optional sweep and the new cursor, all in one transaction — a crash at any instant leaves
//! the mirror at a batch boundary, and applying the same batch twice changes nothing.
//!
//! ```no_run
//! # async fn demo() -> Result<(), grunndata_sync::store::StoreError> {
//! use grunndata_sync::core::id::OrgNumber;
//! use grunndata_sync::core::model::Organisation;
//! use grunndata_sync::store::{Register, Store};
//!
//! let store = Store::open("sqlite:///var/lib/grunndata/grunndata.db").await?;
//! let orgnr: OrgNumber = "974760673".parse().expect("valid orgnr");
//! if let Some(found) = store.get::<Organisation>(&orgnr).await? {
//!     println!("{:?}, fetched {}", found.record.name, found.fetched_at);
//! }
//! println!("brreg digest {}", store.digest(Register::Brreg).await?);
//! # Ok(()) }
//! ```

mod audit;
mod audit_sink;
mod batch;
mod bulk;
mod digest;
mod error;
mod exec;
mod location;
mod lock;
mod notify;
#[cfg(feature = "postgres")]
mod postgres;
mod quarantine;
mod read;
mod record;
mod registers;
mod schema;
mod search;
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod sync_state;
mod tracked;
mod value;
mod versions;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
#[cfg(feature = "postgres")]
use sqlx::PgConnection;

pub use crate::core::register::{Register, UnknownRegister};
pub use audit::{AuditEntry, AuditQuery, AuditRecord};
pub use audit_sink::default_audit_path;
pub use batch::{Batch, BatchOutcome, Change, Delete, QuarantineEntry, Snapshot, Upsert};
pub use digest::{RecordDigest, RegisterDigest};
pub use error::{DatabaseError, StoreError, StoreResult};
pub use location::{Location, default_sqlite_path, default_url};
pub use lock::WriterLock;
pub use notify::CommitNotice;
pub use quarantine::QuarantineRecord;
pub use read::RegisterCounts;
pub use record::{MirrorRecord, PublicRecord, RecordKey, Stored, Version, VersionEnd};
pub use sync_state::SyncState;
pub use tracked::{TrackedPerson, UntrackOutcome};
pub(crate) use value::{Kind, Row, Value};

use crate::core::id::{HerId, HprNumber, NationalId, OrgNumber};
use crate::core::model::{CommunicationParty, HealthPersonnel, Organisation, Person};

/// Tuning for [`Store::open_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// SQLite: idle reader connections kept open (a lookup never waits for one: it opens one
    /// when none is idle, and lookups run on the caller's thread, so there are at most as many
    /// as threads looking up); PostgreSQL: the pool size. Default 8.
    pub max_connections: u32,
    /// How long an SQLite write waits for another process's write lock. Default 30 s.
    pub busy_timeout: Duration,
    /// Open for reading only: never create a file, take a lock or migrate; refuse a schema
    /// other than this binary's; refuse every write but audit rows. For lookup nodes beside a
    /// sync job ([`Store::open_read_only`]). Default `false`.
    pub read_only: bool,
    /// SQLite: where the audit log is written (its own file, so audited lookups never wait
    /// for a sync batch). Default: [`default_audit_path`] of the mirror — `grunndata-audit.db`
    /// beside `grunndata.db`. Set it when the mirror's directory is read-only. PostgreSQL keeps
    /// the audit log in the mirror's schema.
    pub audit_path: Option<PathBuf>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(30),
            read_only: false,
            audit_path: None,
        }
    }
}

/// Which database a [`Store`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl BackendKind {
    /// Whether this build can open such a mirror (cargo features `sqlite`, `postgres`).
    pub const fn is_built(self) -> bool {
        match self {
            Self::Sqlite => cfg!(feature = "sqlite"),
            Self::Postgres => cfg!(feature = "postgres"),
        }
    }
}

/// The mirror store. Cheap to clone (the clones share connection pools).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    notifier: notify::Notifier,
    audit: Arc<audit_sink::AuditSink>,
}

#[derive(Debug, Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteBackend),
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PgBackend>),
}

/// Runs `$body` with `$conn` bound to a reader connection of either backend.
macro_rules! with_reader {
    ($store:expr, $op:expr, $register:expr, |$conn:ident| $body:expr) => {{
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => {
                let db = StoreError::db($op, $register);
                let mut pooled = backend.readers.acquire().map_err(db)?;
                let $conn: &mut sqlite::SqliteConn = &mut pooled;
                $body
            }
            // Boxed: sqlx's futures are kilobytes, and unboxed they would size every read's
            // future on both backends — each uncached `Registry` lookup moves its future into
            // a box, and on SQLite those copies were a quarter of a lookup's instructions
            // (callgrind, BENCHMARKS.md).
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => {
                Box::pin(async {
                    let db = StoreError::db($op, $register);
                    let mut pooled = backend.pool.acquire().await.map_err(db)?;
                    let $conn: &mut PgConnection = &mut pooled;
                    $body
                })
                .await
            }
        }
    }};
}

/// Runs `$body` (a `Result<_, StoreError>`) in a write transaction on either backend,
/// committing on `Ok` and rolling back on `Err`.
///
/// On SQLite the body runs on the writer thread (`sqlite/writer.rs`), so it must own what it
/// uses: everything it names is moved into it (clone or copy what the caller still needs).
macro_rules! in_transaction {
    ($store:expr, $op:expr, $register:expr, move |$conn:ident| $body:expr) => {{
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => {
                let writer = backend
                    .writer
                    .as_ref()
                    .ok_or_else(|| StoreError::ReadOnly {
                        location: backend.location(),
                        operation: $op,
                    })?;
                writer
                    .transaction($op, $register, move |$conn: &mut sqlite::SqliteConn| {
                        Box::pin(async move { $body })
                    })
                    .await
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => {
                let db = StoreError::db($op, $register);
                if backend.read_only {
                    return Err(StoreError::ReadOnly {
                        location: backend.location.clone(),
                        operation: $op,
                    });
                }
                let mut tx = backend.pool.begin().await.map_err(db)?;
                // Dropping the transaction on a refusal rolls it back.
                postgres::check_fence(&mut tx, backend).await?;
                let result = {
                    let $conn: &mut PgConnection = &mut tx;
                    $body
                };
                finish(tx, result, db).await
            }
        }
    }};
}

/// How a fresh bulk load hands its batches to the store ([`Store::bulk_pipeline`]). Snapshot
/// batches carry no cursor, so the order they commit in does not matter; each still commits
/// whole.
#[cfg(feature = "sync")]
pub(crate) struct BulkPipeline {
    /// How many batches of one load may be handed over and not yet committed.
    pub(crate) depth: usize,
    /// One permit per batch in flight, shared by every register's bulk load (PostgreSQL).
    pub(crate) permits: Option<Arc<tokio::sync::Semaphore>>,
}

/// How many batches of one fresh bulk load PostgreSQL writes at once, each on its own
/// connection and backend process: with one, the backend parsing `COPY` data was the
/// bottleneck and the cores idled 40 % of the time (BENCHMARKS.md).
#[cfg(all(feature = "sync", feature = "postgres"))]
const POSTGRES_BULK_BATCHES_IN_FLIGHT: usize = 3;

/// How many batches of one fresh bulk load SQLite's writer thread may have handed to it: the
/// one it writes and the next, encoded ahead and waiting, so that the writer goes from one
/// commit straight to the next batch's inserts instead of waiting for the engine and the
/// encoder after each (BENCHMARKS.md).
#[cfg(all(feature = "sync", feature = "sqlite"))]
const SQLITE_BULK_BATCHES_QUEUED: usize = 2;

// Declared after the macros above, which it uses.
mod check_queries;

/// Commits on success, rolls back on failure.
#[cfg(feature = "postgres")]
async fn finish<DB: sqlx::Database, T>(
    tx: sqlx::Transaction<'_, DB>,
    result: Result<T, StoreError>,
    db: impl Fn(sqlx::Error) -> StoreError,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(db)?;
            Ok(value)
        }
        Err(error) => {
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

impl Store {
    /// Opens the mirror at `url` with default options; see [`open_with`](Self::open_with).
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// Opens the mirror in the default SQLite file ([`default_sqlite_path`]).
    pub async fn open_default() -> StoreResult<Self> {
        Self::open(&default_url()?).await
    }

    /// Opens the mirror at `url` (`sqlite://PATH`, `sqlite:PATH`, `postgres://…`,
    /// `postgresql://…`).
    ///
    /// SQLite: creates the file (mode 0600) and its directory (0700) if missing, and uses WAL,
    /// `synchronous=NORMAL`, a busy timeout and foreign keys. PostgreSQL: works in the
    /// connection's current schema. Both: run the embedded migrations, after refusing a
    /// database that is not grunndata's ([`StoreError::NotGrunndata`]) or is newer than this
    /// binary ([`StoreError::SchemaTooNew`]) — never overwriting it.
    pub async fn open_with(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        let (backend, audit) = match Location::parse(url)? {
            #[cfg(feature = "sqlite")]
            Location::Sqlite(path) => {
                let backend = if options.read_only {
                    sqlite::open_read_only(&path, options).await?
                } else {
                    sqlite::open(&path, options).await?
                };
                let audit_path = options
                    .audit_path
                    .clone()
                    .unwrap_or_else(|| default_audit_path(&path));
                let audit = audit_sink::AuditSink::sqlite(
                    audit_path,
                    options.busy_timeout,
                    backend.readers.clone(),
                );
                (Backend::Sqlite(backend), audit)
            }
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => {
                let backend = if options.read_only {
                    postgres::open_read_only(&url, options).await?
                } else {
                    postgres::open(&url, options).await?
                };
                let audit = audit_sink::AuditSink::postgres(&backend.options, &backend.location);
                (Backend::Postgres(Box::new(backend)), audit)
            }
            #[cfg(not(feature = "sqlite"))]
            Location::Sqlite(_) => {
                return Err(StoreError::BackendNotBuilt {
                    backend: "SQLite",
                    feature: "sqlite",
                });
            }
            #[cfg(not(feature = "postgres"))]
            Location::Postgres(_) => {
                return Err(StoreError::BackendNotBuilt {
                    backend: "PostgreSQL",
                    feature: "postgres",
                });
            }
        };
        let store = Self {
            backend,
            notifier: notify::Notifier::new(),
            audit: Arc::new(audit),
        };
        tracing::debug!(location = %store.location(), "opened mirror store");
        Ok(store)
    }

    /// Opens the existing mirror at `url` for reading only (see
    /// [`StoreOptions::read_only`]): for lookup nodes, which never create, lock or migrate a
    /// mirror. Audit rows are still written, to the audit log's own place.
    pub async fn open_read_only(url: &str) -> StoreResult<Self> {
        Self::open_with(
            url,
            &StoreOptions {
                read_only: true,
                ..StoreOptions::default()
            },
        )
        .await
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> BackendKind {
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => BackendKind::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Where the mirror is, for people: the SQLite path, or PostgreSQL host, port, database
    /// and schema (never a password).
    pub fn location(&self) -> String {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => backend.location(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => backend.location.clone(),
        }
    }

    /// Closes every connection (waiting for those in use to be returned).
    pub async fn close(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => {
                backend.readers.close();
                if let Some(writer) = &backend.writer {
                    writer.close().await;
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => backend.pool.close().await,
        }
        self.audit.close().await;
    }

    /// Takes the mirror's single-writer lock, or fails at once with
    /// [`StoreError::WriterBusy`] if another process holds it. Sync jobs hold it while they
    /// run; lookups never need it.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::unused_async, reason = "only PostgreSQL awaits here")
    )]
    pub async fn writer_lock(&self) -> StoreResult<WriterLock> {
        if self.is_read_only() {
            return Err(StoreError::ReadOnly {
                location: self.location(),
                operation: "taking the writer lock",
            });
        }
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => lock::sqlite(&backend.lock_path(), &backend.location()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => {
                let lock = lock::postgres(&backend.options, &backend.location).await?;
                backend
                    .fence
                    .store(lock.epoch, std::sync::atomic::Ordering::Release);
                Ok(lock)
            }
        }
    }

    // ----- writes -------------------------------------------------------------------------

    /// Applies a batch — changes, quarantine entries, sweep, cursor and snapshot — in one
    /// transaction. Re-applying the same batch changes nothing.
    ///
    /// Cancellation-safe: the transaction runs on its own task, so a caller that is dropped
    /// mid-batch (a deadline, Ctrl-C) leaves the batch to commit or roll back whole. Dropping
    /// the transaction itself half-way through a PostgreSQL `COPY` would hand a connection in
    /// an undefined protocol state back to the pool.
    pub async fn apply<R: MirrorRecord>(&self, batch: Batch<R>) -> StoreResult<BatchOutcome> {
        self.start_apply(batch).await
    }

    /// Starts applying `batch` at once, on its own task, and returns its outcome to await.
    pub(crate) fn start_apply<R: MirrorRecord>(
        &self,
        batch: Batch<R>,
    ) -> impl Future<Output = StoreResult<BatchOutcome>> + Send + 'static {
        self.start(batch, false)
    }

    /// [`start_apply`](Self::start_apply) for a batch of a fresh bulk load, which the engine
    /// keeps [`BulkPipeline::depth`] of in flight. On SQLite the batch is encoded on the
    /// blocking pool before its transaction goes to the writer thread, so that the writer
    /// never waits for the encoder; PostgreSQL encodes inside the transaction, a chunk ahead
    /// of each `COPY`.
    #[cfg(feature = "sync")]
    pub(crate) fn start_bulk_apply<R: MirrorRecord>(
        &self,
        batch: Batch<R>,
    ) -> impl Future<Output = StoreResult<BatchOutcome>> + Send + 'static {
        let encode_ahead = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => true,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => false,
        };
        self.start(batch, encode_ahead)
    }

    fn start<R: MirrorRecord>(
        &self,
        batch: Batch<R>,
        encode_ahead: bool,
    ) -> impl Future<Output = StoreResult<BatchOutcome>> + Send + 'static {
        let store = self.clone();
        let task =
            tokio::spawn(async move { store.apply_in_transaction(batch, encode_ahead).await });
        async move {
            task.await.map_err(|_| StoreError::Cancelled {
                operation: "applying a batch",
            })?
        }
    }

    /// How a fresh bulk load hands its batches over. PostgreSQL writes
    /// [`POSTGRES_BULK_BATCHES_IN_FLIGHT`] per load at once, each on a connection of its
    /// own, and the bulk batches of all registers together hold at most half the pool (one
    /// permit each), so that reads beside a bootstrap still find connections. SQLite's one
    /// writer thread takes every batch in turn: [`SQLITE_BULK_BATCHES_QUEUED`] per load,
    /// no permits (a queued batch holds no connection).
    #[cfg(feature = "sync")]
    pub(crate) fn bulk_pipeline(&self) -> BulkPipeline {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => BulkPipeline {
                depth: SQLITE_BULK_BATCHES_QUEUED,
                permits: None,
            },
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => BulkPipeline {
                depth: POSTGRES_BULK_BATCHES_IN_FLIGHT,
                permits: Some(Arc::clone(&backend.bulk_writers)),
            },
        }
    }

    async fn apply_in_transaction<R: MirrorRecord>(
        &self,
        batch: Batch<R>,
        encode_ahead: bool,
    ) -> StoreResult<BatchOutcome> {
        let register = R::REGISTER;
        // No keys (meaning "anything may have changed") when nobody listens, which spares a
        // bootstrap a string per record; after a sweep, which touches unnamed records; and for
        // a batch too large to name usefully: a cache's per-key slots would nearly all be hit
        // anyway, while every listener would hash every key on its next lookup (measured: a
        // re-snapshot's 2500-key notices put hundreds of microseconds on lookups beside it).
        // On PostgreSQL other processes' registries listen too (`pg_notify`), so keys are
        // named whether or not anyone in this process listens.
        let scope = self.notice_scope();
        let instance = self.notifier.instance();
        let keys: Vec<String> = if batch.sweep_not_fetched_since.is_some()
            || (scope.is_none() && !self.notifier.is_watched())
            || batch.changes.len() > notify::MAX_NAMED_KEYS
        {
            Vec::new()
        } else {
            batch
                .changes
                .iter()
                .map(|change| match change {
                    Change::Upsert(upsert) => upsert.record.key().to_string(),
                    Change::Delete(delete) => delete.key.to_string(),
                })
                .collect()
        };
        let keys: Arc<[String]> = keys.into();
        let planned = write::Planned::new(batch);
        let planned = if encode_ahead {
            write::joined(tokio::task::spawn_blocking(move || planned.encode_ahead()).await)?
        } else {
            planned
        };
        let notice_keys = Arc::clone(&keys);
        let notifier = self.notifier.clone();
        let (outcome, in_order) =
            in_transaction!(self, "applying a batch", Some(register), move |conn| {
                async {
                    let bulk = bulk::active(conn, register)
                        .await
                        .map_err(StoreError::db("applying a batch", Some(register)))?;
                    let outcome = write::apply(conn, planned, bulk).await?;
                    let in_order = notifier.hold_order(register).await;
                    if let Some(schema) = &scope
                        && outcome.changed_data()
                    {
                        let notice = CommitNotice {
                            register,
                            version: outcome.version,
                            keys: notice_keys,
                        };
                        exec::Exec::notify(
                            conn,
                            notify::CHANNEL,
                            &notify::encode(schema, instance, &notice),
                        )
                        .await
                        .map_err(StoreError::db("announcing a commit", Some(register)))?;
                    }
                    Ok((outcome, in_order))
                }
                .await
            })?;
        tracing::debug!(
            %register,
            inserted = outcome.inserted,
            changed = outcome.changed,
            refreshed = outcome.refreshed,
            deleted = outcome.deleted + outcome.purged + outcome.swept,
            quarantined = outcome.quarantined,
            version = outcome.version,
            "applied batch"
        );
        if outcome.changed_data() {
            self.notifier.send(CommitNotice {
                register,
                version: outcome.version,
                keys,
            });
        }
        drop(in_order);
        Ok(outcome)
    }

    /// Notices of every batch that changes data, committed through this store or any clone
    /// of it, in commit order.
    ///
    /// On PostgreSQL the first subscriber also starts listening for other processes' commits
    /// (`LISTEN`), which then arrive here too, shortly after they commit. On SQLite other
    /// processes' commits are not seen here: poll [`version`](Self::version) for those (the
    /// `Registry` does both).
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<CommitNotice> {
        let receiver = self.notifier.subscribe();
        #[cfg(feature = "postgres")]
        if let Backend::Postgres(backend) = &self.backend
            && !backend
                .listening
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            postgres::listen::spawn(
                backend.pool.clone(),
                backend.schema.clone(),
                self.notifier.instance(),
                self.notifier.clone(),
                std::sync::Arc::clone(&backend.listening),
            );
        }
        receiver
    }

    /// The schema named in cross-process commit notices: `Some` on PostgreSQL only.
    #[cfg_attr(
        not(all(feature = "sqlite", feature = "postgres")),
        allow(
            clippy::unnecessary_wraps,
            reason = "with one backend built, always `None` or always `Some`"
        )
    )]
    fn notice_scope(&self) -> Option<String> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => None,
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => Some(backend.schema.clone()),
        }
    }

    /// How many commit notices this store and its clones have sent. Every notice is in the
    /// channel before this count includes it, so a subscriber that last drained its receiver
    /// at count `n` and reads `n` again has nothing to receive — one atomic load instead of a
    /// lock on the channel, for caches that check before every lookup.
    pub fn commits_notified(&self) -> u64 {
        self.notifier.sent()
    }

    /// Starts a fresh bulk load of `register`: if its table is empty, drops the secondary
    /// indexes (recording them) so the bootstrap loads faster; resumes an interrupted one.
    /// Returns whether the register is in bulk mode. Call [`finish_bulk_load`] at the end.
    ///
    /// [`finish_bulk_load`]: Self::finish_bulk_load
    pub async fn begin_bulk_load(&self, register: Register) -> StoreResult<bool> {
        let list_indexes = self.list_indexes_sql();
        in_transaction!(self, "starting a bulk load", Some(register), move |conn| {
            bulk::begin(conn, register, list_indexes).await
        })
    }

    /// Rebuilds the indexes dropped by [`begin_bulk_load`](Self::begin_bulk_load) and
    /// refreshes planner statistics; returns how many indexes were rebuilt.
    pub async fn finish_bulk_load(&self, register: Register) -> StoreResult<u64> {
        let rebuilt =
            in_transaction!(self, "finishing a bulk load", Some(register), move |conn| {
                bulk::finish(conn, register).await
            })?;
        let analyze = match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => sqlite::ANALYZE,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => postgres::ANALYZE,
        };
        in_transaction!(
            self,
            "analysing after a bulk load",
            Some(register),
            move |conn| {
                for statement in analyze {
                    exec::Exec::execute(conn, statement, &[])
                        .await
                        .map_err(StoreError::db(
                            "analysing after a bulk load",
                            Some(register),
                        ))?;
                }
                Ok(())
            }
        )?;
        Ok(rebuilt)
    }

    fn list_indexes_sql(&self) -> &'static str {
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => sqlite::LIST_INDEXES,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => postgres::LIST_INDEXES,
        }
    }

    /// Sets the cursor of `register` outside a batch: an operator moving the feed position
    /// (`grunndata cursor set`), or `None` to make the next sync bootstrap afresh (a
    /// re-snapshot that survives a crash half-way: until its last batch there is no cursor to
    /// resume from, so a restart snapshots again). Hold the [`writer_lock`](Self::writer_lock).
    pub async fn set_cursor(&self, register: Register, cursor: Option<&str>) -> StoreResult<()> {
        let cursor = cursor.map(str::to_owned);
        in_transaction!(self, "setting the cursor", Some(register), move |conn| {
            sync_state::set_cursor(conn, register, cursor.as_deref())
                .await
                .map_err(StoreError::db("setting the cursor", Some(register)))
        })
    }

    /// Records that a sync run of `register` completed successfully at `at`.
    pub async fn record_success(&self, register: Register, at: DateTime<Utc>) -> StoreResult<()> {
        in_transaction!(
            self,
            "recording sync success",
            Some(register),
            move |conn| {
                sync_state::record_success(conn, register, at)
                    .await
                    .map_err(StoreError::db("recording sync success", Some(register)))
            }
        )
    }

    /// Records that a sync run of `register` failed at `at` with `message` (plain words; no
    /// NIN or secret).
    pub async fn record_error(
        &self,
        register: Register,
        at: DateTime<Utc>,
        message: &str,
    ) -> StoreResult<()> {
        let message = message.to_owned();
        in_transaction!(self, "recording sync error", Some(register), move |conn| {
            sync_state::record_error(conn, register, at, &message)
                .await
                .map_err(StoreError::db("recording sync error", Some(register)))
        })
    }

    // ----- reads by key, as of, history ---------------------------------------------------

    /// The current record with `key` (orgnr, HER-id, HPR number). Persons are read through
    /// the `Registry` (audited) or [`unaudited`](Self::unaudited).
    pub async fn get<R: PublicRecord>(&self, key: &R::Key) -> StoreResult<Option<Stored<R>>> {
        self.unaudited().get::<R>(key).await
    }

    /// The version of `key` that was current at `at`: the current record if it had begun by
    /// then, else the historic version whose interval `[valid_from, valid_to)` holds `at`.
    pub async fn get_as_of<R: PublicRecord>(
        &self,
        key: &R::Key,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Version<R>>> {
        self.unaudited().get_as_of::<R>(key, at).await
    }

    /// Every stored version of `key`, newest first.
    pub async fn versions<R: PublicRecord>(&self, key: &R::Key) -> StoreResult<Vec<Version<R>>> {
        self.unaudited().versions::<R>(key).await
    }

    /// Case-insensitive name search (æ, ø, å included): records in which every word of
    /// `query` starts a word of the name, ordered by name, at most `limit`.
    pub async fn search<R: PublicRecord>(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<Stored<R>>> {
        self.unaudited().search::<R>(query, limit).await
    }

    /// Reads of any record, Persontjenesten persons and their addresses included, with **no
    /// audit row and no address withholding**. This is the one way past the `Registry`'s
    /// privacy rules, named for what it is: for the `Registry` itself, for store tests and
    /// for tools that must see the raw mirror. Code that answers people uses the `Registry`.
    pub fn unaudited(&self) -> UnauditedReads<'_> {
        UnauditedReads { store: self }
    }

    async fn by_column<R: MirrorRecord>(
        &self,
        column: &'static str,
        value: Value,
        context: &(dyn Fn() -> String + Sync),
    ) -> StoreResult<Vec<Stored<R>>> {
        with_reader!(self, "reading records", Some(R::REGISTER), |conn| {
            read::by_column::<_, R>(conn, column, value, context).await
        })
    }

    // ----- reads by secondary identifiers -------------------------------------------------

    /// Brreg units whose parent (`overordnetEnhet`) is `parent`: the sub-units of a main unit
    /// and the organisasjonsledd under it.
    pub async fn organisation_children(
        &self,
        parent: &OrgNumber,
    ) -> StoreResult<Vec<Stored<Organisation>>> {
        let context = || format!("parent_org_number {parent}");
        self.by_column(
            "parent_org_number",
            Value::text(parent.to_string()),
            &context,
        )
        .await
    }

    /// The Brreg unit `orgnr` and its sub-units ([`organisation_children`]), read in one
    /// snapshot on SQLite (on PostgreSQL, two statements on one connection): the
    /// `Registry`'s organisation view.
    ///
    /// [`organisation_children`]: Self::organisation_children
    pub(crate) async fn organisation_with_children(
        &self,
        orgnr: &OrgNumber,
    ) -> StoreResult<(Option<Stored<Organisation>>, Vec<Stored<Organisation>>)> {
        self.with_children::<Organisation>(
            orgnr,
            "parent_org_number",
            Value::text(orgnr.to_string()),
        )
        .await
    }

    /// The AR party `her_id` and its children ([`party_children`]), read in one snapshot on
    /// SQLite (on PostgreSQL, two statements on one connection): the `Registry`'s party view.
    ///
    /// [`party_children`]: Self::party_children
    pub(crate) async fn party_with_children(
        &self,
        her_id: HerId,
    ) -> StoreResult<(
        Option<Stored<CommunicationParty>>,
        Vec<Stored<CommunicationParty>>,
    )> {
        self.with_children::<CommunicationParty>(
            &her_id,
            "parent_her_id",
            Value::Int(Some(i64::from(her_id.get()))),
        )
        .await
    }

    async fn with_children<R: MirrorRecord>(
        &self,
        key: &R::Key,
        parent_column: &'static str,
        parent: Value,
    ) -> StoreResult<(Option<Stored<R>>, Vec<Stored<R>>)> {
        with_reader!(
            self,
            "reading a record and its children",
            Some(R::REGISTER),
            |conn| read::get_with_children::<_, R>(conn, key, parent_column, parent).await
        )
    }

    /// AR parties whose own organisation number is `org_number`.
    pub async fn parties_by_org_number(
        &self,
        org_number: &OrgNumber,
    ) -> StoreResult<Vec<Stored<CommunicationParty>>> {
        let context = || format!("org_number {org_number}");
        self.by_column("org_number", Value::text(org_number.to_string()), &context)
            .await
    }

    /// AR parties (persons and services) under the organisation `parent` — one level of the
    /// AR tree.
    pub async fn party_children(
        &self,
        parent: HerId,
    ) -> StoreResult<Vec<Stored<CommunicationParty>>> {
        let context = || format!("parent_her_id {parent}");
        self.by_column(
            "parent_her_id",
            Value::Int(Some(i64::from(parent.get()))),
            &context,
        )
        .await
    }

    /// AR person parties with HPR number `hpr_number`.
    pub async fn parties_by_hpr_number(
        &self,
        hpr_number: HprNumber,
    ) -> StoreResult<Vec<Stored<CommunicationParty>>> {
        let context = || format!("hpr_number {hpr_number}");
        self.by_column(
            "hpr_number",
            Value::Int(Some(i64::from(hpr_number.get()))),
            &context,
        )
        .await
    }

    /// AR parties with EDI address `edi_address` (exact).
    pub async fn parties_by_edi_address(
        &self,
        edi_address: &str,
    ) -> StoreResult<Vec<Stored<CommunicationParty>>> {
        let context = || "edi_address".to_owned();
        self.by_column("edi_address", Value::text(edi_address), &context)
            .await
    }

    /// HPR personnel registered with `nin`.
    pub async fn personnel_by_nin(
        &self,
        nin: &NationalId,
    ) -> StoreResult<Vec<Stored<HealthPersonnel>>> {
        let context = || "nin".to_owned();
        self.by_column("nin", Value::text(nin.expose()), &context)
            .await
    }

    // ----- register status ----------------------------------------------------------------

    /// Record, deleted, history and quarantine counts of `register`.
    pub async fn counts(&self, register: Register) -> StoreResult<RegisterCounts> {
        with_reader!(self, "counting records", Some(register), |conn| {
            read::counts(conn, register, Utc::now()).await
        })
    }

    /// The content digest of `register`: equal on any two mirrors (SQLite or PostgreSQL)
    /// holding the same current records. Reads every record digest, so it takes a moment on
    /// a national register.
    pub async fn digest(&self, register: Register) -> StoreResult<RegisterDigest> {
        with_reader!(self, "computing the digest", Some(register), |conn| {
            read::digest(conn, register).await
        })
    }

    /// The sync state of `register`.
    pub async fn sync_state(&self, register: Register) -> StoreResult<SyncState> {
        with_reader!(self, "reading sync state", Some(register), |conn| {
            sync_state::get(conn, register).await
        })
    }

    /// The sync state of every register, in [`Register::ALL`] order.
    pub async fn sync_states(&self) -> StoreResult<Vec<SyncState>> {
        with_reader!(self, "reading sync state", None, |conn| {
            sync_state::all(conn).await
        })
    }

    /// The change marker of `register`: bumped in every batch that changed data. Cheap enough
    /// to poll for cache invalidation.
    pub async fn version(&self, register: Register) -> StoreResult<i64> {
        with_reader!(self, "reading the version", Some(register), |conn| {
            sync_state::version(conn, register)
                .await
                .map_err(StoreError::db("reading the version", Some(register)))
        })
    }

    // ----- tracked persons ----------------------------------------------------------------

    /// Starts tracking `nin`; returns `false` if it was already tracked.
    pub async fn track_person(&self, nin: &NationalId, note: Option<&str>) -> StoreResult<bool> {
        let at = Utc::now();
        let (nin, note) = (*nin, note.map(str::to_owned));
        in_transaction!(
            self,
            "tracking a person",
            Some(Register::Preg),
            move |conn| {
                tracked::track(conn, &nin, note.as_deref(), at)
                    .await
                    .map_err(StoreError::db("tracking a person", Some(Register::Preg)))
            }
        )
    }

    /// Stops tracking `nin` and purges every person left without a tracked NIN (current
    /// record, history and identifiers).
    pub async fn untrack_person(&self, nin: &NationalId) -> StoreResult<UntrackOutcome> {
        let nin = *nin;
        let outcome = in_transaction!(
            self,
            "untracking a person",
            Some(Register::Preg),
            move |conn| {
                tracked::untrack(conn, &nin)
                    .await
                    .map_err(StoreError::db("untracking a person", Some(Register::Preg)))
            }
        )?;
        if outcome.persons_purged > 0 {
            let version = self.version(Register::Preg).await?;
            self.notifier.send(CommitNotice {
                register: Register::Preg,
                version,
                keys: Vec::new().into(),
            });
        }
        Ok(outcome)
    }

    /// Whether `nin` is tracked.
    pub async fn is_tracked(&self, nin: &NationalId) -> StoreResult<bool> {
        with_reader!(
            self,
            "reading tracked persons",
            Some(Register::Preg),
            |conn| {
                tracked::is_tracked(conn, nin).await.map_err(StoreError::db(
                    "reading tracked persons",
                    Some(Register::Preg),
                ))
            }
        )
    }

    /// Every tracked NIN, oldest first, with the person id once fetched.
    pub async fn tracked_persons(&self) -> StoreResult<Vec<TrackedPerson>> {
        with_reader!(
            self,
            "listing tracked persons",
            Some(Register::Preg),
            |conn| tracked::list(conn).await
        )
    }

    // ----- audit and quarantine -----------------------------------------------------------

    /// Appends a lookup to the audit log; returns its id. There is no way to change or remove
    /// an entry. The audit log has its own path to its database, so this never waits for a
    /// sync batch (see `audit_sink.rs`); it works on a read-only store too.
    pub async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<i64> {
        self.audit.append(entry).await
    }

    /// Audit entries matching `query`, newest first.
    pub async fn audit_log(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        self.audit.list(query).await
    }

    /// Removes the audit entries older than `before` — the audit retention
    /// (`[store] audit_retention`, applied by `grunndata sync` after each run; default: keep
    /// everything). Returns how many were removed. Nothing else can remove or change an entry.
    pub async fn prune_audit(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.audit.prune(before).await
    }

    /// Where the audit log is, for people: its own SQLite file, or the PostgreSQL table.
    pub fn audit_location(&self) -> String {
        self.audit.location()
    }

    /// Whether this store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(backend) => backend.writer.is_none(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(backend) => backend.read_only,
        }
    }

    /// The newest `limit` quarantine entries, of `register` or of all registers.
    pub async fn quarantine(
        &self,
        register: Option<Register>,
        limit: u32,
    ) -> StoreResult<Vec<QuarantineRecord>> {
        with_reader!(self, "listing quarantine", register, |conn| {
            quarantine::list(conn, register, limit).await
        })
    }
}

/// Reads without audit or address withholding ([`Store::unaudited`]).
#[derive(Debug, Clone, Copy)]
pub struct UnauditedReads<'a> {
    store: &'a Store,
}

impl UnauditedReads<'_> {
    /// The current record with `key` (orgnr, HER-id, HPR number, person id).
    pub async fn get<R: MirrorRecord>(&self, key: &R::Key) -> StoreResult<Option<Stored<R>>> {
        with_reader!(self.store, "reading a record", Some(R::REGISTER), |conn| {
            read::get::<_, R>(conn, key).await
        })
    }

    /// The version of `key` that was current at `at` (see [`Store::get_as_of`]).
    pub async fn get_as_of<R: MirrorRecord>(
        &self,
        key: &R::Key,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Version<R>>> {
        with_reader!(self.store, "reading a version", Some(R::REGISTER), |conn| {
            read::as_of::<_, R>(conn, key, at).await
        })
    }

    /// Every stored version of `key`, newest first.
    pub async fn versions<R: MirrorRecord>(&self, key: &R::Key) -> StoreResult<Vec<Version<R>>> {
        with_reader!(self.store, "reading history", Some(R::REGISTER), |conn| {
            read::versions::<_, R>(conn, key).await
        })
    }

    /// Name search (see [`Store::search`]).
    pub async fn search<R: MirrorRecord>(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<Stored<R>>> {
        with_reader!(self.store, "searching names", Some(R::REGISTER), |conn| {
            read::search::<_, R>(conn, query, limit).await
        })
    }

    /// Tracked persons who hold or have held `nin`.
    pub async fn persons_by_nin(&self, nin: &NationalId) -> StoreResult<Vec<Stored<Person>>> {
        let context = || "nin".to_owned();
        with_reader!(
            self.store,
            "reading records",
            Some(Register::Preg),
            |conn| {
                read::select::<_, Person>(
                    conn,
                    "person_id IN (SELECT person_id FROM preg_identifier WHERE nin = $1)",
                    &[Value::text(nin.expose())],
                    &context,
                )
                .await
            }
        )
    }
}

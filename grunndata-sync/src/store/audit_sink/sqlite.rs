//! The SQLite audit file, written through rusqlite on the caller's thread.
//!
//! An audit row is one `INSERT` into a WAL file that nothing else writes for long: done where
//! the lookup runs it takes tens of microseconds. Through sqlx's SQLite driver every statement
//! is handed to a worker thread and back, and while a sync keeps both cores busy each hand-over
//! waits for a time slice: the benchmark measured audited lookups' p99 at 3.5–5.4× idle that
//! way (BENCHMARKS.md). So the row is written inline, and only when another process holds the
//! file's write lock does the wait move to a blocking thread, never stalling the async runtime.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension as _, params_from_iter};
use tokio::sync::OnceCell;

use super::super::audit::{AuditEntry, AuditQuery, AuditRecord};
use super::super::exec::Exec as _;
use super::super::sqlite::{Checkpointer, ConnectOptions, ReaderPool, suffixed};
use super::super::value::{Kind, Value};
use super::super::{Register, StoreError};

/// `PRAGMA application_id` of a grunndata audit file: `GRNA` in ASCII.
const APPLICATION_ID: i64 = 0x4752_4E41;

/// The audit file's schema (version 1): the mirror's `audit_log`, append-only.
const SCHEMA: &str = "
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    purpose  TEXT NOT NULL,
    register TEXT,
    subject  TEXT NOT NULL,
    result   TEXT NOT NULL
) STRICT;
CREATE INDEX ix_audit_at ON audit_log (at);
CREATE INDEX ix_audit_subject ON audit_log (subject);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
";

/// The trigger that refuses deletes (lifted only inside a retention prune).
const NO_DELETE_TRIGGER: &str = "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END";

/// The append. Not `RETURNING id`: a statement that returns a row is reset after its first
/// step, and SQLite runs its automatic WAL checkpoint only when a statement steps to its end —
/// appended that way, the audit file's WAL grew without bound (24 GB in a minute of audited
/// lookups). The id is the connection's last insert rowid instead.
const INSERT: &str = "INSERT INTO audit_log (at, actor, purpose, register, subject, result) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// WAL size from which an append asks for a checkpoint beside the lookups: 4 MiB, SQLite's
/// own default, so the WAL and its memory-mapped index stay small.
const CHECKPOINT_THRESHOLD: u64 = 4 << 20;

/// How often (in appends) the WAL's size is looked at: a `stat` per lookup would cost more
/// than the look saves. 64 appends are about 1 MiB of WAL.
const CHECKPOINT_EVERY: u64 = 64;

/// SQLite's automatic checkpoint (pages of 4 KiB), the backstop should the one beside the
/// lookups fall behind: 64 MiB. Below that an append never copies the WAL into the file and
/// syncs it itself — which, under a sync's disk load, took milliseconds on the lookup's path.
const BACKSTOP_PAGES: &str = "16384";

/// Instants as fixed-width RFC 3339 text (microseconds, `Z`), so that text order is time order.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The audit file, opened on first use.
#[derive(Debug)]
pub(crate) struct SqliteAudit {
    path: PathBuf,
    busy_timeout: Duration,
    /// The mirror's readers, to take over the rows of an older mirror's `audit_log`.
    mirror: Arc<ReaderPool>,
    conn: OnceCell<Arc<Mutex<Connection>>>,
    /// Checkpoints the WAL on a blocking thread, off the lookups' path.
    checkpointer: Arc<Checkpointer>,
    appends: AtomicU64,
}

impl SqliteAudit {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration, mirror: Arc<ReaderPool>) -> Self {
        let checkpointer = Checkpointer::new(
            path.clone(),
            suffixed(&path, "-wal"),
            CHECKPOINT_THRESHOLD,
            ConnectOptions {
                read_only: false,
                immutable: false,
                busy_timeout,
                pragmas: vec![("synchronous", "NORMAL")],
            },
        );
        Self {
            path,
            busy_timeout,
            mirror,
            conn: OnceCell::new(),
            checkpointer: Arc::new(checkpointer),
            appends: AtomicU64::new(0),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry`; returns its id.
    pub(crate) async fn append(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let conn = self.conn().await?;
        let row = (
            instant(entry.at),
            entry.actor.clone(),
            entry.purpose.clone(),
            entry.register.map(Register::as_str),
            entry.subject.clone(),
            entry.result.clone(),
        );
        let insert = move |conn: &Connection| {
            conn.prepare_cached(INSERT)?
                .execute((&row.0, &row.1, &row.2, row.3, &row.4, &row.5))?;
            // The connection is behind a mutex held for this closure: the rowid is this row's.
            Ok(conn.last_insert_rowid())
        };
        let id = self
            .run(conn, "appending to the audit log", entry.register, insert)
            .await?;
        if self
            .appends
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(CHECKPOINT_EVERY)
        {
            self.checkpointer.after_commit();
        }
        Ok(id)
    }

    /// Closes the checkpoint connection (the audit connection closes with the last clone of
    /// the store).
    pub(crate) fn close(&self) {
        self.checkpointer.close();
    }

    /// The entries matching `query`, newest first.
    pub(crate) async fn list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.conn().await?;
        let mut conditions = Vec::new();
        let mut args: Vec<String> = Vec::new();
        let mut condition = |column: &str, op: &str, value: String| {
            args.push(value);
            conditions.push(format!("{column} {op} ?{}", args.len() + 1));
        };
        if let Some(since) = query.since {
            condition("at", ">=", instant(since));
        }
        if let Some(until) = query.until {
            condition("at", "<", instant(until));
        }
        if let Some(actor) = &query.actor {
            condition("actor", "=", actor.clone());
        }
        if let Some(subject) = &query.subject {
            condition("subject", "=", subject.clone());
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT id, at, actor, purpose, register, subject, result FROM audit_log {filter} \
             ORDER BY id DESC LIMIT ?1"
        );
        let limit = i64::from(query.limit);
        let read = move |conn: &Connection| -> rusqlite::Result<Vec<AuditRecord>> {
            let mut statement = conn.prepare_cached(&sql)?;
            let values = std::iter::once(rusqlite::types::Value::Integer(limit))
                .chain(args.iter().cloned().map(rusqlite::types::Value::Text));
            let rows = statement.query_map(params_from_iter(values), |row| {
                let at: String = row.get(1)?;
                let register: Option<String> = row.get(4)?;
                Ok(AuditRecord {
                    id: row.get(0)?,
                    entry: AuditEntry {
                        at: DateTime::parse_from_rfc3339(&at)
                            .map(|at| at.with_timezone(&Utc))
                            .map_err(|error| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    1,
                                    rusqlite::types::Type::Text,
                                    Box::new(error),
                                )
                            })?,
                        actor: row.get(2)?,
                        purpose: row.get(3)?,
                        register: register.and_then(|name| name.parse().ok()),
                        subject: row.get(5)?,
                        result: row.get(6)?,
                    },
                })
            })?;
            rows.collect()
        };
        self.run(conn, "reading the audit log", None, read).await
    }

    /// Removes the entries older than `before`, lifting the append-only rule for this one
    /// transaction.
    pub(crate) async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let conn = self.conn().await?;
        let before = instant(before);
        let prune = move |conn: &Connection| -> rusqlite::Result<u64> {
            conn.execute_batch("BEGIN IMMEDIATE; DROP TRIGGER audit_log_no_delete;")?;
            let removed = conn
                .execute("DELETE FROM audit_log WHERE at < ?1", [&before])
                .and_then(|removed| conn.execute_batch(NO_DELETE_TRIGGER).map(|()| removed));
            match removed {
                Ok(removed) => {
                    conn.execute_batch("COMMIT")?;
                    Ok(removed as u64)
                }
                Err(error) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(error)
                }
            }
        };
        self.run(conn, "pruning the audit log", None, prune).await
    }

    /// Runs `work` on the connection: on this thread when the file is free, else — another
    /// process holds its write lock — on a blocking thread that waits up to the busy timeout.
    async fn run<T: Send + 'static>(
        &self,
        conn: Arc<Mutex<Connection>>,
        operation: &'static str,
        register: Option<Register>,
        work: impl Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let first = work(&lock(&conn));
        match first {
            Err(error) if is_busy(&error) => {}
            other => {
                return other.map_err(|source| failed(operation, register, &self.path, source));
            }
        }
        let timeout = self.busy_timeout;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let guard = lock(&conn);
            let result = guard.busy_timeout(timeout).and_then(|()| work(&guard));
            let _ = guard.busy_timeout(Duration::ZERO);
            result.map_err(|source| failed(operation, register, &path, source))
        })
        .await
        .map_err(|_| StoreError::Cancelled { operation })?
    }

    /// The connection, opening the file (creating it, and taking over an older mirror's rows)
    /// on first use.
    async fn conn(&self) -> Result<Arc<Mutex<Connection>>, StoreError> {
        self.conn
            .get_or_try_init(|| async {
                let legacy = legacy_rows(&self.mirror).await?;
                let path = self.path.clone();
                let timeout = self.busy_timeout;
                tokio::task::spawn_blocking(move || open(&path, timeout, &legacy))
                    .await
                    .map_err(|_| StoreError::Cancelled {
                        operation: "opening the audit log",
                    })?
                    .map(|conn| Arc::new(Mutex::new(conn)))
            })
            .await
            .cloned()
    }
}

/// The connection; one that a panicking holder left behind is still whole (every use is one
/// statement or one transaction that SQLite finishes or rolls back), so poisoning is ignored.
fn lock(conn: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    conn.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn failed(
    operation: &'static str,
    register: Option<Register>,
    path: &Path,
    source: rusqlite::Error,
) -> StoreError {
    StoreError::AuditFile {
        operation,
        register,
        path: path.to_owned(),
        source,
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    error
        .sqlite_error_code()
        .is_some_and(|code| matches!(code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// A row of an older mirror's own `audit_log`, to take over.
struct LegacyRow {
    id: i64,
    at: DateTime<Utc>,
    texts: [Option<String>; 5],
}

/// The rows an older mirror kept in its own `audit_log` (read once, when the audit file is
/// first opened; a mirror made since has none).
async fn legacy_rows(mirror: &ReaderPool) -> Result<Vec<LegacyRow>, StoreError> {
    let db = StoreError::db("reading the mirror's older audit rows", None);
    let mut conn = mirror.acquire().map_err(db)?;
    let kinds = [
        Kind::Int,
        Kind::Timestamp,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
    ];
    let rows = (*conn)
        .fetch(
            "SELECT id, at, actor, purpose, register, subject, result FROM audit_log \
             ORDER BY id",
            &[],
            &kinds,
        )
        .await
        .map_err(db)?;
    rows.into_iter()
        .map(|mut row| match (row.int(0), row.value(1)) {
            (Some(id), Value::Timestamp(Some(at))) => Ok(LegacyRow {
                id,
                at,
                texts: [
                    row.text(2),
                    row.text(3),
                    row.text(4),
                    row.text(5),
                    row.text(6),
                ],
            }),
            _ => Err(StoreError::Corrupt {
                table: "audit_log",
                reason: "a row without id or time".to_owned(),
            }),
        })
        .collect()
}

/// Opens (creating) the audit file: WAL, `synchronous=NORMAL` like the mirror, and the schema
/// created once under the file's write lock, with `legacy` rows taken over.
fn open(
    path: &Path,
    busy_timeout: Duration,
    legacy: &[LegacyRow],
) -> Result<Connection, StoreError> {
    super::super::location::prepare_sqlite_file(path)?;
    let failed = |source| failed("opening the audit log", None, path, source);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(busy_timeout).map_err(failed)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(failed)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(failed)?;
    conn.pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)
        .map_err(failed)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
    let prepared = prepare_schema(&conn, path, legacy);
    let finish = if prepared.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    conn.execute_batch(finish).map_err(failed)?;
    prepared?;
    // Writes try once without waiting; a busy file moves them to a blocking thread.
    conn.busy_timeout(Duration::ZERO).map_err(failed)?;
    Ok(conn)
}

fn prepare_schema(conn: &Connection, path: &Path, legacy: &[LegacyRow]) -> Result<(), StoreError> {
    let failed = |source| failed("preparing the audit log", None, path, source);
    let pragma = |name: &str| -> rusqlite::Result<i64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .optional()
            .map(Option::unwrap_or_default)
    };
    let application_id = pragma("application_id").map_err(failed)?;
    let version = pragma("user_version").map_err(failed)?;
    match (application_id, version) {
        (APPLICATION_ID, 1) => return Ok(()),
        (0, 0) => {}
        _ => {
            return Err(StoreError::NotGrunndata {
                location: path.display().to_string(),
                reason: format!(
                    "not a grunndata audit log (application_id {application_id:#x}, version \\
                     {version})"
                ),
            });
        }
    }
    conn.execute_batch(SCHEMA).map_err(failed)?;
    conn.execute_batch(NO_DELETE_TRIGGER).map_err(failed)?;
    let mut insert = conn
        .prepare(
            "INSERT INTO audit_log (id, at, actor, purpose, register, subject, result) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(failed)?;
    for row in legacy {
        let [actor, purpose, register, subject, result] = &row.texts;
        insert
            .execute((
                row.id,
                instant(row.at),
                actor,
                purpose,
                register,
                subject,
                result,
            ))
            .map_err(failed)?;
    }
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    ))
    .map_err(failed)
}

//! Where the audit log is written: apart from the mirror's writer, so that an audited lookup
//! never waits for a sync batch.
//!
//! Every personal-data lookup appends its row before the answer is given (and withholds the
//! answer if that fails). On SQLite the mirror has one writer connection that a sync holds for
//! each batch — a whole bootstrap, batch after batch — so the audit log lives in a file of its
//! own beside the mirror (`grunndata-audit.db` next to `grunndata.db`, or
//! [`StoreOptions::audit_path`](super::StoreOptions::audit_path)), with its own write lock. It
//! is created on first use, by whoever audits first (a lookup node of a read-only mirror
//! included), and takes over the rows an older mirror kept in its own `audit_log` table. On
//! PostgreSQL the table stays in the mirror's schema (row inserts do not conflict with a sync's
//! writes) but has a small pool of its own, so a sync holding the mirror's connections never
//! delays it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
#[cfg(feature = "sqlite")]
use tokio::sync::OnceCell;

use super::audit::{self, AuditEntry, AuditQuery, AuditRecord};
use super::exec::Exec;
#[cfg(feature = "sqlite")]
use super::exec::fetch_optional;
#[cfg(feature = "sqlite")]
use super::value::Kind;
use super::value::Value;
use super::{Register, StoreError};

/// `PRAGMA application_id` of a grunndata audit file: `GRNA` in ASCII.
#[cfg(feature = "sqlite")]
const AUDIT_APPLICATION_ID: i64 = 0x4752_4E41;

/// The audit file's schema (version 1): the mirror's `audit_log`, append-only.
#[cfg(feature = "sqlite")]
const AUDIT_SCHEMA: &[&str] = &[
    "CREATE TABLE audit_log (\
        id       INTEGER PRIMARY KEY AUTOINCREMENT,\
        at       TEXT NOT NULL,\
        actor    TEXT NOT NULL,\
        purpose  TEXT NOT NULL,\
        register TEXT,\
        subject  TEXT NOT NULL,\
        result   TEXT NOT NULL\
     ) STRICT",
    "CREATE INDEX ix_audit_at ON audit_log (at)",
    "CREATE INDEX ix_audit_subject ON audit_log (subject)",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    NO_DELETE_TRIGGER,
];

/// The trigger that refuses deletes (lifted only inside a retention prune).
#[cfg(feature = "sqlite")]
const NO_DELETE_TRIGGER: &str = "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END";

/// The columns copied from an older mirror's own `audit_log`.
#[cfg(feature = "sqlite")]
const COLUMNS: &str = "id, at, actor, purpose, register, subject, result";

/// The default audit file of the mirror at `mirror`: `grunndata-audit.db` beside
/// `grunndata.db`.
pub fn default_audit_path(mirror: &Path) -> PathBuf {
    let stem = mirror
        .file_stem()
        .map_or_else(|| "grunndata".into(), |stem| stem.to_string_lossy());
    mirror.with_file_name(format!("{stem}-audit.db"))
}

/// The audit log's own path to its database.
#[derive(Debug)]
pub(crate) enum AuditSink {
    /// A file of its own, opened on first use.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteAudit),
    /// The mirror's `audit_log` table through a pool of its own.
    #[cfg(feature = "postgres")]
    Postgres { pool: PgPool, location: String },
}

/// The SQLite audit file, opened on first use.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
pub(crate) struct SqliteAudit {
    path: PathBuf,
    busy_timeout: Duration,
    /// The mirror's readers, to take over the rows of an older mirror's `audit_log`.
    mirror: SqlitePool,
    pool: OnceCell<SqlitePool>,
}

#[cfg(feature = "sqlite")]
impl SqliteAudit {
    /// The audit file's pool, creating the file (and taking over an older mirror's rows) on
    /// first use.
    async fn pool(&self) -> Result<&SqlitePool, StoreError> {
        self.pool
            .get_or_try_init(|| open_sqlite(&self.path, self.busy_timeout, &self.mirror))
            .await
    }
}

impl AuditSink {
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite(path: PathBuf, busy_timeout: Duration, mirror: SqlitePool) -> Self {
        Self::Sqlite(SqliteAudit {
            path,
            busy_timeout,
            mirror,
            pool: OnceCell::new(),
        })
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(options: &PgConnectOptions, location: &str) -> Self {
        Self::Postgres {
            pool: PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(30))
                .connect_lazy_with(options.clone()),
            location: location.to_owned(),
        }
    }

    /// Where the audit log is, for people.
    pub(crate) fn location(&self) -> String {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => audit.path.display().to_string(),
            #[cfg(feature = "postgres")]
            Self::Postgres { location, .. } => format!("{location}, table audit_log"),
        }
    }

    /// Appends `entry`; returns its id.
    pub(crate) async fn append(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => {
                let mut conn = audit
                    .pool()
                    .await?
                    .acquire()
                    .await
                    .map_err(db(entry.register))?;
                audit::append(&mut *conn, entry).await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let mut conn = pool.acquire().await.map_err(db(entry.register))?;
                audit::append(&mut *conn, entry).await
            }
        }
    }

    /// The entries matching `query`, newest first.
    pub(crate) async fn list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => {
                let mut conn = audit.pool().await?.acquire().await.map_err(db(None))?;
                audit::list(&mut *conn, query).await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let mut conn = pool.acquire().await.map_err(db(None))?;
                audit::list(&mut *conn, query).await
            }
        }
    }

    /// Removes the entries older than `before` (the audit retention); returns how many. The
    /// append-only rule is lifted for this one transaction and nothing else.
    pub(crate) async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let db = StoreError::db("pruning the audit log", None);
        let delete = "DELETE FROM audit_log WHERE at < $1";
        let args = [Value::timestamp(before)];
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => {
                let mut tx = audit
                    .pool()
                    .await?
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(&db)?;
                let conn: &mut sqlx::SqliteConnection = &mut tx;
                conn.execute("DROP TRIGGER audit_log_no_delete", &[])
                    .await
                    .map_err(&db)?;
                let removed = conn.execute(delete, &args).await.map_err(&db)?;
                conn.execute(NO_DELETE_TRIGGER, &[]).await.map_err(&db)?;
                tx.commit().await.map_err(&db)?;
                Ok(removed)
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let mut tx = pool.begin().await.map_err(&db)?;
                let conn: &mut sqlx::PgConnection = &mut tx;
                conn.execute("SET LOCAL grunndata.audit_retention = 'prune'", &[])
                    .await
                    .map_err(&db)?;
                let removed = conn.execute(delete, &args).await.map_err(&db)?;
                tx.commit().await.map_err(&db)?;
                Ok(removed)
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => {
                if let Some(pool) = audit.pool.get() {
                    pool.close().await;
                }
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => pool.close().await,
        }
    }
}

fn db(register: Option<Register>) -> impl Fn(sqlx::Error) -> StoreError {
    StoreError::db("appending to the audit log", register)
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(
    path: &Path,
    busy_timeout: Duration,
    mirror: &SqlitePool,
) -> Result<SqlitePool, StoreError> {
    let location = path.display().to_string();
    super::location::prepare_sqlite_file(path)?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(busy_timeout);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .acquire_timeout(busy_timeout)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Connect {
            location: location.clone(),
            source,
        })?;
    let prepared = prepare_schema(&pool, mirror, &location).await;
    if let Err(error) = prepared {
        pool.close().await;
        return Err(error);
    }
    Ok(pool)
}

/// Creates the schema of a new audit file (once, under its write lock, so two processes
/// starting together do it once) and copies over an older mirror's audit rows.
#[cfg(feature = "sqlite")]
async fn prepare_schema(
    pool: &SqlitePool,
    mirror: &SqlitePool,
    location: &str,
) -> Result<(), StoreError> {
    let db = StoreError::db("preparing the audit log", None);
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(&db)?;
    let conn: &mut sqlx::SqliteConnection = &mut tx;
    let read_int = async |conn: &mut sqlx::SqliteConnection, sql: &str| {
        fetch_optional(conn, sql, &[], &[Kind::Int])
            .await
            .map(|row| row.and_then(|mut row| row.int(0)).unwrap_or(0))
    };
    let application_id = read_int(conn, "PRAGMA application_id").await.map_err(&db)?;
    let version = read_int(conn, "PRAGMA user_version").await.map_err(&db)?;
    match (application_id, version) {
        (AUDIT_APPLICATION_ID, 1) => return Ok(()),
        (0, 0) => {}
        _ => {
            return Err(StoreError::NotGrunndata {
                location: location.to_owned(),
                reason: format!(
                    "not a grunndata audit log (application_id {application_id:#x}, version \\
                     {version})"
                ),
            });
        }
    }
    for statement in AUDIT_SCHEMA {
        conn.execute(statement, &[]).await.map_err(&db)?;
    }
    conn.execute(
        &format!("PRAGMA application_id = {AUDIT_APPLICATION_ID}"),
        &[],
    )
    .await
    .map_err(&db)?;
    conn.execute("PRAGMA user_version = 1", &[])
        .await
        .map_err(&db)?;
    take_over_mirror_rows(conn, mirror).await?;
    tx.commit().await.map_err(&db)
}

/// Copies the rows an older mirror kept in its own `audit_log` (its ids kept), so that
/// `grunndata audit` shows the whole history from the new file.
#[cfg(feature = "sqlite")]
async fn take_over_mirror_rows(
    conn: &mut sqlx::SqliteConnection,
    mirror: &SqlitePool,
) -> Result<(), StoreError> {
    let db = StoreError::db("taking over the mirror's audit rows", None);
    let mut source = mirror.acquire().await.map_err(&db)?;
    let kinds = [
        Kind::Int,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
    ];
    let rows = (*source)
        .fetch(
            &format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"),
            &[],
            &kinds,
        )
        .await
        .map_err(&db)?;
    let insert = format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    for mut row in rows {
        let values: Vec<Value> = (0..kinds.len()).map(|index| row.value(index)).collect();
        conn.execute(&insert, &values).await.map_err(&db)?;
    }
    Ok(())
}

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

#[cfg(feature = "sqlite")]
use super::sqlite::ReaderPool;
use chrono::{DateTime, Utc};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

#[cfg(feature = "postgres")]
use super::DatabaseError;
use super::StoreError;
#[cfg(feature = "postgres")]
use super::audit;
use super::audit::{AuditEntry, AuditQuery, AuditRecord};
#[cfg(feature = "postgres")]
use super::exec::Exec as _;
#[cfg(feature = "postgres")]
use super::value::Value;
#[cfg(feature = "sqlite")]
use sqlite::SqliteAudit;

#[cfg(feature = "sqlite")]
mod sqlite;

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

impl AuditSink {
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite(
        path: PathBuf,
        busy_timeout: Duration,
        mirror: std::sync::Arc<ReaderPool>,
    ) -> Self {
        Self::Sqlite(SqliteAudit::new(path, busy_timeout, mirror))
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
            Self::Sqlite(audit) => audit.path().display().to_string(),
            #[cfg(feature = "postgres")]
            Self::Postgres { location, .. } => format!("{location}, table audit_log"),
        }
    }

    /// Appends `entry`; returns its id.
    pub(crate) async fn append(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => audit.append(entry).await,
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let db = StoreError::db("appending to the audit log", entry.register);
                let mut conn = pool.acquire().await.map_err(db)?;
                audit::append(&mut *conn, entry).await
            }
        }
    }

    /// The entries matching `query`, newest first.
    pub(crate) async fn list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => audit.list(query).await,
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let db = StoreError::db("reading the audit log", None);
                let mut conn = pool.acquire().await.map_err(db)?;
                audit::list(&mut *conn, query).await
            }
        }
    }

    /// Removes the entries older than `before` (the audit retention); returns how many. The
    /// append-only rule is lifted for this one transaction and nothing else.
    pub(crate) async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => audit.prune(before).await,
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => {
                let db = StoreError::db::<DatabaseError>("pruning the audit log", None);
                let mut tx = pool.begin().await.map_err(|error| db(error.into()))?;
                let conn: &mut sqlx::PgConnection = &mut tx;
                conn.execute("SET LOCAL grunndata.audit_retention = 'prune'", &[])
                    .await
                    .map_err(&db)?;
                let removed = conn
                    .execute(
                        "DELETE FROM audit_log WHERE at < $1",
                        &[Value::timestamp(before)],
                    )
                    .await
                    .map_err(&db)?;
                tx.commit().await.map_err(|error| db(error.into()))?;
                Ok(removed)
            }
        }
    }

    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::unused_async, reason = "only PostgreSQL awaits here")
    )]
    pub(crate) async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(audit) => audit.close(),
            #[cfg(feature = "postgres")]
            Self::Postgres { pool, .. } => pool.close().await,
        }
    }
}

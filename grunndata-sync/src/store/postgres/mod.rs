//! The PostgreSQL backend: one pool, everything in the connection's current schema.
//!
//! Several application nodes may share one mirror; readers never block the writer (MVCC), and
//! the single-writer rule is a session advisory lock (see [`WriterLock`](super::WriterLock)).

mod copy_text;
pub(crate) mod listen;
mod upsert;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, PgConnection};

use super::exec::{Exec, fetch_optional};
use super::value::Kind;
use super::versions::{applied_versions, check_versions, migrate_error, require_versions};
use super::{StoreError, StoreOptions};

/// How long a read-only store waits for a connection before a lookup fails.
const READ_ONLY_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The embedded PostgreSQL migrations.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// An open PostgreSQL mirror.
#[derive(Clone)]
pub(crate) struct PgBackend {
    pub(crate) pool: PgPool,
    pub(crate) options: PgConnectOptions,
    /// `PostgreSQL host:port/database` — never the password.
    pub(crate) location: String,
    /// Opened read-only: writes are refused before they reach the database.
    pub(crate) read_only: bool,
    /// The schema the mirror lives in: names the mirror in cross-process commit notices.
    pub(crate) schema: String,
    /// Whether this store LISTENs for other processes' commit notices (started by the first
    /// subscriber).
    pub(crate) listening: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The writer-lock epoch this store writes under (`0`: it took no lock, writes unfenced).
    pub(crate) fence: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// Permits for batches of fresh bulk loads writing at once, across registers: half the
    /// pool, so that reads (a `serve` beside the sync) always find a connection.
    #[cfg(feature = "sync")]
    pub(crate) bulk_writers: std::sync::Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for PgBackend {
    /// Only the location: the connect options would print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Opens the mirror at `url`, creating or migrating its tables in the current schema.
pub(crate) async fn open(url: &str, options: &StoreOptions) -> Result<PgBackend, StoreError> {
    let (connect_options, location) = connect_options(url)?;
    let mut conn = connect_once(&connect_options, &location).await?;
    let schema = match inspect(&mut conn, &location).await {
        Ok(schema) => schema,
        Err(error) => {
            let _ = conn.close().await;
            return Err(error);
        }
    };
    let location = format!("{location} (schema {schema})");
    let migrated = MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|error| migrate_error(error, &location));
    let _ = conn.close().await;
    migrated?;
    Ok(backend(connect_options, location, schema, options, false))
}

/// Opens the mirror at `url` for reading only: no migration, and the schema must be exactly
/// the one this binary reads. Works with a role that may only read the mirror (and insert
/// audit rows).
pub(crate) async fn open_read_only(
    url: &str,
    options: &StoreOptions,
) -> Result<PgBackend, StoreError> {
    let (connect_options, location) = connect_options(url)?;
    let mut conn = connect_once(&connect_options, &location).await?;
    let checked = require_current_schema(&mut conn, &location).await;
    let _ = conn.close().await;
    let schema = checked?;
    let location = format!("{location} (schema {schema})");
    Ok(backend(connect_options, location, schema, options, true))
}

/// One direct connection first: a wrong host or port fails at once with the driver's own
/// error (a pool would keep retrying a refused connection until its timeout).
async fn connect_once(
    connect_options: &PgConnectOptions,
    location: &str,
) -> Result<PgConnection, StoreError> {
    PgConnection::connect_with(connect_options)
        .await
        .map_err(StoreError::connect(location))
}

/// The backend over a lazily connecting pool.
fn backend(
    connect_options: PgConnectOptions,
    location: String,
    schema: String,
    options: &StoreOptions,
    read_only: bool,
) -> PgBackend {
    // A lookup node answers people: while the database is away it should say so within a
    // request's time, not wait a minute (the pool retries a refused connect until then). A
    // sync node may wait out a restart.
    let acquire_timeout = if read_only {
        READ_ONLY_ACQUIRE_TIMEOUT
    } else {
        Duration::from_mins(1)
    };
    let pool_size = options.max_connections.max(2);
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(acquire_timeout)
        .connect_lazy_with(connect_options.clone());
    PgBackend {
        pool,
        options: connect_options,
        location,
        read_only,
        schema,
        listening: std::sync::Arc::default(),
        fence: std::sync::Arc::default(),
        #[cfg(feature = "sync")]
        bulk_writers: std::sync::Arc::new(tokio::sync::Semaphore::new(pool_size as usize / 2)),
    }
}

/// The connect options of `url` and the mirror's location for people (never a password).
fn connect_options(url: &str) -> Result<(PgConnectOptions, String), StoreError> {
    let connect_options =
        PgConnectOptions::from_str(url).map_err(|error| StoreError::InvalidUrl {
            reason: error.to_string(),
        })?;
    // `application_name` from the URL names a node in `pg_stat_activity` (one per node of an
    // active/standby pair, say); without it, "grunndata".
    let connect_options = if connect_options.get_application_name().is_some() {
        connect_options
    } else {
        connect_options.application_name("grunndata")
    };
    let location = format!(
        "PostgreSQL {}:{}/{}",
        connect_options.get_host(),
        connect_options.get_port(),
        connect_options
            .get_database()
            .unwrap_or("(default database)")
    );
    Ok((connect_options, location))
}

/// Checks that the current schema is grunndata's at exactly this binary's version; returns
/// the schema's name.
async fn require_current_schema(
    conn: &mut PgConnection,
    location: &str,
) -> Result<String, StoreError> {
    let db = StoreError::db("inspecting the database", None);
    let schema = fetch_optional(conn, "SELECT current_schema()::text", &[], &[Kind::Text])
        .await
        .map_err(&db)?
        .and_then(|mut row| row.text(0))
        .unwrap_or_default();
    let application = fetch_optional(
        conn,
        "SELECT value FROM grunndata_meta WHERE key = 'application'",
        &[],
        &[Kind::Text],
    )
    .await
    .ok()
    .flatten()
    .and_then(|mut row| row.text(0));
    if application.as_deref() != Some("grunndata") {
        return Err(StoreError::Missing {
            location: format!("{location} (schema {schema})"),
        });
    }
    let applied = applied_versions(conn).await.map_err(&db)?;
    require_versions(&applied, &MIGRATOR, location)?;
    Ok(schema)
}

/// Checks that the current schema is empty or grunndata's, and not newer than this binary.
/// Returns the schema's name.
async fn inspect(conn: &mut PgConnection, location: &str) -> Result<String, StoreError> {
    let db = StoreError::db("inspecting the database", None);
    let not_ours = |reason: &str| StoreError::NotGrunndata {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    let schema = fetch_optional(conn, "SELECT current_schema()::text", &[], &[Kind::Text])
        .await
        .map_err(db)?
        .and_then(|mut row| row.text(0))
        .ok_or_else(|| {
            not_ours("no schema to work in: the search_path names no existing schema")
        })?;
    let tables: Vec<String> = conn
        .fetch(
            "SELECT c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
            &[],
            &[Kind::Text],
        )
        .await
        .map_err(db)?
        .into_iter()
        .filter_map(|mut row| row.text(0))
        .collect();
    let has = |name: &str| tables.iter().any(|table| table == name);
    let applied = if has("_sqlx_migrations") {
        applied_versions(conn).await.map_err(db)?
    } else {
        Vec::new()
    };
    if has("grunndata_meta") {
        let application = fetch_optional(
            conn,
            "SELECT value FROM grunndata_meta WHERE key = 'application'",
            &[],
            &[Kind::Text],
        )
        .await
        .map_err(db)?
        .and_then(|mut row| row.text(0));
        if application.as_deref() != Some("grunndata") {
            return Err(not_ours("grunndata_meta does not name grunndata"));
        }
        check_versions(&applied, &MIGRATOR, location)?;
        return Ok(schema);
    }
    let fresh =
        tables.is_empty() || (tables.len() == 1 && has("_sqlx_migrations") && applied.is_empty());
    if fresh {
        Ok(schema)
    } else {
        Err(not_ours(&format!(
            "schema {schema} holds tables of another application"
        )))
    }
}

/// Lists the droppable secondary indexes (`ix_*`) of tables with their definitions.
pub(crate) const LIST_INDEXES: &str = "SELECT indexname::text, indexdef FROM pg_indexes \
     WHERE schemaname = current_schema() AND indexname LIKE 'ix\\_%' ESCAPE '\\' \
     AND tablename IN ";

/// Refreshes the planner's statistics after a bulk load.
pub(crate) const ANALYZE: &[&str] = &["ANALYZE"];

/// Refuses to write when this store holds the writer lock under an epoch that has moved on
/// (another node took over: see [`WriterLock`](super::WriterLock)). Reads the epoch `FOR
/// SHARE`, so a takeover waits for this transaction to end.
pub(crate) async fn check_fence(
    conn: &mut PgConnection,
    backend: &PgBackend,
) -> Result<(), StoreError> {
    let mine = backend.fence.load(std::sync::atomic::Ordering::Acquire);
    if mine == 0 {
        return Ok(());
    }
    let current = fetch_optional(
        conn,
        "SELECT epoch FROM writer_fence FOR SHARE",
        &[],
        &[Kind::Int],
    )
    .await
    .map_err(StoreError::db("checking the writer fence", None))?
    .and_then(|mut row| row.int(0));
    if current == Some(mine) {
        Ok(())
    } else {
        Err(StoreError::WriterLost {
            location: backend.location.clone(),
        })
    }
}

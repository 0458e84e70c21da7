//! The SQLite backend: one writer connection and a pool of readers on a WAL-mode file.
//!
//! WAL lets readers keep reading the last committed state while the sync writer holds its
//! transaction, so lookups are never blocked by a sync. `synchronous=NORMAL` is durable across
//! application crashes; a power loss may lose the transactions since the last checkpoint (about
//! 64 MiB of WAL, 256 MiB at most: `checkpoint.rs`), never corrupt the file, and since every batch
//! commits with its cursor, the next sync fetches what was lost again. A busy timeout makes a
//! second writer process wait instead of failing at once.

mod checkpoint;
mod conn;
mod upsert;
mod writer;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, SqliteConnection};

pub(crate) use checkpoint::Checkpointer;
pub(crate) use conn::{ConnectOptions, ReaderPool, SqliteConn};
pub(crate) use writer::Writer;

use super::exec::{Exec as _, fetch_optional};
use super::value::Kind;
use super::versions::{applied_versions, check_versions, migrate_error, require_versions};
use super::{DatabaseError, StoreError, StoreOptions};

/// `PRAGMA application_id` of a grunndata database: `GRND` in ASCII.
pub(crate) const APPLICATION_ID: i64 = 0x4752_4E44;

/// The embedded SQLite migrations.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// An open SQLite mirror.
#[derive(Debug, Clone)]
pub(crate) struct SqliteBackend {
    pub(crate) path: PathBuf,
    /// The thread every write transaction of this process runs on, with the one writer
    /// connection and the WAL checkpoints beside it (`writer.rs`). `None` when opened
    /// read-only.
    pub(crate) writer: Option<Arc<Writer>>,
    /// Read-only (`query_only`) connections for lookups.
    pub(crate) readers: Arc<ReaderPool>,
}

impl SqliteBackend {
    pub(crate) fn location(&self) -> String {
        self.path.display().to_string()
    }

    /// The lock file next to the database (`<file>.lock`).
    pub(crate) fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock")
    }
}

/// `path` with `suffix` appended to its file name (`-wal`, `.lock`, …).
pub(crate) fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Pragmas of the writer connection.
const WRITER_PRAGMAS: [(&str, &str); 4] = [
    ("synchronous", "NORMAL"),
    // Temporary B-trees (the sort of an index build after a bulk load) spill to files, not
    // memory: in memory they grow with the register, and a national Brreg index build alone
    // took the process past its 256 MiB budget.
    ("temp_store", "FILE"),
    // 32 MiB of page cache for the writer: twice that bought no measurable speed in bulk or
    // incremental writes and cost as much again in peak RSS.
    ("cache_size", "-32768"),
    // Checkpoints run beside the writer once the WAL holds 64 MiB (`checkpoint.rs`), not in
    // the commit at SQLite's default 4 MiB: every batch commits on its own, and at 4 MiB
    // nearly every commit of a feed page copied its scattered pages into the database file
    // and synced it (incremental apply 12.5 k → 19 k changes/s, BENCHMARKS.md). SQLite's own
    // checkpoint stays as the backstop, at 256 MiB.
    ("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES),
];

/// Opens (creating if needed) the mirror at `path`.
pub(crate) async fn open(path: &Path, options: &StoreOptions) -> Result<SqliteBackend, StoreError> {
    let location = path.display().to_string();
    super::location::prepare_sqlite_file(path)?;
    // Held until the schema is checked and migrated; released when this function returns.
    let _opening = super::lock::sqlite_blocking(&suffixed(path, ".open.lock")).await?;
    check_header(path, &location)?;
    let connect = StoreError::connect(&location);

    let base = ConnectOptions {
        read_only: false,
        immutable: false,
        busy_timeout: options.busy_timeout,
        pragmas: Vec::new(),
    };
    // Inspect before changing anything: no journal-mode switch, no migration, on a file that
    // turns out not to be ours.
    let mut probe = SqliteConn::open(path, &base).map_err(&connect)?;
    inspect(&mut probe, &location).await?;
    drop(probe);

    // The migrations are sqlx's (one migration folder per backend, as on PostgreSQL): run
    // them on an sqlx connection that also switches the file to WAL, then close it.
    let migrating = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let mut migrator = SqliteConnection::connect_with(&migrating)
        .await
        .map_err(|error| connect(error.into()))?;
    let migrated = MIGRATOR
        .run(&mut migrator)
        .await
        .map_err(|error| migrate_error(error, &location));
    let _ = migrator.close().await;
    migrated?;

    let mut writer = SqliteConn::open(
        path,
        &ConnectOptions {
            pragmas: WRITER_PRAGMAS.to_vec(),
            ..base.clone()
        },
    )
    .map_err(&connect)?;
    // A mirror analysed by an earlier version may still hold per-value statistics. Best
    // effort: if another process holds the write lock now, the next bulk load drops them.
    if let Err(error) = writer.positional(DROP_VALUE_STATISTICS, &[]) {
        tracing::debug!(%error, "cannot drop sqlite_stat4 yet");
    }
    let readers = ReaderPool::new(
        path,
        ConnectOptions {
            pragmas: vec![("synchronous", "NORMAL"), ("query_only", "ON")],
            ..base.clone()
        },
        options.max_connections as usize,
    )
    .map_err(&connect)?;
    let checkpointer = Checkpointer::new(
        path.to_owned(),
        suffixed(path, "-wal"),
        checkpoint::THRESHOLD,
        ConnectOptions {
            pragmas: vec![("synchronous", "NORMAL")],
            ..base
        },
    );
    let writer = Writer::start(writer, checkpointer).map_err(|source| StoreError::Connect {
        location: location.clone(),
        source: DatabaseError::Thread(source),
    })?;
    Ok(SqliteBackend {
        path: path.to_owned(),
        writer: Some(Arc::new(writer)),
        readers: Arc::new(readers),
    })
}

/// Opens the existing mirror at `path` for reading only: no file is created, no lock taken, no
/// migration run, and the connections are read-only (`SQLITE_OPEN_READONLY`), so a read-only
/// file or directory is enough. The schema must be the one this binary reads.
pub(crate) async fn open_read_only(
    path: &Path,
    options: &StoreOptions,
) -> Result<SqliteBackend, StoreError> {
    let location = path.display().to_string();
    if !path.is_file() {
        return Err(StoreError::Missing { location });
    }
    check_header(path, &location)?;
    let base = ConnectOptions {
        read_only: true,
        immutable: false,
        busy_timeout: options.busy_timeout,
        pragmas: Vec::new(),
    };
    // A WAL-mode file needs its -shm index to be read; where this process cannot create it
    // (a directory it cannot write) and no writer has it open (no -wal/-shm), nothing can be
    // changing the file, so it is read as immutable.
    let mut immutable = false;
    let checked = match probe_schema(path, &base, &location).await {
        Err(StoreError::Database { .. } | StoreError::Connect { .. }) if !wal_files_exist(path) => {
            immutable = true;
            probe_schema(
                path,
                &ConnectOptions {
                    immutable: true,
                    ..base.clone()
                },
                &location,
            )
            .await
        }
        other => other,
    };
    checked?;
    let readers = ReaderPool::new(
        path,
        ConnectOptions { immutable, ..base },
        options.max_connections as usize,
    )
    .map_err(StoreError::connect(&location))?;
    Ok(SqliteBackend {
        path: path.to_owned(),
        writer: None,
        readers: Arc::new(readers),
    })
}

/// Connects once with `options` and checks the schema (see [`require_current_schema`]).
async fn probe_schema(
    path: &Path,
    options: &ConnectOptions,
    location: &str,
) -> Result<(), StoreError> {
    let mut probe = SqliteConn::open(path, options).map_err(StoreError::connect(location))?;
    require_current_schema(&mut probe, location).await
}

/// Whether the mirror's `-wal` or `-shm` file exists (a writer has it open, or left it).
fn wal_files_exist(path: &Path) -> bool {
    suffixed(path, "-wal").exists() || suffixed(path, "-shm").exists()
}

/// Refuses a file that is not grunndata's, or whose schema is older or newer than this binary
/// reads (a read-only open never migrates).
async fn require_current_schema(conn: &mut SqliteConn, location: &str) -> Result<(), StoreError> {
    let db = StoreError::db("inspecting the database", None);
    let application_id = fetch_optional(conn, "PRAGMA application_id", &[], &[Kind::Int])
        .await
        .map_err(db)?
        .and_then(|mut row| row.int(0))
        .unwrap_or(0);
    if application_id != APPLICATION_ID {
        return Err(StoreError::NotGrunndata {
            location: location.to_owned(),
            reason: format!("application_id {application_id:#x}, not a grunndata mirror"),
        });
    }
    let applied = applied_versions(conn)
        .await
        .map_err(StoreError::db("inspecting the database", None))?;
    require_versions(&applied, &MIGRATOR, location)
}

/// Refuses a non-empty file that is not an SQLite database at all.
fn check_header(path: &Path, location: &str) -> Result<(), StoreError> {
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut header))
        .map_err(|source| StoreError::Create {
            what: "database file",
            path: path.to_owned(),
            source,
        })?;
    if read == 0 || (read == 16 && &header == b"SQLite format 3\0") {
        Ok(())
    } else {
        Err(StoreError::NotGrunndata {
            location: location.to_owned(),
            reason: "not an SQLite database".to_owned(),
        })
    }
}

/// Checks the application id, the tables and the schema version of an existing file.
async fn inspect(conn: &mut SqliteConn, location: &str) -> Result<(), StoreError> {
    let db = StoreError::db("inspecting the database", None);
    let not_ours = |reason: String| StoreError::NotGrunndata {
        location: location.to_owned(),
        reason,
    };
    let application_id = fetch_optional(conn, "PRAGMA application_id", &[], &[Kind::Int])
        .await
        .map_err(db)?
        .and_then(|mut row| row.int(0))
        .unwrap_or(0);
    let objects: Vec<String> = conn
        .fetch(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            &[],
            &[Kind::Text],
        )
        .await
        .map_err(db)?
        .into_iter()
        .filter_map(|mut row| row.text(0))
        .collect();
    let has_migrations = objects.iter().any(|name| name == "_sqlx_migrations");
    match application_id {
        APPLICATION_ID => {}
        0 if objects.is_empty() => return Ok(()),
        // A first open that died between sqlx creating its table and our first migration.
        0 if objects.len() == 1 && has_migrations => {
            if applied_versions(conn).await.map_err(db)?.is_empty() {
                return Ok(());
            }
            return Err(not_ours(
                "an SQLite database of another application (sqlx migrations, no grunndata marker)"
                    .to_owned(),
            ));
        }
        0 => {
            return Err(not_ours(
                "an SQLite database of another application (tables, no grunndata marker)"
                    .to_owned(),
            ));
        }
        other => {
            return Err(not_ours(format!(
                "an SQLite database with application_id {other:#x}"
            )));
        }
    }
    if has_migrations {
        let applied = applied_versions(conn).await.map_err(db)?;
        check_versions(&applied, &MIGRATOR, location)?;
    }
    Ok(())
}

/// Lists the droppable secondary indexes (`ix_*`) of `tables` with their definitions.
pub(crate) const LIST_INDEXES: &str = "SELECT name, sql FROM sqlite_master \
     WHERE type = 'index' AND sql IS NOT NULL AND name LIKE 'ix\\_%' ESCAPE '\\' \
     AND tbl_name IN ";

/// Refreshes the planner's statistics after a bulk load: `ANALYZE`, then its per-value
/// samples dropped again ([`DROP_VALUE_STATISTICS`]).
pub(crate) const ANALYZE: &[&str] = &["ANALYZE", DROP_VALUE_STATISTICS];

/// Drops `sqlite_stat4`, the per-value samples `ANALYZE` writes (the bundled SQLite is built
/// with `SQLITE_ENABLE_STAT4`). While they exist, every statement whose plan a bound value
/// could change — children by their parent, any lookup by an indexed column — is compiled
/// again at its first step after each new binding: a party view's three statements took
/// 15.1 µs with them and 11.1 µs without, the registry's view 20.8 and 12.4 µs
/// (BENCHMARKS.md, issue 17's eighth part). The per-index averages in `sqlite_stat1` stay and
/// give the planner what our statements need: equality on a key or a parent.
pub(crate) const DROP_VALUE_STATISTICS: &str = "DROP TABLE IF EXISTS sqlite_stat4";

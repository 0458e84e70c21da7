//! The store's error type.
//!
//! Policy: every failure of the mirror store is a [`StoreError`]. Each variant names the
//! operation that failed and where (the database, the register, the record key), so one line
//! in a log or on a terminal says what went wrong. Callers react by kind:
//!
//! - [`NotGrunndata`](StoreError::NotGrunndata), [`SchemaTooNew`](StoreError::SchemaTooNew),
//!   [`InvalidUrl`](StoreError::InvalidUrl), [`NoDataDir`](StoreError::NoDataDir): a
//!   configuration problem; retrying will not help, tell the admin.
//! - [`WriterBusy`](StoreError::WriterBusy): another sync process holds the writer lock; wait or
//!   stand by (failover). [`WriterLost`](StoreError::WriterLost): this process held it, and
//!   another node has taken over; stand by again.
//! - [`Database`](StoreError::Database), [`Connect`](StoreError::Connect): usually transient
//!   (network, lock timeout); a batch that failed left nothing behind and may be retried.
//! - [`Decode`](StoreError::Decode): a stored record no longer reads as the current model — a
//!   bug or a missing migration.
//!
//! No message ever contains a national identity number: person keys in messages are the opaque
//! Persontjenesten id, and lookups by NIN name only the kind of key.

use std::path::PathBuf;

use super::Register;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL could not be understood. The URL itself is not repeated, since a
    /// PostgreSQL URL may hold a password.
    #[error("invalid database URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },

    /// No default location for the SQLite file: neither `XDG_DATA_HOME` nor `HOME` is set.
    #[error(
        "no default database location: set XDG_DATA_HOME or HOME, or give a database URL (--db / GRUNNDATA_DB)"
    )]
    NoDataDir,

    /// Creating the database file or its directory failed.
    #[error("cannot create {what} {}", path.display())]
    Create {
        /// `"directory"` or `"database file"`.
        what: &'static str,
        /// The path that could not be created.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The target exists but is not a grunndata database; it is left untouched.
    #[error("{location} is not a grunndata database ({reason}); refusing to touch it")]
    NotGrunndata {
        /// The file path or PostgreSQL database/schema.
        location: String,
        /// What gave it away.
        reason: String,
    },

    /// The database was migrated by a newer grunndata; this binary cannot use it safely.
    #[error(
        "{location} has schema version {found}, newer than this grunndata supports ({supported}); upgrade grunndata"
    )]
    SchemaTooNew {
        /// The file path or PostgreSQL database/schema.
        location: String,
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this binary knows.
        supported: i64,
    },

    /// Connecting to the database failed.
    #[error("cannot connect to {location}")]
    Connect {
        /// The file path or PostgreSQL host/database (never the password).
        location: String,
        /// The driver error.
        #[source]
        source: DatabaseError,
    },

    /// Applying the embedded schema migrations failed.
    #[error("migrating {location} failed")]
    Migrate {
        /// The file path or PostgreSQL database/schema.
        location: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A statement failed.
    #[error("{operation}{} failed", register_suffix(*register))]
    Database {
        /// What the store was doing (`"applying a batch"`, `"reading sync state"`, …).
        operation: &'static str,
        /// The register concerned, if any.
        register: Option<Register>,
        /// The driver error.
        #[source]
        source: DatabaseError,
    },

    /// A record could not be serialised to canonical JSON.
    #[error("encoding {register} record {key} failed")]
    Encode {
        /// The register.
        register: Register,
        /// The record's key (never a NIN).
        key: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },

    /// A stored record could not be read back into the model.
    #[error("decoding stored {register} record ({context}) failed")]
    Decode {
        /// The register.
        register: Register,
        /// Which lookup (`"org_number 974760673"`, `"nin"` — never the NIN itself).
        context: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },

    /// A stored value has an unexpected shape (a NIN that no longer parses, a missing column).
    #[error("corrupt stored value in {table}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong (never the value itself).
        reason: String,
    },

    /// The URL names a database this build was compiled without.
    #[error("this build of grunndata has no {backend} support (cargo feature `{feature}`)")]
    BackendNotBuilt {
        /// `SQLite` or `PostgreSQL`.
        backend: &'static str,
        /// The cargo feature that adds it.
        feature: &'static str,
    },

    /// Writing or reading the SQLite audit file failed.
    #[cfg(feature = "sqlite")]
    #[error("{operation}{} failed ({})", register_suffix(*register), path.display())]
    AuditFile {
        /// What was being done.
        operation: &'static str,
        /// The register of the lookup being audited, if one.
        register: Option<Register>,
        /// The audit file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

    /// A read-only open found no mirror: it never creates one.
    #[error("no mirror at {location}: `grunndata sync` creates and fills it")]
    Missing {
        /// The file path.
        location: String,
    },

    /// The mirror was opened read-only and something tried to write it.
    #[error("{operation}: the mirror at {location} is open read-only (the sync job is its writer)")]
    ReadOnly {
        /// The file path or PostgreSQL database/schema.
        location: String,
        /// What was tried.
        operation: &'static str,
    },

    /// A read-only open found a schema older than this binary reads; only the sync job
    /// migrates.
    #[error(
        "the mirror at {location} has schema version {found}, this binary reads version \
         {supported}: run `grunndata sync` with this version to migrate it"
    )]
    SchemaTooOld {
        /// The file path or PostgreSQL database/schema.
        location: String,
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this binary knows.
        supported: i64,
    },

    /// Another process holds the writer lock of this mirror.
    #[error("another process is already writing to {location} (writer lock held)")]
    WriterBusy {
        /// The file path or PostgreSQL database/schema.
        location: String,
    },

    /// This process held the writer lock but another node has taken it over since (its lock
    /// session ended: the node was cut off or stalled). Nothing was written; stand by again.
    #[error("lost the writer lock of {location}: another sync node has taken over")]
    WriterLost {
        /// The PostgreSQL database/schema.
        location: String,
    },

    /// Taking the SQLite writer lock file failed for another reason than contention.
    #[error("cannot lock {}", path.display())]
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Work was cancelled because the async runtime is shutting down.
    #[error("{operation} was cancelled: the runtime is shutting down")]
    Cancelled {
        /// What was being done.
        operation: &'static str,
    },

    /// An argument was out of range (an empty search, a limit of zero, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

fn register_suffix(register: Option<Register>) -> String {
    register.map_or_else(String::new, |register| format!(" ({register})"))
}

impl StoreError {
    /// A [`StoreError::Database`] for `operation`, optionally on `register`.
    pub(crate) fn db<E: Into<DatabaseError>>(
        operation: &'static str,
        register: Option<Register>,
    ) -> impl Fn(E) -> Self + Copy {
        move |source| Self::Database {
            operation,
            register,
            source: source.into(),
        }
    }

    /// A [`StoreError::Connect`] to `location`.
    pub(crate) fn connect<E: Into<DatabaseError>>(location: &str) -> impl Fn(E) -> Self + '_ {
        move |source| Self::Connect {
            location: location.to_owned(),
            source: source.into(),
        }
    }
}

/// The driver's error behind a [`StoreError::Database`] or [`StoreError::Connect`]: sqlx for
/// PostgreSQL (and the SQLite migrations), rusqlite for SQLite's statements.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// An sqlx error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A rusqlite (SQLite) error.
    #[cfg(feature = "sqlite")]
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A value could not be encoded for or decoded from a column.
    #[error("column value: {0}")]
    Value(String),
    /// The store was closed ([`Store::close`](super::Store::close)).
    #[error("the store is closed")]
    Closed,
    /// The SQLite writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    Thread(std::io::Error),
}

/// Shorthand for results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

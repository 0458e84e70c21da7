//! Why a sync could not run or a register failed.

use crate::config::ConfigError;
use crate::source::SourceError;
use crate::store::{Register, StoreError};

/// What stopped a sync run or one register's part of it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An upstream request failed after the client's retries.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The mirror could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration does not allow building a client.
    #[error("{register}: {message}")]
    Config {
        /// The register whose client could not be built.
        register: Register,
        /// What is missing or wrong.
        message: String,
    },
    /// The configuration file or environment could not be read.
    #[error(transparent)]
    ConfigFile(#[from] ConfigError),
    /// The run's deadline passed before the register caught up; committed batches stay.
    #[error("{register}: deadline of {deadline} passed before the register caught up")]
    Deadline {
        /// The register.
        register: Register,
        /// The deadline, for people (`1h`).
        deadline: String,
    },
    /// The operator asked for something this register's upstream cannot do.
    #[error("{register}: {message}")]
    Unsupported {
        /// The register.
        register: Register,
        /// What is not supported, and what to do instead.
        message: String,
    },
    /// A snapshot brought too few records to remove what it did not bring: nothing was
    /// removed and the cursor was not moved (see `shrink.rs`).
    #[error(
        "{register}: the snapshot brought {fetched} records where {expected}; nothing was \
         removed and the cursor is unchanged (if the register really shrank: grunndata sync \
         --resnapshot --accept-shrink --source {register})"
    )]
    SnapshotShort {
        /// The register.
        register: Register,
        /// Records the snapshot delivered.
        fetched: u64,
        /// What was expected, in words ("upstream announced 1000", "the mirror holds 1000
        /// and the floor is 90 %").
        expected: String,
    },
    /// A worker task ended abnormally (a bug).
    #[error("{register}: sync task failed: {message}")]
    Task {
        /// The register.
        register: Register,
        /// The panic or cancellation, in words.
        message: String,
    },
}

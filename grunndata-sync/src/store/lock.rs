//! The single-writer lock of a mirror.
//!
//! Only one sync process may write a mirror at a time. On SQLite that is an exclusive lock on
//! `<database>.lock` (released by the kernel when the process dies, so a `kill -9` never leaves
//! a stale lock); on PostgreSQL a session advisory lock keyed by database and schema, held on a
//! dedicated connection (released when the connection closes, including when the node dies).
//! A standby sync node simply retries [`Store::writer_lock`](super::Store::writer_lock).
//!
//! On PostgreSQL the lock is also *fenced*: taking it bumps `writer_fence.epoch`, and every
//! write transaction of the holder first reads the epoch `FOR SHARE` and fails with
//! [`StoreError::WriterLost`] when it moved. A node whose lock session ended without its
//! noticing (a network cut) thus never writes beside the node that took over: the new holder's
//! bump waits for the old node's open transaction, and the old node's next one is refused.

#[cfg(feature = "sqlite")]
use std::fs::{File, OpenOptions, TryLockError};
#[cfg(feature = "sqlite")]
use std::path::Path;

#[cfg(feature = "postgres")]
use sha2::{Digest as _, Sha256};
#[cfg(feature = "postgres")]
use sqlx::postgres::PgConnectOptions;
#[cfg(feature = "postgres")]
use sqlx::{Connection as _, PgConnection};

use super::StoreError;
#[cfg(feature = "postgres")]
use super::exec::{Exec, fetch_optional};
#[cfg(feature = "postgres")]
use super::value::{Kind, Value};

/// Proof that this process is the mirror's only writer; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    inner: Held,
    /// The fencing epoch this holder writes under (PostgreSQL), `0` where none.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(dead_code, reason = "only PostgreSQL fences")
    )]
    pub(crate) epoch: i64,
}

enum Held {
    #[cfg(feature = "sqlite")]
    File(#[allow(dead_code, reason = "held for its lock")] File),
    #[cfg(feature = "postgres")]
    Postgres(PgConnection),
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "sqlite")]
            Self::File(_) => f.write_str("LockFile"),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => f.write_str("AdvisoryLock"),
        }
    }
}

impl WriterLock {
    /// Whether the lock is still held: on PostgreSQL, whether its session still answers (a
    /// node that finds it gone should stand by again; its writes are refused anyway). A file
    /// lock cannot be lost while the process lives.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::unused_async, reason = "only PostgreSQL awaits here")
    )]
    pub async fn is_held(&mut self) -> bool {
        match &mut self.inner {
            #[cfg(feature = "sqlite")]
            Held::File(_) => true,
            // A session cut off without a reset would hang a ping until TCP gives up.
            #[cfg(feature = "postgres")]
            Held::Postgres(conn) => matches!(
                tokio::time::timeout(std::time::Duration::from_secs(10), conn.ping()).await,
                Ok(Ok(()))
            ),
        }
    }

    /// Releases the lock now (dropping it does the same; this also closes the PostgreSQL
    /// connection cleanly).
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::unused_async, reason = "only PostgreSQL awaits here")
    )]
    pub async fn release(self) {
        match self.inner {
            #[cfg(feature = "sqlite")]
            Held::File(file) => drop(file),
            #[cfg(feature = "postgres")]
            Held::Postgres(conn) => {
                let _ = conn.close().await;
            }
        }
    }
}

/// Opens (creating, private to the user) a file used only for its lock.
#[cfg(feature = "sqlite")]
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    super::location::private_file(&mut options);
    options.open(path)
}

#[cfg(feature = "sqlite")]
pub(crate) fn sqlite(path: &Path, location: &str) -> Result<WriterLock, StoreError> {
    let lock_error = |source| StoreError::LockFile {
        path: path.to_owned(),
        source,
    };
    let file = open_lock_file(path).map_err(lock_error)?;
    match file.try_lock() {
        Ok(()) => Ok(WriterLock {
            inner: Held::File(file),
            epoch: 0,
        }),
        Err(TryLockError::WouldBlock) => Err(StoreError::WriterBusy {
            location: location.to_owned(),
        }),
        Err(TryLockError::Error(source)) => Err(lock_error(source)),
    }
}

/// Waits for the exclusive lock on `path` (created 0600 if missing) and returns the open
/// file holding it: serialises opening and migrating one SQLite file across processes, which
/// SQLite itself does not (two first opens would both create the schema).
#[cfg(feature = "sqlite")]
pub(crate) async fn sqlite_blocking(path: &Path) -> Result<File, StoreError> {
    let owned = path.to_owned();
    let locked = tokio::task::spawn_blocking(move || {
        let file = open_lock_file(&owned)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|_| StoreError::Cancelled {
        operation: "waiting for the open lock",
    })?;
    locked.map_err(|source| StoreError::LockFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(feature = "postgres")]
pub(crate) async fn postgres(
    options: &PgConnectOptions,
    location: &str,
) -> Result<WriterLock, StoreError> {
    let db = StoreError::db("taking the writer lock", None);
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(StoreError::connect(location))?;
    let scope = fetch_optional(
        &mut conn,
        "SELECT current_database()::text || '/' || coalesce(current_schema()::text, '')",
        &[],
        &[Kind::Text],
    )
    .await
    .map_err(db)?
    .and_then(|mut row| row.text(0))
    .unwrap_or_default();
    let hash = Sha256::digest(format!("grunndata-writer/{scope}").as_bytes());
    let mut key = [0u8; 8];
    key.copy_from_slice(&hash[..8]);
    let got = conn
        .fetch(
            "SELECT pg_try_advisory_lock($1)",
            &[Value::Int(Some(i64::from_be_bytes(key)))],
            &[Kind::Bool],
        )
        .await
        .map_err(db)?
        .into_iter()
        .next()
        .and_then(|mut row| row.bool(0))
        .unwrap_or(false);
    if got {
        // Waits for a write transaction of a previous holder to end (it holds the row FOR
        // SHARE), then moves the epoch on so that its later ones are refused.
        let epoch = fetch_optional(
            &mut conn,
            "UPDATE writer_fence SET epoch = epoch + 1 RETURNING epoch",
            &[],
            &[Kind::Int],
        )
        .await
        .map_err(db)?
        .and_then(|mut row| row.int(0))
        .unwrap_or(0);
        Ok(WriterLock {
            inner: Held::Postgres(conn),
            epoch,
        })
    } else {
        let _ = conn.close().await;
        Err(StoreError::WriterBusy {
            location: location.to_owned(),
        })
    }
}

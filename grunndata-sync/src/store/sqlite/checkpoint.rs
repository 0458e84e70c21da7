//! WAL checkpoints off the writer's path.
//!
//! Every batch commits on its own, and SQLite's automatic checkpoint runs inside the commit
//! that crosses the threshold: the writer stops to copy the WAL into the database file and
//! sync it. Here the writer only notices, after a commit, that the WAL has passed
//! [`THRESHOLD`] and hands a `PASSIVE` checkpoint to a blocking thread with a connection of
//! its own, which copies what no reader still needs while the writer goes on. SQLite's own
//! automatic checkpoint stays, at four times the size, as the backstop should this one fall
//! behind.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::conn::{ConnectOptions, SqliteConn};

/// WAL size from which a commit asks for a checkpoint: 64 MiB.
pub(crate) const THRESHOLD: u64 = 64 << 20;

/// SQLite's `wal_autocheckpoint` (pages of 4 KiB) for the writer: the backstop, 256 MiB.
pub(crate) const BACKSTOP_PAGES: &str = "65536";

/// Runs checkpoints of one SQLite file (the mirror, or the audit file), one at a time.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    path: PathBuf,
    wal: PathBuf,
    threshold: u64,
    options: ConnectOptions,
    conn: Mutex<Option<SqliteConn>>,
    running: AtomicBool,
    closed: AtomicBool,
}

impl Checkpointer {
    /// A checkpointer for the file at `path` whose WAL is `wal`, connecting with `options`
    /// when first needed, checkpointing once the WAL holds `threshold` bytes.
    pub(crate) fn new(
        path: PathBuf,
        wal: PathBuf,
        threshold: u64,
        options: ConnectOptions,
    ) -> Self {
        Self {
            path,
            wal,
            threshold,
            options,
            conn: Mutex::new(None),
            running: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// After a commit: starts a checkpoint on a blocking thread when the WAL has grown past
    /// the threshold and none is running.
    pub(crate) fn after_commit(self: &Arc<Self>) {
        let size = std::fs::metadata(&self.wal).map_or(0, |meta| meta.len());
        if size < self.threshold || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let checkpointer = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            checkpointer.run();
            checkpointer.running.store(false, Ordering::Release);
        });
    }

    fn run(&self) {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if conn.is_none() {
            match SqliteConn::open(&self.path, &self.options) {
                Ok(opened) => *conn = Some(opened),
                Err(error) => {
                    tracing::warn!(%error, "cannot open a connection for WAL checkpoints");
                    return;
                }
            }
        }
        if let Some(conn) = conn.as_mut()
            && let Err(error) = conn.checkpoint_passive()
        {
            // SQLite's automatic checkpoint remains; the next commit asks again.
            tracing::warn!(%error, "WAL checkpoint failed");
        }
    }

    /// Closes the checkpoint connection (after a running checkpoint ends).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_commit_past_the_threshold_moves_the_wal_into_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("mirror.db");
        let writer = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (v BLOB); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) \
                 INSERT INTO t SELECT randomblob(4000) FROM n;",
            )
            .unwrap_or_else(|e| panic!("write: {e}"));
        let file_size = || std::fs::metadata(&path).map_or(0, |meta| meta.len());
        let before = file_size();
        let checkpointer = Arc::new(Checkpointer::new(
            path.clone(),
            dir.path().join("mirror.db-wal"),
            1,
            ConnectOptions {
                read_only: false,
                immutable: false,
                busy_timeout: Duration::from_secs(5),
                pragmas: Vec::new(),
            },
        ));
        checkpointer.after_commit();
        for _ in 0..500 {
            if !checkpointer.running.load(Ordering::Acquire) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            file_size() > before + 200 * 4000,
            "the rows reached the database file: {before} → {}",
            file_size()
        );
        checkpointer.close();
    }
}

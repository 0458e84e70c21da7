//! Standby: a `sync --watch` node that finds the writer lock held waits and takes over when
//! the active node goes (stopped, killed, cut off: PostgreSQL ends its session and with it the
//! advisory lock). The active node is whoever holds the lock; nothing else coordinates.
//!
//! A database that cannot be reached is waited out the same way (a restart, a failover of
//! PostgreSQL itself): the node keeps trying and says so, instead of exiting.

use std::time::Duration;

use grunndata_sync::store::{Store, StoreError, WriterLock};
use tokio_util::sync::CancellationToken;

/// Whether `error` may pass by itself: the database is unreachable or refused one statement.
pub fn is_transient(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Connect { .. } | StoreError::Database { .. }
    )
}

/// Takes the writer lock, polling every `poll` while another node holds it or the database
/// cannot be reached. `None` when stopped (SIGINT/SIGTERM) while waiting.
pub async fn wait_for_lock(
    store: &Store,
    poll: Duration,
    stop: &CancellationToken,
) -> Result<Option<WriterLock>, StoreError> {
    let mut announced = false;
    let mut unreachable = false;
    loop {
        match store.writer_lock().await {
            Ok(lock) => {
                tracing::info!(mirror = %store.location(), "active: this node holds the writer lock and syncs");
                return Ok(Some(lock));
            }
            Err(StoreError::WriterBusy { .. }) => {
                if !announced {
                    tracing::info!(
                        mirror = %store.location(),
                        poll = %humantime::format_duration(poll),
                        "standby: another node holds the writer lock; taking over when it goes"
                    );
                    announced = true;
                }
                unreachable = false;
            }
            Err(error) if is_transient(&error) => {
                if !unreachable {
                    tracing::warn!(
                        mirror = %store.location(),
                        error = %grunndata_sync::error_chain(&error),
                        "the mirror's database cannot be reached; trying again"
                    );
                    unreachable = true;
                }
            }
            Err(error) => return Err(error),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = stop.cancelled() => return Ok(None),
        }
    }
}

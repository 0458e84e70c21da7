//! Standby: a `sync --watch` node that finds the writer lock held waits and takes over when
//! the active node goes (stopped, killed, cut off: PostgreSQL ends its session and with it the
//! advisory lock). The active node is whoever holds the lock; nothing else coordinates.

use std::time::Duration;

use grunndata_sync::store::{Store, StoreError, WriterLock};
use tokio_util::sync::CancellationToken;

/// Takes the writer lock, polling every `poll` while another node holds it. `None` when
/// stopped (SIGINT/SIGTERM) while standing by.
pub async fn wait_for_lock(
    store: &Store,
    poll: Duration,
    stop: &CancellationToken,
) -> Result<Option<WriterLock>, StoreError> {
    let mut announced = false;
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
            }
            Err(error) => return Err(error),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = stop.cancelled() => return Ok(None),
        }
    }
}

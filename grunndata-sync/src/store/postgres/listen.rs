//! Other processes' commits, heard through `LISTEN`: every sync commit that changed data
//! announces itself with `pg_notify` in its own transaction (`notify::CHANNEL`); a store with
//! a subscriber (a `Registry`) listens and passes the notices about its own mirror into its
//! in-process notice channel, where they are drained exactly like the process's own.
//!
//! A lost connection may have lost notices: the listener then announces every register as
//! changed before it listens again (sqlx reconnects and re-subscribes). The version poll of
//! the `Registry` stays the backstop, bounding staleness even with no listener at all.
//!
//! The task ends when the pool is closed, or when nobody has subscribed for a while (every
//! `Registry` of the store dropped): it then gives its connection back, and the next
//! subscriber starts a new one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};

use crate::store::Register;
use crate::store::notify::{self, Notifier};

/// Pause before trying again after a failed connect or receive.
const RETRY: Duration = Duration::from_secs(1);
/// How often the task checks that someone still subscribes.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// Starts the listener task; `listening` is cleared when it ends.
pub(crate) fn spawn(
    pool: PgPool,
    schema: String,
    me: u64,
    notifier: Notifier,
    listening: Arc<AtomicBool>,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        listening.store(false, Ordering::Release);
        return;
    };
    runtime.spawn(async move {
        loop {
            let closed = pool.close_event();
            let idle = tokio::select! {
                () = closed => false,
                () = listen(&pool, &schema, me, &notifier) => true,
            };
            listening.store(false, Ordering::Release);
            // A subscriber that came between the idle check and the flag found the flag
            // still set and started nothing: keep listening for it.
            if !(idle && notifier.is_watched() && !listening.swap(true, Ordering::AcqRel)) {
                return;
            }
        }
    });
}

/// Listens until nobody subscribes any more.
async fn listen(pool: &PgPool, schema: &str, me: u64, notifier: &Notifier) {
    let mut listener = loop {
        match connect(pool).await {
            Ok(listener) => break listener,
            Err(error) => {
                tracing::warn!(error = %crate::error_chain(&error), "cannot LISTEN for other processes' commits yet; caches rely on the version poll");
                tokio::time::sleep(RETRY).await;
                if !notifier.is_watched() {
                    return;
                }
            }
        }
    };
    loop {
        // The wait is cut every IDLE_CHECK to see whether anyone still subscribes. sqlx keeps
        // bytes it has read in the connection's buffer, not in the future, so cutting a wait
        // loses nothing; were a notice ever lost, the version poll would still catch it.
        let received = tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await;
        if !notifier.is_watched() {
            return;
        }
        let Ok(received) = received else {
            continue;
        };
        match received {
            Ok(Some(notification)) => {
                if let Some(notice) = notify::decode(notification.payload(), schema, me) {
                    notifier.send(notice);
                }
            }
            Ok(None) => {
                tracing::warn!(
                    "the LISTEN connection was lost; treating every register as changed"
                );
                for register in Register::ALL {
                    notifier.send(notify::everything(register));
                }
            }
            Err(error) => {
                tracing::warn!(error = %crate::error_chain(&error), "LISTEN failed; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(notify::CHANNEL).await?;
    Ok(listener)
}

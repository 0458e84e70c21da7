//! In-process notice of committed batches, so caches in the same process (the `Registry`)
//! drop changed keys at once instead of waiting for their change-marker poll.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::Register;

/// How many notices a slow subscriber may fall behind before it sees
/// [`broadcast::error::RecvError::Lagged`] (and should then drop its whole cache).
const CAPACITY: usize = 1024;

/// One committed batch that changed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitNotice {
    /// The register it changed.
    pub register: Register,
    /// The register's version after the commit.
    pub version: i64,
    /// The keys (as [`Display`](std::fmt::Display)ed) the batch upserted or deleted. Empty
    /// when the batch swept records: then any key of the register may have changed.
    pub keys: Arc<[String]>,
}

/// The sending side, shared by every clone of a `Store`.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    sender: broadcast::Sender<CommitNotice>,
}

impl Notifier {
    pub(crate) fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<CommitNotice> {
        self.sender.subscribe()
    }

    /// Sends `notice`; nobody listening is not an error.
    pub(crate) fn send(&self, notice: CommitNotice) {
        let _ = self.sender.send(notice);
    }
}

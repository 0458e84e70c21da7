//! In-process notice of committed batches, so caches in the same process (the `Registry`)
//! drop changed keys at once instead of waiting for their change-marker poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::broadcast;

use super::Register;

/// How many notices a slow subscriber may fall behind before it sees
/// [`broadcast::error::RecvError::Lagged`] (and should then drop its whole cache).
const CAPACITY: usize = 1024;

/// The most keys a notice names; a larger batch's notice names none, meaning "anything in the
/// register may have changed". A 1000-key page already touches most of a registry's 1024 key
/// slots, so naming them saves little, and every listener would hash each key.
pub(crate) const MAX_NAMED_KEYS: usize = 512;

/// One committed batch that changed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitNotice {
    /// The register it changed.
    pub register: Register,
    /// The register's version after the commit.
    pub version: i64,
    /// The keys (as [`Display`](std::fmt::Display)ed) the batch upserted or deleted. Empty
    /// when the batch swept records or held more than 512 changes: then any key of the
    /// register may have changed.
    pub keys: Arc<[String]>,
}

/// The sending side, shared by every clone of a `Store`.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    sender: broadcast::Sender<CommitNotice>,
    /// Notices sent so far, counted *after* each send: a subscriber that reads the count and
    /// finds it unchanged knows, with one atomic load, that there is nothing to receive.
    sent: Arc<AtomicU64>,
}

impl Notifier {
    pub(crate) fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            sender,
            sent: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many notices have been sent.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    /// Whether anyone subscribed: without subscribers a commit need not list its keys.
    pub(crate) fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<CommitNotice> {
        self.sender.subscribe()
    }

    /// Sends `notice`; nobody listening is not an error.
    pub(crate) fn send(&self, notice: CommitNotice) {
        let _ = self.sender.send(notice);
        self.sent.fetch_add(1, Ordering::AcqRel);
    }
}

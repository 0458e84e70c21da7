//! In-process notice of committed batches, so caches in the same process (the `Registry`)
//! drop changed keys at once instead of waiting for their change-marker poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, OwnedMutexGuard, broadcast};

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
    /// This store's id in cross-process notices ([`instance_id`]).
    instance: u64,
    /// Per register, held from the end of a batch's transaction (its sync-state row locked,
    /// so no later batch of the register can commit first) until its notice is sent: notices
    /// go out in commit order even when batches of one register commit close together (a
    /// PostgreSQL bulk load writes up to three at once).
    order: [Arc<Mutex<()>>; 4],
}

impl Notifier {
    pub(crate) fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            sender,
            sent: Arc::new(AtomicU64::new(0)),
            instance: instance_id(),
            order: Default::default(),
        }
    }

    /// Waits for `register`'s earlier batches to send their notices; hold the guard until
    /// this batch's notice is sent (or it failed to commit).
    pub(crate) async fn hold_order(&self, register: Register) -> OwnedMutexGuard<()> {
        // The discriminant is the register's place in `Register::ALL`.
        Arc::clone(&self.order[register as usize])
            .lock_owned()
            .await
    }

    /// This store's id in cross-process notices.
    pub(crate) fn instance(&self) -> u64 {
        self.instance
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

/// The PostgreSQL channel on which every commit that changed data is announced to other
/// processes (`pg_notify` in the batch's transaction, so a notice is delivered exactly when
/// its batch is committed and never for a rolled-back one).
pub(crate) const CHANNEL: &str = "grunndata_commits";

/// PostgreSQL refuses a payload of 8000 bytes or more; above this a notice names no keys.
const MAX_PAYLOAD: usize = 7900;

/// A commit notice as sent between processes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Wire {
    /// The schema of the mirror (several mirrors may share one database).
    schema: String,
    /// The sending store instance: a process skips its own notices (it has sent them
    /// in-process already).
    from: u64,
    register: Register,
    version: i64,
    keys: Vec<String>,
}

/// A process-unique id for one opened store (pid and clock, hashed).
pub(crate) fn instance_id() -> u64 {
    use std::hash::{BuildHasher as _, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    RandomState::new().hash_one((std::process::id(), nanos))
}

/// The payload announcing `notice` from store `from` of mirror `schema`: keys are left out
/// (meaning "anything may have changed") when they would not fit.
pub(crate) fn encode(schema: &str, from: u64, notice: &CommitNotice) -> String {
    let mut wire = Wire {
        schema: schema.to_owned(),
        from,
        register: notice.register,
        version: notice.version,
        keys: notice.keys.to_vec(),
    };
    let encoded = serde_json::to_string(&wire).unwrap_or_default();
    if encoded.len() <= MAX_PAYLOAD {
        return encoded;
    }
    wire.keys.clear();
    serde_json::to_string(&wire).unwrap_or_default()
}

/// The notice in `payload` if it is about mirror `schema` and was not sent by store `me`.
#[cfg(feature = "postgres")]
pub(crate) fn decode(payload: &str, schema: &str, me: u64) -> Option<CommitNotice> {
    let wire: Wire = serde_json::from_str(payload).ok()?;
    (wire.schema == schema && wire.from != me).then(|| CommitNotice {
        register: wire.register,
        version: wire.version,
        keys: wire.keys.into(),
    })
}

/// "Anything in `register` may have changed": what a listener announces after it may have
/// missed notices (its connection was lost). The version matches no real one.
#[cfg(feature = "postgres")]
pub(crate) fn everything(register: Register) -> CommitNotice {
    CommitNotice {
        register,
        version: 0,
        keys: Vec::new().into(),
    }
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    fn notice(keys: Vec<String>) -> CommitNotice {
        CommitNotice {
            register: Register::Hpr,
            version: 7,
            keys: keys.into(),
        }
    }

    #[test]
    fn notices_cross_processes_within_one_mirror() {
        let payload = encode("grunndata", 1, &notice(vec!["9144889".to_owned()]));
        assert_eq!(
            decode(&payload, "grunndata", 2),
            Some(notice(vec!["9144889".to_owned()]))
        );
        assert_eq!(decode(&payload, "grunndata", 1), None, "our own");
        assert_eq!(decode(&payload, "other", 2), None, "another mirror");
        assert_eq!(decode("not json", "grunndata", 2), None);
    }

    #[test]
    fn a_notice_too_large_names_no_keys() {
        let keys: Vec<String> = (0..500).map(|i| format!("{i:036}")).collect();
        let payload = encode("grunndata", 1, &notice(keys));
        assert!(payload.len() <= MAX_PAYLOAD);
        let decoded = decode(&payload, "grunndata", 2).map(|n| n.keys.len());
        assert_eq!(decoded, Some(0));
    }
}

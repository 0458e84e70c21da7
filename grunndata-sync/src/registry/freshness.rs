//! When a cached answer may still be served: change epochs per register and per key.
//!
//! A cache entry carries a [`Stamp`]: the epochs of what it was read from, taken *before* the
//! database read. It is served only while those epochs are unchanged; every commit that may
//! have touched it bumps one of them, so a commit racing the read at worst costs a miss, never
//! a stale answer. Nothing is removed eagerly: the check is two atomic loads on a hit, after
//! one clock read against the register's next version-read deadline. The clock is read on
//! every hit on purpose: a ticker thread setting a "due" flag would be cheaper, but a late
//! tick would let an answer outlive the documented bound. The read is the kernel's coarse
//! clock, whose lag is taken off each deadline ([`clock`](super::clock)).
//!
//! Per register there are three kinds of epoch:
//! - `all`: bumped when anything in the register may have changed (a commit notice without
//!   keys, a version moved by another process, a lagged subscriber);
//! - `membership`: bumped by *every* commit — answers that depend on which records match a
//!   query (children of a parent, records holding a NIN) are stamped with it alone;
//! - one of [`SLOTS`] key slots, chosen by a hash of the record key: answers about one record
//!   by its own key are stamped with `all` and their slot, so a batch of 100 HPR numbers keeps
//!   the other cached personnel. Two keys sharing a slot only cost a spurious miss.
//!
//! Commits reach the epochs two ways. The same process: [`Freshness::drain`] empties the
//! store's commit-notice channel before each lookup, so a lookup that starts after
//! `Store::apply` returned sees its notice — deterministically, with no background task.
//! Other processes: [`Freshness::ensure_fresh`] reads the register's version when the last
//! read is older than the staleness bound, and treats a moved version as "anything changed".

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast::{self, error::TryRecvError};

use super::clock::Clock;
use crate::store::{CommitNotice, Register, Store, StoreError};

/// Key slots per register. 1024 keeps the table at 8 KiB per register while a batch of a
/// few hundred keys still leaves most of the cache standing.
const SLOTS: usize = 1024;

/// `known_version` before the first read: differs from every real version.
const UNKNOWN: i64 = i64::MIN;

/// `due_at` before the first version read: due at once.
const AT_ONCE: u64 = 0;

/// The epochs an answer was read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    register: Register,
    dependency: Dependency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dependency {
    /// One record by its own key: `all` and the key's slot.
    Key { all: u64, slot: u16, epoch: u64 },
    /// Which records match a query: `membership`.
    Membership { epoch: u64 },
}

/// The epochs and version bookkeeping of one register.
#[derive(Debug)]
struct Epochs {
    all: AtomicU64,
    membership: AtomicU64,
    slots: Box<[AtomicU64]>,
    /// The register version the cache is known to reflect.
    known_version: AtomicI64,
    /// When the version is next due to be read, as a reading of `Freshness::clock`: the
    /// start of the last read plus the staleness bound, less the clock's lag. Kept as the
    /// deadline rather than the time of the read so that a hit compares one clock read with
    /// one load.
    due_at: AtomicU64,
    /// One version read at a time; the others wait for its answer instead of repeating it.
    poll: tokio::sync::Mutex<()>,
}

impl Epochs {
    fn new() -> Self {
        Self {
            all: AtomicU64::new(0),
            membership: AtomicU64::new(0),
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            known_version: AtomicI64::new(UNKNOWN),
            due_at: AtomicU64::new(AT_ONCE),
            poll: tokio::sync::Mutex::new(()),
        }
    }

    /// Anything in the register may have changed.
    fn bump_all(&self) {
        self.all.fetch_add(1, Ordering::AcqRel);
        self.membership.fetch_add(1, Ordering::AcqRel);
    }
}

/// The change epochs of all registers, the commit-notice receiver and the staleness bound.
#[derive(Debug)]
pub(crate) struct Freshness {
    registers: [Epochs; 4],
    notices: Mutex<broadcast::Receiver<CommitNotice>>,
    /// `Store::commits_notified` when the receiver was last emptied.
    drained: AtomicU64,
    clock: Clock,
    /// The staleness bound.
    max_staleness: Duration,
}

/// A deterministic hash (fixed keys), so a key's slot is the same for stamp and notice.
type SlotHasher = BuildHasherDefault<DefaultHasher>;

fn slot_of(key: &str) -> u16 {
    let hash = SlotHasher::default().hash_one(key);
    // SLOTS is a power of two below 2^16, so the masked value fits.
    u16::try_from(hash & (SLOTS as u64 - 1)).unwrap_or(0)
}

fn index(register: Register) -> usize {
    match register {
        Register::Brreg => 0,
        Register::Ar => 1,
        Register::Hpr => 2,
        Register::Preg => 3,
    }
}

impl Freshness {
    /// Epochs for a registry over `store`, subscribed to its commit notices now.
    pub(crate) fn new(store: &Store, max_staleness: Duration) -> Self {
        // Counted before subscribing: a notice sent in between is then drained once more
        // (harmlessly), never skipped.
        let drained = AtomicU64::new(store.commits_notified());
        Self {
            registers: [Epochs::new(), Epochs::new(), Epochs::new(), Epochs::new()],
            notices: Mutex::new(store.subscribe_commits()),
            drained,
            clock: Clock::new(),
            max_staleness,
        }
    }

    fn epochs(&self, register: Register) -> &Epochs {
        &self.registers[index(register)]
    }

    /// The stamp for an answer about the record with `key` (as the store displays it).
    pub(crate) fn stamp_key(&self, register: Register, key: &str) -> Stamp {
        let epochs = self.epochs(register);
        let slot = slot_of(key);
        Stamp {
            register,
            dependency: Dependency::Key {
                all: epochs.all.load(Ordering::Acquire),
                slot,
                epoch: epochs.slots[usize::from(slot)].load(Ordering::Acquire),
            },
        }
    }

    /// The stamp for an answer that depends on which records of `register` match a query.
    pub(crate) fn stamp_membership(&self, register: Register) -> Stamp {
        Stamp {
            register,
            dependency: Dependency::Membership {
                epoch: self.epochs(register).membership.load(Ordering::Acquire),
            },
        }
    }

    /// Whether an answer stamped `stamp` is still current.
    pub(crate) fn is_current(&self, stamp: &Stamp) -> bool {
        let epochs = self.epochs(stamp.register);
        match stamp.dependency {
            Dependency::Key { all, slot, epoch } => {
                epochs.all.load(Ordering::Acquire) == all
                    && epochs.slots[usize::from(slot)].load(Ordering::Acquire) == epoch
            }
            Dependency::Membership { epoch } => epochs.membership.load(Ordering::Acquire) == epoch,
        }
    }

    /// Applies every commit notice that has arrived. Returns whether the whole cache must be
    /// dropped (the receiver lagged: notices were lost).
    pub(crate) fn drain(&self, store: &Store) -> bool {
        // Read before draining: every notice this count includes is already in the channel.
        let sent = store.commits_notified();
        if self.drained.load(Ordering::Acquire) == sent {
            return false;
        }
        let lagged = self.drain_receiver();
        self.drained.fetch_max(sent, Ordering::AcqRel);
        lagged
    }

    fn drain_receiver(&self) -> bool {
        // A poisoned lock only means another lookup panicked mid-drain; the receiver is fine.
        let mut receiver = self
            .notices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut lagged = false;
        loop {
            match receiver.try_recv() {
                Ok(notice) => self.apply(&notice),
                Err(TryRecvError::Lagged(_)) => {
                    for epochs in &self.registers {
                        epochs.bump_all();
                    }
                    lagged = true;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return lagged,
            }
        }
    }

    /// Bumps what one notice may have changed.
    fn apply(&self, notice: &CommitNotice) {
        let epochs = self.epochs(notice.register);
        if notice.keys.is_empty() {
            epochs.bump_all();
        } else {
            for key in notice.keys.iter() {
                epochs.slots[usize::from(slot_of(key))].fetch_add(1, Ordering::AcqRel);
            }
            epochs.membership.fetch_add(1, Ordering::AcqRel);
        }
        // Our own commit moved the version by exactly one: nothing else to catch up on. Any
        // other gap (another process committed too) is left for the version read to find.
        let _ = epochs.known_version.compare_exchange(
            notice.version - 1,
            notice.version,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Whether `register`'s version is due to be read: the last read started at least the
    /// staleness bound ago (or there was none). While it is, no cached answer of the register
    /// may be served before [`ensure_fresh`](Self::ensure_fresh) has run.
    pub(crate) fn is_due(&self, register: Register) -> bool {
        self.is_due_at(register, self.clock.now())
    }

    /// [`is_due`](Self::is_due) at `now`, a reading of [`now`](Self::now) the caller took.
    pub(crate) fn is_due_at(&self, register: Register, now: u64) -> bool {
        now >= self.epochs(register).due_at.load(Ordering::Acquire)
    }

    /// The clock every deadline here is a reading of.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The reading from which `ttl` has surely passed since now: an answer read from now on
    /// is not served at or past it.
    pub(crate) fn expiry(&self, ttl: Duration) -> u64 {
        self.clock.deadline(self.clock.now(), ttl)
    }

    /// Reads `register`'s version if the last read is older than the staleness bound, and
    /// treats a moved version as "anything in the register changed". After this returns,
    /// every commit older than the bound is reflected in the epochs. Returns whether the
    /// version was read (here or by a lookup this one waited for).
    pub(crate) async fn ensure_fresh(
        &self,
        store: &Store,
        register: Register,
    ) -> Result<bool, StoreError> {
        let epochs = self.epochs(register);
        if !self.is_due(register) {
            return Ok(false);
        }
        let _polling = epochs.poll.lock().await;
        if !self.is_due(register) {
            // Another lookup read it while we waited.
            return Ok(true);
        }
        let started = self.clock.now();
        // Boxed so that the (rarely taken) read does not bloat every lookup's future.
        let version = Box::pin(store.version(register)).await?;
        if epochs.known_version.swap(version, Ordering::AcqRel) != version {
            epochs.bump_all();
        }
        epochs.due_at.store(
            self.clock.deadline(started, self.max_staleness),
            Ordering::Release,
        );
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_stable_and_in_range() {
        assert_eq!(slot_of("9144889"), slot_of("9144889"));
        for key in ["1", "974760673", "abc", ""] {
            assert!(usize::from(slot_of(key)) < SLOTS);
        }
    }
}

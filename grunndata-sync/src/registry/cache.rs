//! The lookup cache: decoded answers in quick_cache, served only while their [`Stamp`] is
//! current and their time to live has not run out.
//!
//! Size-bounded (entries), so memory stays bounded, and with a time to live, so even an
//! answer nobody invalidates is re-read eventually (an expired entry is not served; its
//! place goes to the next answer the map needs room for). Freshness is not the map's job: see
//! [`freshness`](super::freshness) for why a stale entry can never be served.
//!
//! Why quick_cache and not moka (which this cache used until issue 17's eighth stop): moka
//! records every get and insert in a buffer and applies the buffers (admission, LRU order,
//! expiry) inside whichever call finds them full — every 64th miss paid 8–9 µs for the
//! other 63, so a lookup's one-thread p99 was that housekeeping, not the lookup; and a moka
//! get, clock read and read record included, cost 2–4× a quick_cache get. quick_cache keeps
//! its eviction order (CLOCK-Pro) inside each shard's insert, a bounded amount of work per
//! call, and a hit is a shard read lock, a probe and a clone. It has no time to live: each
//! entry carries its expiry as a reading of the freshness clock a hit reads anyway, so the
//! time to live costs one comparison (BENCHMARKS.md, eighth part).

use std::fmt::{self, Write as _};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use super::Found;
use super::freshness::{Freshness, Stamp};
use super::options::RegistryOptions;
use crate::core::id::{HerId, HprNumber, NationalId, OrgNumber};
use crate::core::model::{CommunicationParty, HealthPersonnel, Organisation, Person};
use crate::store::{Register, Store, StoreError};

/// What an answer is about; with the as-of day, the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// HPR personnel by HPR number.
    Personnel(HprNumber),
    /// HPR personnel registered with a NIN.
    PersonnelByNin(NationalId),
    /// Tracked persons holding a NIN.
    Person(NationalId),
    /// One version of a tracked person by its opaque person id (as-of lookups).
    PersonVersion(String),
    /// A Brreg unit by orgnr.
    Organisation(OrgNumber),
    /// The Brreg units under a parent.
    OrganisationChildren(OrgNumber),
    /// An AR party by HER-id.
    Party(HerId),
    /// The AR parties under a parent.
    PartyChildren(HerId),
    /// The AR person parties with an HPR number.
    PartiesOfPersonnel(HprNumber),
}

impl Subject {
    /// The register the answer comes from.
    pub(crate) fn register(&self) -> Register {
        match self {
            Self::Personnel(_) | Self::PersonnelByNin(_) => Register::Hpr,
            Self::Person(_) | Self::PersonVersion(_) => Register::Preg,
            Self::Organisation(_) | Self::OrganisationChildren(_) => Register::Brreg,
            Self::Party(_) | Self::PartyChildren(_) | Self::PartiesOfPersonnel(_) => Register::Ar,
        }
    }

    /// Calls `with` with the record key (as the store displays it) of an answer about one
    /// record by its own key, and returns what it returns; `None` for answers that depend on
    /// which records match (children, NIN lookups). Numeric keys are written on the stack:
    /// this runs on every miss, and a `String` per miss was an allocation for a hash.
    fn with_record_key<T>(&self, with: impl FnOnce(&str) -> T) -> Option<T> {
        let key: &dyn fmt::Display = match self {
            Self::Personnel(hpr) => hpr,
            Self::Organisation(orgnr) => orgnr,
            Self::Party(her_id) => her_id,
            Self::PersonVersion(id) => return Some(with(id)),
            Self::PersonnelByNin(_)
            | Self::Person(_)
            | Self::PartiesOfPersonnel(_)
            | Self::OrganisationChildren(_)
            | Self::PartyChildren(_) => return None,
        };
        let mut text = KeyText::default();
        Some(match write!(text, "{key}") {
            Ok(()) => with(text.as_str()),
            // Longer than any HPR number, HER-id or orgnr: on the heap after all.
            Err(fmt::Error) => with(&key.to_string()),
        })
    }
}

/// A short key written on the stack.
#[derive(Default)]
struct KeyText {
    bytes: [u8; 16],
    len: usize,
}

impl KeyText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever written in.
        self.bytes
            .get(..self.len)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }
}

impl fmt::Write for KeyText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        let into = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        into.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Display for Subject {
    /// For error messages: NINs masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Personnel(hpr) => write!(f, "HPR number {hpr}"),
            Self::PersonnelByNin(nin) => write!(f, "personnel by NIN {}", nin.masked()),
            Self::Person(nin) => write!(f, "person {}", nin.masked()),
            Self::PersonVersion(id) => write!(f, "person id {id}"),
            Self::Organisation(orgnr) => write!(f, "organisation {orgnr}"),
            Self::OrganisationChildren(orgnr) => write!(f, "sub-units of {orgnr}"),
            Self::Party(her_id) => write!(f, "HER-id {her_id}"),
            Self::PartyChildren(her_id) => write!(f, "children of HER-id {her_id}"),
            Self::PartiesOfPersonnel(hpr) => write!(f, "AR parties of HPR number {hpr}"),
        }
    }
}

/// The cache key: what an answer is about, and the day it answers as of.
///
/// Hashed with foldhash (its `quality` variant: the key is an enum of several fields, and a
/// poorly mixed hash costs extra probes, each a cache miss) rather than SipHash. foldhash is
/// seeded at random, so keys a caller chooses cannot be made to collide on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    subject: Subject,
    as_of: Option<NaiveDate>,
}

impl Key {
    /// The key of the answer about `subject` as of `as_of` (`None`: current records).
    pub(crate) fn new(subject: Subject, as_of: Option<NaiveDate>) -> Self {
        Self { subject, as_of }
    }
}

/// A cached answer, one variant per kind of answer. A closed enum rather than
/// `Arc<dyn Any>`: the map clones the value out on every hit, and this way that clone is the
/// one `Arc` the caller gets, with no second reference count to bump and drop and no
/// downcast.
#[derive(Clone)]
pub(crate) enum Answer {
    /// One HPR record or none.
    Personnel(Option<Arc<Found<HealthPersonnel>>>),
    /// HPR records matching a query.
    PersonnelList(Arc<[Arc<Found<HealthPersonnel>>]>),
    /// One tracked person or none.
    Person(Option<Arc<Found<Person>>>),
    /// Tracked persons matching a query.
    PersonList(Arc<[Arc<Found<Person>>]>),
    /// One Brreg unit or none.
    Organisation(Option<Arc<Found<Organisation>>>),
    /// Brreg units matching a query.
    OrganisationList(Arc<[Arc<Found<Organisation>>]>),
    /// One AR party or none.
    Party(Option<Arc<Found<CommunicationParty>>>),
    /// AR parties matching a query.
    PartyList(Arc<[Arc<Found<CommunicationParty>>]>),
}

/// A value the cache can hold: converts into and back out of an [`Answer`].
pub(crate) trait Cached: Sized {
    /// Wraps the value.
    fn into_answer(self) -> Answer;
    /// Unwraps an answer of this kind; `None` for another kind (only if two lookups used
    /// one subject for different kinds, which would be a bug: then it is a miss).
    fn from_answer(answer: Answer) -> Option<Self>;
}

macro_rules! cached {
    ($record:ty, $one:ident, $list:ident) => {
        impl Cached for Option<Arc<Found<$record>>> {
            fn into_answer(self) -> Answer {
                Answer::$one(self)
            }
            fn from_answer(answer: Answer) -> Option<Self> {
                match answer {
                    Answer::$one(found) => Some(found),
                    _ => None,
                }
            }
        }

        impl Cached for Arc<[Arc<Found<$record>>]> {
            fn into_answer(self) -> Answer {
                Answer::$list(self)
            }
            fn from_answer(answer: Answer) -> Option<Self> {
                match answer {
                    Answer::$list(found) => Some(found),
                    _ => None,
                }
            }
        }
    };
}

cached!(HealthPersonnel, Personnel, PersonnelList);
cached!(Person, Person, PersonList);
cached!(Organisation, Organisation, OrganisationList);
cached!(CommunicationParty, Party, PartyList);

/// A cached answer with the stamp it was read under and when it expires.
#[derive(Clone)]
struct Entry {
    stamp: Stamp,
    /// The freshness clock's reading from which the entry is no longer served: the time to
    /// live after the read began.
    expires_at: u64,
    answer: Answer,
}

/// Entries whose slots a cache reserves when it is made (see [`LookupCache::new`]): as many
/// as keep the map's table (quick_cache reserves room for as many evicted keys again) at a few
/// hundred kilobytes, well inside a core's cache, so a hit probes no more memory than in a map
/// grown to that size. The slots themselves are address space until entries are written.
const RESERVED_UP_FRONT: usize = 1 << 14;

/// The map under the cache: entries counted one each, keys hashed with foldhash.
type Map =
    quick_cache::sync::Cache<Key, Entry, quick_cache::UnitWeighter, foldhash::quality::RandomState>;

/// The cache of one registry.
///
/// A lookup first asks [`hit`](Self::hit), which is synchronous and does no I/O; only when
/// that gives nothing does it build the (boxed) future of [`load`](Self::load). So a hit never
/// builds, moves or polls the database read's future: one shard's read lock in the map, a
/// few atomic loads of epochs and counters, and one clock read.
pub(crate) struct LookupCache {
    entries: Map,
    /// How long an entry may be served at all.
    ttl: Duration,
    freshness: Freshness,
}

impl fmt::Debug for LookupCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupCache")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl LookupCache {
    /// An empty cache over `store`, subscribed to its commit notices from now on.
    ///
    /// The first [`RESERVED_UP_FRONT`] entries' slots are reserved now and the map grows on
    /// demand beyond them (BENCHMARKS.md, ninth part): a shard that grows moves all its
    /// entries inside the miss that needs the room, which was the uncached lookups' tail;
    /// a table reserved for the whole capacity removed that but spread every hit's probe over
    /// more memory than a core's cache.
    pub(crate) fn new(store: &Store, options: &RegistryOptions) -> Self {
        let capacity = usize::try_from(options.cache_capacity).unwrap_or(usize::MAX);
        let entries = Map::with(
            capacity,
            options.cache_capacity,
            quick_cache::UnitWeighter,
            foldhash::quality::RandomState::default(),
            quick_cache::sync::DefaultLifecycle::default(),
        );
        entries.reserve(capacity.min(RESERVED_UP_FRONT));
        Self {
            entries,
            ttl: options.cache_ttl,
            freshness: Freshness::new(store, options.max_staleness),
        }
    }

    /// Applies this process's commit notices, dropping everything if some were lost.
    fn drain(&self, store: &Store) {
        if self.freshness.drain(store) {
            // Notices were lost: everything is stale already; free the memory too.
            self.entries.clear();
        }
    }

    /// The cached answer about `key` if one may be served now without any I/O: commit notices
    /// of this process are applied first, and nothing is served while the register's version
    /// is due to be read (then [`load`](Self::load) reads it).
    pub(crate) fn hit<T: Cached>(&self, store: &Store, key: &Key) -> Option<T> {
        self.drain(store);
        let now = self.freshness.now();
        if self.freshness.is_due_at(key.subject.register(), now) {
            return None;
        }
        self.current(key, now)
    }

    /// The cached answer about `key` if its stamp is still current and it has not expired
    /// by `now` (a reading of the freshness clock).
    fn current<T: Cached>(&self, key: &Key, now: u64) -> Option<T> {
        let entry = self.entries.get(key)?;
        if now >= entry.expires_at || !self.freshness.is_current(&entry.stamp) {
            return None;
        }
        T::from_answer(entry.answer)
    }

    /// The answer about `key` after a [`hit`](Self::hit) gave none: reads the register
    /// version if due, then serves the cached answer if that left it current, else `load`'s,
    /// which is then cached.
    ///
    /// The stamp is taken before `load` runs, so a commit during the read leaves an entry
    /// that is already stale rather than one that hides the commit.
    pub(crate) async fn load<T, F, Fut>(
        &self,
        store: &Store,
        key: Key,
        load: F,
    ) -> Result<T, StoreError>
    where
        T: Cached + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let register = key.subject.register();
        self.drain(store);
        // After a version read that found nothing new, the entry `hit` declined may be
        // current after all; without a read, `hit` has already looked.
        if self.freshness.ensure_fresh(store, register).await?
            && let Some(value) = self.current(&key, self.freshness.now())
        {
            return Ok(value);
        }
        let stamp = self.stamp(&key.subject);
        // From before the read, like the stamp: the time to live counts from what was read.
        let expires_at = self.freshness.expiry(self.ttl);
        let value = load().await?;
        self.insert(key, stamp, expires_at, value.clone());
        Ok(value)
    }

    /// Two answers about one register read together (a record and its children, in one
    /// snapshot), after [`hit`](Self::hit) gave neither: as [`load`](Self::load), with both
    /// stamps taken before the read.
    pub(crate) async fn load_two<T, U, F, Fut>(
        &self,
        store: &Store,
        (key, other): (Key, Key),
        load: F,
    ) -> Result<(T, U), StoreError>
    where
        T: Cached + Clone,
        U: Cached + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, U), StoreError>>,
    {
        let register = key.subject.register();
        debug_assert_eq!(register, other.subject.register(), "one read, one register");
        self.drain(store);
        if self.freshness.ensure_fresh(store, register).await? {
            let now = self.freshness.now();
            if let (Some(first), Some(second)) =
                (self.current(&key, now), self.current(&other, now))
            {
                return Ok((first, second));
            }
        }
        let stamps = (self.stamp(&key.subject), self.stamp(&other.subject));
        let expires_at = self.freshness.expiry(self.ttl);
        let (first, second) = load().await?;
        self.insert(key, stamps.0, expires_at, first.clone());
        self.insert(other, stamps.1, expires_at, second.clone());
        Ok((first, second))
    }

    /// The stamp of an answer about `subject`, taken now: by its record key, or by its
    /// register's membership for answers that depend on which records match.
    fn stamp(&self, subject: &Subject) -> Stamp {
        let register = subject.register();
        subject
            .with_record_key(|record_key| self.freshness.stamp_key(register, record_key))
            .unwrap_or_else(|| self.freshness.stamp_membership(register))
    }

    fn insert<T: Cached>(&self, key: Key, stamp: Stamp, expires_at: u64, value: T) {
        self.entries.insert(
            key,
            Entry {
                stamp,
                expires_at,
                answer: value.into_answer(),
            },
        );
    }

    /// Drops every entry (e.g. after an untrack, which changes what may be shown).
    pub(crate) fn clear(&self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_key(subject: &Subject) -> Option<String> {
        subject.with_record_key(str::to_owned)
    }

    #[test]
    fn record_keys_are_the_keys_as_displayed() {
        let hpr = HprNumber::parse("10000001").expect("an HPR number");
        let her_id = HerId::parse("8000001").expect("a HER-id");
        let orgnr = OrgNumber::parse("974760673").expect("an orgnr");
        assert_eq!(record_key(&Subject::Personnel(hpr)), Some(hpr.to_string()));
        assert_eq!(
            record_key(&Subject::Party(her_id)),
            Some(her_id.to_string())
        );
        assert_eq!(
            record_key(&Subject::Organisation(orgnr)),
            Some(orgnr.to_string())
        );
        assert_eq!(
            record_key(&Subject::PersonVersion("person-1".to_owned())),
            Some("person-1".to_owned())
        );
        assert_eq!(record_key(&Subject::PartyChildren(her_id)), None);
        assert_eq!(record_key(&Subject::PartiesOfPersonnel(hpr)), None);
    }

    #[test]
    fn a_key_longer_than_the_stack_buffer_is_refused_whole() {
        let mut text = KeyText::default();
        assert!(write!(text, "{}", "9".repeat(17)).is_err());
        let mut text = KeyText::default();
        assert!(write!(text, "{}", u32::MAX).is_ok());
        assert_eq!(text.as_str(), u32::MAX.to_string());
    }
}

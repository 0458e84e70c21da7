//! The lookup cache: decoded answers in moka, served only while their [`Stamp`] is current.
//!
//! Size-bounded (entries) and with a time to live, so memory stays bounded and even an
//! answer nobody invalidates is re-read eventually. Freshness is not moka's job: see
//! [`freshness`](super::freshness) for why a stale entry can never be served.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;

use super::freshness::{Freshness, Stamp};
use super::options::RegistryOptions;
use crate::core::id::{HerId, HprNumber, NationalId, OrgNumber};
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

    /// The record key for answers about one record by its own key; `None` for answers that
    /// depend on which records match (children, NIN lookups).
    fn record_key(&self) -> Option<String> {
        match self {
            Self::Personnel(hpr) => Some(hpr.to_string()),
            Self::Organisation(orgnr) => Some(orgnr.to_string()),
            Self::Party(her_id) => Some(her_id.to_string()),
            Self::PersonVersion(id) => Some(id.clone()),
            Self::PersonnelByNin(_)
            | Self::Person(_)
            | Self::PartiesOfPersonnel(_)
            | Self::OrganisationChildren(_)
            | Self::PartyChildren(_) => None,
        }
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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    subject: Subject,
    as_of: Option<NaiveDate>,
}

/// A cached answer with the stamp it was read under. The value is type-erased so one cache
/// holds every kind of answer; each kind is cloned out as cheap `Arc`s.
#[derive(Clone)]
struct Entry {
    stamp: Stamp,
    value: Arc<dyn Any + Send + Sync>,
}

/// The cache of one registry.
pub(crate) struct LookupCache {
    entries: moka::future::Cache<Key, Entry>,
    freshness: Freshness,
}

impl fmt::Debug for LookupCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupCache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl LookupCache {
    /// An empty cache over `store`, subscribed to its commit notices from now on.
    pub(crate) fn new(store: &Store, options: &RegistryOptions) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(options.cache_capacity)
                .time_to_live(options.cache_ttl)
                .build(),
            freshness: Freshness::new(store, options.max_staleness),
        }
    }

    /// Brings the epochs of `register` up to date: commit notices of this process, and the
    /// register version when the staleness bound has passed. Call before every lookup.
    pub(crate) async fn refresh(
        &self,
        store: &Store,
        register: Register,
    ) -> Result<(), StoreError> {
        if self.freshness.drain(store) {
            // Notices were lost: everything is stale already; free the memory too.
            self.entries.invalidate_all();
        }
        self.freshness.ensure_fresh(store, register).await
    }

    /// The cached answer about `subject` as of `as_of`, or `load`'s, which is then cached.
    ///
    /// The stamp is taken before `load` runs, so a commit during the read leaves an entry
    /// that is already stale rather than one that hides the commit.
    pub(crate) async fn get_or_load<T, F, Fut>(
        &self,
        subject: Subject,
        as_of: Option<NaiveDate>,
        load: F,
    ) -> Result<T, StoreError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let key = Key { subject, as_of };
        if let Some(entry) = self.entries.get(&key).await
            && self.freshness.is_current(&entry.stamp)
            && let Some(value) = entry.value.downcast_ref::<T>()
        {
            return Ok(value.clone());
        }
        let register = key.subject.register();
        let stamp = match key.subject.record_key() {
            Some(record_key) => self.freshness.stamp_key(register, &record_key),
            None => self.freshness.stamp_membership(register),
        };
        // Boxed: the database read's future is kilobytes, and inline it would make every
        // lookup's future — hits included — that large to build and move.
        let value = Box::pin(load()).await?;
        self.entries
            .insert(
                key,
                Entry {
                    stamp,
                    value: Arc::new(value.clone()),
                },
            )
            .await;
        Ok(value)
    }

    /// Drops every entry (e.g. after an untrack, which changes what may be shown).
    pub(crate) fn clear(&self) {
        self.entries.invalidate_all();
    }
}

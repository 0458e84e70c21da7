//! The `Registry`: lookups in the mirror for journal systems and the CLI, with a cache.
//!
//! A [`Registry`] answers from the local mirror only — a lookup never calls an upstream —
//! and keeps decoded answers in a size-bounded cache (quick_cache), so repeated keys are
//! answered in a fraction of a microsecond. What it answers:
//!
//! | question | method | audited |
//! |---|---|---|
//! | a tracked person by NIN | [`person`](Registry::person) | always |
//! | HPR personnel by HPR number / NIN | [`personnel`](Registry::personnel), [`personnel_by_nin`](Registry::personnel_by_nin) | by NIN always |
//! | authorised as a category on a day? | [`authorised`](Registry::authorised) | by NIN always |
//! | requisition rights, specialities | [`requisition_rights`](Registry::requisition_rights), [`specialities`](Registry::specialities) | by NIN always |
//! | an organisation with parent and sub-units | [`organisation`](Registry::organisation) | if configured |
//! | a communication party with parent and children | [`communication_party`](Registry::communication_party) | if configured |
//! | the AR parties of an HPR person | [`parties_of_personnel`](Registry::parties_of_personnel) | if configured |
//! | names in one register | [`search`](Registry::search) | PREG always |
//! | RESH-id | [`resh`](Registry::resh) | — not indexed |
//!
//! **As of a day.** [`as_of`](Registry::as_of) gives a view answering from the versions in
//! force at the end of that (UTC) day, where the mirror's history has them. Lists of children
//! and NIN matches are read from today's index (the history is indexed by key only).
//!
//! **Freshness.** A commit through the same [`Store`] (the sync engine in the same process)
//! shows in the next lookup; a commit by another process shows at most
//! [`RegistryOptions::max_staleness`] later. Not-found answers are cached and invalidated the
//! same way. See `freshness.rs` for how.
//!
//! **Personal data.** Person and personnel-by-NIN lookups append actor, purpose, time, key
//! and outcome to the store's audit log; if that fails, the answer is withheld. Addresses of
//! persons with address protection (confidential, strictly confidential) are withheld unless
//! the [`Caller`] gives a purpose, and that access is audited as such. No NIN reaches a log
//! line or an error message (they show [`NationalId::masked`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), grunndata_sync::registry::RegistryError> {
//! use chrono::Utc;
//! use grunndata_sync::core::codes::Category;
//! use grunndata_sync::core::id::{HerId, HprNumber};
//! use grunndata_sync::registry::Registry;
//!
//! let registry = Registry::open("sqlite:///var/lib/grunndata/grunndata.db").await?;
//! let hpr: HprNumber = "9144889".parse().expect("valid HPR number");
//! let today = Utc::now().date_naive();
//! if let Some(answer) = registry.authorised(hpr, &Category::LE, today).await? {
//!     println!("{}", answer.verdict); // "authorised as LE Lege (1 Autorisasjon, 2010-06-01 –)"
//! }
//! let her_id: HerId = "8143143".parse().expect("valid HER-id");
//! if let Some(party) = registry.communication_party(her_id).await? {
//!     println!("{:?}", party.party.record.edi_address);
//! }
//! # Ok(()) }
//! ```

mod audit;
mod cache;
mod clock;
mod error;
mod found;
mod freshness;
mod options;
mod organisation;
mod party;
mod person;
mod personnel;
mod search;

use std::sync::Arc;

use chrono::NaiveDate;

pub use error::{RegistryError, RegistryResult};
pub use found::Found;
pub use options::{Caller, RegistryOptions};
pub use organisation::OrganisationView;
pub use party::PartyView;
pub use person::{AddressAccess, PersonAnswer, PersonView};
pub use personnel::{Authorisation, Practitioner};
pub use search::SearchHit;

use crate::core::id::ReshId;
use crate::core::model::CommunicationParty;
use crate::store::{MirrorRecord, Register, Store, StoreError, StoreOptions, Stored};
use cache::{Cached, Key, LookupCache, Subject};

/// A view's record (if found) and the records under it, as the cache holds them.
type RecordWithChildren<R> = (Option<Arc<Found<R>>>, Arc<[Arc<Found<R>>]>);

/// A view's record and the records under it, as the store reads them.
type StoredWithChildren<R> = (Option<Stored<R>>, Vec<Stored<R>>);

/// Lookups in a grunndata mirror, cached. Cheap to clone; clones share the cache.
///
/// A `Registry` value is also a *view*: [`as_of`](Self::as_of) and
/// [`for_caller`](Self::for_caller) return views over the same mirror and cache that answer
/// as of another day or record another caller.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<Inner>,
    as_of: Option<NaiveDate>,
    caller: Caller,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    cache: LookupCache,
    options: RegistryOptions,
}

impl Registry {
    /// Opens the mirror at `url` (`sqlite://PATH`, `postgres://…`) with default options.
    pub async fn open(url: &str) -> RegistryResult<Self> {
        Self::open_with(url, RegistryOptions::default()).await
    }

    /// Opens the mirror at `url` with `options`.
    pub async fn open_with(url: &str, options: RegistryOptions) -> RegistryResult<Self> {
        let store = Store::open_with(url, &StoreOptions::default())
            .await
            .map_err(RegistryError::store("the mirror"))?;
        Ok(Self::from_store(store, options))
    }

    /// Opens the existing mirror at `url` read-only, as a lookup node beside a sync job
    /// should: it never creates a file, takes the open lock or runs a migration, works on a
    /// read-only SQLite file and with a PostgreSQL role that may only read the mirror and
    /// insert audit rows, and refuses a schema older or newer than this binary reads (naming
    /// both versions). Audit rows go to the audit log's own place; on SQLite that is
    /// `grunndata-audit.db` beside the mirror, or `audit_path` (for a read-only directory).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), grunndata_sync::registry::RegistryError> {
    /// use grunndata_sync::registry::{Registry, RegistryOptions};
    ///
    /// let registry = Registry::open_read_only(
    ///     "sqlite:///var/lib/grunndata/grunndata.db",
    ///     Some("/var/lib/journal/grunndata-audit.db".into()),
    ///     RegistryOptions::default(),
    /// )
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn open_read_only(
        url: &str,
        audit_path: Option<std::path::PathBuf>,
        options: RegistryOptions,
    ) -> RegistryResult<Self> {
        let store_options = StoreOptions {
            read_only: true,
            audit_path,
            ..StoreOptions::default()
        };
        let store = Store::open_with(url, &store_options)
            .await
            .map_err(RegistryError::store("the mirror"))?;
        Ok(Self::from_store(store, options))
    }

    /// A registry over an open store — the way to share one `Store` with a sync engine in
    /// the same process, whose commits then show in the very next lookup.
    pub fn from_store(store: Store, options: RegistryOptions) -> Self {
        let cache = LookupCache::new(&store, &options);
        let caller = Caller::new(options.actor.clone());
        Self {
            inner: Arc::new(Inner {
                store,
                cache,
                options,
            }),
            as_of: None,
            caller,
        }
    }

    /// Where the mirror is, for people (never a password). There is no way to the store
    /// underneath: every person read goes through the lookups, which audit it and withhold
    /// protected addresses. Open a [`Store`] of your own for status or tracking.
    pub fn location(&self) -> String {
        self.inner.store.location()
    }

    /// The options the registry was opened with.
    pub fn options(&self) -> &RegistryOptions {
        &self.inner.options
    }

    /// A view answering as of the end of `day` (UTC) from the mirror's history.
    #[must_use]
    pub fn as_of(&self, day: NaiveDate) -> Self {
        Self {
            as_of: Some(day),
            ..self.clone()
        }
    }

    /// A view answering from the current records (the default).
    #[must_use]
    pub fn current(&self) -> Self {
        Self {
            as_of: None,
            ..self.clone()
        }
    }

    /// The day this view answers as of; `None` for current records.
    pub fn as_of_day(&self) -> Option<NaiveDate> {
        self.as_of
    }

    /// A view whose lookups are recorded as made by `caller`.
    #[must_use]
    pub fn for_caller(&self, caller: Caller) -> Self {
        Self {
            caller,
            ..self.clone()
        }
    }

    /// Who this view's lookups are recorded as.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Drops every cached answer (never needed for correctness).
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
    }

    /// Whether nothing was ever synced into `register` (its version is still 0), so a
    /// not-found answer means "populate the mirror" rather than "no such record".
    pub async fn is_empty(&self, register: Register) -> RegistryResult<bool> {
        let version = self
            .inner
            .store
            .version(register)
            .await
            .map_err(RegistryError::store(format_args!(
                "the {register} register"
            )))?;
        Ok(version == 0)
    }

    /// The unit with a RESH-id (the specialist health service's unit register).
    ///
    /// Always [`RegistryError::NotIndexed`] today: none of the mirrored upstreams carries
    /// RESH-ids (AR's CommunicationParty model, Brreg and HPR have no such field), and
    /// guessing a mapping would give wrong answers with confidence.
    #[allow(
        clippy::unused_async,
        reason = "async like every lookup, so indexing RESH-ids later changes no caller"
    )]
    pub async fn resh(
        &self,
        _resh: ReshId,
    ) -> RegistryResult<Option<Arc<Found<CommunicationParty>>>> {
        Err(RegistryError::NotIndexed {
            identifier: "RESH-id",
            reason: "no mirrored register (Brreg, AR, HPR, PREG) carries RESH-ids",
        })
    }

    // ----- shared by the lookups --------------------------------------------------------

    /// The record of `R` with `key`, current or as of this view's day, through the cache.
    ///
    /// A hit is answered synchronously; only a miss (or a due version read) builds the
    /// boxed future that reads the mirror, so a hit never builds or moves that future.
    async fn record<R>(
        &self,
        subject: Subject,
        key: &R::Key,
    ) -> Result<Option<Arc<Found<R>>>, StoreError>
    where
        R: MirrorRecord,
        Option<Arc<Found<R>>>: Cached,
    {
        let inner = &*self.inner;
        let cache_key = Key::new(subject, self.as_of);
        if let Some(found) = inner.cache.hit(&inner.store, &cache_key) {
            return Ok(found);
        }
        Box::pin(self.load_record::<R>(cache_key, key)).await
    }

    /// The miss path of [`record`](Self::record).
    async fn load_record<R>(
        &self,
        cache_key: Key,
        key: &R::Key,
    ) -> Result<Option<Arc<Found<R>>>, StoreError>
    where
        R: MirrorRecord,
        Option<Arc<Found<R>>>: Cached,
    {
        let inner = &*self.inner;
        let as_of = self.as_of;
        inner
            .cache
            .load(&inner.store, cache_key, || async move {
                // The registry is the audited path: its person lookups audit and withhold.
                let reads = inner.store.unaudited();
                let found = match as_of {
                    None => reads.get::<R>(key).await?.map(Found::from),
                    Some(day) => reads
                        .get_as_of::<R>(key, found::end_of(day))
                        .await?
                        .map(Found::from),
                };
                Ok(found.map(Arc::new))
            })
            .await
    }

    /// A view's record of `R` with `key` and the records under it (`children`), through the
    /// cache. When neither is cached and the view is of current records, one store read
    /// (`load_both`) fetches both in one snapshot — one read transaction instead of two,
    /// which on SQLite is most of a view's cost, and the view read as one committed state;
    /// otherwise each is read as [`record`](Self::record) and [`matching`](Self::matching)
    /// read them.
    async fn record_with_children<R, F, Fut, G, Gut>(
        &self,
        (subject, key): (Subject, &R::Key),
        children: Subject,
        load_children: F,
        load_both: G,
    ) -> Result<RecordWithChildren<R>, StoreError>
    where
        R: MirrorRecord,
        Option<Arc<Found<R>>>: Cached,
        Arc<[Arc<Found<R>>]>: Cached,
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = Result<Vec<Stored<R>>, StoreError>>,
        G: FnOnce(Store) -> Gut,
        Gut: Future<Output = Result<StoredWithChildren<R>, StoreError>>,
    {
        let inner = &*self.inner;
        if self.as_of.is_some() {
            let record = self.record::<R>(subject, key).await?;
            let children = self.matching::<R, _, _>(children, load_children).await?;
            return Ok((record, children));
        }
        let record_key = Key::new(subject, None);
        if let Some(record) = inner.cache.hit(&inner.store, &record_key) {
            let children = self.matching::<R, _, _>(children, load_children).await?;
            return Ok((record, children));
        }
        let children_key = Key::new(children, None);
        if let Some(children) = inner.cache.hit(&inner.store, &children_key) {
            let record = Box::pin(self.load_record::<R>(record_key, key)).await?;
            return Ok((record, children));
        }
        let store = inner.store.clone();
        Box::pin(
            inner
                .cache
                .load_two(&inner.store, (record_key, children_key), || async move {
                    let (record, children) = load_both(store).await?;
                    let record = record.map(|stored| Arc::new(Found::from(stored)));
                    let children: Arc<[Arc<Found<R>>]> = children
                        .into_iter()
                        .map(|stored| Arc::new(Found::from(stored)))
                        .collect();
                    Ok((record, children))
                }),
        )
        .await
    }

    /// The records of `R` matching a secondary index, through the cache. Lists are read
    /// from the current index whatever the view's day. Hits are answered synchronously, as
    /// in [`record`](Self::record).
    async fn matching<R, F, Fut>(
        &self,
        subject: Subject,
        load: F,
    ) -> Result<Arc<[Arc<Found<R>>]>, StoreError>
    where
        R: MirrorRecord,
        Arc<[Arc<Found<R>>]>: Cached,
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = Result<Vec<Stored<R>>, StoreError>>,
    {
        let inner = &*self.inner;
        let cache_key = Key::new(subject, None);
        if let Some(found) = inner.cache.hit(&inner.store, &cache_key) {
            return Ok(found);
        }
        Box::pin(self.load_matching(cache_key, load)).await
    }

    /// The miss path of [`matching`](Self::matching).
    async fn load_matching<R, F, Fut>(
        &self,
        cache_key: Key,
        load: F,
    ) -> Result<Arc<[Arc<Found<R>>]>, StoreError>
    where
        R: MirrorRecord,
        Arc<[Arc<Found<R>>]>: Cached,
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = Result<Vec<Stored<R>>, StoreError>>,
    {
        let inner = &*self.inner;
        let store = inner.store.clone();
        inner
            .cache
            .load(&inner.store, cache_key, || async move {
                let found: Arc<[Arc<Found<R>>]> = load(store)
                    .await?
                    .into_iter()
                    .map(|stored| Arc::new(Found::from(stored)))
                    .collect();
                Ok(found)
            })
            .await
    }
}

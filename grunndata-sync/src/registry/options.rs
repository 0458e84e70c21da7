//! How a [`Registry`](super::Registry) caches and audits, and who is asking.

use std::time::Duration;

/// Tuning and policy of a [`Registry`](super::Registry). Every field has a default.
///
/// ```
/// use std::time::Duration;
/// use grunndata_sync::registry::RegistryOptions;
///
/// let options = RegistryOptions {
///     max_staleness: Duration::from_millis(250),
///     purpose_required: true,
///     ..RegistryOptions::default()
/// };
/// assert_eq!(options.cache_capacity, 100_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryOptions {
    /// How many answers the cache holds at most (least recently and frequently used go
    /// first). Default 100 000. This is what bounds the cache's memory.
    pub cache_capacity: u64,
    /// How long a cached answer may be served at all; after that it is read again. Default
    /// 10 minutes. Freshness does not depend on it (see `max_staleness`): it only makes even
    /// an answer nothing invalidates be re-read eventually. An expired answer nobody asks
    /// for again keeps its place until a new answer takes it (`cache_capacity`).
    pub cache_ttl: Duration,
    /// The staleness bound: a change committed by *another* process (another sync node, the
    /// `grunndata sync` job) shows in lookups at most this long after its commit. The
    /// registry reads the register's version at most once per bound. Changes committed
    /// through the same `Store` show at once. Default 1 s.
    pub max_staleness: Duration,
    /// Refuse person and personnel-by-NIN lookups without a purpose
    /// ([`RegistryError::PurposeRequired`](super::RegistryError::PurposeRequired)).
    /// Default `false`: the purpose is recorded when given.
    pub purpose_required: bool,
    /// Also audit lookups by HPR number, orgnr and HER-id (not personal-data lookups, so not
    /// audited by default).
    pub audit_all_lookups: bool,
    /// The actor recorded in the audit log when the caller names none (a service account).
    /// Default `"grunndata"`.
    pub actor: String,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            cache_capacity: 100_000,
            cache_ttl: Duration::from_mins(10),
            max_staleness: Duration::from_secs(1),
            purpose_required: false,
            audit_all_lookups: false,
            actor: "grunndata".to_owned(),
        }
    }
}

/// Who is asking and why: recorded in the audit log with each personal-data lookup.
///
/// A purpose is also what reveals the addresses of persons with address protection
/// (confidential, strictly confidential): without one they are withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user or service account (`kari.helpdesk`, `journal-svc`).
    pub actor: String,
    /// The legal purpose of the lookup (`treatment`, `helpdesk ticket 4711`), if given.
    pub purpose: Option<String>,
}

impl Caller {
    /// A caller with no purpose.
    pub fn new(actor: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            purpose: None,
        }
    }

    /// The same caller giving `purpose`; an empty or blank purpose counts as none.
    #[must_use]
    pub fn with_purpose(mut self, purpose: impl Into<String>) -> Self {
        let purpose = purpose.into();
        self.purpose = (!purpose.trim().is_empty()).then_some(purpose);
        self
    }
}

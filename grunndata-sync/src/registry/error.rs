//! The registry's error type.
//!
//! Policy: every failure of a [`Registry`](super::Registry) lookup is a [`RegistryError`]
//! naming what was being looked up (a NIN only masked, `010180*****`). A negative answer —
//! not found, not tracked, not authorised — is never an error: it is part of the answer.
//! Callers react by kind:
//!
//! - [`Store`](RegistryError::Store): the mirror could not be read (usually transient: a
//!   network or lock timeout; retry), or opened (configuration: tell the admin).
//! - [`Audit`](RegistryError::Audit): the lookup could not be recorded in the audit log, so
//!   its answer was withheld. Retry; persistent failures are an operational problem.
//! - [`PurposeRequired`](RegistryError::PurposeRequired): the registry is configured to demand
//!   a purpose for personal-data lookups and the caller gave none; a caller bug.
//! - [`NotIndexed`](RegistryError::NotIndexed): the mirror cannot answer this kind of question
//!   at all (today: RESH-ids); retrying will not help.

use std::fmt;

use crate::store::StoreError;

/// Why a registry lookup failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Reading the mirror failed.
    #[error("looking up {what} failed")]
    Store {
        /// What was being looked up (`organisation 974760673`, `person 010180*****`).
        what: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },

    /// Appending to the audit log failed; the answer was not returned.
    #[error("recording the lookup of {what} in the audit log failed, so its answer is withheld")]
    Audit {
        /// What was being looked up (NINs masked).
        what: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },

    /// A personal-data lookup without a purpose, where the registry requires one.
    #[error(
        "looking up {what} requires a purpose (the registry is configured with purpose_required)"
    )]
    PurposeRequired {
        /// What was being looked up (NINs masked).
        what: String,
    },

    /// The mirror holds no index for this kind of identifier.
    #[error("{identifier} lookups are not indexed: {reason}")]
    NotIndexed {
        /// The identifier (`RESH-id`).
        identifier: &'static str,
        /// Why, in words.
        reason: &'static str,
    },
}

impl RegistryError {
    /// A [`RegistryError::Store`] for a lookup of `what`.
    /// Formats `what` only when a failure happens, so the hot path allocates nothing.
    pub(crate) fn store(what: impl fmt::Display) -> impl FnOnce(StoreError) -> Self {
        move |source| Self::Store {
            what: what.to_string(),
            source,
        }
    }
}

/// Shorthand for results of registry lookups.
pub type RegistryResult<T> = Result<T, RegistryError>;

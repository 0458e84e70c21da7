//! Sorting an upsert into what it does to the stored row: both backends' upserters write
//! only what the class asks for.

use chrono::{DateTime, Utc};

use super::super::record::Encoded;

/// What the store holds for a key.
pub(crate) struct Existing {
    pub(crate) digest: Vec<u8>,
    pub(crate) fetched_at: Option<DateTime<Utc>>,
    pub(crate) changed_at: Option<DateTime<Utc>>,
}

/// What to do with one record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Not stored yet.
    New,
    /// Content changed; the stored version ends at this instant.
    Changed(DateTime<Utc>),
    /// Same content, seen again: only `fetched_at` moves.
    Refreshed,
    /// Same content, same `fetched_at`: nothing to write.
    Unchanged,
}

/// The class of `row` given what is stored for its key.
pub(crate) fn classify(row: &Encoded, old: Option<&Existing>) -> Class {
    match old {
        None => Class::New,
        Some(old) if old.digest.as_slice() == row.digest.as_bytes() => {
            if old.fetched_at == Some(row.fetched_at) {
                Class::Unchanged
            } else {
                Class::Refreshed
            }
        }
        // The old version ends where the new one starts; never before it began.
        Some(old) => Class::Changed(
            old.changed_at
                .map_or(row.changed_at, |began| began.max(row.changed_at)),
        ),
    }
}

//! From what a source yields to what the store commits.

use chrono::{DateTime, Utc};

use crate::core::model::FlaggedIdentifiers;
use crate::source::{self, MalformedRecord, UpstreamRecord};
use crate::store::{Batch, MirrorRecord, QuarantineEntry};

use super::report::Counts;

/// A record type the engine syncs: an upstream record the store mirrors, under one key.
pub(crate) trait Synced:
    UpstreamRecord + MirrorRecord<Key = <Self as UpstreamRecord>::Key> + FlaggedIdentifiers
{
}

impl<T> Synced for T where
    T: UpstreamRecord + MirrorRecord<Key = <T as UpstreamRecord>::Key> + FlaggedIdentifiers
{
}

/// A malformed record as a quarantine entry; the field, when known, leads the error.
pub(crate) fn quarantine_entry(malformed: MalformedRecord) -> QuarantineEntry {
    let error = match &malformed.field {
        Some(field) => format!("at {field}: {}", malformed.error),
        None => malformed.error,
    };
    QuarantineEntry {
        upstream_id: malformed.upstream_id,
        error,
        payload: malformed.raw,
        received_at: malformed.received_at,
    }
}

/// Adds one parsed record to `batch`, counting it.
pub(crate) fn add_parsed<R: Synced>(
    batch: &mut Batch<R>,
    parsed: source::Parsed<R>,
    fetched_at: DateTime<Utc>,
    counts: &mut Counts,
) {
    counts.fetched += 1;
    match parsed {
        source::Parsed::Record(record) => {
            if record.is_flagged() {
                counts.flagged += 1;
            }
            batch
                .changes
                .push(crate::store::Change::Upsert(crate::store::Upsert {
                    record,
                    changed_at: None,
                    fetched_at,
                }));
        }
        source::Parsed::Malformed(malformed) => batch.quarantine.push(quarantine_entry(malformed)),
    }
}

/// A feed page as a batch carrying its next cursor.
pub(crate) fn page_batch<R: Synced>(page: source::Page<R>, counts: &mut Counts) -> Batch<R> {
    let mut batch = Batch::new(Utc::now()).cursor(page.next_cursor.into_string());
    counts.fetched += page.events_seen as u64;
    counts.sequence_gaps += page.sequence_gaps;
    batch.sequence_gaps = page.sequence_gaps;
    for change in page.changes {
        match change {
            source::Change::Upsert {
                record,
                changed_at,
                fetched_at,
            } => {
                if record.is_flagged() {
                    counts.flagged += 1;
                }
                batch = batch.upsert(record, changed_at, fetched_at);
            }
            source::Change::Delete { key, at } => batch = batch.delete(key, at),
            source::Change::Purge { key, at } => batch = batch.purge(key, at),
        }
    }
    batch
        .quarantine
        .extend(page.malformed.into_iter().map(quarantine_entry));
    batch
}

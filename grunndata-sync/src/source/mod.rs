//! Upstream clients: one module per register, all behind one shape.
//!
//! ```text
//! upstream HTTP ──► source::<register> ──► engine
//!                   parse into core types
//! ```
//!
//! Every client offers the same three operations ([`Source`]):
//!
//! - **bootstrap** — a [`Snapshot`]: a stream of [`Parsed`] records (never the whole register
//!   in memory) plus the [`Cursor`] the change feed resumes from afterwards;
//! - **changes** — one [`Page`] of [`Change`]s since a cursor, plus the next cursor;
//! - **fetch** — records by key, in bulk within the upstream's limits.
//!
//! A record that does not parse is a [`MalformedRecord`] (register, upstream id, field, error,
//! raw payload) next to the records that did; it never aborts the rest of a page or stream.
//! Everything that stops a request is a [`SourceError`]; a feed position upstream no longer
//! serves is [`SourceError::CursorExpired`], so the engine can re-snapshot.
//!
//! Modules: [`http`] (timeouts, retries, `Retry-After`, the auth seam, bounded concurrency),
//! [`brreg`] (Enhetsregisteret), [`ar`] (Adresseregisteret), [`preg`] (Persontjenesten).
//! HPR lives in `hpr`. Adding a register (FLR) is adding a module here.

pub mod ar;
pub mod brreg;
pub mod error;
pub mod hpr;
pub mod http;
pub mod preg;

mod introspect;
mod json_array;
mod record;
mod time;

use std::fmt;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use futures_util::Stream;

pub use error::SourceError;
pub use http::{Authorise, HttpClient, HttpConfig, RequestSpec};
pub use record::{MalformedRecord, Parsed, UpstreamRecord};

use crate::store::Register;

/// A boxed stream of parsed records, as a bootstrap yields them.
pub type RecordStream<R> = Pin<Box<dyn Stream<Item = Result<Parsed<R>, SourceError>> + Send>>;

/// One change from an upstream's feed, already resolved into what the mirror should do.
#[derive(Debug, Clone)]
pub enum Change<R: UpstreamRecord> {
    /// Insert or replace the record. It may itself carry a deletion mark (Brreg `slettedato`,
    /// AR `validTo` in the past): such records are kept, marked, not removed.
    Upsert {
        /// The record as fetched.
        record: R,
        /// When upstream changed it (Brreg `dato`, AR `eventTimestamp`), if known.
        changed_at: Option<DateTime<Utc>>,
        /// When it was fetched.
        fetched_at: DateTime<Utc>,
    },
    /// Upstream says the record is gone but has no record to show (Brreg 404 after `Sletting`):
    /// remove it, keeping history.
    Delete {
        /// The key.
        key: R::Key,
        /// When upstream deleted it, if known.
        at: Option<DateTime<Utc>>,
    },
    /// Remove the record and its history: upstream withdrew it from open data (Brreg
    /// `Fjernet`, HTTP 410), and copies must remove it too.
    Purge {
        /// The key.
        key: R::Key,
        /// When upstream removed it, if known.
        at: Option<DateTime<Utc>>,
    },
}

impl<R: UpstreamRecord> Change<R> {
    /// The key the change is about.
    pub fn key(&self) -> R::Key {
        match self {
            Self::Upsert { record, .. } => record.key(),
            Self::Delete { key, .. } | Self::Purge { key, .. } => key.clone(),
        }
    }
}

/// One page of the change feed.
#[derive(Debug, Clone)]
pub struct Page<R: UpstreamRecord> {
    /// Changes in feed order; at most one per key (the latest event wins).
    pub changes: Vec<Change<R>>,
    /// Records of this page that could not be parsed (quarantine them).
    pub malformed: Vec<MalformedRecord>,
    /// Where the next call continues. Commit it with this page's changes.
    pub next_cursor: Cursor,
    /// Whether the feed had nothing beyond this page when it was read.
    pub caught_up: bool,
    /// Events read (including skipped and duplicate ones): for progress and metrics.
    pub events_seen: usize,
    /// Sequence numbers missing from this page (AR, Persontjenesten; 0 for feeds that do
    /// not promise dense numbering). Applied and counted, not an expired cursor:
    /// docs/upstream-decisions.md, "feed gaps and expiry".
    pub sequence_gaps: u64,
}

/// A bootstrap: the whole register (or, for Persontjenesten, every tracked person) as a stream,
/// and where the change feed resumes afterwards.
pub struct Snapshot<R> {
    /// The records, parsed one at a time; an `Err` ends the stream (a truncated download is an
    /// error, never a short snapshot).
    pub records: RecordStream<R>,
    /// The snapshot's identity (Brreg `ETag`/`Last-Modified`, AR `lastSequenceNumber`, …).
    pub id: String,
    /// When the snapshot was produced (Brreg `Last-Modified`) or, failing that, requested.
    pub at: DateTime<Utc>,
    /// The cursor to continue the change feed from once the stream is consumed. It lies at or
    /// before the snapshot, so some changes may be replayed; replays are idempotent upserts.
    pub resume: Cursor,
    /// How many records upstream says the snapshot holds (AR export `count`), when it says;
    /// the engine reconciles the mirror's count with it after the bootstrap.
    pub expected: Option<u64>,
}

impl<R> fmt::Debug for Snapshot<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("id", &self.id)
            .field("at", &self.at)
            .field("resume", &self.resume)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

/// A position in an upstream's change feed, stored as opaque text.
///
/// Each upstream module documents its format and has typed helpers:
/// - Brreg: JSON `{"enheter":N,"underenheter":M}` (next `oppdateringsid` of each feed,
///   inclusive), or `{"dato":"…"}` parts before the first event is seen
///   ([`brreg::BrregCursor`]);
/// - AR: the next `fromSequenceNumber` in decimal ([`ar::ArCursor`]);
/// - Persontjenesten: the next `sequenceNumber` in decimal ([`preg::PregCursor`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps stored cursor text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the text.
    pub fn into_string(self) -> String {
        self.0
    }

    /// A sequence-number cursor (AR, Persontjenesten): the next number to read, inclusive.
    pub fn from_sequence(next: i64) -> Self {
        Self(next.to_string())
    }

    /// Reads a sequence-number cursor: a decimal ≥ 1, the next `parameter` to ask `register`
    /// for.
    pub fn sequence(&self, register: Register, parameter: &str) -> Result<i64, SourceError> {
        match self.0.trim().parse::<i64>() {
            Ok(next) if next >= 1 => Ok(next),
            _ => Err(SourceError::InvalidCursor {
                register,
                cursor: self.0.clone(),
                reason: format!("expected the next {parameter}, a decimal ≥ 1"),
            }),
        }
    }
}

/// Sequence numbers missing from a page of a sequence feed (AR, Persontjenesten): how many
/// numbers in `from ..= max seen` no event carries.
///
/// Decision (docs/upstream-decisions.md, "feed gaps and expiry"): neither contract promises
/// dense numbering (event stores skip numbers on rolled-back transactions), so a gap is not by
/// itself an expired cursor. The page is applied and the gap counted and logged; only an
/// explicit answer (410) re-snapshots. The number is read from a JSON number or, as
/// Persontjenesten's contract declares it (`EventDocument.sequenceNumber`, a string), from a
/// decimal string. A cursor of 1 (a feed need not number from 1) counts from the first event.
pub(crate) fn sequence_gaps(register: Register, from: i64, items: &[serde_json::Value]) -> u64 {
    let mut seen: Vec<i64> = items
        .iter()
        .filter_map(|item| sequence_of(item.get("sequenceNumber")?))
        .filter(|&sequence| sequence >= from)
        .collect();
    seen.sort_unstable();
    seen.dedup();
    let (Some(&first), Some(&last)) = (seen.first(), seen.last()) else {
        return 0;
    };
    let start = if from > 1 { from } else { first };
    let span = u64::try_from(last - start + 1).unwrap_or(0);
    let gaps = span.saturating_sub(seen.len() as u64);
    if gaps > 0 {
        tracing::warn!(%register, from, first, last, gaps, "sequence numbers missing from the feed; applied the page");
    }
    gaps
}

/// A sequence number sent as a JSON number or a decimal string.
pub(crate) fn sequence_of(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(number) => number.as_i64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Cursor {
    fn from(text: String) -> Self {
        Self(text)
    }
}

/// The shape every upstream client has.
///
/// Implementations are cheap to clone and safe to share; each call is independent (the cursor
/// is the only state, and the caller keeps it).
pub trait Source: Send + Sync {
    /// The record type, a `grunndata-core` model.
    type Record: UpstreamRecord;

    /// The register this source reads.
    fn register(&self) -> Register;

    /// Starts a full read. Records stream as they arrive; memory stays bounded.
    fn bootstrap(&self)
    -> impl Future<Output = Result<Snapshot<Self::Record>, SourceError>> + Send;

    /// Reads one page of changes from `cursor`.
    fn changes(
        &self,
        cursor: &Cursor,
    ) -> impl Future<Output = Result<Page<Self::Record>, SourceError>> + Send;

    /// Fetches records by key, in bulk within upstream limits, with bounded concurrency. Keys
    /// upstream does not know are left out of the result.
    fn fetch(
        &self,
        keys: &[<Self::Record as UpstreamRecord>::Key],
    ) -> impl Future<Output = Result<Vec<Parsed<Self::Record>>, SourceError>> + Send;
}

#[cfg(test)]
mod gap_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gaps_are_counted_for_numbers_and_strings() {
        let cases = [
            (json!([{"sequenceNumber": 5}, {"sequenceNumber": 6}]), 5, 0),
            (json!([{"sequenceNumber": 7}, {"sequenceNumber": 9}]), 5, 3),
            (
                json!([{"sequenceNumber": "7"}, {"sequenceNumber": "9"}]),
                5,
                3,
            ),
            (
                json!([{"sequenceNumber": "3"}, {"sequenceNumber": "4"}]),
                1,
                0,
            ),
            (json!([{"sequenceNumber": "x"}]), 5, 0),
            (json!([]), 5, 0),
        ];
        for (items, from, gaps) in cases {
            let items = items.as_array().cloned().unwrap_or_default();
            assert_eq!(
                sequence_gaps(Register::Preg, from, &items),
                gaps,
                "{items:?}"
            );
        }
    }
}

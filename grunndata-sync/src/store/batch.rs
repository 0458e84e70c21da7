//! A batch of changes to one register, applied with its new cursor in one transaction.
//!
//! ```no_run
//! # async fn demo(store: &grunndata_sync::store::Store, org: grunndata_sync::core::model::Organisation)
//! # -> Result<(), grunndata_sync::store::StoreError> {
//! use chrono::Utc;
//! use grunndata_sync::store::Batch;
//!
//! let now = Utc::now();
//! let batch = Batch::new(now).upsert(org, None, now).cursor("9400340");
//! let outcome = store.apply(batch).await?;
//! println!("{} inserted, version {}", outcome.inserted, outcome.version);
//! # Ok(()) }
//! ```

use chrono::{DateTime, Utc};

use super::MirrorRecord;

/// One change, in feed order.
#[derive(Debug, Clone)]
pub enum Change<R: MirrorRecord> {
    /// Insert or replace a record.
    Upsert(Upsert<R>),
    /// Remove a record.
    Delete(Delete<R::Key>),
}

/// Insert or replace one record.
///
/// A record whose canonical JSON equals the stored one changes nothing but `fetched_at`; one
/// that differs moves the stored version to history.
#[derive(Debug, Clone)]
pub struct Upsert<R> {
    /// The record.
    pub record: R,
    /// When upstream changed it (Brreg `dato`, AR `eventTimestamp`, HPR `sistOppdatert`), if
    /// known; the batch's `applied_at` otherwise. Starts the new version's interval.
    pub changed_at: Option<DateTime<Utc>>,
    /// When it was fetched from upstream; records not refetched since a time can be swept.
    pub fetched_at: DateTime<Utc>,
}

/// Remove one record.
#[derive(Debug, Clone)]
pub struct Delete<K> {
    /// The key.
    pub key: K,
    /// When upstream deleted it, if known; the batch's `applied_at` otherwise. Ends the last
    /// version's interval.
    pub at: Option<DateTime<Utc>>,
    /// Also erase its history (Brreg `Fjernet`: removed from open data, copies must remove it
    /// too). Without `purge` the last version is kept in history.
    pub purge: bool,
}

/// A record that failed to parse or validate, kept with its raw payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineEntry {
    /// The upstream id, when it could be read (orgnr, HER-id, HPR number, person id).
    pub upstream_id: Option<String>,
    /// What was wrong, in words (never a NIN).
    pub error: String,
    /// The payload exactly as received.
    pub payload: Vec<u8>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// The snapshot a bootstrap or re-snapshot is reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The snapshot's identity (an ETag, `lastSequenceNumber`, a file date).
    pub id: String,
    /// When it was produced or started.
    pub at: DateTime<Utc>,
}

/// Changes to one register plus the sync position they bring the mirror to.
///
/// Everything in a batch commits together or not at all: its changes, its quarantine entries,
/// a sweep, the new cursor and snapshot, and the register's version bump.
#[derive(Debug, Clone)]
pub struct Batch<R: MirrorRecord> {
    /// Upserts and deletes in feed order; a later change to the same key wins.
    pub changes: Vec<Change<R>>,
    /// Records that could not be parsed.
    pub quarantine: Vec<QuarantineEntry>,
    /// The new cursor (`None` keeps the current one).
    pub cursor: Option<String>,
    /// The new snapshot (`None` keeps the current one).
    pub snapshot: Option<Snapshot>,
    /// After the changes, remove (keeping history) every record last fetched before this time:
    /// the end of a re-snapshot, where records absent from the new snapshot go.
    pub sweep_not_fetched_since: Option<DateTime<Utc>>,
    /// When the batch is applied: the default change and delete time.
    pub applied_at: DateTime<Utc>,
    /// Sequence numbers the feed page skipped, added to the register's running count in the
    /// same transaction as the cursor (shown by `grunndata status`).
    pub sequence_gaps: u64,
}

impl<R: MirrorRecord> Batch<R> {
    /// An empty batch applied at `applied_at`.
    pub fn new(applied_at: DateTime<Utc>) -> Self {
        Self {
            changes: Vec::new(),
            quarantine: Vec::new(),
            cursor: None,
            snapshot: None,
            sweep_not_fetched_since: None,
            applied_at,
            sequence_gaps: 0,
        }
    }

    /// Adds an upsert.
    #[must_use]
    pub fn upsert(
        mut self,
        record: R,
        changed_at: Option<DateTime<Utc>>,
        fetched_at: DateTime<Utc>,
    ) -> Self {
        self.changes.push(Change::Upsert(Upsert {
            record,
            changed_at,
            fetched_at,
        }));
        self
    }

    /// Adds a delete that keeps history.
    #[must_use]
    pub fn delete(mut self, key: R::Key, at: Option<DateTime<Utc>>) -> Self {
        self.changes.push(Change::Delete(Delete {
            key,
            at,
            purge: false,
        }));
        self
    }

    /// Adds a delete that also erases history.
    #[must_use]
    pub fn purge(mut self, key: R::Key, at: Option<DateTime<Utc>>) -> Self {
        self.changes.push(Change::Delete(Delete {
            key,
            at,
            purge: true,
        }));
        self
    }

    /// Adds a quarantine entry.
    #[must_use]
    pub fn quarantine(mut self, entry: QuarantineEntry) -> Self {
        self.quarantine.push(entry);
        self
    }

    /// Sets the new cursor.
    #[must_use]
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Sets the new snapshot.
    #[must_use]
    pub fn snapshot(mut self, snapshot: Snapshot) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    /// Sweeps records not fetched since `since` after the changes.
    #[must_use]
    pub fn sweep_not_fetched_since(mut self, since: DateTime<Utc>) -> Self {
        self.sweep_not_fetched_since = Some(since);
        self
    }
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// New records.
    pub inserted: u64,
    /// Records whose content changed (previous version moved to history).
    pub changed: u64,
    /// Records with unchanged content seen again (`fetched_at` updated).
    pub refreshed: u64,
    /// Upserts that changed nothing at all (re-applied batch).
    pub unchanged: u64,
    /// Records deleted (history kept).
    pub deleted: u64,
    /// Records purged with their history.
    pub purged: u64,
    /// Records removed by the sweep.
    pub swept: u64,
    /// Entries added to quarantine (including records the store could not hold).
    pub quarantined: u64,
    /// PREG upserts skipped because none of the person's NINs is tracked.
    pub skipped_untracked: u64,
    /// The register's version after the batch (bumped only when data changed).
    pub version: i64,
}

impl BatchOutcome {
    /// Whether the batch changed any mirrored data.
    pub fn changed_data(&self) -> bool {
        self.inserted + self.changed + self.refreshed + self.deleted + self.purged + self.swept > 0
    }
}

//! Applying a [`Batch`]: the one write path, shared by both backends.
//!
//! The caller opens the transaction; everything here runs inside it, so a failure anywhere
//! leaves nothing behind. Order inside a batch:
//!
//! 1. changes in feed order — consecutive upserts form a *run* written set-wise by the
//!    backend's [`Upserter`] (on SQLite row by row, writing only what changed; on PostgreSQL
//!    multi-row `VALUES` for small runs, `COPY` into a staging table and merge for large ones);
//!    deletes one by one;
//! 2. the sweep of records not fetched since a time;
//! 3. quarantine: entries for keys that now stored cleanly are resolved, new entries added;
//! 4. sync state: cursor, snapshot, and the version bump when data changed.
//!
//! Idempotence comes from the digests: an upsert whose digest and `fetched_at` equal the stored
//! row writes nothing, a delete of an absent key deletes nothing, and the sync-state update
//! writes the same values again.

pub(crate) mod classify;
mod delete;
#[cfg(all(test, feature = "sqlite", feature = "sync", feature = "fake"))]
mod tests;
#[cfg(feature = "postgres")]
pub(crate) mod values;

use std::collections::HashSet;
use std::future::Future;

use chrono::{DateTime, Utc};

use super::batch::{Batch, BatchOutcome, Change, Delete, QuarantineEntry};
use super::exec::Exec;
use super::record::{Encoded, MirrorRecord, Unstorable, encode, sealed};
use super::schema::TableSpec;
use super::sql::placeholders;
use super::value::{Kind, Value, truncate};
use super::{StoreError, quarantine, tracked};
use crate::store::DatabaseError;

/// What one upsert run did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RunCounts {
    pub(crate) inserted: u64,
    pub(crate) changed: u64,
    pub(crate) refreshed: u64,
    pub(crate) unchanged: u64,
}

/// A connection that can write a run of upserts (deduplicated by key) into a register.
pub(crate) trait Upserter: Exec {
    /// Records encoded per pipeline step: encoding of the next chunk overlaps the writing of
    /// this one, but each chunk costs the backend a round of statements.
    const ENCODE_CHUNK: usize;

    /// [`ENCODE_CHUNK`](Self::ENCODE_CHUNK) during a fresh bulk load.
    const BULK_ENCODE_CHUNK: usize;

    /// Whether a fresh bulk load's runs are written in key order. PostgreSQL writes several
    /// batches of a fresh load at once; should a key come in two of them (a resumed load, or
    /// upstream listing a unit twice), each takes its key locks in the same order, so one
    /// waits for the other instead of the two deadlocking.
    const BULK_IN_KEY_ORDER: bool;

    /// Writes `rows`; `bulk` says the register is in a fresh bulk load (indexes dropped).
    fn upsert_run(
        &mut self,
        spec: &'static TableSpec,
        rows: Vec<Encoded>,
        bulk: bool,
    ) -> impl Future<Output = Result<RunCounts, DatabaseError>> + Send;
}

/// A batch ready for its transaction: its changes grouped into runs of upserts and deletes,
/// in feed order, and — once [`encode_ahead`](Self::encode_ahead) has run — its upsert runs
/// deduplicated and encoded, so that the transaction only writes.
pub(crate) struct Planned<R: MirrorRecord> {
    steps: Vec<Step<R>>,
    /// The batch without its changes (they are in `steps`).
    rest: Batch<R>,
}

/// One step of a [`Planned`] batch.
enum Step<R: MirrorRecord> {
    /// Consecutive upserts, encoded inside the transaction a chunk ahead of the writing.
    Upserts(Vec<Pending<R>>),
    /// Consecutive upserts deduplicated and encoded before the transaction began.
    Encoded(EncodedRun),
    /// One delete.
    Delete(Delete<R::Key>),
}

/// A run's rows and the records the store could not hold.
type EncodedRun = (Vec<Encoded>, Vec<Unstorable>);

impl<R: MirrorRecord> Planned<R> {
    /// Groups `batch`'s changes into runs; nothing is encoded yet.
    pub(crate) fn new(mut batch: Batch<R>) -> Self {
        let applied_at = truncate(batch.applied_at);
        let mut steps = Vec::new();
        let mut run: Vec<Pending<R>> = Vec::new();
        for change in std::mem::take(&mut batch.changes) {
            match change {
                Change::Upsert(upsert) => run.push(Pending {
                    key_text: upsert.record.key().to_string(),
                    changed_at: upsert.changed_at.unwrap_or(applied_at),
                    fetched_at: upsert.fetched_at,
                    record: upsert.record,
                }),
                Change::Delete(delete) => {
                    if !run.is_empty() {
                        steps.push(Step::Upserts(std::mem::take(&mut run)));
                    }
                    steps.push(Step::Delete(delete));
                }
            }
        }
        if !run.is_empty() {
            steps.push(Step::Upserts(run));
        }
        Self { steps, rest: batch }
    }

    /// Deduplicates and encodes every upsert run now, CPU work only, so that a backend with
    /// one writer thread (SQLite) can have the next batch encoded on another core while it
    /// writes this one. The runs are then written in the order given, never sorted by key:
    /// only for a backend whose [`Upserter::BULK_IN_KEY_ORDER`] is false. PREG's runs stay
    /// as they are: they keep only tracked persons, which only the transaction can read, and
    /// encoding the others would be wasted.
    pub(crate) fn encode_ahead(mut self) -> Result<Self, StoreError> {
        if R::REGISTER == super::Register::Preg {
            return Ok(self);
        }
        for step in &mut self.steps {
            if let Step::Upserts(run) = step {
                *step = Step::Encoded(encode_chunk(dedupe(std::mem::take(run)))?);
            }
        }
        Ok(self)
    }
}

/// Applies `planned` inside the caller's transaction.
pub(crate) async fn apply<C: Upserter, R: MirrorRecord>(
    conn: &mut C,
    planned: Planned<R>,
    bulk: bool,
) -> Result<BatchOutcome, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let register = R::REGISTER;
    let db = || StoreError::db("applying a batch", Some(register));
    let Planned { steps, rest: batch } = planned;
    let applied_at = truncate(batch.applied_at);
    let mut outcome = BatchOutcome::default();
    let mut quarantined: Vec<QuarantineEntry> = batch.quarantine;
    let resolve_quarantine = quarantine::has_entries(conn, register)
        .await
        .map_err(db())?;
    let mut stored_keys: Vec<String> = Vec::new();

    let mut flushing = Flush {
        spec,
        bulk,
        applied_at,
        outcome: &mut outcome,
        stored_keys: &mut stored_keys,
        quarantined: &mut quarantined,
    };
    for step in steps {
        match step {
            Step::Upserts(run) => flushing.run(conn, run).await?,
            Step::Encoded(encoded) => {
                debug_assert!(
                    !(bulk && C::BULK_IN_KEY_ORDER),
                    "encoded ahead for a backend that writes bulk loads in key order"
                );
                flushing.write(conn, encoded).await?;
            }
            Step::Delete(delete) => {
                let at = delete.at.map_or(applied_at, truncate);
                let key = sealed::Key::to_value(&delete.key);
                let removed = delete::delete(conn, spec, &key, at, delete.purge)
                    .await
                    .map_err(db())?;
                if delete.purge {
                    flushing.outcome.purged += removed;
                } else {
                    flushing.outcome.deleted += removed;
                }
            }
        }
    }

    if let Some(since) = batch.sweep_not_fetched_since {
        outcome.swept = delete::sweep(conn, spec, truncate(since), applied_at)
            .await
            .map_err(db())?;
    }

    if resolve_quarantine && !stored_keys.is_empty() {
        quarantine::resolve(conn, register, &stored_keys)
            .await
            .map_err(db())?;
    }
    for entry in &quarantined {
        quarantine::insert(conn, register, entry)
            .await
            .map_err(db())?;
    }
    outcome.quarantined = quarantined.len() as u64;

    outcome.version = update_sync_state(
        conn,
        spec,
        outcome.changed_data(),
        batch.cursor.as_deref(),
        batch.snapshot.as_ref(),
        batch.sequence_gaps,
        applied_at,
    )
    .await
    .map_err(db())?;
    Ok(outcome)
}

/// An upsert not yet encoded, with its key text computed once.
struct Pending<R> {
    key_text: String,
    record: R,
    changed_at: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
}

/// Writes runs of upserts, collecting what happened into the batch outcome.
struct Flush<'a> {
    spec: &'static TableSpec,
    bulk: bool,
    applied_at: DateTime<Utc>,
    outcome: &'a mut BatchOutcome,
    stored_keys: &'a mut Vec<String>,
    quarantined: &'a mut Vec<QuarantineEntry>,
}

impl Flush<'_> {
    /// Writes one run: deduplicated by key, PREG filtered to tracked persons, then encoded and
    /// written chunk by chunk. Encoding (canonical JSON, digest, typed columns) runs on a
    /// blocking thread one chunk ahead of the database, so the two overlap.
    async fn run<C: Upserter, R: MirrorRecord>(
        &mut self,
        conn: &mut C,
        run: Vec<Pending<R>>,
    ) -> Result<(), StoreError> {
        let register = R::REGISTER;
        let db = StoreError::db("applying a batch", Some(register));
        if run.is_empty() {
            return Ok(());
        }
        let mut run = dedupe(run);
        if self.bulk && C::BULK_IN_KEY_ORDER {
            run.sort_unstable_by(|a, b| a.key_text.cmp(&b.key_text));
        }
        if register == super::Register::Preg {
            let persons: Vec<(String, Vec<String>)> = run
                .iter()
                .map(|pending| (pending.key_text.clone(), pending.record.person_nins()))
                .collect();
            let keep = tracked::keep_tracked(conn, &persons).await.map_err(db)?;
            let before = run.len();
            run.retain(|pending| keep.contains(&pending.key_text));
            self.outcome.skipped_untracked += (before - run.len()) as u64;
        }
        let chunk_size = if self.bulk {
            C::BULK_ENCODE_CHUNK
        } else {
            C::ENCODE_CHUNK
        };
        if run.len() <= chunk_size {
            let encoded = encode_chunk(run)?;
            return self.write(conn, encoded).await;
        }
        let mut chunks = Vec::with_capacity(run.len().div_ceil(chunk_size));
        let mut rest = run.into_iter();
        loop {
            let chunk: Vec<Pending<R>> = rest.by_ref().take(chunk_size).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(chunk);
        }
        let mut chunks = chunks.into_iter();
        let spawn =
            |chunk: Vec<Pending<R>>| tokio::task::spawn_blocking(move || encode_chunk(chunk));
        let mut next = chunks.next().map(spawn);
        while let Some(encoding) = next {
            let encoded = joined(encoding.await)?;
            next = chunks.next().map(spawn);
            self.write(conn, encoded).await?;
        }
        Ok(())
    }

    async fn write<C: Upserter>(
        &mut self,
        conn: &mut C,
        (rows, unstorable): EncodedRun,
    ) -> Result<(), StoreError> {
        self.quarantined
            .extend(unstorable.into_iter().map(|unstorable| QuarantineEntry {
                upstream_id: Some(unstorable.key_text),
                error: unstorable.reason,
                payload: unstorable.payload,
                received_at: self.applied_at,
            }));
        if rows.is_empty() {
            return Ok(());
        }
        self.stored_keys
            .extend(rows.iter().map(|row| row.key_text.clone()));
        let counts = conn
            .upsert_run(self.spec, rows, self.bulk)
            .await
            .map_err(StoreError::db("applying a batch", Some(self.spec.register)))?;
        self.outcome.inserted += counts.inserted;
        self.outcome.changed += counts.changed;
        self.outcome.refreshed += counts.refreshed;
        self.outcome.unchanged += counts.unchanged;
        Ok(())
    }
}

/// What encoding on the blocking pool gave: its panic resumed here, a task cancelled by the
/// runtime shutting down an error.
pub(crate) fn joined<T>(
    encoding: Result<Result<T, StoreError>, tokio::task::JoinError>,
) -> Result<T, StoreError> {
    match encoding {
        Ok(encoded) => encoded,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(StoreError::Cancelled {
            operation: "encoding records",
        }),
    }
}

/// Encodes a chunk, setting aside records the store cannot hold.
fn encode_chunk<R: MirrorRecord>(chunk: Vec<Pending<R>>) -> Result<EncodedRun, StoreError> {
    let mut rows = Vec::with_capacity(chunk.len());
    let mut unstorable = Vec::new();
    for pending in chunk {
        match encode(&pending.record, pending.changed_at, pending.fetched_at)? {
            Ok(encoded) => rows.push(encoded),
            Err(rejected) => unstorable.push(rejected),
        }
    }
    Ok((rows, unstorable))
}

/// Keeps the last upsert of each key, in order.
fn dedupe<R>(run: Vec<Pending<R>>) -> Vec<Pending<R>> {
    let mut seen = HashSet::with_capacity(run.len());
    // Sized up front: collecting a filter grows the vector by doubling, and each growth moved
    // every record read so far (callgrind of a bootstrap).
    let mut kept: Vec<Pending<R>> = Vec::with_capacity(run.len());
    kept.extend(
        run.into_iter()
            .rev()
            .filter(|pending| seen.insert(pending.key_text.clone())),
    );
    kept.reverse();
    kept
}

/// Updates the register's sync state and returns its version.
async fn update_sync_state<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    changed: bool,
    cursor: Option<&str>,
    snapshot: Option<&super::batch::Snapshot>,
    sequence_gaps: u64,
    applied_at: DateTime<Utc>,
) -> Result<i64, DatabaseError> {
    let mut sets = vec!["version = version + $2".to_owned()];
    let mut args = vec![
        Value::text(spec.register.as_str()),
        Value::Int(Some(i64::from(changed))),
    ];
    if changed || cursor.is_some() || snapshot.is_some() {
        args.push(Value::Timestamp(Some(applied_at)));
        sets.push(format!("last_batch_at = ${}", args.len()));
    }
    if let Some(cursor) = cursor {
        args.push(Value::text(cursor));
        sets.push(format!("cursor = ${}", args.len()));
    }
    if let Some(snapshot) = snapshot {
        args.push(Value::text(snapshot.id.clone()));
        sets.push(format!("snapshot_id = ${}", args.len()));
        args.push(Value::timestamp(snapshot.at));
        sets.push(format!("snapshot_at = ${}", args.len()));
    }
    if sequence_gaps > 0 {
        args.push(Value::Int(Some(
            i64::try_from(sequence_gaps).unwrap_or(i64::MAX),
        )));
        sets.push(format!("sequence_gaps = sequence_gaps + ${}", args.len()));
    }
    let sql = format!(
        "UPDATE sync_state SET {} WHERE register = $1 RETURNING version",
        sets.join(", ")
    );
    let rows = conn.fetch(&sql, &args, &[Kind::Int]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|mut row| row.int(0))
        .unwrap_or(0))
}

/// How many values go into one `IN (…)` list.
const IN_LIST_CHUNK: usize = 500;

/// Runs `SELECT … WHERE column IN (…)` over `values` in chunks, collecting one text column.
pub(crate) async fn select_in<C: Exec>(
    conn: &mut C,
    sql_before_in: &str,
    sql_after_in: &str,
    values: &[String],
) -> Result<HashSet<String>, DatabaseError> {
    let mut found = HashSet::new();
    for chunk in values.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "{sql_before_in} ({}) {sql_after_in}",
            placeholders(1, chunk.len())
        );
        let args: Vec<Value> = chunk
            .iter()
            .map(|value| Value::text(value.clone()))
            .collect();
        for mut row in conn.fetch(&sql, &args, &[Kind::Text]).await? {
            if let Some(text) = row.text(0) {
                found.insert(text);
            }
        }
    }
    Ok(found)
}

//! A (re-)snapshot: the whole register streamed from upstream into the mirror in batches.
//!
//! Crash safety without a cursor: the batches of a snapshot carry no cursor, so a snapshot
//! killed half-way leaves the register without one and the next run snapshots again. The
//! last batch sets the cursor to where the feed resumes and removes every record not fetched
//! since the snapshot began (history kept): records that upstream no longer holds, whether
//! left by an earlier mirror state or by a snapshot interrupted before them. A snapshot short of
//! upstream's count or of the floor share of the mirror never gets that far (`shrink.rs`).
//!
//! Memory stays bounded: the source parses one record at a time, a producer task gathers them
//! into batches of [`SyncOptions::batch_size`](super::SyncOptions::batch_size), and a channel of
//! one batch lets it parse the next batch while the store writes the current one (the second
//! core's work). Parsing a batch takes a fraction of writing it, so a deeper channel only held
//! more records in memory (measured: 47 → 46 k records/s, peak RSS 190 → 140 MiB, for Brreg).
//!
//! On PostgreSQL the store, not the client, was the limit: one backend process parsing the
//! `COPY` data left the two cores idle 40 % of the time. A fresh load there keeps up to three
//! batches writing at once (0.67 → 0.89–1.07× `psql \copy`, BENCHMARKS.md), and the last
//! batch waits until every earlier one has committed. On SQLite the one writer thread idled
//! between batches — waiting for the engine to hand over the next and for its first chunk's
//! encoding — so a fresh load there hands over two, the second encoded before it reaches the
//! writer ([`store::Store::start_bulk_apply`]).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::source::{Cursor, Parsed, Snapshot, Source, SourceError, UpstreamRecord};
use crate::store::{self, Batch};

use super::convert::{Synced, add_parsed};
use super::report::{Counts, Reconciliation, SyncMode};
use super::shrink::{Shortfall, SnapshotSize};
use super::{Context, EngineError};

/// How a snapshot ended.
pub(crate) enum Bootstrapped {
    /// Complete: the feed resumes from `resume`.
    Complete {
        /// Where the change feed continues.
        resume: Cursor,
        /// The mirror's count against upstream's.
        reconciliation: Reconciliation,
    },
    /// Stopped between batches on request; the next run snapshots again.
    Interrupted,
}

/// Aborts the producer when the consumer gives up (error, stop, deadline).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads `source`'s snapshot into the mirror.
pub(crate) async fn bootstrap<S>(
    context: &Context,
    source: &S,
    mode: SyncMode,
    counts: &mut Counts,
) -> Result<Bootstrapped, EngineError>
where
    S: Source,
    S::Record: Synced,
{
    let register = <S::Record as UpstreamRecord>::REGISTER;
    let store = &context.store;
    let held_records = mode == SyncMode::Resnapshot;
    // What the mirror holds before the snapshot adds to it: the floor is a share of this.
    let held = u64::try_from(store.counts(register).await?.records).unwrap_or(0);
    let started = Utc::now();
    let Snapshot {
        records,
        id,
        at,
        resume,
        expected,
    } = source.bootstrap().await?;
    tracing::info!(%register, snapshot = %id, mode = mode.as_str(), "snapshot started");
    context.progress.started(register, mode, expected);
    let bulk = store.begin_bulk_load(register).await?;

    let (sender, mut receiver) = mpsc::channel(1);
    let batch_size = context.options.batch_size.max(1);
    let _producer = AbortOnDrop(tokio::spawn(produce(records, batch_size, sender)));

    // A fresh bulk load may have several batches handed to the store at once (PostgreSQL:
    // three writing, on connections of their own; SQLite: the one its writer thread writes
    // and the next, encoded and waiting); they carry no cursor, so the order they commit in
    // does not matter. A re-snapshot merges into held records and writes one batch at a time.
    let pipeline = bulk.then(|| store.bulk_pipeline());
    let depth = pipeline.as_ref().map_or(1, |pipeline| pipeline.depth);
    let permits = pipeline.and_then(|pipeline| pipeline.permits);
    let mut writing = Writing {
        register,
        in_flight: VecDeque::with_capacity(depth),
        quarantined: 0,
    };
    let mut elements: u64 = 0;
    loop {
        // `None` from the channel means the producer died without saying it was done: never
        // take that for the end of the snapshot, or the sweep would remove what was not read.
        let Some(chunk) = receiver.recv().await.transpose()? else {
            return Err(EngineError::Task {
                register,
                message: "the snapshot reader stopped before the end of the snapshot".to_owned(),
            });
        };
        let Some(chunk) = chunk else { break };
        elements += chunk.len() as u64;
        let fetched_at = Utc::now();
        let mut batch = Batch::new(fetched_at);
        for parsed in chunk {
            add_parsed(&mut batch, parsed, fetched_at, counts);
        }
        let permit = match &permits {
            Some(writers) => writing.permit(writers, context, counts).await?,
            None => None,
        };
        let applying = if bulk {
            Box::pin(store.start_bulk_apply(batch)) as Applying
        } else {
            Box::pin(store.start_apply(batch))
        };
        writing.in_flight.push_back(InFlight {
            elements,
            applying,
            _permit: permit,
        });
        if writing.in_flight.len() < depth {
            continue;
        }
        writing.next(context, counts).await?;
        if context.stop.is_cancelled() {
            writing.drain(context, counts).await?;
            tracing::info!(%register, elements, "snapshot stopped on request; the next run starts it again");
            return Ok(Bootstrapped::Interrupted);
        }
    }
    // Everything read is committed before the shortfall check and the last batch (cursor,
    // sweep), which must come after every record of the snapshot.
    writing.drain(context, counts).await?;
    let quarantined = writing.quarantined;

    let size = SnapshotSize {
        fetched: elements,
        held,
        announced: expected,
    };
    if let Some(shortfall) = size.shortfall(context.options.snapshot_floor_percent)
        && !context.options.accept_shrink
    {
        // The records that did come are kept (they are current); only the sweep and the
        // cursor are withheld, so the next run snapshots again.
        if bulk {
            store.finish_bulk_load(register).await?;
        }
        let expected = match shortfall {
            Shortfall::BelowAnnounced { announced } => format!("upstream announced {announced}"),
            Shortfall::BelowFloor { least } => format!(
                "the mirror holds {held} and at least {least} ({} %) were expected",
                context.options.snapshot_floor_percent
            ),
        };
        return Err(EngineError::SnapshotShort {
            register,
            fetched: elements,
            expected,
        });
    }
    let mut last: Batch<S::Record> = Batch::new(Utc::now())
        .cursor(resume.as_str())
        .snapshot(store::Snapshot { id, at });
    if held_records {
        last = last.sweep_not_fetched_since(started);
    }
    let outcome = store.apply(last).await?;
    counts.add_outcome(&outcome);
    if bulk {
        let rebuilt = store.finish_bulk_load(register).await?;
        tracing::debug!(%register, rebuilt, "indexes rebuilt after bulk load");
    }
    let mirror = u64::try_from(store.counts(register).await?.records).unwrap_or(0);
    let reconciliation = Reconciliation {
        upstream: expected.unwrap_or(elements),
        mirror,
        quarantined,
    };
    if !reconciliation.agrees() {
        tracing::warn!(
            %register,
            upstream = reconciliation.upstream,
            mirror = reconciliation.mirror,
            quarantined = reconciliation.quarantined,
            "mirror count differs from upstream's after the snapshot"
        );
    }
    Ok(Bootstrapped::Complete {
        resume,
        reconciliation,
    })
}

/// Batches handed to the store and not yet committed, oldest first.
struct Writing {
    register: crate::store::Register,
    in_flight: VecDeque<InFlight>,
    quarantined: u64,
}

/// A batch's outcome, to await.
type Applying =
    Pin<Box<dyn Future<Output = Result<store::BatchOutcome, store::StoreError>> + Send>>;

/// A batch being applied on its own task ([`store::Store::start_apply`]).
struct InFlight {
    /// Elements read up to the end of this batch (for progress).
    elements: u64,
    applying: Applying,
    /// Its share of the connections bulk loads may use (PostgreSQL), given back once it is
    /// counted.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Writing {
    /// Waits for the oldest batch in flight, if any, and counts what it did.
    async fn next(&mut self, context: &Context, counts: &mut Counts) -> Result<(), EngineError> {
        let Some(in_flight) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let outcome = in_flight.applying.await?;
        self.quarantined += outcome.quarantined;
        counts.add_outcome(&outcome);
        context.progress.advanced(self.register, in_flight.elements);
        Ok(())
    }

    /// A bulk-load permit for the next batch. Waits for this register's own oldest batch
    /// when none is free, and for another register's only when none of its own is in flight:
    /// a bootstrap holding permits never waits for one, so concurrent bootstraps cannot
    /// wait on each other in a circle.
    async fn permit(
        &mut self,
        writers: &Arc<Semaphore>,
        context: &Context,
        counts: &mut Counts,
    ) -> Result<Option<OwnedSemaphorePermit>, EngineError> {
        loop {
            if let Ok(permit) = Arc::clone(writers).try_acquire_owned() {
                return Ok(Some(permit));
            }
            if self.in_flight.is_empty() {
                // The semaphore is never closed: this waits, and never gives `None`.
                return Ok(Arc::clone(writers).acquire_owned().await.ok());
            }
            self.next(context, counts).await?;
        }
    }

    /// Waits for every batch in flight.
    async fn drain(&mut self, context: &Context, counts: &mut Counts) -> Result<(), EngineError> {
        while !self.in_flight.is_empty() {
            self.next(context, counts).await?;
        }
        Ok(())
    }
}

/// What the producer sends: a batch of records, `None` once the stream ended, or the error
/// that ended it.
type Item<R> = Result<Option<Vec<Parsed<R>>>, SourceError>;

/// Gathers the record stream into batches; an error ends the stream (a truncated download is
/// an error, never a short snapshot).
async fn produce<R: Send + 'static>(
    mut records: crate::source::RecordStream<R>,
    batch_size: usize,
    sender: mpsc::Sender<Item<R>>,
) {
    let mut chunk = Vec::with_capacity(batch_size);
    while let Some(item) = records.next().await {
        match item {
            Ok(parsed) => {
                chunk.push(parsed);
                if chunk.len() == batch_size {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(batch_size));
                    if sender.send(Ok(Some(full))).await.is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        }
    }
    if !chunk.is_empty() && sender.send(Ok(Some(chunk))).await.is_err() {
        return;
    }
    let _ = sender.send(Ok(None)).await;
}

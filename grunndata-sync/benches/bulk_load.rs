//! Bulk-load benchmark of the mirror store.
//!
//! Loads N synthetic Brreg organisations into a fresh SQLite file — and, when
//! `GRUNNDATA_TEST_PG` names a PostgreSQL server, into a fresh database there — the way a
//! bootstrap does: `begin_bulk_load`, batches through `Store::apply`, `finish_bulk_load`.
//! Prints records per second and the process's peak resident memory (VmHWM).
//!
//! ```text
//! cargo bench -p grunndata-sync --bench bulk_load -- 200000
//! GRUNNDATA_BENCH_N=1000000 GRUNNDATA_BENCH_BATCH=10000 cargo bench -p grunndata-sync --bench bulk_load
//! ```
//!
//! Settings: N as the first numeric argument or `GRUNNDATA_BENCH_N` (default 200 000); batch
//! size `GRUNNDATA_BENCH_BATCH` (default 10 000); `GRUNNDATA_BENCH_CHANGES` content changes
//! applied afterwards in pages of 1000, as incremental sync commits them (default 50 000; 0
//! skips); `GRUNNDATA_BENCH_BACKENDS` (default
//! `sqlite,postgres`); `GRUNNDATA_BENCH_KEEP=1` keeps the SQLite file and the PostgreSQL
//! database for comparisons (their locations are printed).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::db::TestDb;
use common::setting;
use common::synth::{organisation, orgnr, sub_unit};
use grunndata_sync::core::model::Organisation;
use grunndata_sync::store::{Batch, Register, Store};

/// The `index`-th record: nine main units in ten, the rest sub-units of the one before.
fn record(index: u32) -> Organisation {
    let name = format!("Syntetisk Helse {index} Ås Øvre Ærfugl AS");
    if index % 10 == 9 {
        sub_unit(orgnr(index), orgnr(index - 1), &name)
    } else {
        organisation(orgnr(index), &name)
    }
}

struct Run {
    /// Time spent in the store (`begin_bulk_load` and every `apply`).
    load: Duration,
    /// `finish_bulk_load`: the index build.
    finish: Duration,
    /// Time spent making the synthetic records (not the store's).
    generate: Duration,
}

async fn load(store: &Store, records: usize, batch_size: usize) -> Run {
    let mut run = Run {
        load: Duration::ZERO,
        finish: Duration::ZERO,
        generate: Duration::ZERO,
    };
    let started = Instant::now();
    assert!(
        store
            .begin_bulk_load(Register::Brreg)
            .await
            .expect("begin bulk load"),
        "fresh register is empty"
    );
    run.load += started.elapsed();
    let mut next = 0;
    while next < records {
        let end = (next + batch_size).min(records);
        let generating = Instant::now();
        let now = Utc::now();
        let mut batch = Batch::new(now).cursor(end.to_string());
        for index in next..end {
            let index = u32::try_from(index).expect("N fits in u32");
            batch = batch.upsert(record(index), None, now);
        }
        run.generate += generating.elapsed();
        let applying = Instant::now();
        let outcome = store.apply(batch).await.expect("apply batch");
        run.load += applying.elapsed();
        assert_eq!(usize::try_from(outcome.inserted).ok(), Some(end - next));
        next = end;
    }
    let finishing = Instant::now();
    store
        .finish_bulk_load(Register::Brreg)
        .await
        .expect("finish bulk load");
    run.finish = finishing.elapsed();
    run
}

fn report(backend: &str, records: usize, run: &Run) {
    let store = run.load + run.finish;
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let rate = |elapsed: Duration| records as f64 / elapsed.as_secs_f64();
    println!(
        "{backend:<10} {records} records: store {:.2} s (load {:.2} s + index build {:.2} s) \
         = {:.0} records/s; generating records {:.2} s; peak RSS {} kB",
        store.as_secs_f64(),
        run.load.as_secs_f64(),
        run.finish.as_secs_f64(),
        rate(store),
        run.generate.as_secs_f64(),
        common::rss::peak_kib(),
    );
}

/// The store's side of incremental sync: `changes` content changes to loaded records, in
/// pages of 1000 committed with a cursor each (as the engine commits feed pages). Returns
/// changes per second.
async fn incremental(store: &Store, records: usize, changes: usize) -> f64 {
    let started = Instant::now();
    let mut applied = 0;
    let mut page = 0;
    while applied < changes {
        let now = Utc::now();
        let end = (applied + 1000).min(changes);
        let mut batch = Batch::new(now).cursor(format!("page {page}"));
        for change in applied..end {
            let index = u32::try_from(change % records).expect("index fits in u32");
            let mut changed = record(index);
            changed.name = Some(format!("Endret {page} Helse {index} AS"));
            batch = batch.upsert(changed, None, now);
        }
        let outcome = store.apply(batch).await.expect("apply changes");
        assert_eq!(usize::try_from(outcome.changed).ok(), Some(end - applied));
        applied = end;
        page += 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let rate = changes as f64 / started.elapsed().as_secs_f64();
    rate
}

/// With `GRUNNDATA_BENCH_KEEP=1`, leaves the database in place for inspection.
fn keep(db: TestDb) {
    if std::env::var("GRUNNDATA_BENCH_KEEP").is_ok_and(|value| value == "1") {
        println!("kept {}", db.url);
        std::mem::forget(db);
    }
}

#[tokio::main]
async fn main() {
    let records = std::env::args()
        .skip(1)
        .find_map(|arg| arg.replace('_', "").parse().ok())
        .unwrap_or_else(|| setting("GRUNNDATA_BENCH_N", 200_000));
    let batch_size = setting("GRUNNDATA_BENCH_BATCH", 10_000).max(1);
    let changes = setting("GRUNNDATA_BENCH_CHANGES", 50_000);
    let backends =
        std::env::var("GRUNNDATA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    println!("bulk_load: {records} Brreg records in batches of {batch_size}");

    if backends.contains("sqlite") {
        let db = TestDb::sqlite();
        let store = Store::open(&db.url).await.expect("open SQLite");
        let run = load(&store, records, batch_size).await;
        report("sqlite", records, &run);
        if changes > 0 {
            let rate = incremental(&store, records, changes).await;
            println!(
                "sqlite     incremental: {changes} changes in pages of 1000 = {rate:.0} changes/s"
            );
        }
        let digesting = Instant::now();
        let digest = store.digest(Register::Brreg).await.expect("digest");
        println!(
            "sqlite     digest {digest} in {:.2} s",
            digesting.elapsed().as_secs_f64()
        );
        store.close().await;
        keep(db);
    }
    if backends.contains("postgres")
        && let Some(db) = TestDb::postgres().await
    {
        let store = Store::open(&db.url).await.expect("open PostgreSQL");
        let run = load(&store, records, batch_size).await;
        report("postgres", records, &run);
        if changes > 0 {
            let rate = incremental(&store, records, changes).await;
            println!(
                "postgres   incremental: {changes} changes in pages of 1000 = {rate:.0} changes/s"
            );
        }
        let digesting = Instant::now();
        let digest = store.digest(Register::Brreg).await.expect("digest");
        println!(
            "postgres   digest {digest} in {:.2} s",
            digesting.elapsed().as_secs_f64()
        );
        store.close().await;
        keep(db);
    }
}

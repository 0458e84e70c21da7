//! Benchmark of a full `grunndata check` over a synthetic mirror.
//!
//! Loads the synthetic world at a scale (with planted anomalies; every health worker's
//! Persontjenesten person tracked) into a fresh SQLite file — and, when `GRUNNDATA_TEST_PG`
//! names a server, a fresh PostgreSQL database — then runs every rule `GRUNNDATA_BENCH_RUNS`
//! times and prints the median and each run. Loading is not timed.
//!
//! ```text
//! cargo bench -p grunndata-sync --bench check -- 0.1
//! GRUNNDATA_BENCH_BACKENDS=sqlite cargo bench -p grunndata-sync --bench check -- 1.0
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::db::TestDb;
use grunndata_sync::check::{self, CheckOptions};
use grunndata_sync::config::Config;
use grunndata_sync::core::model::{Person, UnitKind};
use grunndata_sync::source::{Parsed, ar, brreg, hpr, preg};
use grunndata_sync::store::{Batch, MirrorRecord, Register, Store};
use grunndata_sync::synth::{AnomalyOptions, Synth, SynthConfig, produced_at};

const BATCH: u64 = 5_000;

fn parsed<R>(parsed: Parsed<R>) -> Option<R> {
    match parsed {
        Parsed::Record(record) => Some(record),
        Parsed::Malformed(_) => None,
    }
}

fn json<T: serde::Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).expect("serialise")
}

/// Loads records `0..n` made by `make` in bulk mode.
async fn load<R: MirrorRecord>(store: &Store, n: u64, make: impl Fn(u64) -> Option<R>) {
    store
        .begin_bulk_load(R::REGISTER)
        .await
        .expect("begin bulk load");
    let at = produced_at();
    let mut next = 0;
    while next < n {
        let end = (next + BATCH).min(n);
        let mut batch = Batch::new(at);
        for index in next..end {
            if let Some(record) = make(index) {
                batch = batch.upsert(record, None, at);
            }
        }
        store.apply(batch).await.expect("apply");
        next = end;
    }
    store
        .finish_bulk_load(R::REGISTER)
        .await
        .expect("finish bulk load");
}

async fn mirror(store: &Store, synth: &Synth) {
    let c = synth.counts();
    load(store, c.enheter + c.underenheter, |i| {
        if i < c.enheter {
            parsed(brreg::parse_unit(
                &json(&synth.enhet(i)),
                UnitKind::MainUnit,
            ))
        } else {
            let sub = synth.underenhet(i - c.enheter);
            parsed(brreg::parse_unit(&json(&sub), UnitKind::SubUnit))
        }
    })
    .await;
    load(store, c.ar_total(), |i| {
        parsed(ar::parse_party(&json(&synth.communication_party(i))))
    })
    .await;
    load(store, c.hpr_persons, |i| {
        parsed(hpr::parse_helseperson(&json(&synth.hpr_person(i))))
    })
    .await;
    // Persontjenesten: the health workers, tracked (a mirror holds tracked persons only).
    let tracked = c.hpr_persons.min(20_000);
    let persons: Vec<Person> = (0..tracked)
        .filter_map(|i| parsed(preg::parse_person(&json(&synth.preg_person(i)))))
        .collect();
    for nin in persons.iter().filter_map(Person::current_nin) {
        store.track_person(nin, None).await.expect("track");
    }
    load(store, persons.len() as u64, |i| {
        persons.get(usize::try_from(i).ok()?).cloned()
    })
    .await;
    for register in Register::ALL {
        store
            .record_success(register, produced_at())
            .await
            .expect("record success");
    }
}

async fn bench(backend: &str, db: &TestDb, synth: &Synth, runs: usize) {
    let store = Store::open(&db.url).await.expect("open");
    let loading = Instant::now();
    mirror(&store, synth).await;
    println!(
        "{backend:<9} loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );
    let options = CheckOptions::new(produced_at(), &Config::default());
    let mut times: Vec<Duration> = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let started = Instant::now();
        found = check::run(&store, &options).await.expect("check").len();
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{backend:<9} full check: median {:.2} s over {runs} runs ({}), {found} findings",
        median.as_secs_f64(),
        times
            .iter()
            .map(|time| format!("{:.2}", time.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    store.close().await;
}

#[tokio::main]
async fn main() {
    let scale = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<f64>().ok())
        .unwrap_or(0.05);
    let runs = std::env::var("GRUNNDATA_BENCH_RUNS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3_usize)
        .max(1);
    let backends =
        std::env::var("GRUNNDATA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let synth = Synth::new(SynthConfig {
        seed: 7,
        scale,
        anomalies: AnomalyOptions { enabled: true },
    })
    .expect("synth");
    let c = synth.counts();
    println!(
        "check: scale {scale}: {} Brreg units, {} AR parties, {} HPR personnel",
        c.enheter + c.underenheter,
        c.ar_total(),
        c.hpr_persons
    );
    if backends.contains("sqlite") {
        bench("sqlite", &TestDb::sqlite(), &synth, runs).await;
    }
    if backends.contains("postgres")
        && let Some(db) = TestDb::postgres().await
    {
        bench("postgres", &db, &synth, runs).await;
    }
}

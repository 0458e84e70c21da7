//! Step 4, lookups: HPR personnel by HPR number on the SQLite mirror, with 1 and 2 threads,
//! through the `Registry` uncached and cached, beside the anchors on the same file: a raw
//! prepared point query (sqlx, the driver the store uses; and rusqlite, for the driver's own
//! cost) and a raw moka `get`.
//!
//! Each lookup is timed alone; with 2 threads, each thread takes half the keys and the
//! throughput is all lookups over the wall time.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use grunndata_sync::core::id::HprNumber;
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::registry::{Found, Registry, RegistryOptions};
use grunndata_sync::store::Store;
use sqlx::{Connection as _, SqliteConnection};

use super::Request;
use crate::report::{LatencyRow, mib};
use crate::run::Bench;
use crate::stats::{median, nanos_since, percentile};

/// Passes over the keys for the cached measurements (a cached lookup is short; more of them
/// steady the percentiles).
const CACHED_ROUNDS: usize = 5;

/// The point query both raw anchors run.
const POINT_QUERY: &str =
    "SELECT record, changed_at, fetched_at, digest FROM hpr WHERE hpr_number = $1";

/// Names of the measurements, as the targets refer to them.
pub mod names {
    /// The uncached anchor.
    pub const RAW_QUERY: &str = "raw prepared query (sqlx)";
    /// The driver's own cost, for context.
    pub const RAW_RUSQLITE: &str = "raw prepared query (rusqlite, blocking)";
    /// Registry, every key once on a fresh cache.
    pub const UNCACHED: &str = "Registry::personnel uncached";
    /// The cached anchor.
    pub const MOKA: &str = "raw moka get (moka::sync)";
    /// Registry, keys already cached.
    pub const CACHED: &str = "Registry::personnel cached";
}

/// Runs the lookup step in a child on `mirror` (an SQLite mirror holding HPR).
pub fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    bench.progress("lookups");
    let answer = crate::child::run::<_, Vec<LatencyRow>>(&Request::Lookup {
        url: url.to_owned(),
        lookups: bench.settings.lookups,
        runs: bench.settings.runs,
    })?;
    let peak = Some(mib(answer.peak_rss_kib));
    Ok(answer
        .result
        .into_iter()
        .map(|row| LatencyRow {
            peak_rss_mib: peak,
            ..row
        })
        .collect())
}

/// Something that looks up one key, with per-thread state (a connection, a cache handle).
trait Lookup: Send + 'static {
    fn lookup(&mut self, key: HprNumber) -> impl Future<Output = anyhow::Result<()>> + Send;
}

struct RawQuery(SqliteConnection);

impl Lookup for RawQuery {
    async fn lookup(&mut self, key: HprNumber) -> anyhow::Result<()> {
        // `fetch_all`, as the store's reads do, so the anchor asks the driver for the same work.
        let rows = sqlx::query(POINT_QUERY)
            .bind(i64::from(key.get()))
            .fetch_all(&mut self.0)
            .await?;
        anyhow::ensure!(!rows.is_empty(), "raw query found no HPR {key}");
        Ok(())
    }
}

struct Personnel(Registry);

impl Lookup for Personnel {
    async fn lookup(&mut self, key: HprNumber) -> anyhow::Result<()> {
        let found = self.0.personnel(key).await?;
        anyhow::ensure!(found.is_some(), "the registry found no HPR {key}");
        Ok(())
    }
}

/// The same kind of cache the `Registry` keeps (`moka::sync`), holding the same answers.
type MokaCache = moka::sync::Cache<HprNumber, Arc<Found<HealthPersonnel>>>;

struct MokaGet(MokaCache);

impl Lookup for MokaGet {
    async fn lookup(&mut self, key: HprNumber) -> anyhow::Result<()> {
        anyhow::ensure!(self.0.get(&key).is_some(), "moka has no HPR {key}");
        Ok(())
    }
}

/// Runs one `Lookup` per thread over its share of `keys`, `rounds` times; returns every
/// latency and the throughput of all threads together.
async fn measure<L: Lookup>(
    subject: &str,
    workers: Vec<L>,
    keys: &Arc<[HprNumber]>,
    rounds: usize,
) -> anyhow::Result<(Vec<u64>, f64)> {
    let threads = workers.len();
    let share = keys.len().div_ceil(threads);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, mut worker) in workers.into_iter().enumerate() {
        let keys = Arc::clone(keys);
        tasks.push(tokio::spawn(async move {
            let mine =
                &keys[(index * share).min(keys.len())..((index + 1) * share).min(keys.len())];
            let mut nanos = Vec::with_capacity(mine.len() * rounds);
            for _ in 0..rounds {
                for &key in mine {
                    let at = Instant::now();
                    worker.lookup(key).await?;
                    nanos.push(nanos_since(at));
                }
            }
            anyhow::Ok(nanos)
        }));
    }
    let mut nanos = Vec::new();
    for task in tasks {
        nanos.extend(task.await.context(subject.to_owned())??);
    }
    let wall = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let per_second = nanos.len() as f64 / wall.max(f64::EPSILON);
    Ok((nanos, per_second))
}

/// Medians over runs of one measurement's p50, p99 and throughput.
#[derive(Default)]
struct Runs {
    p50: Vec<f64>,
    p99: Vec<f64>,
    per_second: Vec<f64>,
}

impl Runs {
    fn add(&mut self, (mut nanos, per_second): (Vec<u64>, f64)) {
        self.p50.push(percentile(&mut nanos, 0.5));
        self.p99.push(percentile(&mut nanos, 0.99));
        self.per_second.push(per_second);
    }

    fn row(&self, subject: &str, threads: usize) -> LatencyRow {
        LatencyRow {
            subject: subject.to_owned(),
            threads,
            p50_ns: median(&self.p50),
            p99_ns: median(&self.p99),
            per_second: median(&self.per_second),
            peak_rss_mib: None,
        }
    }
}

/// The HPR numbers in the mirror, in a fixed shuffled order, at most `limit`.
async fn keys(url: &str, limit: usize) -> anyhow::Result<Arc<[HprNumber]>> {
    let mut conn = SqliteConnection::connect(url).await?;
    let numbers: Vec<i64> = sqlx::query_scalar("SELECT hpr_number FROM hpr")
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    let mut keys: Vec<HprNumber> = numbers
        .into_iter()
        .filter_map(|n| HprNumber::new(n).ok())
        .collect();
    anyhow::ensure!(!keys.is_empty(), "the mirror holds no HPR records");
    // A fixed LCG shuffle, so lookups do not walk the B-tree in key order.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..keys.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
        keys.swap(i, j);
    }
    keys.truncate(limit.max(1));
    Ok(keys.into())
}

/// Child side: every measurement, `runs` times, with 1 and 2 threads.
pub async fn run(url: &str, lookups: usize, runs: usize) -> anyhow::Result<Vec<LatencyRow>> {
    let keys = keys(url, lookups).await?;
    let store = Store::open(url).await?;
    let path = url.trim_start_matches("sqlite://").to_owned();
    // One untimed pass over every key first: otherwise whichever measurement runs first pays
    // for reading the file into the OS page cache.
    rusqlite_point_queries(&path, &keys, 1)?;
    let mut rows = Vec::new();
    for threads in [1, 2] {
        let mut raw = Runs::default();
        let mut rusqlite = Runs::default();
        let mut uncached = Runs::default();
        let mut moka = Runs::default();
        let mut cached = Runs::default();
        for _ in 0..runs {
            let mut connections = Vec::new();
            for _ in 0..threads {
                connections.push(RawQuery(SqliteConnection::connect(url).await?));
            }
            raw.add(measure(names::RAW_QUERY, connections, &keys, 1).await?);
            rusqlite.add(rusqlite_point_queries(&path, &keys, threads)?);

            let registry = Registry::from_store(store.clone(), RegistryOptions::default());
            let workers = (0..threads).map(|_| Personnel(registry.clone())).collect();
            uncached.add(measure(names::UNCACHED, workers, &keys, 1).await?);

            let cache: MokaCache = moka::sync::Cache::builder()
                .max_capacity(keys.len() as u64 * 2)
                .build();
            for &key in keys.iter() {
                let found = registry.personnel(key).await?.context("cached lookup")?;
                cache.insert(key, found);
            }
            let workers = (0..threads).map(|_| MokaGet(cache.clone())).collect();
            moka.add(measure(names::MOKA, workers, &keys, CACHED_ROUNDS).await?);
            let workers = (0..threads).map(|_| Personnel(registry.clone())).collect();
            cached.add(measure(names::CACHED, workers, &keys, CACHED_ROUNDS).await?);
        }
        rows.push(raw.row(names::RAW_QUERY, threads));
        rows.push(rusqlite.row(names::RAW_RUSQLITE, threads));
        rows.push(uncached.row(names::UNCACHED, threads));
        rows.push(moka.row(names::MOKA, threads));
        rows.push(cached.row(names::CACHED, threads));
    }
    store.close().await;
    Ok(rows)
}

/// The point query through rusqlite on `threads` OS threads, each with its own connection.
fn rusqlite_point_queries(
    path: &str,
    keys: &Arc<[HprNumber]>,
    threads: usize,
) -> anyhow::Result<(Vec<u64>, f64)> {
    let share = keys.len().div_ceil(threads);
    let started = Instant::now();
    let nanos = std::thread::scope(|scope| {
        let handles: Vec<_> = keys
            .chunks(share)
            .map(|mine| {
                scope.spawn(move || -> anyhow::Result<Vec<u64>> {
                    let conn = rusqlite::Connection::open_with_flags(
                        path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                    )?;
                    let mut statement = conn.prepare(&POINT_QUERY.replace("$1", "?1"))?;
                    let mut nanos = Vec::with_capacity(mine.len());
                    for key in mine {
                        let at = Instant::now();
                        let mut rows = statement.query([i64::from(key.get())])?;
                        let row = rows.next()?.context("rusqlite found no row")?;
                        let _record: String = row.get(0)?;
                        nanos.push(nanos_since(at));
                    }
                    Ok(nanos)
                })
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            let nanos = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a rusqlite lookup thread panicked"))??;
            all.extend(nanos);
        }
        anyhow::Ok(all)
    })?;
    let wall = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let per_second = nanos.len() as f64 / wall.max(f64::EPSILON);
    Ok((nanos, per_second))
}

//! Step 4, lookups on the SQLite mirror, with 1 and 2 threads, each kind the CLI and `serve`
//! answer: HPR personnel by HPR number, the AR communication party by HER-id and the Brreg
//! unit by orgnr (the last two are views: the record, its parent and its children). Each runs
//! through the `Registry` uncached (a fresh cache, every key once) beside the anchor: the same
//! statements as prepared rusqlite queries on the calling thread, on the same file — and
//! beside that anchor with the records also decoded into the model, which says how much of
//! the registry's time is the JSON decode every answer needs; for the views also the same
//! statements in one read transaction, as the registry reads a view. HPR personnel are also
//! measured cached, beside a raw moka `get` of the same answers (the anchor) and a
//! raw quick_cache `get` (the map the registry keeps them in); and through a raw sqlx query,
//! for the driver the store used before.
//!
//! Each lookup is timed alone; with 2 threads, each of two OS threads takes half the keys
//! and the throughput is all lookups over the wall time.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use grunndata_sync::core::id::{HerId, HprNumber, OrgNumber};
use grunndata_sync::core::model::{CommunicationParty, HealthPersonnel, Organisation};
use grunndata_sync::registry::{Found, Registry, RegistryOptions};
use grunndata_sync::store::Store;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::{Connection as _, SqliteConnection};

use super::Request;
use crate::report::{LatencyRow, mib};
use crate::run::Bench;
use crate::stats::{median, nanos_since, percentile};

/// Passes over the keys for the cached measurements (a cached lookup is short; more of them
/// steady the percentiles).
const CACHED_ROUNDS: usize = 5;

/// The columns every store read selects.
const STORED: &str = "record, changed_at, fetched_at, digest";

/// A kind of lookup: its register table, key and parent columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `Registry::personnel`: one HPR record.
    Personnel,
    /// `Registry::communication_party`: an AR party, its parent and its children.
    Party,
    /// `Registry::organisation`: a Brreg unit, its parent and its sub-units.
    Organisation,
}

impl Kind {
    /// Every kind, in the order of the report.
    pub const ALL: [Self; 3] = [Self::Personnel, Self::Party, Self::Organisation];

    /// How the rows name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Personnel => "personnel by HPR number",
            Self::Party => "party by HER-id",
            Self::Organisation => "organisation by orgnr",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Personnel => "hpr",
            Self::Party => "ar",
            Self::Organisation => "brreg",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Personnel => "hpr_number",
            Self::Party => "her_id",
            Self::Organisation => "org_number",
        }
    }

    /// The parent column of a view (the personnel lookup has none).
    fn parent(self) -> Option<&'static str> {
        match self {
            Self::Personnel => None,
            Self::Party => Some("parent_her_id"),
            Self::Organisation => Some("parent_org_number"),
        }
    }
}

/// Names of the measurements, as the targets refer to them.
pub mod names {
    use super::Kind;

    /// The sqlx query, for the driver the store used before.
    pub const RAW_QUERY: &str = "raw prepared query (sqlx)";
    /// The cached anchor: a moka cache filled as the registry fills its own.
    pub const MOKA: &str = "raw moka get (moka::sync), filled beside the registry's";
    /// The same moka cache filled in a tight loop, for reference: its entries lie together in
    /// memory, which no cache filled by real lookups enjoys.
    pub const MOKA_TIGHT: &str = "raw moka get (moka::sync), filled in a tight loop";
    /// The map the registry keeps its answers in, filled the same way.
    pub const QUICK_CACHE: &str =
        "raw quick_cache get (quick_cache::sync), filled beside the registry's";
    /// Registry, keys already cached.
    pub const CACHED: &str = "Registry::personnel cached";

    /// The uncached anchor: the lookup's statements through rusqlite.
    pub fn raw(kind: Kind) -> String {
        format!("{}: raw rusqlite statements (anchor)", kind.label())
    }

    /// The anchor with the records decoded into the model.
    pub fn raw_decoded(kind: Kind) -> String {
        format!("{}: raw rusqlite statements + JSON decode", kind.label())
    }

    /// A view's statements in one read transaction (`BEGIN` … `COMMIT`), as the registry
    /// reads a view's record and children: what the anchor's statements cost without a read
    /// transaction each.
    pub fn raw_one_snapshot(kind: Kind) -> String {
        format!(
            "{}: raw rusqlite statements in one read transaction",
            kind.label()
        )
    }

    /// Registry, every key once on a fresh cache.
    pub fn uncached(kind: Kind) -> String {
        format!("{}: Registry uncached", kind.label())
    }
}

/// Runs the lookup step in a child on `mirror` (an SQLite mirror holding HPR).
///
/// Each kind runs in a child of its own, so that its peak RSS is its own: a process that has
/// read and dropped one kind's answers keeps much of that heap, which would count against
/// the next kind measured in it.
pub fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        bench.progress(&format!("lookups: {}", kind.label()));
        let answer = crate::child::run::<_, Vec<LatencyRow>>(&Request::Lookup {
            url: url.to_owned(),
            kind,
            lookups: bench.settings.lookups,
            runs: bench.settings.runs,
        })?;
        let peak = Some(mib(answer.peak_rss_kib));
        rows.extend(answer.result.into_iter().map(|row| LatencyRow {
            peak_rss_mib: peak,
            ..row
        }));
    }
    Ok(rows)
}

/// A key of one of the kinds.
#[derive(Debug, Clone, Copy)]
enum Key {
    Hpr(HprNumber),
    Her(HerId),
    Org(OrgNumber),
}

impl Key {
    fn sql(self) -> rusqlite::types::Value {
        match self {
            Self::Hpr(hpr) => rusqlite::types::Value::Integer(i64::from(hpr.get())),
            Self::Her(her_id) => rusqlite::types::Value::Integer(i64::from(her_id.get())),
            Self::Org(orgnr) => rusqlite::types::Value::Text(orgnr.to_string()),
        }
    }
}

/// Something that looks up one key, with per-thread state (a connection, a cache handle).
trait Lookup: Send + 'static {
    fn lookup(&mut self, key: Key) -> impl Future<Output = anyhow::Result<()>> + Send;
}

struct RawQuery(SqliteConnection);

impl Lookup for RawQuery {
    async fn lookup(&mut self, key: Key) -> anyhow::Result<()> {
        let Key::Hpr(hpr) = key else {
            anyhow::bail!("the sqlx anchor looks up HPR numbers only");
        };
        // `fetch_all`, as the store's reads did, so the anchor asks the driver for the same work.
        let rows = sqlx::query(
            "SELECT record, changed_at, fetched_at, digest FROM hpr WHERE hpr_number = $1",
        )
        .bind(i64::from(hpr.get()))
        .fetch_all(&mut self.0)
        .await?;
        anyhow::ensure!(!rows.is_empty(), "raw query found no HPR {hpr}");
        Ok(())
    }
}

struct Uncached(Registry);

impl Lookup for Uncached {
    async fn lookup(&mut self, key: Key) -> anyhow::Result<()> {
        let found = match key {
            Key::Hpr(hpr) => self.0.personnel(hpr).await?.is_some(),
            Key::Her(her_id) => self.0.communication_party(her_id).await?.is_some(),
            Key::Org(orgnr) => self.0.organisation(&orgnr).await?.is_some(),
        };
        anyhow::ensure!(found, "the registry found no {key:?}");
        Ok(())
    }
}

/// The anchor for a cached hit (`moka::sync`), holding the same answers.
type MokaCache = moka::sync::Cache<HprNumber, Arc<Found<HealthPersonnel>>>;

/// The kind of map the `Registry` keeps (`quick_cache::sync`), holding the same answers.
type QuickCache = quick_cache::sync::Cache<HprNumber, Arc<Found<HealthPersonnel>>>;

/// A raw cache anchor: a map from HPR number to the registry's answers.
trait RawCache: Send + 'static {
    /// The anchor's name in errors.
    const NAME: &'static str;
    /// Whether a get of `hpr` finds an answer (the value is cloned out and dropped, as a
    /// caller's would be).
    fn has(&self, hpr: HprNumber) -> bool;
}

impl RawCache for MokaCache {
    const NAME: &'static str = "moka";
    fn has(&self, hpr: HprNumber) -> bool {
        self.get(&hpr).is_some()
    }
}

impl RawCache for Arc<QuickCache> {
    const NAME: &'static str = "quick_cache";
    fn has(&self, hpr: HprNumber) -> bool {
        self.get(&hpr).is_some()
    }
}

/// A get from a raw cache anchor, generic so that each anchor's get is inlined as in use.
struct RawGet<C>(C);

impl<C: RawCache> Lookup for RawGet<C> {
    async fn lookup(&mut self, key: Key) -> anyhow::Result<()> {
        let Key::Hpr(hpr) = key else {
            anyhow::bail!("the {} anchor holds HPR numbers only", C::NAME);
        };
        anyhow::ensure!(self.0.has(hpr), "{} has no HPR {hpr}", C::NAME);
        Ok(())
    }
}

/// Runs one `Lookup` per thread over its share of `keys`, `rounds` times; returns every
/// latency and the throughput of all threads together.
///
/// Each worker runs on an OS thread of its own ([`on_threads`]), driving its lookups with
/// the runtime's handle. As tokio tasks, two workers could run one after the other: a task
/// woken by another (at the end of its turn at a lock, as a fresh registry's first lookups
/// take turns reading the register's version) waits in that runtime worker's own slot, which
/// no other worker takes from, until the running task yields — and lookups that never wait
/// never yield.
fn measure<L: Lookup>(
    subject: &str,
    workers: Vec<L>,
    keys: &Arc<[Key]>,
    rounds: usize,
) -> anyhow::Result<(Vec<u64>, f64)> {
    let runtime = tokio::runtime::Handle::try_current()?;
    on_threads(workers, keys, |mut worker, mine| {
        runtime
            .block_on(async {
                let mut nanos = Vec::with_capacity(mine.len() * rounds);
                for _ in 0..rounds {
                    for &key in mine {
                        let at = Instant::now();
                        worker.lookup(key).await?;
                        nanos.push(nanos_since(at));
                    }
                }
                anyhow::Ok(nanos)
            })
            .context(subject.to_owned())
    })
}

/// Runs `run` once per worker, each on an OS thread of its own with its share of `keys`;
/// returns every latency the threads timed and the throughput of all of them together.
fn on_threads<W: Send>(
    workers: Vec<W>,
    keys: &[Key],
    run: impl Fn(W, &[Key]) -> anyhow::Result<Vec<u64>> + Sync,
) -> anyhow::Result<(Vec<u64>, f64)> {
    let share = keys.len().div_ceil(workers.len()).max(1);
    let run = &run;
    let started = Instant::now();
    let nanos = std::thread::scope(|scope| {
        let handles: Vec<_> = workers
            .into_iter()
            .zip(keys.chunks(share))
            .map(|(worker, mine)| scope.spawn(move || run(worker, mine)))
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            let nanos = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a lookup thread panicked"))??;
            all.extend(nanos);
        }
        anyhow::Ok(all)
    })?;
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

/// The keys of `kind` in the mirror, in a fixed shuffled order, at most `limit`.
async fn keys(url: &str, kind: Kind, limit: usize) -> anyhow::Result<Arc<[Key]>> {
    let mut conn = SqliteConnection::connect(url).await?;
    let sql = format!("SELECT CAST({} AS TEXT) FROM {}", kind.key(), kind.table());
    let texts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    let mut keys: Vec<Key> = texts
        .iter()
        .filter_map(|text| match kind {
            Kind::Personnel => text.parse().ok().map(Key::Hpr),
            Kind::Party => text.parse().ok().map(Key::Her),
            Kind::Organisation => text.parse().ok().map(Key::Org),
        })
        .collect();
    anyhow::ensure!(!keys.is_empty(), "the mirror holds no {}", kind.table());
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

/// Child side: every measurement of `kind`, `runs` times, with 1 and 2 threads.
pub async fn run(
    url: &str,
    kind: Kind,
    lookups: usize,
    runs: usize,
) -> anyhow::Result<Vec<LatencyRow>> {
    let store = Store::open(url).await?;
    let path = url.trim_start_matches("sqlite://").to_owned();
    let mut rows = Vec::new();
    let keys = keys(url, kind, lookups).await?;
    // One untimed pass over every key first: otherwise whichever measurement runs first pays
    // for reading the file into the OS page cache.
    raw_statements(&path, kind, &keys, 1, Raw::Statements)?;
    for threads in [1, 2] {
        let mut raw = Runs::default();
        let mut decoded = Runs::default();
        let mut snapshot = Runs::default();
        let mut uncached = Runs::default();
        for _ in 0..runs {
            raw.add(raw_statements(
                &path,
                kind,
                &keys,
                threads,
                Raw::Statements,
            )?);
            decoded.add(raw_statements(&path, kind, &keys, threads, Raw::Decoded)?);
            if kind.parent().is_some() {
                snapshot.add(raw_statements(
                    &path,
                    kind,
                    &keys,
                    threads,
                    Raw::OneSnapshot,
                )?);
            }
            let registry = Registry::from_store(store.clone(), RegistryOptions::default());
            let workers = (0..threads).map(|_| Uncached(registry.clone())).collect();
            uncached.add(measure(&names::uncached(kind), workers, &keys, 1)?);
        }
        rows.push(raw.row(&names::raw(kind), threads));
        rows.push(decoded.row(&names::raw_decoded(kind), threads));
        if kind.parent().is_some() {
            rows.push(snapshot.row(&names::raw_one_snapshot(kind), threads));
        }
        rows.push(uncached.row(&names::uncached(kind), threads));
    }
    if kind == Kind::Personnel {
        rows.extend(cached_personnel(url, &store, &keys, runs).await?);
    }
    store.close().await;
    Ok(rows)
}

fn anchor_cache(keys: usize) -> MokaCache {
    moka::sync::Cache::builder()
        .max_capacity(keys as u64 * 2)
        .build()
}

/// HPR personnel: the sqlx anchor, and cached lookups beside a raw moka get and a raw
/// quick_cache get.
async fn cached_personnel(
    url: &str,
    store: &Store,
    keys: &Arc<[Key]>,
    runs: usize,
) -> anyhow::Result<Vec<LatencyRow>> {
    let mut rows = Vec::new();
    for threads in [1, 2] {
        let mut raw = Runs::default();
        let mut moka = Runs::default();
        let mut moka_tight = Runs::default();
        let mut quick = Runs::default();
        let mut cached = Runs::default();
        for _ in 0..runs {
            let mut connections = Vec::new();
            for _ in 0..threads {
                connections.push(RawQuery(SqliteConnection::connect(url).await?));
            }
            raw.add(measure(names::RAW_QUERY, connections, keys, 1)?);

            // Each answer goes into the anchor right after the registry has read and cached
            // it, so both caches' entries are allocated in the same order between the same
            // decoded records: a cache filled in a tight loop instead has its entries side by
            // side, and its gets take half the time for that alone (BENCHMARKS.md).
            let registry = Registry::from_store(store.clone(), RegistryOptions::default());
            let beside: MokaCache = anchor_cache(keys.len());
            let quick_beside = Arc::new(QuickCache::new(keys.len() * 2));
            for &key in keys.iter() {
                if let Key::Hpr(hpr) = key {
                    let found = registry.personnel(hpr).await?.context("uncached lookup")?;
                    quick_beside.insert(hpr, Arc::clone(&found));
                    beside.insert(hpr, found);
                }
            }
            let tight: MokaCache = anchor_cache(keys.len());
            for &key in keys.iter() {
                if let Key::Hpr(hpr) = key {
                    let found = registry.personnel(hpr).await?.context("cached lookup")?;
                    tight.insert(hpr, found);
                }
            }
            beside.run_pending_tasks();
            tight.run_pending_tasks();
            let workers = (0..threads).map(|_| RawGet(beside.clone())).collect();
            moka.add(measure(names::MOKA, workers, keys, CACHED_ROUNDS)?);
            let workers = (0..threads).map(|_| RawGet(tight.clone())).collect();
            moka_tight.add(measure(names::MOKA_TIGHT, workers, keys, CACHED_ROUNDS)?);
            let workers = (0..threads)
                .map(|_| RawGet(Arc::clone(&quick_beside)))
                .collect();
            quick.add(measure(names::QUICK_CACHE, workers, keys, CACHED_ROUNDS)?);
            let workers = (0..threads).map(|_| Uncached(registry.clone())).collect();
            cached.add(measure(names::CACHED, workers, keys, CACHED_ROUNDS)?);
        }
        rows.push(raw.row(names::RAW_QUERY, threads));
        rows.push(moka.row(names::MOKA, threads));
        rows.push(moka_tight.row(names::MOKA_TIGHT, threads));
        rows.push(quick.row(names::QUICK_CACHE, threads));
        rows.push(cached.row(names::CACHED, threads));
    }
    Ok(rows)
}

/// How the raw statements run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Raw {
    /// Each statement on its own (autocommit): the anchor.
    Statements,
    /// Each on its own, every record read also decoded into the model.
    Decoded,
    /// A lookup's statements in one read transaction, not decoded.
    OneSnapshot,
}

/// The statements a lookup of `kind` runs, through rusqlite on `threads` OS threads, each with
/// its own connection: the record by key; for a view, its parent by key and its children by
/// the parent index.
fn raw_statements(
    path: &str,
    kind: Kind,
    keys: &Arc<[Key]>,
    threads: usize,
    how: Raw,
) -> anyhow::Result<(Vec<u64>, f64)> {
    on_threads(vec![(); threads], keys, |(), mine| {
        raw_thread(path, kind, mine, how)
    })
}

fn raw_thread(path: &str, kind: Kind, mine: &[Key], how: Raw) -> anyhow::Result<Vec<u64>> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (table, key) = (kind.table(), kind.key());
    let parent = kind.parent().unwrap_or("NULL");
    let mut by_key = conn.prepare(&format!(
        "SELECT {STORED}, {parent} FROM {table} WHERE {key} = ?1"
    ))?;
    let mut children = kind
        .parent()
        .map(|parent| {
            conn.prepare(&format!(
                "SELECT {STORED} FROM {table} WHERE {parent} = ?1 ORDER BY {key}"
            ))
        })
        .transpose()?;
    let mut begin = conn.prepare("BEGIN")?;
    let mut commit = conn.prepare("COMMIT")?;
    let read = |json: &str| -> anyhow::Result<()> {
        if how == Raw::Decoded {
            match kind {
                Kind::Personnel => drop(from_json::<HealthPersonnel>(json)?),
                Kind::Party => drop(from_json::<CommunicationParty>(json)?),
                Kind::Organisation => drop(from_json::<Organisation>(json)?),
            }
        }
        Ok(())
    };
    let mut nanos = Vec::with_capacity(mine.len());
    for key in mine {
        let at = Instant::now();
        if how == Raw::OneSnapshot {
            begin.execute([])?;
        }
        let (record, parent): (String, rusqlite::types::Value) =
            by_key.query_row([key.sql()], |row| Ok((row.get(0)?, row.get(4)?)))?;
        read(&record)?;
        if let Some(children) = children.as_mut() {
            if !matches!(parent, rusqlite::types::Value::Null) {
                let mut rows = by_key.query([parent])?;
                if let Some(row) = rows.next()? {
                    read(&row.get::<_, String>(0)?)?;
                }
            }
            let mut rows = children.query([key.sql()])?;
            while let Some(row) = rows.next()? {
                read(&row.get::<_, String>(0)?)?;
            }
        }
        if how == Raw::OneSnapshot {
            commit.execute([])?;
        }
        nanos.push(nanos_since(at));
    }
    Ok(nanos)
}

fn from_json<T: DeserializeOwned>(json: &str) -> anyhow::Result<T> {
    Ok(serde_json::from_str(json)?)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A worker whose first lookup takes its turn at a shared async lock (as a fresh
    /// registry's first lookups take turns reading the register's version), then waits (up to a
    /// deadline) until every worker has started, and counts itself if they all had.
    struct Meets {
        turn: Arc<tokio::sync::Mutex<()>>,
        started: Arc<AtomicUsize>,
        workers: usize,
        met: Arc<AtomicUsize>,
        first: bool,
    }

    impl Lookup for Meets {
        async fn lookup(&mut self, _key: Key) -> anyhow::Result<()> {
            if std::mem::take(&mut self.first) {
                {
                    let _turn = self.turn.lock().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                self.started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(5);
                while self.started.load(Ordering::SeqCst) < self.workers
                    && Instant::now() < deadline
                {
                    std::thread::yield_now();
                }
                if self.started.load(Ordering::SeqCst) == self.workers {
                    self.met.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(())
        }
    }

    // Regression: the workers were tokio tasks, and the registry's uncached lookups "with two
    // threads" ran one after the other (their throughput was that of one thread; see
    // `measure`). With tasks this test fails: the first worker waits out the deadline alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workers_run_at_the_same_time() -> anyhow::Result<()> {
        let keys: Arc<[Key]> = (1..=64)
            .map(|n| HerId::new(n).map(Key::Her))
            .collect::<Result<_, _>>()?;
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        let started = Arc::new(AtomicUsize::new(0));
        let met = Arc::new(AtomicUsize::new(0));
        let workers = (0..2)
            .map(|_| Meets {
                turn: Arc::clone(&turn),
                started: Arc::clone(&started),
                workers: 2,
                met: Arc::clone(&met),
                first: true,
            })
            .collect();
        let (nanos, _) = measure("meets", workers, &keys, 1)?;
        assert_eq!(nanos.len(), keys.len(), "every key looked up once");
        assert_eq!(
            met.load(Ordering::SeqCst),
            2,
            "each worker saw the other looking up at the same time"
        );
        Ok(())
    }
}

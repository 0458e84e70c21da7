//! The writer thread: every write transaction of an SQLite mirror runs on one thread of its own.
//!
//! Why a thread and not the caller's: a batch is tens of milliseconds of SQLite work. Run on a
//! runtime thread it holds that thread — and every lookup or request task queued behind it —
//! for as long (a `serve` beside a sync job, audited lookups beside a re-snapshot); and the
//! writer's allocations (page cache, statements, rows in flight) land in the malloc arena of
//! whichever runtime or blocking thread ran the batch, so a national re-snapshot spread its
//! memory over several arenas and its peak RSS past the budget (BENCHMARKS.md, issue 17). Here
//! the runtime only sends the transaction over and awaits the answer.
//!
//! A transaction is a closure over the writer connection returning a future; the thread runs
//! it inside the caller's runtime (`Handle::block_on`), so the store's shared async write code
//! runs unchanged and may still hand encoding to the blocking pool. Once sent, a transaction
//! runs to its end — commit or rollback — whether or not its caller still waits, the same
//! guarantee [`Store::apply`](crate::store::Store::apply) gives on PostgreSQL by running the
//! batch on a task of its own.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use futures_util::future::BoxFuture;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::conn::{SqliteConn, Transaction};
use crate::store::{DatabaseError, Register, StoreError};

/// Work for the writer thread.
type Job = Box<dyn FnOnce(&mut SqliteConn) + Send>;

/// The writer connection of a mirror, owned by its thread.
#[derive(Debug)]
pub(crate) struct Writer {
    /// `None` once closed.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Arc<Checkpointer>,
}

impl Writer {
    /// Starts the thread that owns `conn`; `checkpointer` is told of every commit.
    pub(crate) fn start(
        conn: SqliteConn,
        checkpointer: Checkpointer,
    ) -> Result<Self, std::io::Error> {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("grunndata-sqlite-writer".to_owned())
            .spawn(move || {
                yield_to_lookups();
                let mut conn = conn;
                // Ends when the store is closed or its last clone dropped.
                while let Ok(job) = receiver.recv() {
                    job(&mut conn);
                }
            })?;
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
            checkpointer: Arc::new(checkpointer),
        })
    }

    /// Runs `body` in a write transaction on the writer thread: committed when it returns
    /// `Ok`, rolled back when it returns `Err` or panics (the panic is resumed here).
    pub(crate) async fn transaction<T, F>(
        &self,
        operation: &'static str,
        register: Option<Register>,
        body: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConn) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let db = StoreError::db(operation, register);
        let runtime = Handle::try_current().map_err(|_| StoreError::Cancelled { operation })?;
        let checkpointer = Arc::clone(&self.checkpointer);
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn: &mut SqliteConn| {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(async {
                    let mut tx = Transaction::begin(conn).map_err(db)?;
                    let result = body(&mut tx).await;
                    let result = tx.finish(result, db);
                    if result.is_ok() {
                        checkpointer.after_commit();
                    }
                    result
                })
            }));
            // A caller that stopped waiting does not want the answer.
            let _ = answer.send(outcome);
        });
        let sent = match &*self.jobs.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(db(DatabaseError::Closed));
        }
        match answered.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The job was dropped unrun, which only a writer thread that died could do (jobs
            // run under `catch_unwind`, and a closed writer drains its queue first).
            Err(_) => Err(db(DatabaseError::Closed)),
        }
    }

    /// Refuses new transactions, lets those already sent finish, and closes the connection
    /// and the checkpoint connection.
    pub(crate) async fn close(&self) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            // The thread ends once the queue is drained; a panic in it was already resumed in
            // the caller of that transaction.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        self.checkpointer.close();
    }
}

/// How much lower than the process the writer thread runs (nice value steps).
const WRITER_NICE: i32 = 10;

/// Lowers the writer thread's priority, so that on a busy machine the lookups of the same
/// process (a journal system with the sync embedded, `serve` beside a sync) get the CPU before
/// a batch does: a sync is background work, a lookup has someone waiting for it.
#[cfg(target_os = "linux")]
fn yield_to_lookups() {
    // Linux keeps a nice value per thread, set through the thread id.
    let thread = rustix::thread::gettid();
    let lowered = rustix::process::getpriority_process(Some(thread)).and_then(|nice| {
        rustix::process::setpriority_process(Some(thread), (nice + WRITER_NICE).min(19))
    });
    if let Err(error) = lowered {
        tracing::debug!(%error, "cannot lower the SQLite writer thread's priority");
    }
}

/// Other systems keep one priority per process.
#[cfg(not(target_os = "linux"))]
fn yield_to_lookups() {}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::checkpoint::THRESHOLD;
    use super::super::conn::ConnectOptions;
    use super::*;
    use crate::store::exec::{Exec as _, fetch_int};

    fn options() -> ConnectOptions {
        ConnectOptions {
            read_only: false,
            immutable: false,
            busy_timeout: Duration::from_secs(5),
            pragmas: vec![("journal_mode", "WAL")],
        }
    }

    fn start(dir: &Path) -> Writer {
        let path = dir.join("mirror.db");
        std::fs::File::create(&path).unwrap_or_else(|e| panic!("create: {e}"));
        let conn = SqliteConn::open(&path, &options()).unwrap_or_else(|e| panic!("open: {e}"));
        let checkpointer = Checkpointer::new(
            path.clone(),
            dir.join("mirror.db-wal"),
            THRESHOLD,
            options(),
        );
        Writer::start(conn, checkpointer).unwrap_or_else(|e| panic!("start: {e}"))
    }

    const OP: &str = "testing the writer";

    async fn count(writer: &Writer) -> i64 {
        writer
            .transaction(OP, None, |conn| {
                Box::pin(async move {
                    fetch_int(conn, "SELECT count(*) FROM t", &[])
                        .await
                        .map_err(StoreError::db(OP, None))
                })
            })
            .await
            .unwrap_or_else(|e| panic!("count: {e}"))
    }

    async fn create_table(writer: &Writer) {
        writer
            .transaction(OP, None, |conn| {
                Box::pin(async move {
                    conn.execute("CREATE TABLE t (v INTEGER)", &[])
                        .await
                        .map_err(StoreError::db(OP, None))
                })
            })
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
    }

    async fn body_runs_on_the_writer_thread_with_the_blocking_pool_at_hand() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let writer = start(dir.path());
        let (thread, from_pool) = writer
            .transaction(OP, None, |_conn| {
                Box::pin(async move {
                    let thread = std::thread::current().name().map(str::to_owned);
                    // The shared write path encodes on the blocking pool.
                    let from_pool = tokio::task::spawn_blocking(|| 7)
                        .await
                        .map_err(|_| StoreError::Cancelled { operation: OP })?;
                    Ok((thread, from_pool))
                })
            })
            .await
            .unwrap_or_else(|e| panic!("transaction: {e}"));
        assert_eq!(thread.as_deref(), Some("grunndata-sqlite-writer"));
        assert_eq!(from_pool, 7);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_current_thread_runtime_drives_the_writer() {
        body_runs_on_the_writer_thread_with_the_blocking_pool_at_hand().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_multi_thread_runtime_drives_the_writer() {
        body_runs_on_the_writer_thread_with_the_blocking_pool_at_hand().await;
    }

    #[tokio::test]
    async fn an_error_rolls_back_and_a_panic_reaches_the_caller() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let writer = Arc::new(start(dir.path()));
        create_table(&writer).await;

        let failed = writer
            .transaction(OP, None, |conn| {
                Box::pin(async move {
                    conn.execute("INSERT INTO t VALUES (1)", &[])
                        .await
                        .map_err(StoreError::db(OP, None))?;
                    Err::<(), _>(StoreError::InvalidArgument("refused".to_owned()))
                })
            })
            .await;
        assert!(matches!(failed, Err(StoreError::InvalidArgument(_))));
        assert_eq!(
            count(&writer).await,
            0,
            "the failed transaction rolled back"
        );

        let panicking = Arc::clone(&writer);
        let panicked = tokio::spawn(async move {
            panicking
                .transaction::<(), _>(OP, None, |conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO t VALUES (1)", &[])
                            .await
                            .map_err(StoreError::db(OP, None))?;
                        panic!("a bug in a write path");
                    })
                })
                .await
        })
        .await;
        assert!(panicked.is_err_and(|error| error.is_panic()));
        // The thread lives on, and the panicking transaction left nothing.
        assert_eq!(count(&writer).await, 0);
    }

    #[tokio::test]
    async fn a_closed_writer_refuses_transactions() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let writer = start(dir.path());
        create_table(&writer).await;
        writer.close().await;
        let refused = writer
            .transaction(OP, None, |_conn| Box::pin(async move { Ok(()) }))
            .await;
        assert!(matches!(
            refused,
            Err(StoreError::Database {
                source: DatabaseError::Closed,
                ..
            })
        ));
    }
}

//! SQLite-only behaviour: file and directory permissions, refusing files that are not
//! grunndata's without touching them, and readers that are never blocked by a writer.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use common::db::TestDb;
use common::synth::{at, organisation, orgnr, sub_unit};
use grunndata_sync::core::model::Organisation;
use grunndata_sync::store::{Batch, Register, Store, StoreError};
use sqlx::{Connection as _, Executor as _, SqliteConnection};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn creates_private_directory_and_file() {
    let root = tempfile::tempdir().expect("temp dir");
    let path = root
        .path()
        .join("data")
        .join("grunndata")
        .join("grunndata.db");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    store
        .apply(Batch::new(at(2026, 1, 1)).upsert(
            organisation(orgnr(1), "Test AS"),
            None,
            at(2026, 1, 1),
        ))
        .await
        .expect("write");
    assert_eq!(mode(&path), 0o600, "database file");
    assert_eq!(mode(path.parent().expect("dir")), 0o700, "grunndata dir");
    assert_eq!(mode(&root.path().join("data")), 0o700, "data dir");
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("grunndata.db{suffix}"));
        if side.exists() {
            assert_eq!(
                mode(&side) & 0o077,
                0,
                "{suffix} must not be group/world readable"
            );
        }
    }
    // WAL is a property of the file; check it from outside.
    let mut outside = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    let journal: (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut outside)
        .await
        .expect("journal mode");
    assert_eq!(journal.0, "wal");
    let application_id: (i64,) = sqlx::query_as("PRAGMA application_id")
        .fetch_one(&mut outside)
        .await
        .expect("application id");
    assert_eq!(application_id.0, 0x4752_4E44);
    outside.close().await.expect("close");
    let lock = store.writer_lock().await.expect("lock");
    assert_eq!(
        mode(&path.with_file_name("grunndata.db.lock")),
        0o600,
        "lock file"
    );
    lock.release().await;
    store.close().await;
}

#[tokio::test]
async fn refuses_a_file_that_is_not_sqlite() {
    let db = TestDb::sqlite();
    let path = db.sqlite_path();
    std::fs::write(&path, b"journal notes, not a database\n").expect("write");
    let error = Store::open(&db.url).await.expect_err("not SQLite");
    assert!(matches!(error, StoreError::NotGrunndata { .. }), "{error}");
    assert!(
        error.to_string().contains("not a grunndata database"),
        "{error}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"journal notes, not a database\n",
        "left untouched"
    );
}

#[tokio::test]
async fn refuses_another_applications_sqlite_database() {
    let db = TestDb::sqlite();
    let path = db.sqlite_path();
    {
        let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .expect("create foreign database");
        conn.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
            .await
            .expect("foreign table");
        conn.close().await.expect("close");
    }
    let before = std::fs::read(&path).expect("read");
    let error = Store::open(&db.url).await.expect_err("foreign");
    assert!(matches!(error, StoreError::NotGrunndata { .. }), "{error}");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "left untouched"
    );
}

/// A reader gets the last committed state at once while another connection holds an open
/// write transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_are_not_blocked_by_a_write_transaction() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open");
    let t = at(2026, 1, 1);
    store
        .apply(Batch::new(t).upsert(organisation(orgnr(1), "Før AS"), None, t))
        .await
        .expect("seed");

    // Another process's sync writer, mid-transaction.
    let mut writer = SqliteConnection::connect(&db.url).await.expect("writer");
    writer.execute("BEGIN IMMEDIATE").await.expect("begin");
    writer
        .execute("UPDATE brreg SET name = 'Under skriving', name_search = ' under skriving'")
        .await
        .expect("uncommitted update");
    writer
        .execute("UPDATE sync_state SET version = 99 WHERE register = 'brreg'")
        .await
        .expect("uncommitted update");

    let started = Instant::now();
    let found = tokio::time::timeout(Duration::from_secs(2), store.get::<Organisation>(&orgnr(1)))
        .await
        .expect("read not blocked")
        .expect("read")
        .expect("present");
    assert_eq!(found.record.name.as_deref(), Some("Før AS"));
    let search = tokio::time::timeout(
        Duration::from_secs(2),
        store.search::<Organisation>("før", 5),
    )
    .await
    .expect("search not blocked")
    .expect("search");
    assert_eq!(search.len(), 1, "uncommitted changes are invisible");
    assert_eq!(store.version(Register::Brreg).await.expect("version"), 1);
    assert!(started.elapsed() < Duration::from_secs(2));

    writer.execute("ROLLBACK").await.expect("rollback");
    writer.close().await.expect("close");
    store.close().await;
}

/// Lookups keep answering quickly while a large batch is being written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_keep_answering_during_a_large_batch() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open");
    let t = at(2026, 1, 1);
    store
        .apply(Batch::new(t).upsert(organisation(orgnr(0), "Alltid Her AS"), None, t))
        .await
        .expect("seed");
    let mut batch = Batch::new(t);
    for index in 1..20_000 {
        batch = batch.upsert(organisation(orgnr(index), "Bulk AS"), None, t);
    }
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.apply(batch).await })
    };
    let mut slowest = Duration::ZERO;
    let mut reads = 0;
    while !writer.is_finished() {
        let started = Instant::now();
        let found = store.get::<Organisation>(&orgnr(0)).await.expect("read");
        assert!(found.is_some());
        slowest = slowest.max(started.elapsed());
        reads += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let outcome = writer.await.expect("join").expect("batch");
    assert_eq!(outcome.inserted, 19_999);
    assert!(reads > 0);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest read took {slowest:?}"
    );
    store.close().await;
}

/// Two handles on one file (two processes in real life) both work; the second writer waits
/// for the first rather than failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_share_one_file() {
    let db = TestDb::sqlite();
    let first = Store::open(&db.url).await.expect("open");
    let second = Store::open(&db.url).await.expect("open again");
    let t = at(2026, 1, 1);
    let (a, b) = tokio::join!(
        first.apply(Batch::new(t).upsert(organisation(orgnr(1), "En AS"), None, t)),
        second.apply(Batch::new(t).upsert(organisation(orgnr(2), "To AS"), None, t)),
    );
    a.expect("first write");
    b.expect("second write");
    assert_eq!(
        first.counts(Register::Brreg).await.expect("counts").records,
        2
    );
    assert_eq!(second.version(Register::Brreg).await.expect("version"), 2);
    first.close().await;
    second.close().await;
}

/// Regression: two processes opening a new mirror at the same moment (a sync and a lookup on
/// first start) both ran the migrations and one failed with "table already exists". Opening
/// is now serialised by a lock file; many concurrent first opens all succeed.
#[test]
fn concurrent_first_opens_of_one_file_all_succeed() {
    let db = TestDb::sqlite();
    // Separate threads with their own runtimes, as separate processes would be.
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let store = Store::open(&url).await?;
                    let records = store.counts(Register::Brreg).await?.records;
                    store.close().await;
                    Ok::<_, StoreError>(records)
                })
            })
        })
        .collect();
    for open in opens {
        let records = open
            .join()
            .expect("thread")
            .unwrap_or_else(|error| panic!("concurrent open failed: {error}"));
        assert_eq!(records, 0);
    }
}

/// Commit notices name the keys of a small batch; a large one (a snapshot batch) says
/// "anything may have changed" instead, so listeners do not hash thousands of keys on their
/// next lookup.
#[tokio::test]
async fn commit_notices_name_keys_of_small_batches_only() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open");
    let mut notices = store.subscribe_commits();
    let at = at(2026, 1, 1);
    for (size, named) in [(3_u32, true), (600, false)] {
        let mut batch = Batch::<Organisation>::new(at);
        for index in 0..size {
            let orgnr = orgnr(10_000 + size * 1000 + index);
            batch = batch.upsert(organisation(orgnr, "Nordlys AS"), None, at);
        }
        store.apply(batch).await.expect("apply");
        let notice = notices.try_recv().expect("a notice");
        let expected = if named {
            usize::try_from(size).expect("small")
        } else {
            0
        };
        assert_eq!(notice.keys.len(), expected, "batch of {size}");
    }
    store.close().await;
}

/// Regression (issue 17): the audit file's WAL must stay bounded while audited lookups append
/// row after row. It grew without end instead — 24 GB in a minute of the benchmark's audited
/// lookups, its index mapped into memory — because SQLite's automatic checkpoint never ran.
#[tokio::test]
async fn the_audit_files_wal_stays_bounded() {
    let root = tempfile::tempdir().expect("temp dir");
    let path = root.path().join("grunndata.db");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    for index in 0..12_000 {
        let entry = grunndata_sync::store::AuditEntry {
            at: at(2026, 1, 1),
            actor: "tester".to_owned(),
            purpose: "treatment".to_owned(),
            register: Some(Register::Preg),
            subject: format!("person {index:06}"),
            result: "found".to_owned(),
        };
        store.append_audit(&entry).await.expect("append");
    }
    let wal = root.path().join("grunndata-audit.db-wal");
    let size = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
    // Checkpoints start at 4 MiB beside the appends, SQLite's own at 64 MiB as the backstop;
    // 12 000 rows written without any leave ≈ 215 MB.
    assert!(size < 72 << 20, "audit WAL holds {size} bytes");
    let file = std::fs::metadata(root.path().join("grunndata-audit.db")).map_or(0, |m| m.len());
    assert!(
        file > 1 << 20,
        "the rows reached the audit file ({file} bytes)"
    );
    store.close().await;
}

/// Regression (issue 17): after a bulk load's `ANALYZE`, SQLite kept per-value statistics
/// (`sqlite_stat4`), and with them every lookup by an indexed column — a unit's sub-units by
/// their parent — was compiled again at its first step after each new binding, a third of a
/// party view's time. The statistics per index stay; the statement is compiled once.
#[tokio::test]
async fn lookups_by_an_indexed_column_are_not_recompiled_after_a_bulk_load() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open");
    let t = at(2026, 1, 1);
    assert!(store.begin_bulk_load(Register::Brreg).await.expect("bulk"));
    let mut batch = Batch::<Organisation>::new(t);
    for parent in 0..20 {
        batch = batch.upsert(organisation(orgnr(parent), "Hoved AS"), None, t);
        for child in 0..10 {
            let index = 1000 + parent * 10 + child;
            let unit = sub_unit(orgnr(index), orgnr(parent), "Avdeling");
            batch = batch.upsert(unit, None, t);
        }
    }
    store.apply(batch).await.expect("load");
    store
        .finish_bulk_load(Register::Brreg)
        .await
        .expect("finish");
    store.close().await;

    let path = db.url.trim_start_matches("sqlite://");
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("read-only connection");
    let statistics: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
            [],
            |row| row.get(0),
        )
        .expect("sqlite_master");
    assert_eq!(statistics, 1, "the per-index statistics stay");
    let mut children = conn
        .prepare("SELECT record FROM brreg WHERE parent_org_number = ?1 ORDER BY org_number")
        .expect("prepare");
    for parent in 0..5 {
        let found = children
            .query_map([orgnr(parent).to_string()], |row| row.get::<_, String>(0))
            .expect("query")
            .count();
        assert_eq!(found, 10);
    }
    assert_eq!(
        children.get_status(rusqlite::StatementStatus::RePrepare),
        0,
        "a new binding recompiled the statement"
    );
}

//! Issue 14: lookup nodes open the mirror read-only — no file created, no lock, no migration,
//! a read-only SQLite file and a read-only PostgreSQL role are enough, a schema of another
//! version is refused naming both — and audited lookups never wait for the sync's writer.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::db::{Kind, TestDb};
use common::mirror::{self, kari, open_person};
use grunndata_sync::core::model::Organisation;
use grunndata_sync::registry::{Caller, PersonAnswer, Registry, RegistryOptions};
use grunndata_sync::store::{AuditQuery, Batch, Store, StoreError};
use sqlx::{Connection as _, Executor as _};

/// The names of the files in `dir`.
fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read dir: {e}"))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("dir entry: {e}"))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn sqlite_path(db: &TestDb) -> std::path::PathBuf {
    db.url
        .strip_prefix("sqlite://")
        .unwrap_or_else(|| panic!("not an SQLite URL: {}", db.url))
        .into()
}

/// Sets the mode of `path` (Unix permissions; root ignores them, SQLite's read-only flag does
/// not).
#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

#[cfg(not(unix))]
fn chmod(path: &Path, mode: u32) {
    let mut permissions = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("metadata: {e}"))
        .permissions();
    permissions.set_readonly(mode & 0o200 == 0);
    std::fs::set_permissions(path, permissions).unwrap_or_else(|e| panic!("chmod: {e}"));
}

/// Lookups and audited person lookups, asserting the answers.
async fn look_up(registry: &Registry) {
    let found = registry
        .personnel(kari())
        .await
        .unwrap_or_else(|e| panic!("personnel: {e}"));
    assert!(found.is_some(), "Kari is in the mirror");
    let caller = Caller::new("helpdesk").with_purpose("ticket 4711");
    let answer = registry
        .for_caller(caller)
        .person(&open_person())
        .await
        .unwrap_or_else(|e| panic!("person: {e}"));
    assert!(matches!(answer, PersonAnswer::Found(_)), "{answer:?}");
}

#[tokio::test]
async fn a_read_only_sqlite_mirror_is_read_and_never_written() {
    let db = TestDb::sqlite();
    let path = sqlite_path(&db);
    let writer = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    mirror::populate(&writer).await;
    writer.close().await;
    let dir = path.parent().unwrap_or_else(|| panic!("no parent"));
    let audit_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let audit_path = audit_dir.path().join("audit.db");

    // A read-only file in a read-only directory, with no sync running (no -wal / -shm).
    chmod(&path, 0o444);
    chmod(dir, 0o555);
    let before = files(dir);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read: {e}"));
    let registry = Registry::open_read_only(
        &db.url,
        Some(audit_path.clone()),
        RegistryOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("read-only open: {e}"));
    look_up(&registry).await;
    let audited = Store::open_read_only(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    assert!(audited.is_read_only());
    assert!(matches!(
        audited.writer_lock().await,
        Err(StoreError::ReadOnly { .. })
    ));
    let refused = audited
        .apply(Batch::<Organisation>::new(mirror::applied()))
        .await;
    assert!(
        matches!(refused, Err(StoreError::ReadOnly { .. })),
        "{refused:?}"
    );
    audited.close().await;
    // SQLite's own WAL index files may appear where the directory allows (a root test process
    // ignores the mode bits; `grunndata-cli/tests/read_only.rs` runs a lookup as an
    // unprivileged user); nothing of ours does, and the mirror's bytes are untouched.
    let after: BTreeSet<String> = files(dir)
        .into_iter()
        .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect();
    assert_eq!(after, before, "nothing created beside the mirror");
    assert_eq!(
        std::fs::read(&path).unwrap_or_else(|e| panic!("read: {e}")),
        bytes,
        "the mirror file is unchanged"
    );
    assert!(audit_path.is_file(), "the audit log is its own file");

    // A missing mirror is an error, never an empty new file.
    chmod(dir, 0o755);
    let missing = dir.join("missing.db");
    let error = Store::open_read_only(&format!("sqlite://{}", missing.display()))
        .await
        .err();
    assert!(
        matches!(error, Some(StoreError::Missing { .. })),
        "{error:?}"
    );
    assert!(!missing.exists());
    chmod(&path, 0o644);
}

/// A schema of another version is refused, naming both versions.
#[tokio::test]
async fn read_only_refuses_an_older_or_newer_schema() {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let Some(db) = (match kind {
            Kind::Sqlite => Some(TestDb::sqlite()),
            Kind::Postgres => TestDb::postgres().await,
        }) else {
            continue;
        };
        Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"))
            .close()
            .await;
        let newest = "(SELECT max(version) FROM _sqlx_migrations)";
        execute(
            &db,
            &format!(
                "UPDATE _sqlx_migrations SET version = 99990101000000 WHERE version = {newest}"
            ),
        )
        .await;
        let error = Store::open_read_only(&db.url).await.err();
        let Some(StoreError::SchemaTooNew {
            found, supported, ..
        }) = error
        else {
            panic!("{kind:?}: expected SchemaTooNew, got {error:?}");
        };
        assert_eq!(found, 99_990_101_000_000);
        assert!(supported > 0);
        let message = StoreError::SchemaTooNew {
            location: "x".to_owned(),
            found,
            supported,
        }
        .to_string();
        assert!(message.contains(&found.to_string()) && message.contains(&supported.to_string()));

        execute(&db, "DELETE FROM _sqlx_migrations").await;
        let error = Store::open_read_only(&db.url).await.err();
        let Some(StoreError::SchemaTooOld {
            found, supported, ..
        }) = error
        else {
            panic!("{kind:?}: expected SchemaTooOld, got {error:?}");
        };
        assert_eq!(found, 0);
        assert!(supported > 0);
    }
}

async fn execute(db: &TestDb, sql: &str) {
    match db.kind {
        Kind::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url)
                .await
                .unwrap_or_else(|e| panic!("connect: {e}"));
            conn.execute(sqlx::AssertSqlSafe(sql.to_owned()))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Kind::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url)
                .await
                .unwrap_or_else(|e| panic!("connect: {e}"));
            conn.execute(sqlx::AssertSqlSafe(sql.to_owned()))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// The least-privilege role of a lookup node: read the mirror, insert audit rows, nothing
/// else.
#[tokio::test]
async fn a_read_only_postgres_role_looks_up_and_audits() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let writer = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    mirror::populate(&writer).await;
    writer.close().await;

    let mut url = reqwest::Url::parse(&db.url).unwrap_or_else(|e| panic!("url: {e}"));
    let database = url.path().trim_start_matches('/').to_owned();
    let role = format!("{database}_lookup");
    for statement in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT CONNECT ON DATABASE {database} TO {role}"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT INSERT ON audit_log TO {role}"),
    ] {
        execute(&db, &statement).await;
    }
    url.set_username(&role)
        .unwrap_or_else(|()| panic!("username"));
    let registry = Registry::open_read_only(url.as_str(), None, RegistryOptions::default())
        .await
        .unwrap_or_else(|e| panic!("read-only open as {role}: {e}"));
    look_up(&registry).await;

    // The role could not write the mirror even if the store let it try.
    let mut conn = sqlx::PgConnection::connect(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let denied = conn.execute("DELETE FROM brreg").await;
    assert!(denied.is_err(), "the lookup role cannot delete");
    let _ = conn.close().await;

    let admin = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let audit = admin
        .audit_log(&AuditQuery::default())
        .await
        .unwrap_or_else(|e| panic!("audit log: {e}"));
    assert!(
        audit.iter().any(|record| record.entry.actor == "helpdesk"),
        "the lookup role's audit row is there: {audit:?}"
    );
    admin.close().await;
    drop(registry);
    execute(&db, &format!("DROP OWNED BY {role}")).await;
    execute(&db, &format!("DROP ROLE {role}")).await;
}

/// Regression (issue 14): audit rows went through the mirror's single SQLite writer, so a
/// person lookup waited behind a sync batch. With the mirror's write lock held, audited
/// lookups still answer at once.
#[tokio::test]
async fn audited_lookups_do_not_wait_for_the_mirrors_writer() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    mirror::populate(&store).await;
    // Another process's sync batch: a write transaction held open on the mirror.
    let mut sync = sqlx::SqliteConnection::connect(&db.url)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    sync.execute("BEGIN IMMEDIATE")
        .await
        .unwrap_or_else(|e| panic!("begin: {e}"));
    sync.execute("UPDATE grunndata_meta SET value = value")
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));

    let registry = Registry::from_store(
        store.clone(),
        RegistryOptions {
            audit_all_lookups: true,
            ..RegistryOptions::default()
        },
    );
    tokio::time::timeout(Duration::from_secs(5), look_up(&registry))
        .await
        .unwrap_or_else(|_| panic!("audited lookups waited for the mirror's writer"));
    sync.execute("ROLLBACK")
        .await
        .unwrap_or_else(|e| panic!("rollback: {e}"));
    let audit = store
        .audit_log(&AuditQuery::default())
        .await
        .unwrap_or_else(|e| panic!("audit log: {e}"));
    assert!(audit.len() >= 2, "{audit:?}");
    store.close().await;
}

fn entry(at: chrono::DateTime<chrono::Utc>, subject: &str) -> grunndata_sync::store::AuditEntry {
    grunndata_sync::store::AuditEntry {
        at,
        actor: "test".to_owned(),
        purpose: "retention".to_owned(),
        register: None,
        subject: subject.to_owned(),
        result: "found".to_owned(),
    }
}

/// `[store] audit_retention`: entries older than the bound go, the rest stay, and the log is
/// still append-only for everything else.
#[tokio::test]
async fn audit_retention_removes_only_old_entries() {
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let Some(db) = (match kind {
            Kind::Sqlite => Some(TestDb::sqlite()),
            Kind::Postgres => TestDb::postgres().await,
        }) else {
            continue;
        };
        let store = Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        let now = chrono::Utc::now();
        for (days, subject) in [(500, "old"), (10, "recent"), (0, "today")] {
            store
                .append_audit(&entry(now - chrono::Duration::days(days), subject))
                .await
                .unwrap_or_else(|e| panic!("append: {e}"));
        }
        let removed = store
            .prune_audit(now - chrono::Duration::days(400))
            .await
            .unwrap_or_else(|e| panic!("prune: {e}"));
        assert_eq!(removed, 1, "{kind:?}");
        let left: Vec<String> = store
            .audit_log(&AuditQuery::default())
            .await
            .unwrap_or_else(|e| panic!("list: {e}"))
            .into_iter()
            .map(|record| record.entry.subject)
            .collect();
        assert_eq!(left, ["today", "recent"], "{kind:?}");

        // Outside a prune, a delete is refused.
        let audit_url = match kind {
            Kind::Sqlite => format!("sqlite://{}", store.audit_location()),
            Kind::Postgres => db.url.clone(),
        };
        let refused = match kind {
            Kind::Sqlite => sqlx::SqliteConnection::connect(&audit_url)
                .await
                .unwrap_or_else(|e| panic!("connect: {e}"))
                .execute("DELETE FROM audit_log")
                .await
                .is_err(),
            Kind::Postgres => sqlx::PgConnection::connect(&audit_url)
                .await
                .unwrap_or_else(|e| panic!("connect: {e}"))
                .execute("DELETE FROM audit_log")
                .await
                .is_err(),
        };
        assert!(refused, "{kind:?}: the audit log stays append-only");
        store.close().await;
    }
}

/// A mirror made before the audit log had its own file keeps its audit history: the new file
/// takes the old rows over on first use.
#[tokio::test]
async fn an_older_mirrors_audit_rows_are_taken_over() {
    let db = TestDb::sqlite();
    Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"))
        .close()
        .await;
    execute(
        &db,
        "INSERT INTO audit_log (at, actor, purpose, register, subject, result) \
         VALUES ('2025-01-02T03:04:05Z', 'kari', 'ticket 1', 'hpr', '9144889', 'found')",
    )
    .await;
    let store = Store::open_read_only(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let records = store
        .audit_log(&AuditQuery::default())
        .await
        .unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].entry.actor, "kari");
    assert_eq!(records[0].id, 1);
    store.close().await;
}

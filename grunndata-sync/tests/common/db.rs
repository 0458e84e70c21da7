//! A fresh database per test, on SQLite or PostgreSQL.
//!
//! PostgreSQL tests read `GRUNNDATA_TEST_PG` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`). Each test creates its own database
//! `grunndata_test_<pid>_<n>_<nanos>` and drops it when the [`TestDb`] is dropped. When the
//! variable is unset or the server unreachable, the test is skipped with a note — unless
//! `CI=true`, where that is a failure.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection as _, Executor as _, PgConnection, SqliteConnection};
use tempfile::TempDir;

/// Which backend a test database is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
pub struct TestDb {
    pub kind: Kind,
    /// The URL to open a `Store` on.
    pub url: String,
    dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value.eq_ignore_ascii_case("true") || value == "1")
}

/// Skips (returns `None`) or, under CI, panics.
fn unavailable(reason: &str) -> Option<TestDb> {
    assert!(
        !in_ci(),
        "PostgreSQL tests cannot run under CI=true: {reason}"
    );
    eprintln!("note: skipping PostgreSQL test: {reason}");
    None
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

impl TestDb {
    /// A new SQLite file in its own temp directory (the file itself is not created).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
        Self {
            kind: Kind::Sqlite,
            url,
            dir: Some(dir),
            postgres: None,
        }
    }

    /// An SQLite database at `path` (not created), in a directory the caller owns.
    pub fn sqlite_at(path: &std::path::Path) -> Self {
        Self {
            kind: Kind::Sqlite,
            url: format!("sqlite://{}", path.display()),
            dir: None,
            postgres: None,
        }
    }

    /// The database holding the audit log of this mirror, where it is not the mirror itself:
    /// on SQLite the audit log's own file (`Store::audit_location`); `None` on PostgreSQL.
    pub fn audit_file(&self, audit_location: &str) -> Option<Self> {
        (self.kind == Kind::Sqlite).then(|| Self::sqlite_at(std::path::Path::new(audit_location)))
    }

    /// A new, empty PostgreSQL database, or `None` when PostgreSQL tests are skipped.
    pub async fn postgres() -> Option<Self> {
        if !grunndata_sync::store::BackendKind::Postgres.is_built() {
            // A feature set without PostgreSQL (the lookups-only build CI also tests): not
            // a missing server, so not a failure under CI either.
            eprintln!("note: skipping PostgreSQL test: built without the `postgres` feature");
            return None;
        }
        let Ok(admin) = std::env::var("GRUNNDATA_TEST_PG") else {
            return unavailable("GRUNNDATA_TEST_PG is not set");
        };
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(error) => return unavailable(&format!("cannot connect: {error}")),
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let name = format!(
            "grunndata_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // Concurrent CREATE DATABASE from one template can collide; retry briefly.
        let mut attempt = 0;
        loop {
            match conn
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
            {
                Ok(_) => break,
                Err(error) if attempt < 20 => {
                    attempt += 1;
                    eprintln!("retrying CREATE DATABASE: {error}");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                }
                Err(error) => panic!("CREATE DATABASE {name}: {error}"),
            }
        }
        let _ = conn.close().await;
        Some(Self {
            kind: Kind::Postgres,
            url: with_database(&admin, &name),
            dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// The temp directory of an SQLite test database.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.as_ref().expect("an SQLite test database").path()
    }

    /// The SQLite file path.
    pub fn sqlite_path(&self) -> std::path::PathBuf {
        self.dir().join("mirror.db")
    }

    /// Runs raw SQL (several statements allowed) on a separate connection, as an outside
    /// actor would: tests use it to install failure triggers or to tamper with the schema.
    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.kind {
            Kind::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
            Kind::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Best effort, on a thread of its own: Drop cannot await, and the test's runtime may
        // be shutting down.
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}

#[test]
fn replaces_database_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://h:1/db?sslmode=disable", "x"),
        "postgres://h:1/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

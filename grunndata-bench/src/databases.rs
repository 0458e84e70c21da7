//! Fresh databases for each measured run: an SQLite file in the run's work directory, or a
//! PostgreSQL database created on the server and dropped afterwards.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection};

/// A mirror backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The shared, multi-node backend.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// Where fresh databases come from.
pub struct Databases {
    dir: PathBuf,
    postgres_admin: String,
    counter: AtomicU32,
}

/// One fresh database; a PostgreSQL one is dropped by [`Databases::drop_database`].
pub struct Database {
    /// Its backend.
    pub backend: Backend,
    /// The URL a `Store` opens.
    pub url: String,
    /// The SQLite file, for SQLite.
    pub path: Option<PathBuf>,
    /// The PostgreSQL database name, for PostgreSQL.
    pub name: Option<String>,
}

impl Databases {
    /// Databases in `dir` (SQLite) and on the server at `postgres_admin`.
    pub fn new(dir: &Path, postgres_admin: &str) -> Self {
        Self {
            dir: dir.to_owned(),
            postgres_admin: postgres_admin.to_owned(),
            counter: AtomicU32::new(0),
        }
    }

    /// A new, empty database on `backend` whose name starts with `label`.
    pub async fn create(&self, backend: Backend, label: &str) -> anyhow::Result<Database> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        match backend {
            Backend::Sqlite => {
                let path = self.dir.join(format!("{label}-{n}.db"));
                Ok(Database {
                    backend,
                    url: format!("sqlite://{}", path.display()),
                    path: Some(path),
                    name: None,
                })
            }
            Backend::Postgres => {
                let name = format!("grunndata_bench_{}_{label}_{n}", std::process::id());
                self.admin_execute(&format!("CREATE DATABASE {name}"))
                    .await?;
                Ok(Database {
                    backend,
                    url: with_database(&self.postgres_admin, &name)?,
                    path: None,
                    name: Some(name),
                })
            }
        }
    }

    /// Removes `database` (its file, or the PostgreSQL database).
    pub async fn drop_database(&self, database: Database) -> anyhow::Result<()> {
        if let Some(path) = &database.path {
            for suffix in ["", "-wal", "-shm", ".open.lock", ".lock"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some(name) = &database.name {
            self.admin_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }

    /// Whether the PostgreSQL server answers, with its version.
    pub async fn postgres_version(&self) -> anyhow::Result<String> {
        let mut conn = PgConnection::connect(&self.postgres_admin)
            .await
            .with_context(|| "connecting to PostgreSQL (set --postgres, or --backends sqlite)")?;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        Ok(version)
    }

    async fn admin_execute(&self, sql: &str) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.postgres_admin)
            .await
            .context("connecting to PostgreSQL")?;
        conn.execute(sqlx::AssertSqlSafe(sql.to_owned()))
            .await
            .with_context(|| format!("running {sql}"))?;
        conn.close().await?;
        Ok(())
    }
}

/// `url` with its database name (the path) replaced by `database`.
pub fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(url).with_context(|| format!("reading the URL {url}"))?;
    url.set_path(database);
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b").ok(),
            Some("postgres://postgres@127.0.0.1:5432/b".to_owned())
        );
        assert_eq!(
            with_database("postgres://h/x?sslmode=disable", "b").ok(),
            Some("postgres://h/b?sslmode=disable".to_owned())
        );
    }
}

//! The PostgreSQL anchor: `psql \copy` of the mirror's rows as CSV into a table made
//! `LIKE` the mirror's (`INCLUDING ALL`: the same columns, constraints and indexes).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::tools;

/// Writes `table` of the mirror at `url` as CSV.
pub fn export_csv(url: &str, table: &str, csv: &Path) -> anyhow::Result<()> {
    psql(url, &format!("\\copy {table} TO '{}' CSV", csv.display()))
}

/// Times `psql \copy` of `csv` into a fresh copy of `table` (in schema `schema`) in the
/// mirror database at `url`; the copy is dropped afterwards.
pub fn copy(url: &str, table: &str, schema: &str, csv: &Path) -> anyhow::Result<Duration> {
    psql(
        url,
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)"
        ),
    )?;
    let started = Instant::now();
    psql(
        url,
        &format!("\\copy {schema}.{table} FROM '{}' CSV", csv.display()),
    )?;
    let elapsed = started.elapsed();
    psql(url, &format!("DROP SCHEMA {schema} CASCADE"))?;
    Ok(elapsed)
}

fn psql(url: &str, command: &str) -> anyhow::Result<()> {
    tools::run(
        Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
                command,
            ])
            .env("PGOPTIONS", "--client-min-messages=warning"),
    )
}

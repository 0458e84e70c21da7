//! SQLite anchors: `sqlite3 .import` of the mirror's rows as CSV, and a raw rusqlite insert
//! loop of the same rows, each into a fresh file with the mirror table's columns and indexes,
//! WAL and `synchronous=NORMAL` as the mirror uses (see `PRAGMAS`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::tools;

/// The settings of every anchor connection: the mirror's journal and sync mode, and at least
/// its memory (the mirror's writer has a 32 MiB cache and sorts on file), so the anchors are
/// never the handicapped side. Both anchors load in one transaction, so no checkpoint runs
/// during their timing.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                       PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

/// The `CREATE TABLE` and `CREATE INDEX` statements of `table` in the mirror at `mirror`.
pub fn schema(mirror: &Path, table: &str) -> anyhow::Result<Vec<String>> {
    let conn = Connection::open(mirror)?;
    let mut statement = conn.prepare(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND sql IS NOT NULL \
         ORDER BY type = 'index', name",
    )?;
    let rows = statement.query_map([table], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Writes `table` of the mirror as CSV (BLOBs as hex, which `.import` stores as text) and
/// returns the number of rows.
pub fn export_csv(mirror: &Path, table: &str, csv: &Path) -> anyhow::Result<u64> {
    let conn = Connection::open(mirror)?;
    let columns: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT name, type FROM pragma_table_info('{table}')"
        ))?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let select: Vec<String> = columns
        .iter()
        .map(|(name, kind)| {
            if kind.eq_ignore_ascii_case("BLOB") {
                format!("hex({name})")
            } else {
                name.clone()
            }
        })
        .collect();
    tools::run(
        Command::new("sqlite3")
            .arg("-csv")
            .arg(mirror)
            .arg(format!(".once {}", csv.display()))
            .arg(format!("SELECT {} FROM {table}", select.join(", "))),
    )?;
    let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })?;
    Ok(u64::try_from(rows)?)
}

/// Creates a fresh anchor file at `path` with `schema`; `strict` keeps `STRICT` tables (the
/// CSV import stores hex digests as text, which a STRICT BLOB column refuses).
fn create(path: &Path, schema: &[String], strict: bool) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(PRAGMAS)?;
    for statement in schema {
        let statement = if strict {
            statement.clone()
        } else {
            statement.trim_end().trim_end_matches("STRICT").to_owned()
        };
        conn.execute_batch(&statement)
            .with_context(|| format!("creating the anchor table: {statement}"))?;
    }
    Ok(conn)
}

/// Times `sqlite3 .import` of `csv` into `table` of a fresh file at `path`.
pub fn import(path: &Path, schema: &[String], table: &str, csv: &Path) -> anyhow::Result<Duration> {
    drop(create(path, schema, false)?);
    let started = Instant::now();
    tools::run(
        Command::new("sqlite3")
            .arg("-cmd")
            .arg(PRAGMAS)
            .arg(path)
            .arg(format!(".import --csv {} {table}", csv.display())),
    )?;
    Ok(started.elapsed())
}

/// Every row of `table` in the mirror, as typed values (read once, outside the timing).
pub fn rows(mirror: &Path, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
    let conn = Connection::open(mirror)?;
    let mut statement = conn.prepare(&format!("SELECT * FROM {table}"))?;
    let width = statement.column_count();
    let rows = statement.query_map([], |row| {
        (0..width)
            .map(|i| row.get::<_, Value>(i))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Times a raw insert loop of `rows` into `table` of a fresh file at `path`: one
/// transaction, one prepared `INSERT`, one `execute` per row.
pub fn raw_loop(
    path: &Path,
    schema: &[String],
    table: &str,
    rows: &[Vec<Value>],
) -> anyhow::Result<Duration> {
    let mut conn = create(path, schema, true)?;
    let width = rows.first().map_or(0, Vec::len);
    let placeholders = vec!["?"; width].join(", ");
    let started = Instant::now();
    let transaction = conn.transaction()?;
    {
        let mut insert =
            transaction.prepare(&format!("INSERT INTO {table} VALUES ({placeholders})"))?;
        for row in rows {
            insert.execute(params_from_iter(row))?;
        }
    }
    transaction.commit()?;
    Ok(started.elapsed())
}

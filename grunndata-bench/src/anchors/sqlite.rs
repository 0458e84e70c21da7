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

/// Removes the SQLite file at `path` with its WAL and shared-memory files.
pub fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Copies the SQLite file at `mirror` (closed: no process has it open) to `copy`, with its
/// WAL when there is one.
pub fn copy(mirror: &Path, copy: &Path) -> anyhow::Result<()> {
    remove(copy);
    std::fs::copy(mirror, copy).with_context(|| format!("copying {}", mirror.display()))?;
    let wal = format!("{}-wal", mirror.display());
    if Path::new(&wal).exists() {
        std::fs::copy(&wal, format!("{}-wal", copy.display()))?;
    }
    Ok(())
}

/// One content change the raw-changes anchor applies, built before its clock starts.
struct Change {
    key: String,
    name: String,
    name_search: String,
    record: String,
    digest: Vec<u8>,
}

/// Times the statements a content change of a Brreg unit needs, through rusqlite with
/// prepared statements, on `copy` (a copy of the mirror, thrown away afterwards): for each
/// unit of `keys`, read its stored digest, times and typed columns; copy the stored version
/// to history; update the columns that changed (`name`, `name_search`) and the meta columns.
/// In pages of `page` changes, each committed with the register's cursor and version — the
/// same statements, in the same transactions, as the store's write path runs for the
/// store-alone step (`grunndata-sync/src/store/sqlite/upsert.rs`), without the encoding,
/// the change detection and the rest of the store around them. The new records are built
/// before the clock starts. Returns the changes applied and the time.
///
/// The anchor is given every advantage the store's writer has and two more: twice its page
/// cache ([`PRAGMAS`]), and no checkpoint during its timing (the store checkpoints beside
/// its writer once the WAL reaches 64 MiB).
pub fn raw_changes(
    copy: &Path,
    keys: &[String],
    round: u64,
    page: usize,
) -> anyhow::Result<(u64, Duration)> {
    // Built on a connection of its own: read on the timed one, the stored pages would start
    // the timing in its page cache, where the store's writer finds them cold.
    let changes = changes_of(&Connection::open(copy)?, keys, round, page)?;
    let mut conn = Connection::open(copy)?;
    conn.execute_batch(PRAGMAS)?;
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
    let typed: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('brreg') ORDER BY cid")?
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|name| {
            !matches!(
                name.as_str(),
                "org_number" | "record" | "digest" | "changed_at" | "fetched_at"
            )
        })
        .collect();
    let existing = format!(
        "SELECT digest, fetched_at, changed_at, {} FROM brreg WHERE org_number = ?1",
        typed.join(", ")
    );
    let width = 3 + typed.len();
    let history = "INSERT INTO brreg_history (org_number, valid_from, valid_to, ended, record, \
                   digest) SELECT org_number, changed_at, ?2, 'changed', record, digest \
                   FROM brreg WHERE org_number = ?1";
    let update = "UPDATE brreg SET name = ?2, name_search = ?3, record = ?4, digest = ?5, \
                  changed_at = ?6, fetched_at = ?7 WHERE org_number = ?1";
    let cursor = "UPDATE sync_state SET cursor = ?1, version = version + 1, last_batch_at = ?2 \
                  WHERE register = 'brreg'";

    let started = Instant::now();
    let mut applied = 0_u64;
    for (number, chunk) in changes.chunks(page.max(1)).enumerate() {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let transaction =
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut existing = transaction.prepare_cached(&existing)?;
            let mut history = transaction.prepare_cached(history)?;
            let mut update = transaction.prepare_cached(update)?;
            for change in chunk {
                // Read out as the store reads it, to compare.
                let stored: Vec<Value> = existing.query_row([&change.key], |row| {
                    (0..width).map(|i| row.get::<_, Value>(i)).collect()
                })?;
                if matches!(stored.first(), Some(Value::Blob(digest)) if *digest == change.digest) {
                    continue;
                }
                history.execute(rusqlite::params![change.key, now])?;
                update.execute(rusqlite::params![
                    change.key,
                    change.name,
                    change.name_search,
                    change.record,
                    change.digest,
                    now,
                    now
                ])?;
                applied += 1;
            }
            transaction.execute(cursor, rusqlite::params![format!("raw-{number}"), now])?;
        }
        transaction.commit()?;
    }
    Ok((applied, started.elapsed()))
}

/// The renamed records of `keys` (units the copy does not hold are left out), each with a
/// digest that differs from its stored one.
fn changes_of(
    conn: &Connection,
    keys: &[String],
    round: u64,
    page: usize,
) -> anyhow::Result<Vec<Change>> {
    let mut read = conn.prepare("SELECT record, digest FROM brreg WHERE org_number = ?1")?;
    let mut changes = Vec::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        let stored: Option<(String, Vec<u8>)> = read
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .map(Some)
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                error => Err(error),
            })?;
        let Some((record, mut digest)) = stored else {
            continue;
        };
        let name = format!("RAW ENDRET {round}-{}", index / page.max(1));
        let mut record: serde_json::Value = serde_json::from_str(&record)?;
        record["name"] = serde_json::Value::String(name.clone());
        // Any other 32 bytes: this copy is thrown away, and SQLite's work does not depend on
        // the digest's value.
        for byte in &mut digest {
            *byte = !*byte;
        }
        changes.push(Change {
            key: key.clone(),
            name_search: name.to_lowercase(),
            name,
            record: serde_json::to_string(&record)?,
            digest,
        });
    }
    Ok(changes)
}

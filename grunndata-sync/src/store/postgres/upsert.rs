//! PostgreSQL writes large runs of upserts with `COPY` and small ones with multi-row `VALUES`.
//!
//! Large run: `COPY` the rows into a session temp table (`ON COMMIT DELETE ROWS`, no WAL),
//! classify them against the register table with one `UPDATE … FROM`, then move changed
//! versions to history, rewrite child rows and merge with `INSERT … SELECT … ON CONFLICT` —
//! a fixed number of statements per run, whatever its size.
//!
//! During a fresh bulk load (secondary indexes dropped) the run is first copied straight into
//! the register table inside a savepoint, the fastest path PostgreSQL has; if a key already
//! exists (a resumed bootstrap re-reading a page) the savepoint is rolled back and the run
//! takes the staged path instead.

use std::fmt::Write as _;

use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

use super::super::exec::Exec;
use super::super::record::Encoded;
use super::super::schema::{Column, TableSpec};
use super::super::sql::{history_columns, upsert_conflict};
use super::super::value::{Kind, Value};
use super::super::write::{RunCounts, Upserter, values};
use super::copy_text::push_row;
use crate::store::DatabaseError;

/// Runs smaller than this use multi-row `VALUES` (fewer round trips than staging).
const COPY_THRESHOLD: usize = 200;
/// Bytes of COPY data sent per message: small enough that the server starts parsing early
/// and has little left to do when the client finishes.
const COPY_CHUNK: usize = 256 << 10;

impl Upserter for PgConnection {
    /// Each chunk is one `COPY` and merge; fewer, larger ones are cheaper for the server.
    const ENCODE_CHUNK: usize = 5_000;
    /// A fresh load's chunk is one `COPY` straight into the table, and while the server
    /// parses one chunk's `jsonb` the next is encoded: four chunks to a batch of 2500 keep
    /// both sides busy (bootstrap 0.64 → 0.70× `psql \copy`, BENCHMARKS.md), where one chunk
    /// left the client and the server waiting for each other.
    const BULK_ENCODE_CHUNK: usize = 625;
    const BULK_IN_KEY_ORDER: bool = true;

    async fn upsert_run(
        &mut self,
        spec: &'static TableSpec,
        rows: Vec<Encoded>,
        bulk: bool,
    ) -> Result<RunCounts, DatabaseError> {
        if bulk {
            self.execute("SAVEPOINT grunndata_bulk", &[]).await?;
            match copy_direct(self, spec, &rows).await {
                Ok(()) => {
                    self.execute("RELEASE SAVEPOINT grunndata_bulk", &[])
                        .await?;
                    return Ok(RunCounts {
                        inserted: rows.len() as u64,
                        ..RunCounts::default()
                    });
                }
                Err(error) if is_unique_violation(&error) => {
                    self.execute("ROLLBACK TO SAVEPOINT grunndata_bulk", &[])
                        .await?;
                    self.execute("RELEASE SAVEPOINT grunndata_bulk", &[])
                        .await?;
                }
                Err(error) => return Err(error),
            }
        }
        if rows.len() < COPY_THRESHOLD {
            values::upsert_run(self, spec, rows).await
        } else {
            staged(self, spec, &rows).await
        }
    }
}

fn is_unique_violation(error: &DatabaseError) -> bool {
    let DatabaseError::Sqlx(error) = error else {
        return false;
    };
    error
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|code| code == "23505")
}

fn pg_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text COLLATE \"C\"",
        Kind::Int => "bigint",
        Kind::Bool => "boolean",
        Kind::Date => "date",
        Kind::Timestamp => "timestamptz",
        Kind::Bytes => "bytea",
        Kind::Json => "jsonb",
    }
}

fn column_names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|column| column.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Streams `rows` into `COPY <target> (<columns>) FROM STDIN`.
async fn copy_rows<'r>(
    conn: &mut PgConnection,
    target: &str,
    columns: &str,
    rows: impl Iterator<Item = &'r [Value]>,
) -> Result<(), DatabaseError> {
    let statement = format!("COPY {target} ({columns}) FROM STDIN");
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buf = String::with_capacity(COPY_CHUNK + 4096);
    for row in rows {
        push_row(&mut buf, row);
        if buf.len() >= COPY_CHUNK {
            send(&mut copy, &mut buf).await?;
        }
    }
    if !buf.is_empty() {
        send(&mut copy, &mut buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

async fn send(
    copy: &mut PgCopyIn<&mut PgConnection>,
    buf: &mut String,
) -> Result<(), DatabaseError> {
    let data = std::mem::take(buf).into_bytes();
    copy.send(data).await?;
    Ok(())
}

/// Copies `rows` and their children straight into the register tables.
async fn copy_direct(
    conn: &mut PgConnection,
    spec: &TableSpec,
    rows: &[Encoded],
) -> Result<(), DatabaseError> {
    copy_rows(
        conn,
        spec.table,
        &spec.column_list(),
        rows.iter().map(|row| row.row.as_slice()),
    )
    .await?;
    if let Some(child) = &spec.child {
        copy_rows(
            conn,
            child.table,
            &column_names(child.columns),
            rows.iter()
                .flat_map(|row| row.children.iter().map(Vec::as_slice)),
        )
        .await?;
    }
    Ok(())
}

/// Creates (once per session) and empties a staging table.
async fn stage_table(
    conn: &mut PgConnection,
    name: &str,
    columns: impl Iterator<Item = Column>,
    extra: &str,
) -> Result<(), DatabaseError> {
    let mut definition = String::new();
    for column in columns {
        let _ = write!(definition, "{} {}, ", column.name, pg_type(column.kind));
    }
    definition.push_str(extra);
    let definition = definition.trim_end_matches([',', ' ']);
    conn.execute(
        &format!("CREATE TEMP TABLE IF NOT EXISTS {name} ({definition}) ON COMMIT DELETE ROWS"),
        &[],
    )
    .await?;
    conn.execute(&format!("TRUNCATE {name}"), &[]).await?;
    Ok(())
}

/// The staged merge of a large run.
async fn staged(
    conn: &mut PgConnection,
    spec: &TableSpec,
    rows: &[Encoded],
) -> Result<RunCounts, DatabaseError> {
    let table = spec.table;
    let key = spec.key.name;
    let stage = format!("grunndata_stage_{table}");
    stage_table(
        conn,
        &stage,
        spec.all_columns(),
        "old_digest bytea, old_fetched_at timestamptz",
    )
    .await?;
    let columns = spec.column_list();
    copy_rows(
        conn,
        &stage,
        &columns,
        rows.iter().map(|row| row.row.as_slice()),
    )
    .await?;

    conn.execute(
        &format!(
            "UPDATE {stage} s SET old_digest = c.digest, old_fetched_at = c.fetched_at \
             FROM {table} c WHERE c.{key} = s.{key}"
        ),
        &[],
    )
    .await?;
    let counted = conn
        .fetch(
            &format!(
                "SELECT count(*) FILTER (WHERE old_digest IS NULL), \
                 count(*) FILTER (WHERE old_digest <> digest), \
                 count(*) FILTER (WHERE old_digest = digest AND old_fetched_at <> fetched_at), \
                 count(*) FILTER (WHERE old_digest = digest AND old_fetched_at = fetched_at) \
                 FROM {stage}"
            ),
            &[],
            &[Kind::Int, Kind::Int, Kind::Int, Kind::Int],
        )
        .await?;
    let counts = counted
        .into_iter()
        .next()
        .map_or_else(RunCounts::default, |mut row| {
            let mut take = |index| u64::try_from(row.int(index).unwrap_or(0)).unwrap_or(0);
            RunCounts {
                inserted: take(0),
                changed: take(1),
                refreshed: take(2),
                unchanged: take(3),
            }
        });

    if counts.changed > 0 {
        conn.execute(
            &format!(
                "INSERT INTO {} ({}) SELECT c.{key}, c.changed_at, \
                 CASE WHEN s.changed_at > c.changed_at THEN s.changed_at ELSE c.changed_at END, \
                 'changed', c.record, c.digest \
                 FROM {table} c JOIN {stage} s ON s.{key} = c.{key} WHERE s.old_digest <> s.digest",
                spec.history,
                history_columns(spec),
            ),
            &[],
        )
        .await?;
        if let Some(child) = spec.child.as_ref().filter(|child| child.replace) {
            conn.execute(
                &format!(
                    "DELETE FROM {} WHERE {key} IN \
                     (SELECT {key} FROM {stage} WHERE old_digest <> digest)",
                    child.table
                ),
                &[],
            )
            .await?;
        }
    }

    if counts.inserted + counts.changed + counts.refreshed > 0 {
        conn.execute(
            &format!(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} \
                 WHERE old_digest IS NULL OR old_digest <> digest OR old_fetched_at <> fetched_at \
                 {}",
                upsert_conflict(spec)
            ),
            &[],
        )
        .await?;
    }

    if let Some(child) = &spec.child
        && counts.inserted + counts.changed > 0
    {
        let child_stage = format!("grunndata_stage_{}", child.table);
        stage_table(conn, &child_stage, child.columns.iter().copied(), "").await?;
        let child_columns = column_names(child.columns);
        copy_rows(
            conn,
            &child_stage,
            &child_columns,
            rows.iter()
                .flat_map(|row| row.children.iter().map(Vec::as_slice)),
        )
        .await?;
        let qualified: Vec<String> = child
            .columns
            .iter()
            .map(|column| format!("x.{}", column.name))
            .collect();
        conn.execute(
            &format!(
                "INSERT INTO {} ({child_columns}) SELECT {} FROM {child_stage} x \
                 JOIN {stage} s ON s.{key} = x.{key} \
                 WHERE s.old_digest IS NULL OR s.old_digest <> s.digest \
                 ON CONFLICT ({}) DO NOTHING",
                child.table,
                qualified.join(", "),
                child.conflict,
            ),
            &[],
        )
        .await?;
    }
    Ok(counts)
}

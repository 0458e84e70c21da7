//! The multi-row `VALUES` upsert path of PostgreSQL, for small runs (SQLite writes row by row on
//! its writer thread, `sqlite/upsert.rs`).
//!
//! Per statement-sized chunk of a run (about a hundred records): read the stored digests and
//! `fetched_at` of the chunk's keys; classify each record as new, changed, refreshed (same
//! content, newer `fetched_at`) or unchanged; move the stored versions of changed records to
//! history; rewrite the child rows of new and changed records; and upsert every record that is
//! not unchanged in one multi-row `INSERT … ON CONFLICT`. The statements are the same text for
//! every full chunk, so they are prepared once per connection. Row values are moved into the
//! driver, never copied: the canonical JSON is the bulk of every row.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::super::exec::Exec;
use super::super::record::Encoded;
use super::super::schema::{ChildTable, TableSpec};
use super::super::sql::{
    history_columns, placeholders, rows_per_statement, upsert_conflict, value_rows,
};
use super::super::value::{Kind, Value};
use super::RunCounts;
use super::classify::{Class, Existing, classify};
use crate::store::DatabaseError;

/// Upserts `rows` (unique keys) chunk by chunk.
pub(crate) async fn upsert_run<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    rows: Vec<Encoded>,
) -> Result<RunCounts, DatabaseError> {
    let mut counts = RunCounts::default();
    let per_statement = rows_per_statement(spec.width());
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<Encoded> = rows.by_ref().take(per_statement).collect();
        if chunk.is_empty() {
            return Ok(counts);
        }
        upsert_chunk(conn, spec, chunk, &mut counts).await?;
    }
}

async fn existing<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    chunk: &[Encoded],
) -> Result<HashMap<String, Existing>, DatabaseError> {
    let key = spec.key.name;
    let sql = format!(
        "SELECT {key}, digest, fetched_at, changed_at FROM {} WHERE {key} IN ({})",
        spec.table,
        placeholders(1, chunk.len())
    );
    let keys: Vec<Value> = chunk.iter().map(|row| row.key.clone()).collect();
    let mut existing = HashMap::with_capacity(chunk.len());
    for mut row in conn
        .fetch(
            &sql,
            &keys,
            &[spec.key.kind, Kind::Bytes, Kind::Timestamp, Kind::Timestamp],
        )
        .await?
    {
        if let Some(key_text) = row.value(0).key_text() {
            existing.insert(
                key_text,
                Existing {
                    digest: row.bytes(1).unwrap_or_default(),
                    fetched_at: row.timestamp(2),
                    changed_at: row.timestamp(3),
                },
            );
        }
    }
    Ok(existing)
}

async fn upsert_chunk<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    chunk: Vec<Encoded>,
    counts: &mut RunCounts,
) -> Result<(), DatabaseError> {
    let key = spec.key.name;
    let table = spec.table;
    let existing = existing(conn, spec, &chunk).await?;
    let classes: Vec<Class> = chunk
        .iter()
        .map(|row| classify(row, existing.get(&row.key_text)))
        .collect();

    let changed: Vec<(Value, DateTime<Utc>)> = chunk
        .iter()
        .zip(&classes)
        .filter_map(|(row, class)| match class {
            Class::Changed(ends) => Some((row.key.clone(), *ends)),
            _ => None,
        })
        .collect();
    if !changed.is_empty() {
        let sql = format!(
            "WITH s(k, t) AS (VALUES {}) INSERT INTO {} ({}) \
             SELECT c.{key}, c.changed_at, s.t, 'changed', c.record, c.digest \
             FROM {table} c JOIN s ON s.k = c.{key}",
            value_rows(changed.len(), 2),
            spec.history,
            history_columns(spec),
        );
        let args: Vec<Value> = changed
            .iter()
            .flat_map(|(key, ends)| [key.clone(), Value::Timestamp(Some(*ends))])
            .collect();
        conn.execute_owned(&sql, args).await?;
        if let Some(child) = spec.child.as_ref().filter(|child| child.replace) {
            let sql = format!(
                "DELETE FROM {} WHERE {key} IN ({})",
                child.table,
                placeholders(1, changed.len())
            );
            let args: Vec<Value> = changed.into_iter().map(|(key, _)| key).collect();
            conn.execute_owned(&sql, args).await?;
        }
    }

    let mut upsert = Vec::with_capacity(chunk.len() * spec.width());
    let mut written = 0;
    let mut children = Vec::new();
    for (row, class) in chunk.into_iter().zip(classes) {
        match class {
            Class::Unchanged => counts.unchanged += 1,
            Class::Refreshed => counts.refreshed += 1,
            Class::New => counts.inserted += 1,
            Class::Changed(_) => counts.changed += 1,
        }
        if class != Class::Unchanged {
            upsert.extend(row.row);
            written += 1;
        }
        if matches!(class, Class::New | Class::Changed(_)) {
            children.extend(row.children);
        }
    }
    if written > 0 {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} {}",
            spec.column_list(),
            value_rows(written, spec.width()),
            upsert_conflict(spec),
        );
        conn.execute_owned(&sql, upsert).await?;
    }
    if let Some(child) = &spec.child {
        insert_children(conn, child, children).await?;
    }
    Ok(())
}

/// Inserts child rows in multi-row statements (ignoring rows already present).
pub(crate) async fn insert_children<C: Exec>(
    conn: &mut C,
    child: &ChildTable,
    rows: Vec<Vec<Value>>,
) -> Result<(), DatabaseError> {
    let width = child.columns.len();
    let names: Vec<&str> = child.columns.iter().map(|column| column.name).collect();
    let per_statement = rows_per_statement(width);
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO NOTHING",
            child.table,
            names.join(", "),
            value_rows(chunk.len(), width),
            child.conflict,
        );
        conn.execute_owned(&sql, chunk.into_iter().flatten().collect())
            .await?;
    }
}

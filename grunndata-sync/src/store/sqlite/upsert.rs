//! SQLite writes a run of upserts row by row, with prepared single-row statements, and writes
//! only what changed.
//!
//! With statements run in place on the writer thread (rusqlite) a prepared single-row statement
//! costs a few microseconds, so batching rows into multi-row `VALUES` statements buys nothing,
//! while working row by row lets each write touch only what differs:
//!
//! - unchanged (same digest, same `fetched_at`): nothing is written;
//! - refreshed (same digest, seen again): `fetched_at` alone;
//! - changed: the stored version is copied to history, and the row is updated in the typed
//!   columns whose values differ plus the meta columns. SQLite rewrites the entry of every
//!   index over a column a statement sets, even to the value it had: a Brreg rename sets
//!   `name` and `name_search` and leaves the parent, form and address indexes alone (measured
//!   on a five-index table: 11 k updates/s setting every column, 20 k setting the changed ones);
//! - new: one `INSERT` (in a fresh bulk load, tried before looking: the table started empty).
//!
//! A run's statements are prepared once and held for all its rows ([`Prepared`]): taking a
//! statement from rusqlite's cache hashes its text twice and copies it once, per row and
//! statement, which the writer thread — the store-alone step's bottleneck — paid three
//! times per changed record.

use std::fmt::Write as _;

use rusqlite::{CachedStatement, Connection};

use super::super::error::DatabaseError;
use super::super::record::Encoded;
use super::super::schema::{ChildTable, META, TableSpec};
use super::super::value::{Kind, Value};
use super::super::write::classify::{Class, Existing, classify};
use super::super::write::{RunCounts, Upserter};
use super::SqliteConn;
use super::conn::{execute_prepared, first_row};

impl Upserter for SqliteConn {
    /// A quarter of a feed page (1000 changes) per step lets the encoding of the next quarter
    /// (canonical JSON, SHA-256, on a blocking thread) overlap the writing of this one.
    const ENCODE_CHUNK: usize = 250;
    /// The same in a fresh bulk load.
    const BULK_ENCODE_CHUNK: usize = 250;
    /// One writer: nothing to order against.
    const BULK_IN_KEY_ORDER: bool = false;

    async fn upsert_run(
        &mut self,
        spec: &'static TableSpec,
        rows: Vec<Encoded>,
        bulk: bool,
    ) -> Result<RunCounts, DatabaseError> {
        let mut counts = RunCounts::default();
        let sql = Statements::new(spec);
        let kinds: Vec<Kind> = [Kind::Bytes, Kind::Timestamp, Kind::Timestamp]
            .into_iter()
            .chain(spec.columns.iter().map(|column| column.kind))
            .collect();
        let mut run = Prepared::new(self.connection(), &sql)?;
        for row in rows {
            // A fresh bulk load inserts into a table that held nothing when it began: try the
            // insert alone, and only for a key already there (a resumed load) look first.
            if bulk {
                match execute_prepared(&mut run.insert, &row.row) {
                    Ok(_) => {
                        counts.inserted += 1;
                        run.insert_children(&row.children)?;
                        continue;
                    }
                    Err(error) if is_primary_key_violation(&error) => {}
                    Err(error) => return Err(error),
                }
            }
            let stored = first_row(&mut run.existing, std::slice::from_ref(&row.key), &kinds)?;
            let (existing, columns) = match stored {
                Some(mut stored) => (
                    Some(Existing {
                        digest: stored.bytes(0).unwrap_or_default(),
                        fetched_at: stored.timestamp(1),
                        changed_at: stored.timestamp(2),
                    }),
                    stored.0.split_off(3),
                ),
                None => (None, Vec::new()),
            };
            match classify(&row, existing.as_ref()) {
                Class::Unchanged => counts.unchanged += 1,
                Class::Refreshed => {
                    counts.refreshed += 1;
                    let args = [row.key, Value::Timestamp(Some(row.fetched_at))];
                    execute_prepared(&mut run.refresh, &args)?;
                }
                Class::New => {
                    counts.inserted += 1;
                    execute_prepared(&mut run.insert, &row.row)?;
                    run.insert_children(&row.children)?;
                }
                Class::Changed(ends) => {
                    counts.changed += 1;
                    run.replace(spec, row, &columns, ends)?;
                }
            }
        }
        Ok(counts)
    }
}

/// The statement texts of a run that do not depend on the row, built once per run (a
/// re-snapshot refreshes a whole register through them).
struct Statements {
    /// The stored digest, times and typed columns of a key.
    existing: String,
    insert: String,
    /// `fetched_at` alone.
    refresh: String,
    /// Copies the stored version of a key to history, ending at `?2`.
    history: String,
    /// Deletes the child rows of a key, where a change replaces them.
    child_delete: Option<String>,
    /// Inserts one child row, ignoring one already present.
    child_insert: Option<String>,
}

impl Statements {
    fn new(spec: &TableSpec) -> Self {
        let (table, key) = (spec.table, spec.key.name);
        let mut existing = String::from("SELECT digest, fetched_at, changed_at");
        for column in spec.columns {
            let _ = write!(existing, ", {}", column.name);
        }
        let _ = write!(existing, " FROM {table} WHERE {key} = ?1");
        Self {
            existing,
            insert: format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                spec.column_list(),
                numbered(spec.width())
            ),
            refresh: format!("UPDATE {table} SET fetched_at = ?2 WHERE {key} = ?1"),
            history: format!(
                "INSERT INTO {} ({key}, valid_from, valid_to, ended, record, digest) \
                 SELECT {key}, changed_at, ?2, 'changed', record, digest FROM {table} \
                 WHERE {key} = ?1",
                spec.history
            ),
            child_delete: spec
                .child
                .as_ref()
                .filter(|child| child.replace)
                .map(|child| format!("DELETE FROM {} WHERE {key} = ?1", child.table)),
            child_insert: spec.child.as_ref().map(child_insert),
        }
    }
}

fn child_insert(child: &ChildTable) -> String {
    let names: Vec<&str> = child.columns.iter().map(|column| column.name).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING",
        child.table,
        names.join(", "),
        numbered(child.columns.len()),
        child.conflict,
    )
}

/// The statements of one run, prepared once and held for all its rows.
struct Prepared<'c> {
    conn: &'c Connection,
    existing: CachedStatement<'c>,
    insert: CachedStatement<'c>,
    refresh: CachedStatement<'c>,
    history: CachedStatement<'c>,
    child_delete: Option<CachedStatement<'c>>,
    child_insert: Option<CachedStatement<'c>>,
    /// The `UPDATE`s met so far, by the typed columns they set (a run of renames needs one).
    updates: Vec<(Vec<usize>, CachedStatement<'c>)>,
}

impl<'c> Prepared<'c> {
    fn new(conn: &'c Connection, sql: &Statements) -> Result<Self, DatabaseError> {
        let prepare = |text: &str| conn.prepare_cached(text).map_err(DatabaseError::from);
        Ok(Self {
            conn,
            existing: prepare(&sql.existing)?,
            insert: prepare(&sql.insert)?,
            refresh: prepare(&sql.refresh)?,
            history: prepare(&sql.history)?,
            child_delete: sql.child_delete.as_deref().map(prepare).transpose()?,
            child_insert: sql.child_insert.as_deref().map(prepare).transpose()?,
            updates: Vec::new(),
        })
    }

    /// Moves the stored version of `row` to history and writes `row` over it, setting the
    /// typed columns that differ from `stored` and the meta columns.
    fn replace(
        &mut self,
        spec: &TableSpec,
        row: Encoded,
        stored: &[Value],
        ends: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), DatabaseError> {
        execute_prepared(
            &mut self.history,
            &[row.key.clone(), Value::Timestamp(Some(ends))],
        )?;
        if let Some(delete) = &mut self.child_delete {
            execute_prepared(delete, std::slice::from_ref(&row.key))?;
        }

        // `row.row` is key, typed columns, then record, digest, changed_at, fetched_at.
        let mut values = row.row.into_iter();
        let key_value = values.next().unwrap_or(Value::Text(None));
        let mut changed = Vec::new();
        let mut args = vec![key_value];
        for (index, value) in values.by_ref().take(spec.columns.len()).enumerate() {
            if stored.get(index) != Some(&value) {
                changed.push(index);
                args.push(value);
            }
        }
        for (column, value) in META.iter().zip(values) {
            // `changed_at` starts the new version where the stored one ends.
            let value = if column.name == "changed_at" {
                Value::Timestamp(Some(ends))
            } else {
                value
            };
            args.push(value);
        }
        let index = if let Some(found) = self.updates.iter().position(|(set, _)| *set == changed) {
            found
        } else {
            let statement = self.conn.prepare_cached(&update_sql(spec, &changed))?;
            self.updates.push((changed, statement));
            self.updates.len() - 1
        };
        execute_prepared(&mut self.updates[index].1, &args)?;
        self.insert_children(&row.children)
    }

    /// Inserts child rows, ignoring rows already present.
    fn insert_children(&mut self, rows: &[Vec<Value>]) -> Result<(), DatabaseError> {
        if let Some(insert) = &mut self.child_insert {
            for row in rows {
                execute_prepared(insert, row)?;
            }
        }
        Ok(())
    }
}

/// The `UPDATE` of one record setting the typed columns at `changed` (indexes into
/// `spec.columns`) and the meta columns, bound in that order after the key (`?1`).
fn update_sql(spec: &TableSpec, changed: &[usize]) -> String {
    let mut update = format!("UPDATE {} SET ", spec.table);
    let names = changed
        .iter()
        .filter_map(|&index| spec.columns.get(index).map(|column| column.name))
        .chain(META.iter().map(|column| column.name));
    for (number, name) in names.enumerate() {
        let _ = write!(update, "{name} = ?{}, ", number + 2);
    }
    update.truncate(update.len() - 2);
    let _ = write!(update, " WHERE {} = ?1", spec.key.name);
    update
}

fn is_primary_key_violation(error: &DatabaseError) -> bool {
    matches!(
        error,
        DatabaseError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// `?1, ?2, …, ?count`.
fn numbered(count: usize) -> String {
    let mut text = String::with_capacity(count * 4);
    for n in 1..=count {
        if n > 1 {
            text.push_str(", ");
        }
        let _ = write!(text, "?{n}");
    }
    text
}

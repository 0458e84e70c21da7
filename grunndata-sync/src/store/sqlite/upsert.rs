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

use std::fmt::Write as _;

use super::super::error::DatabaseError;
use super::super::record::Encoded;
use super::super::schema::{ChildTable, META, TableSpec};
use super::super::value::{Kind, Value};
use super::super::write::classify::{Class, Existing, classify};
use super::super::write::{RunCounts, Upserter};
use super::SqliteConn;

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
        for row in rows {
            // A fresh bulk load inserts into a table that held nothing when it began: try the
            // insert alone, and only for a key already there (a resumed load) look first.
            if bulk {
                match self.positional(&sql.insert, &row.row) {
                    Ok(_) => {
                        counts.inserted += 1;
                        self.insert_children(&sql, &row.children)?;
                        continue;
                    }
                    Err(error) if is_primary_key_violation(&error) => {}
                    Err(error) => return Err(error),
                }
            }
            let stored =
                self.positional_row(&sql.existing, std::slice::from_ref(&row.key), &kinds)?;
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
                    self.positional(&sql.refresh, &args)?;
                }
                Class::New => {
                    counts.inserted += 1;
                    self.positional(&sql.insert, &row.row)?;
                    self.insert_children(&sql, &row.children)?;
                }
                Class::Changed(ends) => {
                    counts.changed += 1;
                    self.replace(spec, &sql, row, &columns, ends)?;
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

impl SqliteConn {
    /// Moves the stored version of `row` to history and writes `row` over it, setting the
    /// typed columns that differ from `stored` and the meta columns.
    fn replace(
        &mut self,
        spec: &TableSpec,
        sql: &Statements,
        row: Encoded,
        stored: &[Value],
        ends: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), DatabaseError> {
        self.positional(
            &sql.history,
            &[row.key.clone(), Value::Timestamp(Some(ends))],
        )?;
        if let Some(delete) = &sql.child_delete {
            self.positional(delete, std::slice::from_ref(&row.key))?;
        }

        // `row.row` is key, typed columns, then record, digest, changed_at, fetched_at.
        let mut values = row.row.into_iter();
        let key_value = values.next().unwrap_or(Value::Text(None));
        let mut update = format!("UPDATE {} SET ", spec.table);
        let mut args = vec![key_value];
        for (index, (column, value)) in spec.columns.iter().zip(values.by_ref()).enumerate() {
            if stored.get(index) != Some(&value) {
                args.push(value);
                let _ = write!(update, "{} = ?{}, ", column.name, args.len());
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
            let _ = write!(update, "{} = ?{}, ", column.name, args.len());
        }
        update.truncate(update.len() - 2);
        let _ = write!(update, " WHERE {} = ?1", spec.key.name);
        self.positional(&update, &args)?;
        self.insert_children(sql, &row.children)
    }

    /// Inserts child rows, ignoring rows already present.
    fn insert_children(
        &mut self,
        sql: &Statements,
        rows: &[Vec<Value>],
    ) -> Result<(), DatabaseError> {
        if let Some(insert) = &sql.child_insert {
            for row in rows {
                self.positional(insert, row)?;
            }
        }
        Ok(())
    }
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

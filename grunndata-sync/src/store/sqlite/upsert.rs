//! SQLite writes a run of upserts row by row, with prepared single-row statements, and writes
//! only what changed.
//!
//! With statements on the caller's thread (rusqlite) a prepared single-row statement costs a
//! few microseconds, so batching rows into multi-row `VALUES` statements buys nothing, while
//! working row by row lets each write touch only what differs:
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

    async fn upsert_run(
        &mut self,
        spec: &'static TableSpec,
        rows: Vec<Encoded>,
        bulk: bool,
    ) -> Result<RunCounts, DatabaseError> {
        let mut counts = RunCounts::default();
        let insert = insert_sql(spec);
        let select = existing_sql(spec);
        let kinds: Vec<Kind> = [Kind::Bytes, Kind::Timestamp, Kind::Timestamp]
            .into_iter()
            .chain(spec.columns.iter().map(|column| column.kind))
            .collect();
        for row in rows {
            // A fresh bulk load inserts into a table that held nothing when it began: try the
            // insert alone, and only for a key already there (a resumed load) look first.
            if bulk {
                match self.positional(&insert, &row.row) {
                    Ok(_) => {
                        counts.inserted += 1;
                        self.insert_children(spec.child.as_ref(), &row.children)?;
                        continue;
                    }
                    Err(error) if is_primary_key_violation(&error) => {}
                    Err(error) => return Err(error),
                }
            }
            let stored = self.positional_row(&select, std::slice::from_ref(&row.key), &kinds)?;
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
                    let sql = format!(
                        "UPDATE {} SET fetched_at = ?2 WHERE {} = ?1",
                        spec.table, spec.key.name
                    );
                    self.positional(&sql, &[row.key, Value::Timestamp(Some(row.fetched_at))])?;
                }
                Class::New => {
                    counts.inserted += 1;
                    self.positional(&insert, &row.row)?;
                    self.insert_children(spec.child.as_ref(), &row.children)?;
                }
                Class::Changed(ends) => {
                    counts.changed += 1;
                    self.replace(spec, row, &columns, ends)?;
                }
            }
        }
        Ok(counts)
    }
}

impl SqliteConn {
    /// Moves the stored version of `row` to history and writes `row` over it, setting the
    /// typed columns that differ from `stored` and the meta columns.
    fn replace(
        &mut self,
        spec: &TableSpec,
        row: Encoded,
        stored: &[Value],
        ends: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), DatabaseError> {
        let (table, key) = (spec.table, spec.key.name);
        let sql = format!(
            "INSERT INTO {} ({key}, valid_from, valid_to, ended, record, digest) \
             SELECT {key}, changed_at, ?2, 'changed', record, digest FROM {table} \
             WHERE {key} = ?1",
            spec.history
        );
        self.positional(&sql, &[row.key.clone(), Value::Timestamp(Some(ends))])?;
        if let Some(child) = spec.child.as_ref().filter(|child| child.replace) {
            let sql = format!("DELETE FROM {} WHERE {key} = ?1", child.table);
            self.positional(&sql, std::slice::from_ref(&row.key))?;
        }

        // `row.row` is key, typed columns, then record, digest, changed_at, fetched_at.
        let mut values = row.row.into_iter();
        let key_value = values.next().unwrap_or(Value::Text(None));
        let mut sql = format!("UPDATE {table} SET ");
        let mut args = vec![key_value];
        for (index, (column, value)) in spec.columns.iter().zip(values.by_ref()).enumerate() {
            if stored.get(index) != Some(&value) {
                args.push(value);
                let _ = write!(sql, "{} = ?{}, ", column.name, args.len());
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
            let _ = write!(sql, "{} = ?{}, ", column.name, args.len());
        }
        sql.truncate(sql.len() - 2);
        let _ = write!(sql, " WHERE {key} = ?1");
        self.positional(&sql, &args)?;
        self.insert_children(spec.child.as_ref(), &row.children)
    }

    /// Inserts child rows, ignoring rows already present.
    fn insert_children(
        &mut self,
        child: Option<&ChildTable>,
        rows: &[Vec<Value>],
    ) -> Result<(), DatabaseError> {
        let Some(child) = child else {
            return Ok(());
        };
        if rows.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = child.columns.iter().map(|column| column.name).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING",
            child.table,
            names.join(", "),
            numbered(child.columns.len()),
            child.conflict,
        );
        for row in rows {
            self.positional(&sql, row)?;
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

/// The stored digest, times and typed columns of a key.
fn existing_sql(spec: &TableSpec) -> String {
    let mut sql = String::from("SELECT digest, fetched_at, changed_at");
    for column in spec.columns {
        let _ = write!(sql, ", {}", column.name);
    }
    let _ = write!(sql, " FROM {} WHERE {} = ?1", spec.table, spec.key.name);
    sql
}

fn insert_sql(spec: &TableSpec) -> String {
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        spec.table,
        spec.column_list(),
        numbered(spec.width())
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

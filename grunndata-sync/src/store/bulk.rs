//! Fresh bulk loads: secondary indexes are dropped while a register is bootstrapped into an
//! empty table and rebuilt once at the end, which is much faster than maintaining them row by
//! row.
//!
//! The dropped definitions are recorded in `bulk_dropped_index` in the same transaction as the
//! drop, so a bootstrap that is killed half-way resumes in bulk mode and
//! [`finish`] rebuilds exactly what was dropped. Primary keys are never dropped: upserts and
//! lookups by key stay correct throughout, only secondary lookups are slow until the finish.

use super::exec::{Exec, fetch_int};
use super::schema::spec;
use super::sql::placeholders;
use super::value::{Kind, Value};
use super::{Register, StoreError};
use crate::store::DatabaseError;

/// Whether `register` is in a bulk load (has dropped indexes).
pub(crate) async fn active<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<bool, DatabaseError> {
    Ok(fetch_int(
        conn,
        "SELECT count(*) FROM bulk_dropped_index WHERE register = $1",
        &[Value::text(register.as_str())],
    )
    .await?
        > 0)
}

/// Starts a bulk load of `register` if its table is empty (or resumes one); returns whether
/// the register is now in bulk mode. `list_indexes` is the backend's query prefix listing
/// `ix_*` indexes (name, definition) of the tables bound after it.
pub(crate) async fn begin<C: Exec>(
    conn: &mut C,
    register: Register,
    list_indexes: &str,
) -> Result<bool, StoreError> {
    let db = StoreError::db("starting a bulk load", Some(register));
    if active(conn, register).await.map_err(db)? {
        return Ok(true);
    }
    let spec = spec(register);
    let rows = fetch_int(
        conn,
        &format!(
            "SELECT count(*) FROM (SELECT {} FROM {} LIMIT 1) t",
            spec.key.name, spec.table
        ),
        &[],
    )
    .await
    .map_err(db)?;
    if rows > 0 {
        return Ok(false);
    }
    let mut tables = vec![spec.table];
    if let Some(child) = &spec.child {
        tables.push(child.table);
    }
    let sql = format!("{list_indexes} ({})", placeholders(1, tables.len()));
    let args: Vec<Value> = tables.iter().map(|table| Value::text(*table)).collect();
    let indexes = conn
        .fetch(&sql, &args, &[Kind::Text, Kind::Text])
        .await
        .map_err(db)?;
    for mut index in indexes {
        let (Some(name), Some(definition)) = (index.text(0), index.text(1)) else {
            continue;
        };
        conn.execute(
            "INSERT INTO bulk_dropped_index (name, register, definition) VALUES ($1, $2, $3)",
            &[
                Value::text(name.clone()),
                Value::text(register.as_str()),
                Value::text(definition),
            ],
        )
        .await
        .map_err(db)?;
        conn.execute(&format!("DROP INDEX {name}"), &[])
            .await
            .map_err(db)?;
    }
    Ok(true)
}

/// Rebuilds the indexes dropped for `register`'s bulk load; returns how many.
pub(crate) async fn finish<C: Exec>(conn: &mut C, register: Register) -> Result<u64, StoreError> {
    let db = StoreError::db("finishing a bulk load", Some(register));
    let indexes = conn
        .fetch(
            "SELECT name, definition FROM bulk_dropped_index WHERE register = $1 ORDER BY name",
            &[Value::text(register.as_str())],
            &[Kind::Text, Kind::Text],
        )
        .await
        .map_err(db)?;
    let mut rebuilt = 0;
    for mut index in indexes {
        let (Some(name), Some(definition)) = (index.text(0), index.text(1)) else {
            continue;
        };
        conn.execute(&definition, &[]).await.map_err(db)?;
        conn.execute(
            "DELETE FROM bulk_dropped_index WHERE name = $1",
            &[Value::text(name)],
        )
        .await
        .map_err(db)?;
        rebuilt += 1;
    }
    Ok(rebuilt)
}

//! Deletes, purges and sweeps.

use chrono::{DateTime, Utc};

use super::super::exec::Exec;
use super::super::schema::TableSpec;
use super::super::sql::history_columns;
use super::super::value::Value;
use crate::store::DatabaseError;

/// Deletes one record, keeping its last version in history unless `purge` (which also erases
/// its history and accumulated child rows). Returns 1 if a current record was removed (for a
/// purge: if anything was removed), else 0.
pub(crate) async fn delete<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    key: &Value,
    at: DateTime<Utc>,
    purge: bool,
) -> Result<u64, DatabaseError> {
    let name = spec.key.name;
    let args = [key.clone(), Value::Timestamp(Some(at))];
    if !purge {
        let sql = format!(
            "INSERT INTO {} ({}) SELECT {name}, changed_at, \
             CASE WHEN $2 > changed_at THEN $2 ELSE changed_at END, 'deleted', record, digest \
             FROM {} WHERE {name} = $1",
            spec.history,
            history_columns(spec),
            spec.table,
        );
        conn.execute(&sql, &args).await?;
    }
    let key_only = std::slice::from_ref(key);
    if let Some(child) = &spec.child
        && (child.replace || purge)
    {
        let sql = format!("DELETE FROM {} WHERE {name} = $1", child.table);
        conn.execute(&sql, key_only).await?;
    }
    let sql = format!("DELETE FROM {} WHERE {name} = $1", spec.table);
    let mut removed = conn.execute(&sql, key_only).await?;
    if purge {
        let sql = format!("DELETE FROM {} WHERE {name} = $1", spec.history);
        removed += conn.execute(&sql, key_only).await?;
    }
    Ok(removed.min(1))
}

/// Removes (keeping history) every record last fetched before `since`; the versions end at
/// `at`. Returns how many records were removed.
pub(crate) async fn sweep<C: Exec>(
    conn: &mut C,
    spec: &TableSpec,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<u64, DatabaseError> {
    let name = spec.key.name;
    let table = spec.table;
    let args = [Value::Timestamp(Some(since)), Value::Timestamp(Some(at))];
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {name}, changed_at, \
         CASE WHEN $2 > changed_at THEN $2 ELSE changed_at END, 'deleted', record, digest \
         FROM {table} WHERE fetched_at < $1",
        spec.history,
        history_columns(spec),
    );
    conn.execute(&sql, &args).await?;
    if let Some(child) = spec.child.as_ref().filter(|child| child.replace) {
        let sql = format!(
            "DELETE FROM {} WHERE {name} IN (SELECT {name} FROM {table} WHERE fetched_at < $1)",
            child.table
        );
        conn.execute(&sql, &args[..1]).await?;
    }
    let sql = format!("DELETE FROM {table} WHERE fetched_at < $1");
    conn.execute(&sql, &args[..1]).await
}

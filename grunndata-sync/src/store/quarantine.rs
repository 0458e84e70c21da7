//! Quarantine: records that failed to parse or validate, kept with the raw payload so nothing
//! is silently dropped.
//!
//! One entry per `(register, upstream_id)`: a later failure of the same record replaces the
//! earlier entry, and a later clean write of it resolves (removes) the entry, so the count in
//! `status` is what is still wrong. Entries without an upstream id stay until cleared by hand.

use chrono::{DateTime, Utc};

use super::batch::QuarantineEntry;
use super::exec::{Exec, fetch_int};
use super::sql::placeholders;
use super::value::{Kind, Value};
use super::{Register, StoreError};
use crate::store::DatabaseError;

/// A stored quarantine entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    /// Its id (increasing).
    pub id: i64,
    /// The register whose sync produced it.
    pub register: Register,
    /// The entry.
    pub entry: QuarantineEntry,
}

pub(crate) async fn has_entries<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<bool, DatabaseError> {
    let sql = "SELECT count(*) FROM (SELECT id FROM quarantine WHERE register = $1 LIMIT 1) q";
    Ok(fetch_int(conn, sql, &[Value::text(register.as_str())]).await? > 0)
}

pub(crate) async fn count<C: Exec>(conn: &mut C, register: Register) -> Result<i64, DatabaseError> {
    let sql = "SELECT count(*) FROM quarantine WHERE register = $1";
    fetch_int(conn, sql, &[Value::text(register.as_str())]).await
}

/// Removes the entries of `keys`, which have now been stored cleanly.
pub(crate) async fn resolve<C: Exec>(
    conn: &mut C,
    register: Register,
    keys: &[String],
) -> Result<(), DatabaseError> {
    for chunk in keys.chunks(500) {
        let sql = format!(
            "DELETE FROM quarantine WHERE register = $1 AND upstream_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut args = vec![Value::text(register.as_str())];
        args.extend(chunk.iter().map(|key| Value::text(key.clone())));
        conn.execute(&sql, &args).await?;
    }
    Ok(())
}

pub(crate) async fn insert<C: Exec>(
    conn: &mut C,
    register: Register,
    entry: &QuarantineEntry,
) -> Result<(), DatabaseError> {
    if let Some(upstream_id) = &entry.upstream_id {
        conn.execute(
            "DELETE FROM quarantine WHERE register = $1 AND upstream_id = $2",
            &[
                Value::text(register.as_str()),
                Value::text(upstream_id.clone()),
            ],
        )
        .await?;
    }
    conn.execute(
        "INSERT INTO quarantine (register, upstream_id, error, payload, received_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            Value::text(register.as_str()),
            Value::Text(entry.upstream_id.clone()),
            Value::text(entry.error.clone()),
            Value::Bytes(Some(entry.payload.clone())),
            Value::timestamp(entry.received_at),
        ],
    )
    .await?;
    Ok(())
}

/// The newest `limit` entries, of one register or all.
pub(crate) async fn list<C: Exec>(
    conn: &mut C,
    register: Option<Register>,
    limit: u32,
) -> Result<Vec<QuarantineRecord>, StoreError> {
    let (filter, mut args) = match register {
        Some(register) => ("WHERE register = $2", vec![Value::text(register.as_str())]),
        None => ("", Vec::new()),
    };
    args.insert(0, Value::Int(Some(i64::from(limit))));
    let sql = format!(
        "SELECT id, register, upstream_id, error, payload, received_at FROM quarantine {filter} \
         ORDER BY id DESC LIMIT $1"
    );
    let rows = conn
        .fetch(
            &sql,
            &args,
            &[
                Kind::Int,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Bytes,
                Kind::Timestamp,
            ],
        )
        .await
        .map_err(StoreError::db("listing quarantine", register))?;
    rows.into_iter()
        .map(|mut row| {
            let register_text = row.text(1).unwrap_or_default();
            let register: Register = register_text.parse().map_err(|_| StoreError::Corrupt {
                table: "quarantine",
                reason: "unknown register".to_owned(),
            })?;
            Ok(QuarantineRecord {
                id: row.int(0).unwrap_or_default(),
                register,
                entry: QuarantineEntry {
                    upstream_id: row.text(2),
                    error: row.text(3).unwrap_or_default(),
                    payload: row.bytes(4).unwrap_or_default(),
                    received_at: row.timestamp(5).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
                },
            })
        })
        .collect()
}

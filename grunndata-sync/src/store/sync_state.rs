//! Sync state per register: cursor, snapshot, outcome of the last run, and the change marker.

use chrono::{DateTime, Utc};

use super::batch::Snapshot;
use super::exec::{Exec, fetch_int};
use super::value::{Kind, Row, Value};
use super::{Register, StoreError};
use crate::store::DatabaseError;

/// Where the sync of one register stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// The register.
    pub register: Register,
    /// Opaque resume position (a sequence number, an `oppdateringsid`, a time window); `None`
    /// before the first batch.
    pub cursor: Option<String>,
    /// The snapshot last bootstrapped from.
    pub snapshot: Option<Snapshot>,
    /// When the last batch that changed anything was applied.
    pub last_batch_at: Option<DateTime<Utc>>,
    /// When a sync run last completed successfully.
    pub last_success_at: Option<DateTime<Utc>>,
    /// When a sync run last failed.
    pub last_error_at: Option<DateTime<Utc>>,
    /// The last failure in words (kept after a later success, see `last_error_at`).
    pub last_error: Option<String>,
    /// Bumped in the transaction of every batch that changed data: a cheap marker for other
    /// processes to invalidate caches.
    pub version: i64,
    /// Sequence numbers the register's feed has skipped since the mirror was created: applied
    /// and counted, not read as an expired cursor (docs/upstream-decisions.md).
    pub sequence_gaps: u64,
}

impl SyncState {
    /// Whether the register has gone longer than `threshold` without a successful sync at
    /// `now` (or never synced at all): what `grunndata status` exits non-zero for and
    /// `grunndata check` reports.
    pub fn is_stale(&self, threshold: std::time::Duration, now: DateTime<Utc>) -> bool {
        let Some(last) = self.last_success_at else {
            return true;
        };
        let threshold = chrono::Duration::from_std(threshold).unwrap_or(chrono::Duration::MAX);
        now.signed_duration_since(last) > threshold
    }
}

const COLUMNS: &str = "register, cursor, snapshot_id, snapshot_at, last_batch_at, \
                       last_success_at, last_error_at, last_error, version, sequence_gaps";
const KINDS: [Kind; 10] = [
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Timestamp,
    Kind::Timestamp,
    Kind::Timestamp,
    Kind::Timestamp,
    Kind::Text,
    Kind::Int,
    Kind::Int,
];

fn from_row(mut row: Row) -> Result<SyncState, StoreError> {
    let register = row
        .text(0)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| StoreError::Corrupt {
            table: "sync_state",
            reason: "unknown register".to_owned(),
        })?;
    let snapshot_id = row.text(2);
    let snapshot_at = row.timestamp(3);
    Ok(SyncState {
        register,
        cursor: row.text(1),
        snapshot: snapshot_id.map(|id| Snapshot {
            id,
            at: snapshot_at.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        }),
        last_batch_at: row.timestamp(4),
        last_success_at: row.timestamp(5),
        last_error_at: row.timestamp(6),
        last_error: row.text(7),
        version: row.int(8).unwrap_or(0),
        sequence_gaps: row
            .int(9)
            .and_then(|gaps| u64::try_from(gaps).ok())
            .unwrap_or(0),
    })
}

pub(crate) async fn get<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<SyncState, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_state WHERE register = $1");
    let row = conn
        .fetch(&sql, &[Value::text(register.as_str())], &KINDS)
        .await
        .map_err(StoreError::db("reading sync state", Some(register)))?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt {
            table: "sync_state",
            reason: format!("no row for {register}"),
        })?;
    from_row(row)
}

pub(crate) async fn all<C: Exec>(conn: &mut C) -> Result<Vec<SyncState>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_state");
    let rows = conn
        .fetch(&sql, &[], &KINDS)
        .await
        .map_err(StoreError::db("reading sync state", None))?;
    let mut states = rows
        .into_iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    states.sort_by_key(|state| state.register);
    Ok(states)
}

pub(crate) async fn version<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<i64, DatabaseError> {
    fetch_int(
        conn,
        "SELECT version FROM sync_state WHERE register = $1",
        &[Value::text(register.as_str())],
    )
    .await
}

pub(crate) async fn bump_version<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<(), DatabaseError> {
    conn.execute(
        "UPDATE sync_state SET version = version + 1 WHERE register = $1",
        &[Value::text(register.as_str())],
    )
    .await?;
    Ok(())
}

pub(crate) async fn set_cursor<C: Exec>(
    conn: &mut C,
    register: Register,
    cursor: Option<&str>,
) -> Result<(), DatabaseError> {
    conn.execute(
        "UPDATE sync_state SET cursor = $2 WHERE register = $1",
        &[
            Value::text(register.as_str()),
            Value::Text(cursor.map(str::to_owned)),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn record_success<C: Exec>(
    conn: &mut C,
    register: Register,
    at: DateTime<Utc>,
) -> Result<(), DatabaseError> {
    conn.execute(
        "UPDATE sync_state SET last_success_at = $2 WHERE register = $1",
        &[Value::text(register.as_str()), Value::timestamp(at)],
    )
    .await?;
    Ok(())
}

pub(crate) async fn record_error<C: Exec>(
    conn: &mut C,
    register: Register,
    at: DateTime<Utc>,
    message: &str,
) -> Result<(), DatabaseError> {
    conn.execute(
        "UPDATE sync_state SET last_error_at = $2, last_error = $3 WHERE register = $1",
        &[
            Value::text(register.as_str()),
            Value::timestamp(at),
            Value::text(message),
        ],
    )
    .await?;
    Ok(())
}

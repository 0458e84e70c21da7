//! One small execution interface over a SQLite or PostgreSQL connection.
//!
//! Shared store logic (reads, deletes, sync state, audit, …) is written once against [`Exec`];
//! the two implementations bind [`Value`]s and decode [`Kind`]s with the concrete driver types:
//! sqlx's for PostgreSQL (here), rusqlite's for SQLite (`sqlite::conn`). Statements are prepared
//! and cached per connection by either, so repeating one SQL text is cheap.

use std::future::Future;

use chrono::{DateTime, Utc};

#[cfg(feature = "postgres")]
use futures_util::TryStreamExt;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgRow;
#[cfg(feature = "postgres")]
use sqlx::types::{Json, JsonRawValue};
#[cfg(feature = "postgres")]
use sqlx::{AssertSqlSafe, Row as _};
#[cfg(feature = "postgres")]
use sqlx::{PgConnection, Postgres};

use super::value::{Kind, Row, Value};
use crate::store::DatabaseError;

/// Executes SQL with [`Value`] arguments and decodes rows into [`Row`]s.
pub(crate) trait Exec: Send {
    /// Runs a statement; returns the number of rows affected.
    fn execute(
        &mut self,
        sql: &str,
        args: &[Value],
    ) -> impl Future<Output = Result<u64, DatabaseError>> + Send;

    #[cfg(feature = "postgres")]
    /// Runs a statement with owned arguments, moving large values (record JSON) into the
    /// driver instead of copying them; returns the number of rows affected.
    fn execute_owned(
        &mut self,
        sql: &str,
        args: Vec<Value>,
    ) -> impl Future<Output = Result<u64, DatabaseError>> + Send;

    /// Runs a query and decodes every row with `kinds`.
    fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> impl Future<Output = Result<Vec<Row>, DatabaseError>> + Send;

    /// Runs a query and hands each decoded row to `each`, without collecting them (for scans
    /// over a whole register).
    fn for_each<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        each: F,
    ) -> impl Future<Output = Result<(), DatabaseError>> + Send
    where
        F: FnMut(Row) + Send;

    /// Runs a query and hands each row, borrowed from the driver, to `each`: for rows whose
    /// values are decoded at once (a record's JSON into the model), with no copy between the
    /// driver's buffer and the decoder.
    fn for_each_borrowed<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        each: F,
    ) -> impl Future<Output = Result<(), DatabaseError>> + Send
    where
        F: FnMut(&dyn Columns) + Send;

    /// Begins a read transaction, so the statements up to [`end_snapshot`](Self::end_snapshot)
    /// read one committed state. SQLite: `BEGIN` — and a read transaction's locks and checks,
    /// taken once instead of per statement, are most of a point read's cost (BENCHMARKS.md,
    /// tenth part). PostgreSQL: nothing; its statements each read the latest committed
    /// state, and a transaction there would add two round trips to every read.
    fn begin_snapshot(&mut self) -> impl Future<Output = Result<(), DatabaseError>> + Send {
        async { Ok(()) }
    }

    /// Ends what [`begin_snapshot`](Self::begin_snapshot) began.
    fn end_snapshot(&mut self) -> impl Future<Output = Result<(), DatabaseError>> + Send {
        async { Ok(()) }
    }

    /// Announces `payload` on `channel` to other processes when the transaction commits
    /// (PostgreSQL `pg_notify`). SQLite has no such channel: there it does nothing, and other
    /// processes rely on the version poll.
    fn notify(
        &mut self,
        channel: &str,
        payload: &str,
    ) -> impl Future<Output = Result<(), DatabaseError>> + Send;
}

/// The columns of one row as the driver holds them, read without copying.
pub(crate) trait Columns {
    /// JSON text at `index` (a `jsonb` column on PostgreSQL); `None` for NULL.
    fn json(&self, index: usize) -> Result<Option<&str>, DatabaseError>;
    /// An instant at `index`; `None` for NULL.
    fn timestamp(&self, index: usize) -> Result<Option<DateTime<Utc>>, DatabaseError>;
    /// Bytes at `index`; `None` for NULL.
    fn bytes(&self, index: usize) -> Result<Option<&[u8]>, DatabaseError>;
}

/// Runs a query expected to return at most one row.
pub(crate) async fn fetch_optional<C: Exec>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
    kinds: &[Kind],
) -> Result<Option<Row>, DatabaseError> {
    Ok(conn.fetch(sql, args, kinds).await?.into_iter().next())
}

/// Runs a query returning one integer (a count).
pub(crate) async fn fetch_int<C: Exec>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
) -> Result<i64, DatabaseError> {
    Ok(fetch_optional(conn, sql, args, &[Kind::Int])
        .await?
        .and_then(|mut row| row.int(0))
        .unwrap_or(0))
}

#[cfg(feature = "postgres")]
fn encode_error(message: String) -> sqlx::Error {
    sqlx::Error::Encode(message.into())
}

#[cfg(feature = "postgres")]
macro_rules! bind_all {
    ($query:expr, $args:expr, $json:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Value::Text(v) => query.bind(v.as_deref()),
                Value::Int(v) => query.bind(*v),
                Value::Bool(v) => query.bind(*v),
                Value::Date(v) => query.bind(*v),
                Value::Timestamp(v) => query.bind(*v),
                Value::Bytes(v) => query.bind(v.as_deref()),
                Value::Json(v) => $json(query, v.as_deref())?,
            };
        }
        query
    }};
}

#[cfg(feature = "postgres")]
macro_rules! bind_owned {
    ($query:expr, $args:expr, $json:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Value::Text(v) => query.bind(v),
                Value::Int(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Date(v) => query.bind(v),
                Value::Timestamp(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
                Value::Json(v) => $json(query, v)?,
            };
        }
        query
    }};
}

#[cfg(feature = "postgres")]
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

#[cfg(feature = "postgres")]
fn pg_json<'q>(query: PgQuery<'q>, json: Option<&str>) -> Result<PgQuery<'q>, DatabaseError> {
    let raw = json
        .map(serde_json::from_str::<&JsonRawValue>)
        .transpose()
        .map_err(|error| encode_error(format!("invalid JSON argument: {error}")))?;
    Ok(query.bind(raw.map(Json)))
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "same shape as the SQLite binder; PostgreSQL copies into its buffer anyway"
)]
#[cfg(feature = "postgres")]
fn pg_json_owned(query: PgQuery<'_>, json: Option<String>) -> Result<PgQuery<'_>, DatabaseError> {
    pg_json(query, json.as_deref())
}

#[cfg(feature = "postgres")]
fn decode_pg(row: &PgRow, kinds: &[Kind]) -> Result<Row, DatabaseError> {
    let mut values = Vec::with_capacity(kinds.len());
    for (index, kind) in kinds.iter().enumerate() {
        values.push(match kind {
            Kind::Text => Value::Text(row.try_get(index)?),
            Kind::Json => {
                let json: Option<Json<Box<JsonRawValue>>> = row.try_get(index)?;
                Value::Json(json.map(|json| json.0.get().to_owned()))
            }
            Kind::Int => Value::Int(row.try_get(index)?),
            Kind::Bool => Value::Bool(row.try_get(index)?),
            Kind::Date => Value::Date(row.try_get(index)?),
            Kind::Timestamp => Value::Timestamp(row.try_get(index)?),
            Kind::Bytes => Value::Bytes(row.try_get(index)?),
        });
    }
    Ok(Row(values))
}

/// A PostgreSQL row read in place.
#[cfg(feature = "postgres")]
struct PgColumns<'r>(&'r PgRow);

#[cfg(feature = "postgres")]
impl Columns for PgColumns<'_> {
    fn json(&self, index: usize) -> Result<Option<&str>, DatabaseError> {
        let json: Option<Json<&JsonRawValue>> = self.0.try_get(index)?;
        Ok(json.map(|json| json.0.get()))
    }

    fn timestamp(&self, index: usize) -> Result<Option<DateTime<Utc>>, DatabaseError> {
        Ok(self.0.try_get(index)?)
    }

    fn bytes(&self, index: usize) -> Result<Option<&[u8]>, DatabaseError> {
        Ok(self.0.try_get(index)?)
    }
}

#[cfg(feature = "postgres")]
impl Exec for PgConnection {
    async fn notify(&mut self, channel: &str, payload: &str) -> Result<(), DatabaseError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, DatabaseError> {
        let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args, pg_json);
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn execute_owned(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, DatabaseError> {
        let query = bind_owned!(sqlx::query(AssertSqlSafe(sql)), args, pg_json_owned);
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, DatabaseError> {
        let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args, pg_json);
        let rows = query.fetch_all(&mut *self).await?;
        rows.iter().map(|row| decode_pg(row, kinds)).collect()
    }

    async fn for_each<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        mut each: F,
    ) -> Result<(), DatabaseError>
    where
        F: FnMut(Row) + Send,
    {
        let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args, pg_json);
        let mut rows = query.fetch(&mut *self);
        while let Some(row) = rows.try_next().await? {
            each(decode_pg(&row, kinds)?);
        }
        Ok(())
    }

    async fn for_each_borrowed<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        mut each: F,
    ) -> Result<(), DatabaseError>
    where
        F: FnMut(&dyn Columns) + Send,
    {
        let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args, pg_json);
        let mut rows = query.fetch(&mut *self);
        while let Some(row) = rows.try_next().await? {
            each(&PgColumns(&row));
        }
        Ok(())
    }
}

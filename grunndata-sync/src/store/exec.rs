//! One small execution interface over a SQLite or PostgreSQL connection.
//!
//! Shared store logic (reads, deletes, sync state, audit, …) is written once against [`Exec`];
//! the two implementations bind [`Value`]s and decode [`Kind`]s with the concrete driver types.
//! Statements are prepared and cached by sqlx per connection, so repeating one SQL text is cheap.

use std::future::Future;

use futures_util::TryStreamExt;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgRow;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::SqliteRow;
#[cfg(feature = "postgres")]
use sqlx::types::{Json, JsonRawValue};
use sqlx::{AssertSqlSafe, Row as _};
#[cfg(feature = "postgres")]
use sqlx::{PgConnection, Postgres};
#[cfg(feature = "sqlite")]
use sqlx::{Sqlite, SqliteConnection};

use super::value::{Kind, Row, Value};

/// Executes SQL with [`Value`] arguments and decodes rows into [`Row`]s.
pub(crate) trait Exec: Send {
    /// Runs a statement; returns the number of rows affected.
    fn execute(
        &mut self,
        sql: &str,
        args: &[Value],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a statement with owned arguments, moving large values (record JSON) into the
    /// driver instead of copying them; returns the number of rows affected.
    fn execute_owned(
        &mut self,
        sql: &str,
        args: Vec<Value>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a query and decodes every row with `kinds`.
    fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> impl Future<Output = Result<Vec<Row>, sqlx::Error>> + Send;

    /// Runs a query and hands each decoded row to `each`, without collecting them (for scans
    /// over a whole register).
    fn for_each<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        each: F,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send
    where
        F: FnMut(Row) + Send;

    /// Announces `payload` on `channel` to other processes when the transaction commits
    /// (PostgreSQL `pg_notify`). SQLite has no such channel: there it does nothing, and other
    /// processes rely on the version poll.
    fn notify(
        &mut self,
        channel: &str,
        payload: &str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Runs a query expected to return at most one row.
pub(crate) async fn fetch_optional<C: Exec>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
    kinds: &[Kind],
) -> Result<Option<Row>, sqlx::Error> {
    Ok(conn.fetch(sql, args, kinds).await?.into_iter().next())
}

/// Runs a query returning one integer (a count).
pub(crate) async fn fetch_int<C: Exec>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
) -> Result<i64, sqlx::Error> {
    Ok(fetch_optional(conn, sql, args, &[Kind::Int])
        .await?
        .and_then(|mut row| row.int(0))
        .unwrap_or(0))
}

/// Rewrites `$n` placeholders into SQLite's anonymous `?`, returning the argument index each
/// `?` takes (so `$n` may repeat or appear out of order).
///
/// SQLite looks up the name of a numbered parameter by a linear scan, and sqlx-sqlite asks for
/// every parameter's name on every execution: a statement of a hundred rows × 17 columns
/// spent half its time there. Anonymous parameters have no name, so binding is linear.
#[cfg(feature = "sqlite")]
pub(crate) fn positional(sql: &str) -> (String, Vec<usize>) {
    let bytes = sql.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut order = Vec::new();
    let mut in_literal = false;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'\'' {
            in_literal = !in_literal;
        } else if !in_literal && byte == b'$' {
            let digits = bytes[at + 1..]
                .iter()
                .take_while(|digit| digit.is_ascii_digit())
                .count();
            if digits > 0 {
                let number: usize = sql[at + 1..at + 1 + digits].parse().unwrap_or(0);
                order.push(number.saturating_sub(1));
                out.push(b'?');
                at += 1 + digits;
                continue;
            }
        }
        out.push(byte);
        at += 1;
    }
    // Only ASCII was replaced, so the text is still UTF-8.
    (String::from_utf8_lossy(&out).into_owned(), order)
}

/// Bound where a placeholder names a missing argument (SQLite's own default).
#[cfg(feature = "sqlite")]
static NULL: Value = Value::Text(None);

#[cfg(feature = "sqlite")]
fn reorder<'a>(args: &'a [Value], order: &'a [usize]) -> impl Iterator<Item = &'a Value> {
    order.iter().map(|&index| args.get(index).unwrap_or(&NULL))
}

#[cfg(feature = "postgres")]
fn encode_error(message: String) -> sqlx::Error {
    sqlx::Error::Encode(message.into())
}

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

/// Puts owned arguments in placeholder order, moving each when it is used once in order (the
/// normal case) and cloning only for repeated or reordered placeholders.
#[cfg(feature = "sqlite")]
fn reorder_owned(args: Vec<Value>, order: &[usize]) -> Vec<Value> {
    if order.iter().copied().eq(0..args.len()) {
        return args;
    }
    order
        .iter()
        .map(|&index| args.get(index).cloned().unwrap_or(Value::Text(None)))
        .collect()
}

#[cfg(feature = "sqlite")]
type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;
#[cfg(feature = "postgres")]
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

#[allow(
    clippy::unnecessary_wraps,
    reason = "same shape as the PostgreSQL binder"
)]
#[cfg(feature = "sqlite")]
fn sqlite_json<'q>(
    query: SqliteQuery<'q>,
    json: Option<&str>,
) -> Result<SqliteQuery<'q>, sqlx::Error> {
    Ok(query.bind(json))
}

/// Owned JSON text binds as TEXT without a copy.
#[allow(
    clippy::unnecessary_wraps,
    reason = "same shape as the PostgreSQL binder"
)]
#[cfg(feature = "sqlite")]
fn sqlite_json_owned(
    query: SqliteQuery<'_>,
    json: Option<String>,
) -> Result<SqliteQuery<'_>, sqlx::Error> {
    Ok(query.bind(json))
}

#[cfg(feature = "postgres")]
fn pg_json<'q>(query: PgQuery<'q>, json: Option<&str>) -> Result<PgQuery<'q>, sqlx::Error> {
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
fn pg_json_owned(query: PgQuery<'_>, json: Option<String>) -> Result<PgQuery<'_>, sqlx::Error> {
    pg_json(query, json.as_deref())
}

#[cfg(feature = "sqlite")]
fn decode_sqlite(row: &SqliteRow, kinds: &[Kind]) -> Result<Row, sqlx::Error> {
    let mut values = Vec::with_capacity(kinds.len());
    for (index, kind) in kinds.iter().enumerate() {
        values.push(match kind {
            Kind::Text => Value::Text(row.try_get(index)?),
            Kind::Json => Value::Json(row.try_get(index)?),
            Kind::Int => Value::Int(row.try_get(index)?),
            Kind::Bool => Value::Bool(row.try_get(index)?),
            Kind::Date => Value::Date(row.try_get(index)?),
            Kind::Timestamp => Value::Timestamp(row.try_get(index)?),
            Kind::Bytes => Value::Bytes(row.try_get(index)?),
        });
    }
    Ok(Row(values))
}

#[cfg(feature = "postgres")]
fn decode_pg(row: &PgRow, kinds: &[Kind]) -> Result<Row, sqlx::Error> {
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

#[cfg(feature = "sqlite")]
impl Exec for SqliteConnection {
    async fn notify(&mut self, _channel: &str, _payload: &str) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, sqlx::Error> {
        let (sql, order) = positional(sql);
        let query = bind_all!(
            sqlx::query(AssertSqlSafe(sql)),
            reorder(args, &order),
            sqlite_json
        );
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn execute_owned(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, sqlx::Error> {
        let (sql, order) = positional(sql);
        let args = reorder_owned(args, &order);
        let query = bind_owned!(sqlx::query(AssertSqlSafe(sql)), args, sqlite_json_owned);
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, sqlx::Error> {
        let (sql, order) = positional(sql);
        let query = bind_all!(
            sqlx::query(AssertSqlSafe(sql)),
            reorder(args, &order),
            sqlite_json
        );
        let rows = query.fetch_all(&mut *self).await?;
        rows.iter().map(|row| decode_sqlite(row, kinds)).collect()
    }

    async fn for_each<F>(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        mut each: F,
    ) -> Result<(), sqlx::Error>
    where
        F: FnMut(Row) + Send,
    {
        let (sql, order) = positional(sql);
        let query = bind_all!(
            sqlx::query(AssertSqlSafe(sql)),
            reorder(args, &order),
            sqlite_json
        );
        let mut rows = query.fetch(&mut *self);
        while let Some(row) = rows.try_next().await? {
            each(decode_sqlite(&row, kinds)?);
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl Exec for PgConnection {
    async fn notify(&mut self, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&mut *self)
            .await
            .map(|_| ())
    }

    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, sqlx::Error> {
        let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args, pg_json);
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn execute_owned(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, sqlx::Error> {
        let query = bind_owned!(sqlx::query(AssertSqlSafe(sql)), args, pg_json_owned);
        Ok(query.execute(&mut *self).await?.rows_affected())
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, sqlx::Error> {
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
    ) -> Result<(), sqlx::Error>
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
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::positional;

    #[test]
    fn numbered_placeholders_become_positional() {
        let (sql, order) = positional("SELECT $2, '$1 it''s', $1 FROM t WHERE a = $2 LIMIT $10");
        assert_eq!(sql, "SELECT ?, '$1 it''s', ? FROM t WHERE a = ? LIMIT ?");
        assert_eq!(order, [1, 0, 1, 9]);
        let (sql, order) = positional("SELECT 'ø' || $1");
        assert_eq!(
            (sql.as_str(), order.as_slice()),
            ("SELECT 'ø' || ?", &[0][..])
        );
    }
}

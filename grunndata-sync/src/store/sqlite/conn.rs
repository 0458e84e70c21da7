//! SQLite statements through rusqlite, on the calling thread.
//!
//! A point lookup in the mirror is a few microseconds of SQLite work. sqlx's SQLite driver hands
//! every statement to a worker thread and back, which measured 20× the query itself
//! (BENCHMARKS.md); here the statement runs where the caller is. The [`Exec`] futures below are
//! therefore ready at their first poll. That is the right trade for what the store asks of
//! SQLite's readers — point reads and index range reads, microseconds each, which never wait
//! on a lock: readers of a WAL file do not wait for the writer. Write transactions, tens of
//! milliseconds each and possibly waiting for another process's write lock, run on the writer
//! thread instead (`writer.rs`).
//!
//! Values bind and decode as sqlx-sqlite did (timestamps as RFC 3339 text with the fewest of
//! 0/3/6/9 fraction digits, dates as `YYYY-MM-DD`, booleans as 0/1), so files written before are
//! read, compared and ordered the same.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::super::error::DatabaseError;
use super::super::exec::{Columns, Exec};
use super::super::value::{Kind, Row, Value};

/// Prepared statements kept per connection: the store's statement texts (every register's
/// reads, the upsert chunk shapes, sync state, quarantine) fit with room to spare.
const STATEMENT_CACHE: usize = 256;

/// One rusqlite connection to the mirror.
#[derive(Debug)]
pub(crate) struct SqliteConn {
    conn: Connection,
}

/// How a connection is opened.
#[derive(Debug, Clone)]
pub(crate) struct ConnectOptions {
    /// Read-only (`SQLITE_OPEN_READONLY`): lookup nodes.
    pub(crate) read_only: bool,
    /// Read the file as immutable (no `-shm`, no locks): a read-only directory with no writer.
    pub(crate) immutable: bool,
    /// SQLite's busy timeout: how long a statement (the writer's `BEGIN IMMEDIATE`, on its own
    /// thread) waits for another process's lock.
    pub(crate) busy_timeout: Duration,
    /// `PRAGMA name = value` run on every new connection.
    pub(crate) pragmas: Vec<(&'static str, &'static str)>,
}

impl SqliteConn {
    /// Opens `path` (which must exist) with `options`.
    pub(crate) fn open(path: &Path, options: &ConnectOptions) -> Result<Self, DatabaseError> {
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        flags |= if options.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn = if options.immutable {
            Connection::open_with_flags(immutable_uri(path), flags)?
        } else {
            // No URI parsing of a plain path (a file name may hold `?` or `#`).
            Connection::open_with_flags(path, flags - OpenFlags::SQLITE_OPEN_URI)?
        };
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.busy_timeout(options.busy_timeout)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        for (name, value) in &options.pragmas {
            conn.pragma_update(None, name, value)?;
        }
        Ok(Self { conn })
    }

    /// Starts a write transaction holding SQLite's write lock (`BEGIN IMMEDIATE`), so that a
    /// second writer process waits here (up to the busy timeout) rather than failing half-way
    /// when it upgrades a read. Only the writer thread (`writer.rs`) waits here, never a
    /// runtime thread.
    pub(crate) fn begin_immediate(&mut self) -> Result<(), DatabaseError> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    /// Copies what it can of the WAL into the database file without waiting for readers or
    /// the writer (`PRAGMA wal_checkpoint(PASSIVE)`).
    pub(crate) fn checkpoint_passive(&mut self) -> Result<(), DatabaseError> {
        Ok(self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")?)
    }

    /// Commits the open transaction.
    pub(crate) fn commit(&mut self) -> Result<(), DatabaseError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    /// Rolls back the open transaction, if one is open (a failed statement may have ended it).
    pub(crate) fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            // Nothing to do about a failed rollback: SQLite then has ended the transaction.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn run(&mut self, sql: &str, args: &[Value]) -> Result<u64, DatabaseError> {
        self.positional(&numbered(sql), args)
    }

    /// Runs a statement written with SQLite's own `?n` placeholders.
    pub(crate) fn positional(&mut self, sql: &str, args: &[Value]) -> Result<u64, DatabaseError> {
        execute_prepared(&mut self.conn.prepare_cached(sql)?, args)
    }

    /// The connection, for statements held across many rows (`upsert.rs`): each
    /// `prepare_cached` hashes the statement's text twice and copies it once, which for a
    /// statement run per changed record is worth doing once per run instead.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn query(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        each: &mut dyn FnMut(Row),
    ) -> Result<(), DatabaseError> {
        self.query_rows(sql, args, &mut |row| {
            each(decode_row(row, kinds)?);
            Ok(())
        })
    }

    /// Runs a query (`$n` placeholders) and hands each row, as rusqlite holds it, to `each`.
    fn query_rows(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(&rusqlite::Row<'_>) -> Result<(), DatabaseError>,
    ) -> Result<(), DatabaseError> {
        let sql = numbered(sql);
        let mut statement = self.conn.prepare_cached(&sql)?;
        bind(&mut statement, args)?;
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    }
}

impl Exec for SqliteConn {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, DatabaseError> {
        self.run(sql, args)
    }

    #[cfg(feature = "postgres")]
    async fn execute_owned(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, DatabaseError> {
        // rusqlite binds by reference and SQLite copies the value: owning saves nothing here.
        self.run(sql, &args)
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, DatabaseError> {
        let mut rows = Vec::new();
        self.query(sql, args, kinds, &mut |row| rows.push(row))?;
        Ok(rows)
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
        self.query(sql, args, kinds, &mut each)
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
        self.query_rows(sql, args, &mut |row| {
            each(&SqliteColumns(row));
            Ok(())
        })
    }

    async fn notify(&mut self, _channel: &str, _payload: &str) -> Result<(), DatabaseError> {
        Ok(())
    }

    async fn begin_snapshot(&mut self) -> Result<(), DatabaseError> {
        // Deferred: the read transaction (its snapshot and locks) starts at the first SELECT.
        self.positional("BEGIN", &[]).map(drop)
    }

    async fn end_snapshot(&mut self) -> Result<(), DatabaseError> {
        // Nothing was written: ending it either way only releases the snapshot.
        self.positional("COMMIT", &[]).map(drop)
    }
}

/// A write transaction on the writer connection: rolled back when dropped unfinished (an
/// error, or a cancelled caller between two statements).
#[derive(Debug)]
pub(crate) struct Transaction<'a> {
    conn: &'a mut SqliteConn,
}

impl<'a> Transaction<'a> {
    /// Begins a transaction holding the write lock (see [`SqliteConn::begin_immediate`]).
    pub(crate) fn begin(conn: &'a mut SqliteConn) -> Result<Self, DatabaseError> {
        conn.begin_immediate()?;
        Ok(Self { conn })
    }

    /// Commits on `Ok`, rolls back on `Err`.
    pub(crate) fn finish<T, E>(
        self,
        result: Result<T, E>,
        db: impl Fn(DatabaseError) -> E,
    ) -> Result<T, E> {
        match result {
            Ok(value) => {
                let committed = self.conn.commit().map_err(db);
                // A failed COMMIT leaves the transaction open; `Drop` rolls it back.
                committed.map(|()| value)
            }
            // `Drop` rolls back.
            Err(error) => Err(error),
        }
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = SqliteConn;

    fn deref(&self) -> &SqliteConn {
        self.conn
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConn {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        self.conn.rollback();
    }
}

/// A pool of reader connections: taken on the caller's thread, returned on drop. It never
/// makes a caller wait — a lookup that finds none idle opens one — and keeps at most `keep`
/// of them open between uses.
#[derive(Debug)]
pub(crate) struct ReaderPool {
    path: std::path::PathBuf,
    options: ConnectOptions,
    idle: Mutex<Vec<SqliteConn>>,
    keep: usize,
    closed: AtomicBool,
}

impl ReaderPool {
    /// A pool over `path` keeping up to `keep` idle connections, with one opened now (so a
    /// file that cannot be read fails here, not at the first lookup).
    pub(crate) fn new(
        path: &Path,
        options: ConnectOptions,
        keep: usize,
    ) -> Result<Self, DatabaseError> {
        let first = SqliteConn::open(path, &options)?;
        Ok(Self {
            path: path.to_owned(),
            options,
            idle: Mutex::new(vec![first]),
            keep: keep.max(1),
            closed: AtomicBool::new(false),
        })
    }

    /// An idle connection, or a new one.
    pub(crate) fn acquire(&self) -> Result<Pooled<'_>, DatabaseError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(DatabaseError::Closed);
        }
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => SqliteConn::open(&self.path, &self.options)?,
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }

    /// Closes the idle connections (those in use close when they are returned) and refuses
    /// new loans.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A reader connection on loan from a [`ReaderPool`].
#[derive(Debug)]
pub(crate) struct Pooled<'a> {
    pool: &'a ReaderPool,
    conn: Option<SqliteConn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = SqliteConn;

    fn deref(&self) -> &SqliteConn {
        // Only `Drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        // A lookup cancelled mid-statement leaves no transaction (reads run in autocommit), but
        // be sure: a connection holding a read transaction would pin the WAL.
        conn.rollback();
        let mut idle = self
            .pool
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.pool.keep && !self.pool.closed.load(Ordering::Acquire) {
            idle.push(conn);
        }
    }
}

/// The `file:` URI of `path` with `immutable=1`.
fn immutable_uri(path: &Path) -> String {
    use std::fmt::Write as _;
    let mut uri = String::from("file:");
    for &byte in path.as_os_str().as_encoded_bytes() {
        // SQLite decodes `%XX` to the byte: everything but plain ASCII is escaped, so `?`,
        // `#`, `%` and non-ASCII names arrive as they are on disk.
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// The store's SQL with placeholders SQLite binds by number.
///
/// SQLite reads `$1` as a *named* parameter and numbers named parameters by first appearance,
/// so text whose placeholders first appear as `$1`, `$2`, … in order (repeats allowed) already
/// binds `$n` to index `n` and is used as it is — the usual case, with no copy. Other text is
/// rewritten to `?n`, which binds to index `n` wherever it stands.
fn numbered(sql: &str) -> std::borrow::Cow<'_, str> {
    let mut next = 1;
    let mut in_order = true;
    for_each_placeholder(sql, |number| {
        if number == next {
            next += 1;
        } else if number > next {
            in_order = false;
        }
    });
    if in_order {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    for (at, char) in sql.char_indices() {
        if char == '\'' {
            in_literal = !in_literal;
        } else if !in_literal
            && char == '$'
            && sql[at + 1..].starts_with(|next: char| next.is_ascii_digit())
        {
            out.push('?');
            continue;
        }
        out.push(char);
    }
    std::borrow::Cow::Owned(out)
}

/// Calls `each` with the number of every `$n` placeholder outside string literals, in order.
///
/// It runs before every statement, so it jumps between the only bytes that matter (`$` and
/// `'`) with memchr rather than looking at each byte of the text.
fn for_each_placeholder(sql: &str, mut each: impl FnMut(usize)) {
    let bytes = sql.as_bytes();
    let mut in_literal = false;
    for at in memchr::memchr2_iter(b'$', b'\'', bytes) {
        if bytes[at] == b'\'' {
            in_literal = !in_literal;
            continue;
        }
        if in_literal {
            continue;
        }
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if digits > 0 {
            each(sql[at + 1..at + 1 + digits].parse().unwrap_or(usize::MAX));
        }
    }
}

/// Runs a prepared statement with `args` bound to `?1`, `?2`, …; returns the rows changed.
pub(crate) fn execute_prepared(
    statement: &mut rusqlite::CachedStatement<'_>,
    args: &[Value],
) -> Result<u64, DatabaseError> {
    bind(statement, args)?;
    let changed = statement.raw_execute()?;
    Ok(changed as u64)
}

/// The first row of a prepared query with `args` bound, decoded with `kinds`.
pub(crate) fn first_row(
    statement: &mut rusqlite::CachedStatement<'_>,
    args: &[Value],
    kinds: &[Kind],
) -> Result<Option<Row>, DatabaseError> {
    bind(statement, args)?;
    let mut rows = statement.raw_query();
    match rows.next()? {
        Some(row) => Ok(Some(decode_row(row, kinds)?)),
        None => Ok(None),
    }
}

fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    args: &[Value],
) -> Result<(), DatabaseError> {
    let count = statement.parameter_count();
    for index in 1..=count {
        match args.get(index - 1) {
            Some(value) => statement.raw_bind_parameter(index, Bound(value))?,
            None => statement.raw_bind_parameter(index, rusqlite::types::Null)?,
        }
    }
    Ok(())
}

/// A [`Value`] as rusqlite binds it.
struct Bound<'a>(&'a Value);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as Owned;
        Ok(match self.0 {
            Value::Text(None)
            | Value::Json(None)
            | Value::Int(None)
            | Value::Bool(None)
            | Value::Date(None)
            | Value::Timestamp(None)
            | Value::Bytes(None) => ToSqlOutput::Owned(Owned::Null),
            Value::Text(Some(text)) | Value::Json(Some(text)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes()))
            }
            Value::Int(Some(int)) => ToSqlOutput::Owned(Owned::Integer(*int)),
            Value::Bool(Some(flag)) => ToSqlOutput::Owned(Owned::Integer(i64::from(*flag))),
            Value::Date(Some(date)) => {
                ToSqlOutput::Owned(Owned::Text(crate::core::model::date_text(*date)))
            }
            Value::Timestamp(Some(at)) => ToSqlOutput::Owned(Owned::Text(timestamp_text(*at))),
            Value::Bytes(Some(bytes)) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// A timestamp as the mirror stores it (sqlx-sqlite's encoding, kept for existing files).
pub(crate) fn timestamp_text(at: DateTime<Utc>) -> String {
    // chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, false)`, digit by digit: a changed
    // record binds three instants on the writer thread.
    crate::core::model::instant_text(at)
}

/// A row read in place: text and blobs borrowed from SQLite's buffers.
struct SqliteColumns<'r, 's>(&'r rusqlite::Row<'s>);

impl SqliteColumns<'_, '_> {
    /// Text at `index`; `None` for NULL.
    fn text(&self, index: usize) -> Result<Option<&str>, DatabaseError> {
        match self.0.get_ref(index)? {
            ValueRef::Null => Ok(None),
            value => text_of(value).map(Some),
        }
    }
}

impl Columns for SqliteColumns<'_, '_> {
    fn json(&self, index: usize) -> Result<Option<&str>, DatabaseError> {
        self.text(index)
    }

    fn timestamp(&self, index: usize) -> Result<Option<DateTime<Utc>>, DatabaseError> {
        self.text(index)?.map(parse_timestamp).transpose()
    }

    fn bytes(&self, index: usize) -> Result<Option<&[u8]>, DatabaseError> {
        match self.0.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => Ok(Some(bytes)),
            value => Err(mismatch(value, "a blob")),
        }
    }
}

/// The text of `value`, which must be UTF-8 text.
fn text_of(value: ValueRef<'_>) -> Result<&str, DatabaseError> {
    match value {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map_err(|error| DatabaseError::Value(format!("text is not UTF-8: {error}"))),
        _ => Err(mismatch(value, "text")),
    }
}

/// A value of another type than `expected`. The column's type only, never its value: a column
/// may hold a national identity number, and this message can reach a log line.
fn mismatch(value: ValueRef<'_>, expected: &str) -> DatabaseError {
    DatabaseError::Value(format!("expected {expected}, found {}", value.data_type()))
}

fn decode_row(row: &rusqlite::Row<'_>, kinds: &[Kind]) -> Result<Row, DatabaseError> {
    let mut values = Vec::with_capacity(kinds.len());
    for (index, kind) in kinds.iter().enumerate() {
        values.push(decode(row.get_ref(index)?, *kind)?);
    }
    Ok(Row(values))
}

fn decode(value: ValueRef<'_>, kind: Kind) -> Result<Value, DatabaseError> {
    let mismatch = |expected: &str| mismatch(value, expected);
    if value == ValueRef::Null {
        return Ok(match kind {
            Kind::Text => Value::Text(None),
            Kind::Json => Value::Json(None),
            Kind::Int => Value::Int(None),
            Kind::Bool => Value::Bool(None),
            Kind::Date => Value::Date(None),
            Kind::Timestamp => Value::Timestamp(None),
            Kind::Bytes => Value::Bytes(None),
        });
    }
    let text = || text_of(value);
    Ok(match kind {
        Kind::Text => Value::Text(Some(text()?.to_owned())),
        Kind::Json => Value::Json(Some(text()?.to_owned())),
        Kind::Int => match value {
            ValueRef::Integer(int) => Value::Int(Some(int)),
            _ => return Err(mismatch("an integer")),
        },
        Kind::Bool => match value {
            ValueRef::Integer(int) => Value::Bool(Some(int != 0)),
            _ => return Err(mismatch("a boolean")),
        },
        // `parse_from_str(text, "%F")`, digit by digit for the spelling we write.
        Kind::Date => Value::Date(Some(
            crate::core::model::parse_ymd(text()?)
                .map_err(|error| DatabaseError::Value(format!("date: {error}")))?,
        )),
        Kind::Timestamp => Value::Timestamp(Some(parse_timestamp(text()?)?)),
        Kind::Bytes => match value {
            ValueRef::Blob(bytes) => Value::Bytes(Some(bytes.to_owned())),
            _ => return Err(mismatch("a blob")),
        },
    })
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, DatabaseError> {
    // Our own writes are RFC 3339 (`timestamp_text`), which `parse_instant` reads digit by
    // digit; every record row read carries two.
    crate::core::model::parse_instant(text)
        .or_else(|_| {
            // SQLite's own `datetime()` form, UTC without an offset.
            chrono::NaiveDateTime::parse_from_str(text, "%F %T%.f").map(|at| at.and_utc())
        })
        .map_err(|error| DatabaseError::Value(format!("timestamp {text:?}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_out_of_order_become_numbered() {
        assert_eq!(
            numbered("SELECT $2, '$1 it''s', $1 FROM t WHERE a = $2 LIMIT $10"),
            "SELECT ?2, '$1 it''s', ?1 FROM t WHERE a = ?2 LIMIT ?10"
        );
        assert_eq!(numbered("SELECT 'ø' || $2, $1"), "SELECT 'ø' || ?2, ?1");
    }

    #[test]
    fn placeholders_in_order_are_kept() {
        for sql in [
            "SELECT 1",
            "SELECT 'ø' || $1",
            "SELECT $1, $2, $1 FROM t WHERE a = $3 AND '$9' = $2",
        ] {
            assert!(
                matches!(numbered(sql), std::borrow::Cow::Borrowed(_)),
                "{sql}"
            );
        }
    }

    #[test]
    fn named_placeholders_bind_by_number_in_sqlite() {
        let mut conn = SqliteConn {
            conn: Connection::open_in_memory().unwrap_or_else(|e| panic!("open: {e}")),
        };
        for sql in ["SELECT $1 || $2 || $1", "SELECT $2 || $1 || $2"] {
            let mut rows = Vec::new();
            conn.query(
                sql,
                &[Value::text("a"), Value::text("b")],
                &[Kind::Text],
                &mut |mut row| rows.push(row.text(0)),
            )
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let expected = if sql.starts_with("SELECT $1") {
                "aba"
            } else {
                "bab"
            };
            assert_eq!(rows, [Some(expected.to_owned())], "{sql}");
        }
    }

    #[test]
    fn a_column_of_the_wrong_type_is_named_by_type_not_value() {
        let nin = ValueRef::Text(b"01010150000");
        let error = decode(nin, Kind::Int)
            .map(drop)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("column value: expected an integer, found Text")
        );
    }

    #[test]
    fn immutable_uris_escape_what_sqlite_would_read_as_syntax() {
        assert_eq!(
            immutable_uri(Path::new("/srv/bjørn/a?b#c%d.db")),
            "file:/srv/bj%C3%B8rn/a%3Fb%23c%25d.db?immutable=1"
        );
    }

    #[test]
    fn timestamps_are_written_as_sqlx_wrote_them() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.120Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(timestamp_text(at), "2026-01-02T03:04:05.120+00:00");
        assert_eq!(parse_timestamp(&timestamp_text(at)).ok(), Some(at));
        assert!(parse_timestamp("2026-01-02 03:04:05").is_ok());
    }
}

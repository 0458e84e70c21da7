//! Reads: current records by any indexed column, name search, versions as of an instant,
//! counts and the register digest.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::digest::{DigestSum, RecordDigest, RegisterDigest};
use super::exec::{Columns, Exec, fetch_int};
use super::record::{MirrorRecord, Stored, Version, VersionEnd, sealed};
use super::schema::{TableSpec, spec};
use super::search::like_patterns;
use super::value::{Kind, Row, Value};
use super::{Register, StoreError, quarantine};

const STORED: &str = "record, changed_at, fetched_at, digest";

/// Record counts of one register, for `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterCounts {
    /// Current records.
    pub records: i64,
    /// Current records that upstream marks inactive: Brreg units with a `slettedato`, AR
    /// parties whose `validTo` has passed, HPR numbers replaced by another, discontinued
    /// persons.
    pub deleted: i64,
    /// Historic versions kept.
    pub history: i64,
    /// Open quarantine entries.
    pub quarantined: i64,
}

fn decode<R: MirrorRecord>(
    json: &str,
    context: &(dyn Fn() -> String + Sync),
) -> Result<R, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Decode {
        register: R::REGISTER,
        context: context(),
        source,
    })
}

fn digest_of(bytes: Option<&[u8]>, table: &'static str) -> Result<RecordDigest, StoreError> {
    bytes
        .and_then(RecordDigest::from_slice)
        .ok_or_else(|| StoreError::Corrupt {
            table,
            reason: "digest is not 32 bytes".to_owned(),
        })
}

/// A stored record from a row of [`STORED`] columns, decoded from the driver's buffer.
fn stored<R: MirrorRecord>(
    row: &dyn Columns,
    spec: &TableSpec,
    operation: &'static str,
    context: &(dyn Fn() -> String + Sync),
) -> Result<Stored<R>, StoreError> {
    let db = StoreError::db(operation, Some(R::REGISTER));
    let json = row.json(0).map_err(db)?.unwrap_or_default();
    Ok(Stored {
        record: decode(json, context)?,
        changed_at: row
            .timestamp(1)
            .map_err(db)?
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        fetched_at: row
            .timestamp(2)
            .map_err(db)?
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        digest: digest_of(row.bytes(3).map_err(db)?, spec.table)?,
    })
}

/// The stored records a query of [`STORED`] columns returns, each decoded where the driver
/// holds it (an uncached lookup's record is read once, so copying its JSON out first would
/// only cost).
async fn stored_rows<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
    operation: &'static str,
    context: &(dyn Fn() -> String + Sync),
) -> Result<Vec<Stored<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let mut found = Vec::new();
    conn.for_each_borrowed(sql, args, |row| {
        found.push(stored::<R>(row, spec, operation, context));
    })
    .await
    .map_err(StoreError::db(operation, Some(R::REGISTER)))?;
    found.into_iter().collect()
}

/// The query for current records of `spec` matching `condition`.
fn select_sql(spec: &TableSpec, condition: &str) -> String {
    format!(
        "SELECT {STORED} FROM {} WHERE {condition} ORDER BY {}",
        spec.table, spec.key.name
    )
}

/// Current records matching `condition` (SQL over the register table, with `args`).
pub(crate) async fn select<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    condition: &str,
    args: &[Value],
    context: &(dyn Fn() -> String + Sync),
) -> Result<Vec<Stored<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    run_select(conn, &select_sql(spec, condition), args, context).await
}

async fn run_select<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    sql: &str,
    args: &[Value],
    context: &(dyn Fn() -> String + Sync),
) -> Result<Vec<Stored<R>>, StoreError> {
    stored_rows(conn, sql, args, "reading records", context).await
}

/// The point read of each register by its key, built once: it is every uncached lookup.
fn get_sql(register: Register) -> &'static str {
    static SQL: LazyLock<[String; 4]> = LazyLock::new(|| {
        [Register::Brreg, Register::Ar, Register::Hpr, Register::Preg].map(|register| {
            let spec = spec(register);
            select_sql(spec, &format!("{} = $1", spec.key.name))
        })
    });
    let index = match register {
        Register::Brreg => 0,
        Register::Ar => 1,
        Register::Hpr => 2,
        Register::Preg => 3,
    };
    &SQL[index]
}

/// The current record with `key`.
pub(crate) async fn get<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    key: &R::Key,
) -> Result<Option<Stored<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let context = || format!("{} {key}", spec.key.name);
    let mut found = run_select::<C, R>(
        conn,
        get_sql(R::REGISTER),
        &[sealed::Key::to_value(key)],
        &context,
    )
    .await?;
    Ok(found.pop())
}

/// The current record with `key` and the current records whose indexed `column` (their
/// parent) equals `parent`, in one snapshot ([`Exec::begin_snapshot`]): a view of a record
/// with its children, read as one committed state.
pub(crate) async fn get_with_children<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    key: &R::Key,
    column: &'static str,
    parent: Value,
) -> Result<(Option<Stored<R>>, Vec<Stored<R>>), StoreError> {
    let db = StoreError::db("reading a record and its children", Some(R::REGISTER));
    conn.begin_snapshot().await.map_err(&db)?;
    let read = async {
        let record = get::<C, R>(conn, key).await?;
        let context = || format!("{column} {key}");
        let children = by_column::<C, R>(conn, column, parent, &context).await?;
        Ok((record, children))
    }
    .await;
    // On an error too: the connection goes back to its pool with no transaction open (the
    // pool would roll it back; ending it here says so).
    let ended = conn.end_snapshot().await.map_err(db);
    let read = read?;
    ended?;
    Ok(read)
}

/// Current records whose indexed `column` equals `value`.
pub(crate) async fn by_column<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    column: &'static str,
    value: Value,
    context: &(dyn Fn() -> String + Sync),
) -> Result<Vec<Stored<R>>, StoreError> {
    select::<C, R>(conn, &format!("{column} = $1"), &[value], context).await
}

/// Name search: every query word must start a word of the name.
pub(crate) async fn search<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    query: &str,
    limit: u32,
) -> Result<Vec<Stored<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let patterns = like_patterns(query);
    if patterns.is_empty() {
        return Err(StoreError::InvalidArgument(
            "a search needs at least one letter or digit".to_owned(),
        ));
    }
    let mut args = vec![Value::Int(Some(i64::from(limit)))];
    let mut conditions = Vec::new();
    for pattern in patterns {
        args.push(Value::text(pattern));
        conditions.push(format!("name_search LIKE ${} ESCAPE '\\'", args.len()));
    }
    let sql = format!(
        "SELECT {STORED} FROM {} WHERE {} ORDER BY name_search, {} LIMIT $1",
        spec.table,
        conditions.join(" AND "),
        spec.key.name
    );
    let context = || "name search".to_owned();
    stored_rows(conn, &sql, &args, "searching names", &context).await
}

/// The version of `key` that was current at `at`, if any.
pub(crate) async fn as_of<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    key: &R::Key,
    at: DateTime<Utc>,
) -> Result<Option<Version<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let args = [sealed::Key::to_value(key), Value::timestamp(at)];
    let context = || format!("{} {key}", spec.key.name);
    let sql = format!(
        "SELECT record, changed_at, digest FROM {} WHERE {} = $1 AND changed_at <= $2",
        spec.table, spec.key.name
    );
    let current = conn
        .fetch(&sql, &args, &[Kind::Json, Kind::Timestamp, Kind::Bytes])
        .await
        .map_err(StoreError::db("reading a version", Some(R::REGISTER)))?;
    if let Some(mut row) = current.into_iter().next() {
        return Ok(Some(Version {
            record: decode(&row.text(0).unwrap_or_default(), &context)?,
            valid_from: row.timestamp(1).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            valid_to: None,
            ended: None,
            digest: digest_of(row.bytes(2).as_deref(), spec.table)?,
        }));
    }
    let sql = format!(
        "SELECT record, valid_from, valid_to, ended, digest FROM {} \
         WHERE {} = $1 AND valid_from <= $2 AND valid_to > $2 \
         ORDER BY valid_from DESC, id DESC LIMIT 1",
        spec.history, spec.key.name
    );
    let rows = conn
        .fetch(&sql, &args, &HISTORY_KINDS)
        .await
        .map_err(StoreError::db("reading a version", Some(R::REGISTER)))?;
    rows.into_iter()
        .next()
        .map(|row| historic(row, spec, &context))
        .transpose()
}

const HISTORY_KINDS: [Kind; 5] = [
    Kind::Json,
    Kind::Timestamp,
    Kind::Timestamp,
    Kind::Text,
    Kind::Bytes,
];

fn historic<R: MirrorRecord>(
    mut row: Row,
    spec: &TableSpec,
    context: &(dyn Fn() -> String + Sync),
) -> Result<Version<R>, StoreError> {
    Ok(Version {
        record: decode(&row.text(0).unwrap_or_default(), context)?,
        valid_from: row.timestamp(1).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        valid_to: row.timestamp(2),
        ended: row.text(3).as_deref().map(VersionEnd::parse),
        digest: digest_of(row.bytes(4).as_deref(), spec.history)?,
    })
}

/// Every version of `key`, newest first (the current one, if any, first).
pub(crate) async fn versions<C: Exec, R: MirrorRecord>(
    conn: &mut C,
    key: &R::Key,
) -> Result<Vec<Version<R>>, StoreError> {
    let spec = <R as sealed::Columns>::spec();
    let context = || format!("{} {key}", spec.key.name);
    let mut versions: Vec<Version<R>> = get::<C, R>(conn, key)
        .await?
        .into_iter()
        .map(|current| Version {
            record: current.record,
            valid_from: current.changed_at,
            valid_to: None,
            ended: None,
            digest: current.digest,
        })
        .collect();
    let sql = format!(
        "SELECT record, valid_from, valid_to, ended, digest FROM {} WHERE {} = $1 \
         ORDER BY valid_from DESC, id DESC",
        spec.history, spec.key.name
    );
    let rows = conn
        .fetch(&sql, &[sealed::Key::to_value(key)], &HISTORY_KINDS)
        .await
        .map_err(StoreError::db("reading history", Some(R::REGISTER)))?;
    for row in rows {
        versions.push(historic(row, spec, &context)?);
    }
    Ok(versions)
}

/// Counts of one register.
pub(crate) async fn counts<C: Exec>(
    conn: &mut C,
    register: Register,
    now: DateTime<Utc>,
) -> Result<RegisterCounts, StoreError> {
    let spec = spec(register);
    let db = StoreError::db("counting records", Some(register));
    let records = fetch_int(conn, &format!("SELECT count(*) FROM {}", spec.table), &[])
        .await
        .map_err(db)?;
    let now_arg = [Value::timestamp(now)];
    let deleted_args: &[Value] = if spec.deleted_when.contains("$1") {
        &now_arg
    } else {
        &[]
    };
    let deleted = fetch_int(
        conn,
        &format!(
            "SELECT count(*) FROM {} WHERE {}",
            spec.table, spec.deleted_when
        ),
        deleted_args,
    )
    .await
    .map_err(db)?;
    let history = fetch_int(conn, &format!("SELECT count(*) FROM {}", spec.history), &[])
        .await
        .map_err(db)?;
    let quarantined = quarantine::count(conn, register).await.map_err(db)?;
    Ok(RegisterCounts {
        records,
        deleted,
        history,
        quarantined,
    })
}

/// The register digest over every current record.
pub(crate) async fn digest<C: Exec>(
    conn: &mut C,
    register: Register,
) -> Result<RegisterDigest, StoreError> {
    let spec = spec(register);
    let mut sum = DigestSum::new(register);
    conn.for_each(
        &format!("SELECT digest FROM {}", spec.table),
        &[],
        &[Kind::Bytes],
        |mut row| sum.add(&row.bytes(0).unwrap_or_default()),
    )
    .await
    .map_err(StoreError::db("computing the digest", Some(register)))?;
    Ok(sum.finish())
}

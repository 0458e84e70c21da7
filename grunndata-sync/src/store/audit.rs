//! The audit log: an append-only record of lookups of persons and personnel.
//!
//! The API has no update or delete; the schema backs that up with triggers that reject
//! `UPDATE`, `DELETE` (and on PostgreSQL `TRUNCATE`) of `audit_log`.

use chrono::{DateTime, Utc};

use super::Register;
#[cfg(feature = "postgres")]
use super::StoreError;
#[cfg(feature = "postgres")]
use super::exec::Exec;
#[cfg(feature = "postgres")]
use super::value::{Kind, Value};

/// One lookup to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When the lookup happened.
    pub at: DateTime<Utc>,
    /// Who looked up (user, service account).
    pub actor: String,
    /// Why (the legal purpose given).
    pub purpose: String,
    /// Which register was read, if one.
    pub register: Option<Register>,
    /// What was looked up (an HPR number, a NIN, a search text). Stored as given: the audit
    /// log is where a NIN lookup must be traceable; it is never logged elsewhere.
    pub subject: String,
    /// The result (`found`, `not_found`, `withheld`, …).
    pub result: String,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its id (increasing in append order).
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Which audit entries to list (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
    /// At most this many.
    pub limit: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            since: None,
            until: None,
            actor: None,
            subject: None,
            limit: 100,
        }
    }
}

#[cfg(feature = "postgres")]
pub(crate) async fn append<C: Exec>(conn: &mut C, entry: &AuditEntry) -> Result<i64, StoreError> {
    let rows = conn
        .fetch(
            "INSERT INTO audit_log (at, actor, purpose, register, subject, result) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                Value::timestamp(entry.at),
                Value::text(entry.actor.clone()),
                Value::text(entry.purpose.clone()),
                Value::Text(entry.register.map(|register| register.as_str().to_owned())),
                Value::text(entry.subject.clone()),
                Value::text(entry.result.clone()),
            ],
            &[Kind::Int],
        )
        .await
        .map_err(StoreError::db("appending to the audit log", entry.register))?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|mut row| row.int(0))
        .unwrap_or_default())
}

#[cfg(feature = "postgres")]
pub(crate) async fn list<C: Exec>(
    conn: &mut C,
    query: &AuditQuery,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut conditions = Vec::new();
    let mut args = vec![Value::Int(Some(i64::from(query.limit)))];
    if let Some(since) = query.since {
        args.push(Value::timestamp(since));
        conditions.push(format!("at >= ${}", args.len()));
    }
    if let Some(until) = query.until {
        args.push(Value::timestamp(until));
        conditions.push(format!("at < ${}", args.len()));
    }
    if let Some(actor) = &query.actor {
        args.push(Value::text(actor.clone()));
        conditions.push(format!("actor = ${}", args.len()));
    }
    if let Some(subject) = &query.subject {
        args.push(Value::text(subject.clone()));
        conditions.push(format!("subject = ${}", args.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT id, at, actor, purpose, register, subject, result FROM audit_log {filter} \
         ORDER BY id DESC LIMIT $1"
    );
    let rows = conn
        .fetch(
            &sql,
            &args,
            &[
                Kind::Int,
                Kind::Timestamp,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
            ],
        )
        .await
        .map_err(StoreError::db("reading the audit log", None))?;
    Ok(rows
        .into_iter()
        .map(|mut row| AuditRecord {
            id: row.int(0).unwrap_or_default(),
            entry: AuditEntry {
                at: row.timestamp(1).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
                actor: row.text(2).unwrap_or_default(),
                purpose: row.text(3).unwrap_or_default(),
                register: row.text(4).and_then(|text| text.parse().ok()),
                subject: row.text(5).unwrap_or_default(),
                result: row.text(6).unwrap_or_default(),
            },
        })
        .collect())
}

//! Tracked persons: the NINs the mirror is asked to follow in Persontjenesten.
//!
//! Data minimisation: the `preg` tables hold only persons with at least one tracked NIN. The
//! write path drops upserts of anyone else, and untracking a NIN purges every person left
//! without a tracked NIN — current record, history and identifiers.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::exec::{Exec, fetch_int};
use super::schema::PREG;
use super::value::{Kind, Value};
use super::write::select_in;
use super::{StoreError, sync_state};
use crate::core::id::NationalId;
use crate::store::DatabaseError;

/// A tracked NIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedPerson {
    /// The NIN (its `Debug` is masked).
    pub nin: NationalId,
    /// When tracking began.
    pub added_at: DateTime<Utc>,
    /// Why, or for whom (free text; no NIN).
    pub note: Option<String>,
    /// The Persontjenesten person id, once the person has been fetched.
    pub person_id: Option<String>,
}

/// What untracking did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UntrackOutcome {
    /// Whether the NIN was tracked.
    pub was_tracked: bool,
    /// Persons purged (current record, history and identifiers).
    pub persons_purged: u64,
}

/// Of `persons` (person id, valid NINs), the ids to keep: those with a tracked NIN, or whose
/// id is already linked to one (a person whose tracked D-number was replaced by a
/// fødselsnummer stays tracked).
pub(crate) async fn keep_tracked<C: Exec>(
    conn: &mut C,
    persons: &[(String, Vec<String>)],
) -> Result<HashSet<String>, DatabaseError> {
    let mut nins: Vec<String> = persons
        .iter()
        .flat_map(|(_, nins)| nins.iter().cloned())
        .collect();
    nins.sort_unstable();
    nins.dedup();
    let tracked = select_in(conn, "SELECT nin FROM preg_tracked WHERE nin IN", "", &nins).await?;
    let ids: Vec<String> = persons.iter().map(|(id, _)| id.clone()).collect();
    let linked: HashSet<String> = select_in(
        conn,
        "SELECT DISTINCT i.person_id FROM preg_identifier i \
         JOIN preg_tracked t ON t.nin = i.nin WHERE i.person_id IN",
        "",
        &ids,
    )
    .await?;
    Ok(persons
        .iter()
        .filter(|(id, nins)| linked.contains(id) || nins.iter().any(|nin| tracked.contains(nin)))
        .map(|(id, _)| id.clone())
        .collect())
}

pub(crate) async fn track<C: Exec>(
    conn: &mut C,
    nin: &NationalId,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, DatabaseError> {
    let added = conn
        .execute(
            "INSERT INTO preg_tracked (nin, added_at, note) VALUES ($1, $2, $3) \
             ON CONFLICT (nin) DO NOTHING",
            &[
                Value::text(nin.expose()),
                Value::timestamp(at),
                Value::Text(note.map(str::to_owned)),
            ],
        )
        .await?;
    Ok(added > 0)
}

pub(crate) async fn untrack<C: Exec>(
    conn: &mut C,
    nin: &NationalId,
) -> Result<UntrackOutcome, DatabaseError> {
    let nin_value = [Value::text(nin.expose())];
    let was_tracked = conn
        .execute("DELETE FROM preg_tracked WHERE nin = $1", &nin_value)
        .await?
        > 0;
    // Persons linked to this NIN that no longer have any tracked NIN.
    let orphans = conn
        .fetch(
            "SELECT DISTINCT i.person_id FROM preg_identifier i WHERE i.nin = $1 \
             AND NOT EXISTS (SELECT j.nin FROM preg_identifier j \
             JOIN preg_tracked t ON t.nin = j.nin WHERE j.person_id = i.person_id)",
            &nin_value,
            &[Kind::Text],
        )
        .await?;
    let mut persons_purged = 0;
    for mut row in orphans {
        let Some(person_id) = row.text(0) else {
            continue;
        };
        let key = [Value::text(person_id)];
        for table in [PREG.table, PREG.history, "preg_identifier"] {
            conn.execute(&format!("DELETE FROM {table} WHERE person_id = $1"), &key)
                .await?;
        }
        persons_purged += 1;
    }
    if persons_purged > 0 {
        sync_state::bump_version(conn, PREG.register).await?;
    }
    Ok(UntrackOutcome {
        was_tracked,
        persons_purged,
    })
}

pub(crate) async fn is_tracked<C: Exec>(
    conn: &mut C,
    nin: &NationalId,
) -> Result<bool, DatabaseError> {
    let count = fetch_int(
        conn,
        "SELECT count(*) FROM preg_tracked WHERE nin = $1",
        &[Value::text(nin.expose())],
    )
    .await?;
    Ok(count > 0)
}

pub(crate) async fn list<C: Exec>(conn: &mut C) -> Result<Vec<TrackedPerson>, StoreError> {
    let rows = conn
        .fetch(
            "SELECT t.nin, t.added_at, t.note, \
             (SELECT min(i.person_id) FROM preg_identifier i \
              JOIN preg p ON p.person_id = i.person_id WHERE i.nin = t.nin) \
             FROM preg_tracked t ORDER BY t.added_at, t.nin",
            &[],
            &[Kind::Text, Kind::Timestamp, Kind::Text, Kind::Text],
        )
        .await
        .map_err(StoreError::db(
            "listing tracked persons",
            Some(PREG.register),
        ))?;
    rows.into_iter()
        .map(|mut row| {
            let nin = row
                .text(0)
                .and_then(|text| text.parse::<NationalId>().ok())
                .ok_or_else(|| StoreError::Corrupt {
                    table: "preg_tracked",
                    reason: "a tracked NIN no longer validates".to_owned(),
                })?;
            Ok(TrackedPerson {
                nin,
                added_at: row.timestamp(1).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
                note: row.text(2),
                person_id: row.text(3),
            })
        })
        .collect()
}

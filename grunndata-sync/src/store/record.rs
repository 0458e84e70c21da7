//! Records as the store sees them: the [`MirrorRecord`] trait over the core models, the
//! encoding of a record into typed columns plus canonical JSON, and what reads return.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::digest::RecordDigest;
use super::schema::TableSpec;
use super::value::Value;
use super::{Register, StoreError};

/// A core model type the store mirrors: [`Organisation`](crate::core::model::Organisation)
/// (`brreg`), [`CommunicationParty`](crate::core::model::CommunicationParty) (`ar`),
/// [`HealthPersonnel`](crate::core::model::HealthPersonnel) (`hpr`) and
/// [`Person`](crate::core::model::Person) (`preg`).
///
/// Sealed: the typed columns of each register are defined in the store.
pub trait MirrorRecord:
    Serialize + DeserializeOwned + Send + Sync + 'static + sealed::Columns
{
    /// The key type (orgnr, HER-id, HPR number, person id).
    type Key: RecordKey;
    /// The register the type belongs to.
    const REGISTER: Register;
    /// This record's key.
    fn key(&self) -> Self::Key;
}

/// A register key: [`OrgNumber`](crate::core::id::OrgNumber), [`HerId`](crate::core::id::HerId),
/// [`HprNumber`](crate::core::id::HprNumber) or a Persontjenesten person id (`String`).
///
/// Sealed. `Display` gives the key as stored; none of them is a NIN.
pub trait RecordKey:
    fmt::Display + fmt::Debug + Clone + Send + Sync + 'static + sealed::Key
{
}

impl<T: fmt::Display + fmt::Debug + Clone + Send + Sync + 'static + sealed::Key> RecordKey for T {}

/// A record that holds no person's address: Brreg units, AR parties and HPR personnel. The
/// store's generic reads ([`Store::get`](super::Store::get) and friends) take only these;
/// Persontjenesten persons are read through the [`Registry`](crate::registry::Registry), which
/// audits every read and withholds protected addresses, or — named as what it is — through
/// [`Store::unaudited`](super::Store::unaudited).
///
/// ```compile_fail
/// # async fn read(store: grunndata_sync::store::Store) {
/// use grunndata_sync::core::model::Person;
/// // A person is no PublicRecord: this does not compile.
/// let _ = store.get::<Person>(&"person-id".to_owned()).await;
/// # }
/// ```
pub trait PublicRecord: MirrorRecord {}

impl PublicRecord for crate::core::model::Organisation {}
impl PublicRecord for crate::core::model::CommunicationParty {}
impl PublicRecord for crate::core::model::HealthPersonnel {}

pub(crate) mod sealed {
    use super::super::schema::TableSpec;
    use super::super::value::Value;

    /// How a key binds.
    pub trait Key {
        /// The key as a column value.
        fn to_value(&self) -> Value;
    }

    /// The typed columns and child rows of a record.
    pub trait Columns {
        /// The register's table family.
        fn spec() -> &'static TableSpec;
        /// Values of `spec().columns`, in order.
        fn columns(&self) -> Vec<Value>;
        /// Rows of `spec().child`, each beginning with the key.
        fn children(&self) -> Vec<Vec<Value>> {
            Vec::new()
        }
        /// The valid NINs of a person, checked against the tracked set (PREG only).
        fn person_nins(&self) -> Vec<String> {
            Vec::new()
        }
    }
}

/// A current record read from the store, with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    /// The record.
    pub record: T,
    /// When this version became current (upstream change time, else when it was applied).
    pub changed_at: DateTime<Utc>,
    /// When it was last fetched from (seen in) upstream — its staleness.
    pub fetched_at: DateTime<Utc>,
    /// The digest of its canonical JSON.
    pub digest: RecordDigest,
}

/// How a historic version ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionEnd {
    /// A newer version replaced it.
    Changed,
    /// The record was deleted (or swept after a snapshot no longer held it).
    Deleted,
}

impl VersionEnd {
    pub(crate) fn parse(text: &str) -> Self {
        if text == "deleted" {
            Self::Deleted
        } else {
            Self::Changed
        }
    }
}

/// One version of a record: current (`valid_to` is `None`) or historic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version<T> {
    /// The record as it was.
    pub record: T,
    /// Start of the interval in which this version was current (inclusive).
    pub valid_from: DateTime<Utc>,
    /// End of the interval (exclusive); `None` for the current version.
    pub valid_to: Option<DateTime<Utc>>,
    /// How the version ended; `None` for the current version.
    pub ended: Option<VersionEnd>,
    /// The digest of its canonical JSON.
    pub digest: RecordDigest,
}

/// A record encoded for writing: key, full row in table order, child rows.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) key: Value,
    pub(crate) key_text: String,
    /// Values of `spec.all_columns()`.
    pub(crate) row: Vec<Value>,
    pub(crate) children: Vec<Vec<Value>>,
    pub(crate) digest: RecordDigest,
    pub(crate) changed_at: DateTime<Utc>,
    pub(crate) fetched_at: DateTime<Utc>,
}

/// Why a record cannot be stored as is (it goes to quarantine instead).
pub(crate) struct Unstorable {
    pub(crate) key_text: String,
    pub(crate) reason: String,
    pub(crate) payload: Vec<u8>,
}

/// Encodes `record` with its times; `Err(Ok(..))` when it must be quarantined.
pub(crate) fn encode<R: MirrorRecord>(
    record: &R,
    changed_at: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
) -> Result<Result<Encoded, Unstorable>, StoreError> {
    let spec: &TableSpec = R::spec();
    let key = record.key();
    let key_text = key.to_string();
    let json = serde_json::to_string(record).map_err(|source| StoreError::Encode {
        register: R::REGISTER,
        key: key_text.clone(),
        source,
    })?;
    // PostgreSQL cannot store U+0000 in text or jsonb; rather than fail the batch on one
    // backend only, such records are quarantined on both.
    if json.contains("\\u0000") {
        return Ok(Err(Unstorable {
            key_text,
            reason: "record contains a NUL character, which the store cannot hold".to_owned(),
            payload: json.into_bytes(),
        }));
    }
    let digest = RecordDigest::of(json.as_bytes());
    let changed_at = super::value::truncate(changed_at);
    let fetched_at = super::value::truncate(fetched_at);
    let key_value = sealed::Key::to_value(&key);
    let mut row = Vec::with_capacity(spec.width());
    row.push(key_value.clone());
    row.extend(record.columns());
    row.push(Value::Json(Some(json)));
    row.push(Value::Bytes(Some(digest.as_bytes().to_vec())));
    row.push(Value::Timestamp(Some(changed_at)));
    row.push(Value::Timestamp(Some(fetched_at)));
    debug_assert_eq!(row.len(), spec.width(), "{} row width", spec.table);
    Ok(Ok(Encoded {
        key: key_value,
        key_text,
        row,
        children: record.children(),
        digest,
        changed_at,
        fetched_at,
    }))
}

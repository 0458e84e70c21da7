//! What a client yields per record: the parsed model, or a [`MalformedRecord`] to quarantine.

use std::fmt;

use chrono::{DateTime, Utc};

use super::error::scrub_nins;
use crate::core::id::{HerId, HprNumber, OrgNumber};
use crate::core::model::{CommunicationParty, HealthPersonnel, Organisation, Person};
use crate::store::Register;

/// A `grunndata-core` model that an upstream delivers, with its key.
pub trait UpstreamRecord: fmt::Debug + Clone + Send + Sync + 'static {
    /// The record's key in the mirror.
    type Key: fmt::Display + fmt::Debug + Clone + Eq + std::hash::Hash + Send + Sync + 'static;

    /// The register it comes from.
    const REGISTER: Register;

    /// The record's key.
    fn key(&self) -> Self::Key;
}

impl UpstreamRecord for Organisation {
    type Key = OrgNumber;
    const REGISTER: Register = Register::Brreg;

    fn key(&self) -> OrgNumber {
        self.org_number
    }
}

impl UpstreamRecord for CommunicationParty {
    type Key = HerId;
    const REGISTER: Register = Register::Ar;

    fn key(&self) -> HerId {
        self.her_id
    }
}

impl UpstreamRecord for Person {
    type Key = String;
    const REGISTER: Register = Register::Preg;

    fn key(&self) -> String {
        self.id.clone()
    }
}

impl UpstreamRecord for HealthPersonnel {
    type Key = HprNumber;
    const REGISTER: Register = Register::Hpr;

    fn key(&self) -> HprNumber {
        self.hpr_number
    }
}

/// One record from upstream: parsed, or kept raw with what was wrong.
#[derive(Debug, Clone)]
pub enum Parsed<R> {
    /// The record parsed into the model.
    Record(R),
    /// The record did not parse; quarantine it.
    Malformed(MalformedRecord),
}

impl<R> Parsed<R> {
    /// The record, if it parsed.
    pub fn record(self) -> Option<R> {
        match self {
            Self::Record(record) => Some(record),
            Self::Malformed(_) => None,
        }
    }

    /// The malformed record, if it did not parse.
    pub fn malformed(self) -> Option<MalformedRecord> {
        match self {
            Self::Record(_) => None,
            Self::Malformed(malformed) => Some(malformed),
        }
    }
}

/// A record that could not be parsed into the model, kept with its raw payload.
///
/// `Debug` and `Display` show the payload's size, never its content: a Persontjenesten payload
/// carries NINs. The `error` text is scrubbed of anything NIN-shaped when built with
/// [`new`](Self::new).
#[derive(Clone, PartialEq, Eq)]
pub struct MalformedRecord {
    /// The register it came from.
    pub register: Register,
    /// The upstream id (orgnr, HER-id, HPR number, person id), when it could be read.
    pub upstream_id: Option<String>,
    /// JSON path of the offending field (`navn`, `norwegianIdentificationNumber[0].status`),
    /// when known; `None` when the record is not JSON at all.
    pub field: Option<String>,
    /// What was wrong (never a NIN).
    pub error: String,
    /// The payload exactly as received.
    pub raw: Vec<u8>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

impl MalformedRecord {
    /// A malformed record received now; `error` is scrubbed of NIN-shaped numbers.
    pub fn new(
        register: Register,
        upstream_id: Option<String>,
        field: Option<String>,
        error: &str,
        raw: Vec<u8>,
    ) -> Self {
        Self {
            register,
            upstream_id,
            field,
            error: scrub_nins(error),
            raw,
            received_at: Utc::now(),
        }
    }

    /// A malformed record from a serde error with its path (`.` means the whole record).
    pub(crate) fn from_path_error(
        register: Register,
        upstream_id: Option<String>,
        error: &serde_path_to_error::Error<serde_json::Error>,
        raw: &[u8],
    ) -> Self {
        let message = error.inner().to_string();
        let path = error.path().to_string();
        // serde reports a missing field at its parent; name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => Some(name.to_owned()),
            (parent, Some(name)) => Some(format!("{parent}.{name}")),
            (".", None) => None,
            (path, None) => Some(path.to_owned()),
        };
        Self::new(register, upstream_id, field, &message, raw.to_vec())
    }
}

impl fmt::Debug for MalformedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MalformedRecord")
            .field("register", &self.register)
            .field("upstream_id", &self.upstream_id)
            .field("field", &self.field)
            .field("error", &self.error)
            .field("raw", &format_args!("[{} bytes]", self.raw.len()))
            .field("received_at", &self.received_at)
            .finish()
    }
}

impl fmt::Display for MalformedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} record {} malformed",
            self.register,
            self.upstream_id.as_deref().unwrap_or("(no id)")
        )?;
        if let Some(field) = &self.field {
            write!(f, " at {field}")?;
        }
        write!(f, ": {} ({} bytes)", self.error, self.raw.len())
    }
}

/// Parses one record's raw JSON into its upstream DTO, naming the failing field.
pub(crate) fn parse_dto<'de, T: serde::Deserialize<'de>>(
    raw: &'de [u8],
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut deserializer)?;
    Ok(value)
}

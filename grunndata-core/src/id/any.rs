//! Any identifier, detected from its shape or parsed as a named family.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::digits;
use super::{Gender, HerId, HprNumber, IdError, NationalId, NationalIdKind, OrgNumber, ReshId};

/// The family a user names when the shape alone cannot tell (`--kind` in the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdFamily {
    /// An 11-digit person number of any kind.
    Person,
    /// An organisasjonsnummer.
    Org,
    /// An HPR-nummer.
    Hpr,
    /// A HER-id.
    Her,
    /// A RESH-id.
    Resh,
}

/// The precise kind of a recognised identifier, as named in output and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdKind {
    /// Fødselsnummer.
    Fodselsnummer,
    /// D-nummer.
    DNummer,
    /// H-nummer.
    HNummer,
    /// FH-nummer.
    FhNummer,
    /// Organisasjonsnummer.
    Organisasjonsnummer,
    /// HPR-nummer.
    HprNummer,
    /// HER-id.
    HerId,
    /// RESH-id.
    ReshId,
}

impl IdKind {
    /// The name used in output: `fodselsnummer`, `d-nummer`, `h-nummer`, `fh-nummer`,
    /// `organisasjonsnummer`, `hpr-nummer`, `her-id`, `resh-id`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fodselsnummer => "fodselsnummer",
            Self::DNummer => "d-nummer",
            Self::HNummer => "h-nummer",
            Self::FhNummer => "fh-nummer",
            Self::Organisasjonsnummer => "organisasjonsnummer",
            Self::HprNummer => "hpr-nummer",
            Self::HerId => "her-id",
            Self::ReshId => "resh-id",
        }
    }
}

impl From<NationalIdKind> for IdKind {
    fn from(kind: NationalIdKind) -> Self {
        match kind {
            NationalIdKind::Fodselsnummer => Self::Fodselsnummer,
            NationalIdKind::DNummer => Self::DNummer,
            NationalIdKind::HNummer => Self::HNummer,
            NationalIdKind::FhNummer => Self::FhNummer,
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid identifier of any family.
///
/// ```
/// use grunndata_core::id::{AnyId, IdFamily, IdKind};
///
/// // 11 digits is a person number, 9 an organisasjonsnummer.
/// assert_eq!(AnyId::detect("974760673")?.kind(), IdKind::Organisasjonsnummer);
/// // Numbers without a check digit need the family named.
/// assert_eq!(AnyId::parse_as("9144889", IdFamily::Hpr)?.kind(), IdKind::HprNummer);
/// assert!(AnyId::detect("9144889").is_err());
/// # Ok::<(), grunndata_core::id::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnyId {
    /// A person number.
    Person(NationalId),
    /// An organisasjonsnummer.
    Org(OrgNumber),
    /// An HPR-nummer.
    Hpr(HprNumber),
    /// A HER-id.
    Her(HerId),
    /// A RESH-id.
    Resh(ReshId),
}

impl AnyId {
    /// Recognises the family from the number of digits: 11 is a person number, 9 an
    /// organisasjonsnummer. Anything else is [`IdError::UnknownKind`] (or the character error).
    pub fn detect(input: &str) -> Result<Self, IdError> {
        Self::detect_on(input, chrono::Local::now().date_naive())
    }

    /// [`detect`](Self::detect) as of `today` (for the future-birth-date rule); the pure form,
    /// and the cheap one when checking many values: the clock is read by the caller once.
    pub fn detect_on(input: &str, today: NaiveDate) -> Result<Self, IdError> {
        Self::detect_family(input)?.map_or_else(
            |found| Err(IdError::UnknownKind { found }),
            |family| Self::parse_as_on(input, family, today),
        )
    }

    /// The family `input` would be detected as, or its digit count when none fits.
    pub fn detect_family(input: &str) -> Result<Result<IdFamily, usize>, IdError> {
        let count = digits::scan(input, |_| {})?;
        Ok(match count {
            11 => Ok(IdFamily::Person),
            9 => Ok(IdFamily::Org),
            other => Err(other),
        })
    }

    /// Parses `input` as an identifier of `family`.
    pub fn parse_as(input: &str, family: IdFamily) -> Result<Self, IdError> {
        Self::parse_as_on(input, family, chrono::Local::now().date_naive())
    }

    /// [`parse_as`](Self::parse_as) as of `today` (for the future-birth-date rule).
    pub fn parse_as_on(input: &str, family: IdFamily, today: NaiveDate) -> Result<Self, IdError> {
        Ok(match family {
            IdFamily::Person => Self::Person(NationalId::parse_on(input, today)?),
            IdFamily::Org => Self::Org(input.parse()?),
            IdFamily::Hpr => Self::Hpr(input.parse()?),
            IdFamily::Her => Self::Her(input.parse()?),
            IdFamily::Resh => Self::Resh(input.parse()?),
        })
    }

    /// The precise kind.
    pub fn kind(&self) -> IdKind {
        match self {
            Self::Person(nin) => nin.kind().into(),
            Self::Org(_) => IdKind::Organisasjonsnummer,
            Self::Hpr(_) => IdKind::HprNummer,
            Self::Her(_) => IdKind::HerId,
            Self::Resh(_) => IdKind::ReshId,
        }
    }

    /// Whether this is a synthetic test number (only person numbers can be).
    pub fn is_synthetic(&self) -> bool {
        matches!(self, Self::Person(nin) if nin.is_synthetic())
    }

    /// The birth date a person number encodes, where it can be derived.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        match self {
            Self::Person(nin) => nin.birth_date(),
            _ => None,
        }
    }

    /// The gender a person number encodes, where it still does.
    pub fn gender(&self) -> Option<Gender> {
        match self {
            Self::Person(nin) => nin.gender(),
            _ => None,
        }
    }

    /// The FHIR identifier system (none for H-numbers).
    pub fn fhir_system(&self) -> Option<&'static str> {
        match self {
            Self::Person(nin) => nin.fhir_system(),
            Self::Org(id) => Some(id.fhir_system()),
            Self::Hpr(id) => Some(id.fhir_system()),
            Self::Her(id) => Some(id.fhir_system()),
            Self::Resh(id) => Some(id.fhir_system()),
        }
    }
}

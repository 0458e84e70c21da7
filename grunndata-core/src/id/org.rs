//! Organisasjonsnummer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::{self, weighted_mod11};
use super::{IdError, fhir};

/// Weights over the nine digits; with the check digit weighted 1 the sum must be ≡ 0 (mod 11).
const WEIGHTS: [u32; 9] = [3, 2, 7, 6, 5, 4, 3, 2, 1];

/// A validated 9-digit organisasjonsnummer from Enhetsregisteret.
///
/// The check digit is mod 11 with weights 3 2 7 6 5 4 3 2; a computed check digit of 10 means
/// the number is never issued, so such numbers are invalid.
///
/// ```
/// use grunndata_core::id::OrgNumber;
///
/// let orgnr: OrgNumber = "988 077 917".parse()?;
/// assert_eq!(orgnr.to_string(), "988077917");
/// assert!("988077918".parse::<OrgNumber>().is_err());
/// # Ok::<(), grunndata_core::id::IdError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgNumber([u8; 9]);

impl OrgNumber {
    /// The FHIR identifier system (ENH).
    pub const FHIR_SYSTEM: &'static str = fhir::ENH;

    /// Parses and validates an organisasjonsnummer.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = digits::exactly::<9>(input)?;
        if weighted_mod11(&digits, &WEIGHTS) != 0 {
            return Err(IdError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The FHIR identifier system (ENH).
    pub fn fhir_system(&self) -> &'static str {
        Self::FHIR_SYSTEM
    }
}

impl FromStr for OrgNumber {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One write of all nine digits: a write per digit grew the caller's `String` digit by
        // digit, and an orgnr is formatted several times per Brreg record during a bootstrap.
        let digits = self.0.map(|d| b'0' + d);
        f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

// An organisasjonsnummer is public, so Debug shows it whole.
impl fmt::Debug for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgNumber({self})")
    }
}

impl Serialize for OrgNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OrgNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

//! Identifiers that are plain positive integers: HPR-nummer, HER-id and RESH-id.
//!
//! None of the three has a documented check digit (IDENTIFIERS.md §6; no consulted source has
//! one), so validation is limited to "a positive integer that fits the registers' 32-bit signed
//! field". That also means a typo cannot be caught here — only a lookup can tell.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::{self, NumberOrText};
use super::{IdError, fhir};

/// The registers store these as 32-bit signed integers (`xs:int`, OpenAPI `int32`).
const MAX: u32 = i32::MAX as u32;

/// Parses a positive integer of at most `MAX`, with the usual separators allowed.
fn parse_positive(input: &str) -> Result<u32, IdError> {
    // Saturates just above MAX: past it the value is too large however the input continues.
    let too_large = u64::from(MAX) + 1;
    let mut value: u64 = 0;
    digits::scan(input, |digit| {
        value = (value * 10 + u64::from(digit)).min(too_large);
    })?;
    match u32::try_from(value) {
        Ok(0) => Err(IdError::NotPositive),
        Ok(v) if v <= MAX => Ok(v),
        _ => Err(IdError::TooLarge { max: MAX }),
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $system:expr, $example:literal) => {
        $(#[$doc])*
        ///
        /// Serialised as a string of digits; deserialised from a string or a JSON number.
        ///
        /// ```
        #[doc = concat!("use grunndata_core::id::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id: ", stringify!($name), " = \"", $example, "\".parse()?;")]
        #[doc = concat!("assert_eq!(id.get().to_string(), \"", $example, "\");")]
        #[doc = concat!("assert!(\"0\".parse::<", stringify!($name), ">().is_err());")]
        /// # Ok::<(), grunndata_core::id::IdError>(())
        /// ```
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The FHIR identifier system.
            pub const FHIR_SYSTEM: &'static str = $system;

            /// Parses a positive integer.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                parse_positive(input).map(Self)
            }

            /// Validates a number already read as an integer (as upstream JSON carries it).
            pub fn new(value: i64) -> Result<Self, IdError> {
                match u32::try_from(value) {
                    Ok(0) => Err(IdError::NotPositive),
                    Ok(v) if v <= MAX => Ok(Self(v)),
                    Ok(_) => Err(IdError::TooLarge { max: MAX }),
                    Err(_) if value < 0 => Err(IdError::NotPositive),
                    Err(_) => Err(IdError::TooLarge { max: MAX }),
                }
            }

            /// The number.
            pub fn get(self) -> u32 {
                self.0
            }

            /// The FHIR identifier system.
            pub fn fhir_system(&self) -> &'static str {
                Self::FHIR_SYSTEM
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match NumberOrText::deserialize(deserializer)? {
                    NumberOrText::Number(n) => Self::new(n),
                    NumberOrText::Text(text) => text.parse(),
                }
                .map_err(serde::de::Error::custom)
            }
        }
    };
}

numeric_id!(
    /// HPR-nummer: a health worker's number in Helsepersonellregisteret.
    HprNumber,
    fhir::HPR,
    "9144889"
);

numeric_id!(
    /// HER-id: a communication party's id in Adresseregisteret (organisation, service or person).
    HerId,
    fhir::HER,
    "8093240"
);

numeric_id!(
    /// RESH-id: an id in the register of units in the specialist health service.
    ReshId,
    fhir::RESH,
    "4001031"
);

//! Identifiers kept as received when they fail validation.
//!
//! Real registers hold invalid data (a NIN with a bad check digit on an HPR person, a mistyped
//! orgnr on an AR party). The mirror must store such records rather than drop them, keep the
//! identifier exactly as received, and flag it so `grunndata check` can report it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::NumberOrText;
use super::{CanonicalText, IdError};

/// An identifier that is either valid or kept as received together with why it is invalid.
///
/// Serialises as the identifier's text either way, so a stored record round-trips unchanged;
/// deserialising validates again.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum MaybeValid<T> {
    /// The identifier passed validation.
    Valid(T),
    /// The identifier failed validation; kept as received.
    Invalid(InvalidId),
}

/// An identifier that failed validation, with the text as received.
///
/// `Debug` masks everything after the sixth character, since the text may be a person number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InvalidId {
    raw: String,
    error: IdError,
}

impl InvalidId {
    /// The text exactly as received from upstream.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Why it is invalid.
    pub fn error(&self) -> &IdError {
        &self.error
    }
}

impl fmt::Debug for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let visible: String = self.raw.chars().take(6).collect();
        let hidden = self.raw.chars().count().saturating_sub(6);
        write!(
            f,
            "InvalidId({visible}{} : {})",
            "*".repeat(hidden),
            self.error
        )
    }
}

impl<T: FromStr<Err = IdError>> MaybeValid<T> {
    /// Validates `raw`, keeping it as received when it fails.
    pub fn from_raw(raw: &str) -> Self {
        match raw.parse() {
            Ok(id) => Self::Valid(id),
            Err(error) => Self::Invalid(InvalidId {
                raw: raw.to_owned(),
                error,
            }),
        }
    }
}

impl<T> MaybeValid<T> {
    /// The valid identifier, if it is one.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(id) => Some(id),
            Self::Invalid(_) => None,
        }
    }

    /// Whether validation failed.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }

    /// Why validation failed, if it did.
    pub fn error(&self) -> Option<&IdError> {
        match self {
            Self::Valid(_) => None,
            Self::Invalid(invalid) => Some(&invalid.error),
        }
    }
}

impl<T: CanonicalText> MaybeValid<T> {
    /// The identifier's text: canonical when valid, as received when not. For a person number
    /// that is the whole number: for the store and upstream, never for a log line.
    pub fn text(&self) -> String {
        match self {
            Self::Valid(id) => id.canonical_text(),
            Self::Invalid(invalid) => invalid.raw.clone(),
        }
    }
}

impl<T> From<T> for MaybeValid<T> {
    fn from(id: T) -> Self {
        Self::Valid(id)
    }
}

impl<T: fmt::Debug> fmt::Debug for MaybeValid<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid(id) => id.fmt(f),
            Self::Invalid(invalid) => invalid.fmt(f),
        }
    }
}

impl<T: CanonicalText> Serialize for MaybeValid<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Valid(id) => serializer.serialize_str(&id.canonical_text()),
            Self::Invalid(invalid) => serializer.serialize_str(&invalid.raw),
        }
    }
}

impl<'de, T: FromStr<Err = IdError>> Deserialize<'de> for MaybeValid<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = match NumberOrText::deserialize(deserializer)? {
            NumberOrText::Number(n) => n.to_string(),
            NumberOrText::Text(text) => text,
        };
        Ok(Self::from_raw(&raw))
    }
}

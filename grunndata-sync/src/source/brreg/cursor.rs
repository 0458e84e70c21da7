//! The Brreg cursor: one position per change feed, since `oppdateringer/enheter` and
//! `oppdateringer/underenheter` count `oppdateringsid` separately.
//!
//! Stored as JSON: `{"enheter":9400340,"underenheter":"2024-05-01T03:00:00.000Z"}`. A number is
//! the next `oppdateringsid` to read (the parameter is an inclusive lower bound, so this is the
//! last one processed + 1). A string is a `dato` (the feed's earliest-timestamp filter), used
//! after a bootstrap until the first event of that feed has been seen: the bulk files carry no
//! `oppdateringsid`, so the position is known only as a time.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::model::UnitKind;
use crate::source::{Cursor, SourceError};
use crate::store::Register;

/// Brreg's `dato` format: `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
pub(crate) const DATO_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// Where one Brreg change feed continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedPosition {
    /// The next `oppdateringsid` to read (inclusive).
    Id(u64),
    /// Read from this `dato` on (inclusive), until an `oppdateringsid` is known.
    Since(DateTime<Utc>),
}

impl FeedPosition {
    /// The `dato` query value for a time.
    pub fn dato(at: DateTime<Utc>) -> String {
        at.format(DATO_FORMAT).to_string()
    }
}

impl Serialize for FeedPosition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Id(id) => serializer.serialize_u64(*id),
            Self::Since(at) => serializer.serialize_str(&Self::dato(*at)),
        }
    }
}

impl<'de> Deserialize<'de> for FeedPosition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Id(u64),
            Since(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Id(0) => Err(serde::de::Error::custom(
                "oppdateringsid starts at 1 (\"Større eller lik 1\")",
            )),
            Raw::Id(id) => Ok(Self::Id(id)),
            Raw::Since(text) => parse_dato(&text)
                .map(Self::Since)
                .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a dato"))),
        }
    }
}

/// Reads a Brreg timestamp: `2020-10-05T04:01:22.299Z`, or any RFC 3339 time.
pub(crate) fn parse_dato(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|at| at.and_utc())
        })
}

/// The two feed positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrregCursor {
    /// `oppdateringer/enheter`.
    pub enheter: FeedPosition,
    /// `oppdateringer/underenheter`.
    pub underenheter: FeedPosition,
}

impl BrregCursor {
    /// Both feeds from the first event (`oppdateringsid` 1).
    pub const START: Self = Self {
        enheter: FeedPosition::Id(1),
        underenheter: FeedPosition::Id(1),
    };

    /// Both feeds from `at` on.
    pub fn since(at: DateTime<Utc>) -> Self {
        Self {
            enheter: FeedPosition::Since(at),
            underenheter: FeedPosition::Since(at),
        }
    }

    /// Reads a stored cursor.
    pub fn parse(cursor: &Cursor) -> Result<Self, SourceError> {
        serde_json::from_str(cursor.as_str()).map_err(|error| SourceError::InvalidCursor {
            register: Register::Brreg,
            cursor: cursor.as_str().to_owned(),
            reason: format!("expected {{\"enheter\":N,\"underenheter\":M}}: {error}"),
        })
    }

    /// The cursor text to store.
    pub fn to_cursor(&self) -> Cursor {
        // Serialising two numbers or strings cannot fail.
        Cursor::new(serde_json::to_string(self).unwrap_or_default())
    }

    /// The position of one feed.
    pub fn position(&self, unit: UnitKind) -> FeedPosition {
        match unit {
            UnitKind::MainUnit => self.enheter,
            UnitKind::SubUnit => self.underenheter,
        }
    }

    /// Sets the position of one feed.
    pub fn set(&mut self, unit: UnitKind, position: FeedPosition) {
        match unit {
            UnitKind::MainUnit => self.enheter = position,
            UnitKind::SubUnit => self.underenheter = position,
        }
    }
}

impl fmt::Display for BrregCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_cursor().as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn round_trips_ids_and_datos() {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 3, 0, 0).single();
        let Some(at) = at else { panic!("valid time") };
        let cursor = BrregCursor {
            enheter: FeedPosition::Id(9_400_340),
            underenheter: FeedPosition::Since(at),
        };
        let text = cursor.to_cursor();
        assert_eq!(
            text.as_str(),
            r#"{"enheter":9400340,"underenheter":"2024-05-01T03:00:00.000Z"}"#
        );
        assert_eq!(BrregCursor::parse(&text).ok(), Some(cursor));
    }

    #[test]
    fn rejects_garbage_and_zero() {
        for text in [
            "",
            "12",
            r#"{"enheter":0,"underenheter":1}"#,
            r#"{"enheter":1}"#,
        ] {
            assert!(BrregCursor::parse(&Cursor::new(text)).is_err(), "{text}");
        }
    }
}

//! The position in HPR's change feed: a time window of `HentRegisterEndringer` and a page in it.
//!
//! Stored as JSON (the engine treats it as opaque text):
//!
//! ```text
//! {"fra":"2026-01-01T00:00:00Z"}                                  between windows
//! {"fra":"2026-01-01T00:00:00Z","til":"2026-01-02T00:00:00Z",
//!  "side":3,"seen":2000,"total":4312}                             inside a window
//! {"fra":"…","recent":["9100001@2026-01-01T23:58:12.123Z"]}      with de-duplication keys
//! ```
//!
//! - `fra`: start of the window being read, or of the next window when `til` is absent.
//! - `til`: end of the window being read. It is fixed when the window opens, so every page of
//!   a window asks the same question.
//! - `side`: the next page (`side` starts at 1, as in NAV's client); `seen`: `Person`
//!   elements read in this window; `total`: `ResultaterTotalt` of its first page.
//! - `recent`: `HPRNummer@SistOppdatert` of the records already delivered whose `SistOppdatert`
//!   lies within one overlap of the newest delivered, so that the next window, which re-reads
//!   the overlap, does not deliver them twice. The threshold is taken from the records' own
//!   timestamps rather than our clock, so it holds whatever zone upstream's offset-less times
//!   are in. Bounded ([`MAX_RECENT`]); when more changed in one overlap, duplicates are let
//!   through (they are idempotent upserts).
//!
//! A bare RFC 3339 instant is accepted as a cursor too (`2026-01-01T00:00:00Z` = "changes
//! since then"), so an operator can start the feed at a date.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::source::{Cursor, SourceError};
use crate::store::Register;

/// Most de-duplication keys a cursor carries.
pub const MAX_RECENT: usize = 2000;

/// A position in the HPR change feed (see the module doc for the stored form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HprCursor {
    /// Start of the current (or next) window.
    pub fra: DateTime<Utc>,
    /// End of the current window; `None` between windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub til: Option<DateTime<Utc>>,
    /// Next page of the current window, from 1.
    #[serde(default = "first_page", skip_serializing_if = "is_first_page")]
    pub side: u32,
    /// `Person` elements read in the current window.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seen: u64,
    /// `ResultaterTotalt` reported when the current window opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// `HPRNummer@SistOppdatert` of the newest records delivered (see the module doc).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub recent: BTreeSet<String>,
}

fn first_page() -> u32 {
    1
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_first_page(side: &u32) -> bool {
    *side == 1
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(seen: &u64) -> bool {
    *seen == 0
}

impl HprCursor {
    /// The feed from `fra` on, no window open.
    pub fn since(fra: DateTime<Utc>) -> Self {
        Self {
            fra,
            til: None,
            side: 1,
            seen: 0,
            total: None,
            recent: BTreeSet::new(),
        }
    }

    /// Reads a stored cursor: the JSON form, or a bare RFC 3339 instant.
    pub fn parse(cursor: &Cursor) -> Result<Self, SourceError> {
        let text = cursor.as_str().trim();
        let invalid = |reason: String| SourceError::InvalidCursor {
            register: Register::Hpr,
            cursor: text.to_owned(),
            reason,
        };
        if text.starts_with('{') {
            let parsed: Self =
                serde_json::from_str(text).map_err(|error| invalid(error.to_string()))?;
            if parsed.side == 0 {
                return Err(invalid("side starts at 1".to_owned()));
            }
            if parsed.til.is_some_and(|til| til < parsed.fra) {
                return Err(invalid("til is before fra".to_owned()));
            }
            return Ok(parsed);
        }
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::since(at.with_timezone(&Utc)))
            .map_err(|error| {
                invalid(format!(
                    "neither HPR cursor JSON nor an RFC 3339 instant: {error}"
                ))
            })
    }

    /// The stored form.
    pub fn to_cursor(&self) -> Cursor {
        // Serialising plain data to a string cannot fail; fall back to the bare instant.
        Cursor::new(serde_json::to_string(self).unwrap_or_else(|_| self.fra.to_rfc3339()))
    }

    /// The de-duplication key of a record.
    pub(crate) fn key(hpr: u32, last_updated: DateTime<Utc>) -> String {
        format!(
            "{hpr}@{}",
            last_updated.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_a_bare_instant() {
        let Ok(at) = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z") else {
            panic!("instant");
        };
        let since = HprCursor::since(at.with_timezone(&Utc));
        assert_eq!(
            since.to_cursor().as_str(),
            r#"{"fra":"2026-01-01T00:00:00Z"}"#
        );
        assert_eq!(
            HprCursor::parse(&Cursor::new("2026-01-01T00:00:00Z")).ok(),
            Some(since.clone())
        );
        let inside = HprCursor {
            til: Some(since.fra + chrono::Duration::days(1)),
            side: 3,
            seen: 2000,
            total: Some(4312),
            recent: [HprCursor::key(9_100_001, since.fra)].into(),
            ..since
        };
        assert_eq!(HprCursor::parse(&inside.to_cursor()).ok(), Some(inside));
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "",
            "yesterday",
            r#"{"til":"2026-01-01T00:00:00Z"}"#,
            r#"{"fra":"2026-01-02T00:00:00Z","til":"2026-01-01T00:00:00Z"}"#,
            r#"{"fra":"2026-01-01T00:00:00Z","side":0}"#,
        ] {
            assert!(HprCursor::parse(&Cursor::new(text)).is_err(), "{text}");
        }
    }
}

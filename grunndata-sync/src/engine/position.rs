//! Feed positions for operators: how far behind upstream a register is (`grunndata status`),
//! and validated cursors to set by hand (`grunndata cursor set`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::source::ar::ArCursor;
use crate::source::brreg::BrregCursor;
use crate::source::hpr::HprCursor;
use crate::source::preg::PregCursor;
use crate::source::{Cursor, SourceError};
use crate::store::Register;

use super::{EngineError, Sources};

/// How far a register's mirror is behind its upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "value")]
pub enum Lag {
    /// Events in the feed after the cursor (AR, Persontjenesten).
    Events(u64),
    /// Seconds between the start of the next change window and now (HPR).
    Seconds(u64),
}

impl std::fmt::Display for Lag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Events(events) => write!(f, "{events} events"),
            Self::Seconds(seconds) => {
                let rounded = std::time::Duration::from_secs(*seconds / 60 * 60);
                if *seconds < 60 {
                    write!(f, "{seconds}s")
                } else {
                    write!(f, "{}", humantime::format_duration(rounded))
                }
            }
        }
    }
}

/// The lag of `register` at `cursor`, asking upstream for its feed head where that is one
/// cheap request. `Ok(None)` when it cannot be told cheaply (Brreg: the head of its feeds
/// is known only by reading them) or the register has no cursor yet.
pub async fn lag(
    sources: &Sources,
    register: Register,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Lag>, EngineError> {
    let Some(cursor) = cursor.map(Cursor::new) else {
        return Ok(None);
    };
    let behind = |head: Option<i64>, next: i64| {
        let head = head.unwrap_or(0);
        Lag::Events(u64::try_from(head - (next - 1)).unwrap_or(0))
    };
    match register {
        Register::Ar => match &sources.ar {
            Some(client) => {
                let next = ArCursor::parse(&cursor)?.0;
                let head = client
                    .latest_event()
                    .await?
                    .map(|event| event.sequence_number);
                Ok(Some(behind(head, next)))
            }
            None => Ok(None),
        },
        Register::Preg => match &sources.preg {
            Some(client) => {
                let next = PregCursor::parse(&cursor)?.0;
                Ok(Some(behind(client.latest_sequence().await?, next)))
            }
            None => Ok(None),
        },
        Register::Hpr => {
            let fra = HprCursor::parse(&cursor)?.fra;
            let seconds = now.signed_duration_since(fra).num_seconds().max(0);
            Ok(Some(Lag::Seconds(u64::try_from(seconds).unwrap_or(0))))
        }
        Register::Brreg => Ok(None),
    }
}

/// Checks `text` as a cursor of `register` and returns its stored form.
pub fn parse_cursor(register: Register, text: &str) -> Result<String, SourceError> {
    let cursor = Cursor::new(text.trim());
    let stored = match register {
        Register::Brreg => BrregCursor::parse(&cursor)?.to_cursor(),
        Register::Ar => ArCursor::parse(&cursor)?.to_cursor(),
        Register::Hpr => HprCursor::parse(&cursor)?.to_cursor(),
        Register::Preg => PregCursor::parse(&cursor)?.to_cursor(),
    };
    Ok(stored.into_string())
}

/// A cursor that starts `register`'s feed at `from`, where upstream's feed can start at a
/// date (Brreg `dato`, HPR change windows). AR and Persontjenesten number their events and
/// cannot: the error says to set a sequence number or re-snapshot instead.
pub fn cursor_from_date(register: Register, from: DateTime<Utc>) -> Result<String, EngineError> {
    match register {
        Register::Brreg => Ok(BrregCursor::since(from).to_cursor().into_string()),
        Register::Hpr => Ok(HprCursor::since(from).to_cursor().into_string()),
        Register::Ar | Register::Preg => Err(EngineError::Unsupported {
            register,
            message: "its feed cannot start at a date; set a sequence number, or run \
                      `grunndata sync --resnapshot --source` for it"
                .to_owned(),
        }),
    }
}

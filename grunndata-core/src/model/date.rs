//! Reading dates and instants the way chrono does, faster for the one spelling we store.
//!
//! chrono's `FromStr` for [`NaiveDate`] (and `parse_from_str`) runs its general format
//! interpreter, and for `DateTime` its relaxed RFC 3339 parser: together a fifth of decoding a stored HPR record
//! (callgrind of an uncached `Registry::personnel`, BENCHMARKS.md). Canonical JSON always holds
//! `2026-12-05` and `2026-12-05T08:30:00Z` (or with fractional seconds or an offset), so those
//! spellings are read digit by digit; **any other text goes to chrono unchanged**, so what is
//! accepted, what is refused and every error message stay chrono's. Property tests in
//! `tests/model.rs` check both paths agree on every spelling of the fast ones.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::Deserializer;
use serde::de::{self, Visitor};

/// Parses a date as chrono's `NaiveDate::from_str` does.
///
/// ```
/// use chrono::NaiveDate;
/// use grunndata_core::model::parse_date;
///
/// assert_eq!(parse_date("2026-12-05"), Ok(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()));
/// assert_eq!(parse_date("2026-12-05"), "2026-12-05".parse::<NaiveDate>());
/// assert!(parse_date("2026-02-30").is_err());
/// ```
pub fn parse_date(text: &str) -> Result<NaiveDate, chrono::ParseError> {
    match fast_date(text.as_bytes()) {
        Some(date) => Ok(date),
        None => text.parse(),
    }
}

/// Parses an instant as chrono's `DateTime::<FixedOffset>::from_str` does (RFC 3339,
/// relaxed), in UTC.
///
/// ```
/// use grunndata_core::model::parse_instant;
///
/// let at = parse_instant("2026-12-05T09:30:00+01:00").unwrap();
/// assert_eq!(at.to_rfc3339(), "2026-12-05T08:30:00+00:00");
/// assert!(parse_instant("2026-12-05").is_err());
/// ```
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match fast_instant(text.as_bytes()) {
        Some(at) => Ok(at),
        None => text
            .parse::<DateTime<FixedOffset>>()
            .map(|at| at.with_timezone(&Utc)),
    }
}

/// `#[serde(deserialize_with)]` for `Option<NaiveDate>`: `null` is `None`.
pub(crate) fn optional_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    deserializer.deserialize_option(Optional(DateVisitor))
}

/// `#[serde(deserialize_with)]` for `Option<DateTime<Utc>>`: `null` is `None`.
pub(crate) fn optional_instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(Optional(InstantVisitor))
}

/// Parses a date as chrono's `NaiveDate::parse_from_str(text, "%Y-%m-%d")` does (the form
/// upstream registers send: chrono's format parser, more lenient than `from_str`).
///
/// ```
/// use chrono::NaiveDate;
/// use grunndata_core::model::parse_ymd;
///
/// assert_eq!(parse_ymd("2026-12-05"), NaiveDate::parse_from_str("2026-12-05", "%Y-%m-%d"));
/// assert_eq!(parse_ymd("2026-12-5"), NaiveDate::parse_from_str("2026-12-5", "%Y-%m-%d"));
/// assert!(parse_ymd("2026-02-30").is_err());
/// ```
pub fn parse_ymd(text: &str) -> Result<NaiveDate, chrono::ParseError> {
    match fast_date(text.as_bytes()) {
        Some(date) => Ok(date),
        None => NaiveDate::parse_from_str(text, "%Y-%m-%d"),
    }
}

/// `YYYY-MM-DD` exactly; `None` for anything else (chrono then decides).
fn fast_date(text: &[u8]) -> Option<NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text else {
        return None;
    };
    let year = number(&[y0, y1, y2, y3])?;
    let month = number(&[m0, m1])?;
    let day = number(&[d0, d1])?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM`; `None` for anything else,
/// leap seconds included (chrono then decides).
fn fast_instant(text: &[u8]) -> Option<DateTime<Utc>> {
    let (date, rest) = text.split_at_checked(10)?;
    let date = fast_date(date)?;
    let [b'T', h0, h1, b':', mi0, mi1, b':', s0, s1, ref rest @ ..] = *rest else {
        return None;
    };
    let (hour, minute, second) = (number(&[h0, h1])?, number(&[mi0, mi1])?, number(&[s0, s1])?);
    let (nanos, rest) = match rest {
        [b'.', fraction @ ..] => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            let scale = 10u32.pow(u32::try_from(9 - digits).ok()?);
            (number(&fraction[..digits])? * scale, &fraction[digits..])
        }
        _ => (0, rest),
    };
    let offset_seconds = match *rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let (hours, minutes) = (number(&[oh0, oh1])?, number(&[om0, om1])?);
            // Beyond these chrono decides (it refuses them).
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    // A leap second (60) is left to chrono, which has its own rule for it.
    if second > 59 {
        return None;
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset_seconds))?;
    Some(utc.and_utc())
}

/// The value of ASCII decimal digits; `None` if any byte is not one.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

/// Reads one date from a string.
struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a formatted date string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<NaiveDate, E> {
        parse_date(text).map_err(E::custom)
    }
}

/// Reads one instant from a string.
struct InstantVisitor;

impl Visitor<'_> for InstantVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime<Utc>, E> {
        parse_instant(text).map_err(E::custom)
    }
}

/// `null` or the inner visitor's value.
struct Optional<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Optional<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self.0).map(Some)
    }
}

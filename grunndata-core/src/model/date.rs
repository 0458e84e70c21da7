//! Reading and writing dates and instants the way chrono does, faster for the one spelling
//! we store.
//!
//! chrono's `FromStr` for [`NaiveDate`] (and `parse_from_str`) runs its general format
//! interpreter, and for `DateTime` its relaxed RFC 3339 parser: together a fifth of decoding a stored HPR record
//! (callgrind of an uncached `Registry::personnel`, BENCHMARKS.md). Canonical JSON always holds
//! `2026-12-05` and `2026-12-05T08:30:00Z` (or with fractional seconds or an offset), so those
//! spellings are read digit by digit; **any other text goes to chrono unchanged**, so what is
//! accepted, what is refused and every error message stay chrono's. Property tests in
//! `tests/model.rs` check both paths agree on every spelling of the fast ones.
//!
//! Writing is the same trade: [`date_text`] and [`instant_text`] write years 0 to 9999 digit
//! by digit and leave every other value to chrono, with property tests that the text is
//! chrono's. The store writes three instants per changed record, and their text is compared
//! in SQL, so it must be exactly chrono's.

use std::fmt;

use chrono::{
    DateTime, Datelike as _, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat,
    TimeDelta, Timelike as _, Utc,
};
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

/// Writes a date as chrono's `date.format("%F")` does (`2026-12-05`).
///
/// ```
/// use chrono::NaiveDate;
/// use grunndata_core::model::date_text;
///
/// let date = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
/// assert_eq!(date_text(date), "2026-12-05");
/// assert_eq!(date_text(date), date.format("%F").to_string());
/// ```
#[must_use]
pub fn date_text(date: NaiveDate) -> String {
    let mut text = [0u8; 10];
    if write_date(&mut text, date) {
        String::from_utf8_lossy(&text).into_owned()
    } else {
        date.format("%F").to_string()
    }
}

/// Writes an instant as chrono's `at.to_rfc3339_opts(SecondsFormat::AutoSi, false)` does
/// (`2026-12-05T08:30:00.25+00:00`: as many fraction digits, 0, 3, 6 or 9, as it needs).
///
/// ```
/// use chrono::{SecondsFormat, TimeZone, Utc};
/// use grunndata_core::model::instant_text;
///
/// let at = Utc.with_ymd_and_hms(2026, 12, 5, 8, 30, 0).unwrap();
/// assert_eq!(instant_text(at), "2026-12-05T08:30:00+00:00");
/// assert_eq!(instant_text(at), at.to_rfc3339_opts(SecondsFormat::AutoSi, false));
/// ```
#[must_use]
pub fn instant_text(at: DateTime<Utc>) -> String {
    let nanos = at.nanosecond();
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        _ if nanos.is_multiple_of(1_000_000) => (nanos / 1_000_000, 3),
        _ if nanos.is_multiple_of(1_000) => (nanos / 1_000, 6),
        _ => (nanos, 9),
    };
    let mut text = [0u8; 35];
    // A leap second's nanoseconds run past 10^9: chrono writes it.
    if nanos >= 1_000_000_000 || !write_date(&mut text, at.date_naive()) {
        return at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    }
    text[10] = b'T';
    write_digits(&mut text[11..13], at.hour());
    text[13] = b':';
    write_digits(&mut text[14..16], at.minute());
    text[16] = b':';
    write_digits(&mut text[17..19], at.second());
    let mut end = 19;
    if digits > 0 {
        text[end] = b'.';
        write_digits(&mut text[end + 1..end + 1 + digits], fraction);
        end += 1 + digits;
    }
    text[end..end + 6].copy_from_slice(b"+00:00");
    String::from_utf8_lossy(&text[..end + 6]).into_owned()
}

/// `YYYY-MM-DD` into `text[..10]` for years 0 to 9999; `false` (nothing written) otherwise.
fn write_date(text: &mut [u8], date: NaiveDate) -> bool {
    let Ok(year) = u32::try_from(date.year()) else {
        return false;
    };
    if year > 9999 || text.len() < 10 {
        return false;
    }
    write_digits(&mut text[0..4], year);
    text[4] = b'-';
    write_digits(&mut text[5..7], date.month());
    text[7] = b'-';
    write_digits(&mut text[8..10], date.day());
    true
}

/// `value` as decimal digits filling `out`, zero-padded (higher digits dropped).
fn write_digits(out: &mut [u8], mut value: u32) {
    for byte in out.iter_mut().rev() {
        // `value % 10` is below 10, so the cast cannot truncate.
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
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

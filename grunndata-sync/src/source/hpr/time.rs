//! Dates and instants as HPR writes them, and as we write them back.
//!
//! HPR's SOAP service is WCF: every date is an `xs:dateTime`, written with `Z`, with an offset,
//! or with neither (.NET `DateTimeKind.Unspecified`). The REST API writes dates as `YYYY-MM-DD`
//! and `sistOppdatert` as a local date-time without offset (observed DTOs use `LocalDateTime`).
//! The sources say nothing about the time zone of offset-less values; these rules are ours:
//!
//! - **Calendar dates** (birth, death, validity ends) keep the date *as written* when the value
//!   has an offset or none, so `2026-03-31T00:00:00+02:00` is 31 March. A value in UTC (`Z`) is
//!   first moved to Norwegian time, because a local midnight serialised as UTC reads
//!   `2026-03-30T22:00:00Z` and means 31 March.
//! - **Instants** (`SistOppdatert`) without offset are Norwegian local time (Europe/Oslo, EU
//!   summer-time rule). A wall-clock time that occurs twice in the autumn resolves to the summer
//!   (earlier) one; one that does not exist in the spring is read as summer time.
//! - **Requests** carry UTC with `Z` and milliseconds (`2026-01-01T00:00:00.000Z`): unambiguous for a server that
//!   honours offsets, and still monotonic for one that ignores them, so consecutive change
//!   windows never leave a gap (a constant shift only delays changes, it never drops them). Local
//!   wall-clock times would run backwards at the autumn change and could open a gap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

use crate::core::model::parse_ymd;

/// Norwegian standard time (CET) is UTC+1.
const STANDARD_OFFSET_HOURS: i64 = 1;
/// Norwegian summer time (CEST) is UTC+2.
const SUMMER_OFFSET_HOURS: i64 = 2;

/// A calendar date from `YYYY-MM-DD`, or the date part of an `xs:dateTime` (see module doc).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.len() > 11 && text.as_bytes()[10] == b'T' && text.ends_with('Z') {
        let instant = parse_instant(text)?;
        return Ok(to_oslo(instant).date());
    }
    let date_part = text
        .get(..10)
        .filter(|_| {
            text.len() == 10 || matches!(text.as_bytes()[10], b'T' | b' ' | b'+' | b'-' | b'Z')
        })
        .ok_or_else(|| format!("not a date (expected YYYY-MM-DD): {text:?}"))?;
    parse_ymd(date_part).map_err(|error| format!("not a date ({error}): {text:?}"))
}

/// An instant from an `xs:dateTime` with or without offset, or a bare date (midnight), with
/// offset-less values read as Norwegian local time.
pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Ok(with_offset.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| parse_ymd(text).map(|date| date.and_time(NaiveTime::MIN)))
        .map_err(|error| format!("not a date-time ({error}): {text:?}"))?;
    Ok(from_oslo(naive))
}

/// The request form of an instant: UTC, milliseconds, `Z`.
pub(crate) fn format_instant(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The request form of a calendar date (`YYYY-MM-DD`).
pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Today's date in Norway.
pub(crate) fn oslo_today() -> NaiveDate {
    to_oslo(Utc::now()).date()
}

/// The Norwegian wall-clock time of an instant.
pub(crate) fn to_oslo(instant: DateTime<Utc>) -> NaiveDateTime {
    let hours = if is_summer_time(instant) {
        SUMMER_OFFSET_HOURS
    } else {
        STANDARD_OFFSET_HOURS
    };
    instant.naive_utc() + Duration::hours(hours)
}

/// The instant of a Norwegian wall-clock time (see the module doc for the two edge hours).
pub(crate) fn from_oslo(local: NaiveDateTime) -> DateTime<Utc> {
    let as_summer = (local - Duration::hours(SUMMER_OFFSET_HOURS)).and_utc();
    if is_summer_time(as_summer) {
        return as_summer;
    }
    (local - Duration::hours(STANDARD_OFFSET_HOURS)).and_utc()
}

/// Whether Norway keeps summer time at `instant`: from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October (the EU rule, in force in Norway since 1996; earlier
/// years are read by the same rule, which is close enough for "last updated" stamps).
fn is_summer_time(instant: DateTime<Utc>) -> bool {
    let year = instant.year();
    let start = last_sunday(year, 3).and_hms_opt(1, 0, 0);
    let end = last_sunday(year, 10).and_hms_opt(1, 0, 0);
    match (start, end) {
        (Some(start), Some(end)) => {
            let naive = instant.naive_utc();
            start <= naive && naive < end
        }
        _ => false,
    }
}

/// The last Sunday of a month that has 31 days (March, October).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    // Day 31 exists in both months; `from_ymd_opt` cannot fail for them, but stay total.
    let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or(NaiveDate::MIN);
    let back = last.weekday().days_since(Weekday::Sun);
    last - Duration::days(i64::from(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map_or_else(
            |error| panic!("{text}: {error}"),
            |dt| dt.with_timezone(&Utc),
        )
    }

    #[test]
    fn dates_keep_the_written_day_unless_utc() {
        let cases = [
            ("2026-03-31", "2026-03-31"),
            ("2026-03-31T00:00:00", "2026-03-31"),
            ("2026-03-31T00:00:00+02:00", "2026-03-31"),
            ("2026-03-30T22:00:00Z", "2026-03-31"),
            ("2026-01-30T23:00:00Z", "2026-01-31"),
            ("2026-03-31T00:00:00.0000000", "2026-03-31"),
            (" 1980-05-01T00:00:00 ", "1980-05-01"),
            ("1980-05-01Z", "1980-05-01"),
            ("1980-05-01+01:00", "1980-05-01"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_date(input).map(|d| d.to_string()),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        for bad in ["", "2026-13-01", "31.03.2026", "2026-03-31X"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_without_offset_are_oslo_time() {
        let cases = [
            ("2026-01-15T12:00:00", "2026-01-15T11:00:00Z"),
            ("2026-07-15T12:00:00", "2026-07-15T10:00:00Z"),
            (
                "2026-07-15T12:00:00.1234567",
                "2026-07-15T10:00:00.1234567Z",
            ),
            ("2026-07-15T12:00:00+02:00", "2026-07-15T10:00:00Z"),
            (
                "2026-07-15T12:00:00.1234567Z",
                "2026-07-15T12:00:00.1234567Z",
            ),
            ("2026-07-15", "2026-07-14T22:00:00Z"),
            // Autumn: 02:30 happens twice; the summer-time one is taken.
            ("2026-10-25T02:30:00", "2026-10-25T00:30:00Z"),
            // Spring: 02:30 does not exist; read as summer time.
            ("2026-03-29T02:30:00", "2026-03-29T01:30:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_instant(input), Ok(utc(expected)), "{input}");
        }
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn requests_are_utc() {
        assert_eq!(
            format_instant(utc("2026-07-15T10:00:00.9Z")),
            "2026-07-15T10:00:00.900Z"
        );
        assert_eq!(
            to_oslo(utc("2026-07-15T22:30:00Z")).date().to_string(),
            "2026-07-16"
        );
    }
}

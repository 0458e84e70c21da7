//! Reading upstream timestamps leniently.
//!
//! The NHN APIs are .NET services: `date-time` values usually carry an offset
//! (`2024-01-02T03:04:05.123+01:00`, `…Z`) but .NET also writes offset-less
//! `2024-01-02T03:04:05.1234567`. Decisions: an offset-less instant is read as UTC; a bare date
//! as midnight. Where a *calendar day* is meant (Persontjenesten `birthDate`, whose "time and
//! time zone … must be ignored", and the `validFrom`/`validTo` of history elements), the date
//! and time are taken literally as written, ignoring the offset — FREG days are Norwegian
//! calendar days, and converting to UTC would move midnight entries to the day before.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Deserializer;
use serde::de::{self, Visitor};

/// An instant: RFC 3339, offset-less (as UTC), or a bare date (midnight UTC).
pub(crate) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    parse_literal(text).map(|at| at.and_utc())
}

/// The date and time as written, ignoring any offset.
pub(crate) fn parse_literal(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.naive_local());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            crate::core::model::parse_ymd(text)
                .ok()
                .map(|date| date.and_time(NaiveTime::MIN))
        })
}

/// The last calendar day an exclusive end instant covers: the same day, unless it is exactly
/// midnight, which ends the day before.
pub(crate) fn last_day_covered(end: NaiveDateTime) -> Option<NaiveDate> {
    if end.time() == NaiveTime::MIN {
        end.date().pred_opt()
    } else {
        Some(end.date())
    }
}

/// `deserialize_with` for `Option<DateTime<Utc>>`: `null`/`""` are absent; unreadable text is
/// an error naming the value.
pub(crate) fn instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(TextVisitor(parse_instant))
}

/// `deserialize_with` for `Option<NaiveDateTime>` taken literally (see the module docs).
pub(crate) fn literal<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    deserializer.deserialize_option(TextVisitor(parse_literal))
}

struct TextVisitor<T>(fn(&str) -> Option<T>);

impl<'de, T> Visitor<'de> for TextVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date-time, an empty string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        (self.0)(text)
            .map(Some)
            .ok_or_else(|| E::custom(format!("{text:?} is not a date-time")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_literals() {
        let instant = |text| parse_instant(text).map(|at| at.to_rfc3339());
        assert_eq!(
            instant("2024-01-02T00:30:00+01:00").as_deref(),
            Some("2024-01-01T23:30:00+00:00")
        );
        assert_eq!(
            instant("2024-01-02T03:04:05.1234567").as_deref(),
            Some("2024-01-02T03:04:05.123456700+00:00")
        );
        assert_eq!(
            instant("2024-01-02").as_deref(),
            Some("2024-01-02T00:00:00+00:00")
        );
        assert_eq!(instant("yesterday"), None);
        let literal = parse_literal("2024-01-02T00:30:00+01:00").map(|at| at.date());
        assert_eq!(literal, NaiveDate::from_ymd_opt(2024, 1, 2));
    }

    #[test]
    fn midnight_ends_the_day_before() {
        let day = |d| NaiveDate::from_ymd_opt(2024, 3, d);
        let at = |text| parse_literal(text).and_then(last_day_covered);
        assert_eq!(at("2024-03-05T00:00:00"), day(4));
        assert_eq!(at("2024-03-05T00:00:01"), day(5));
    }
}

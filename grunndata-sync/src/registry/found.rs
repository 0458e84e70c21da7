//! A record as a lookup returns it: the record and the interval in which it was current.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use crate::store::{Stored, Version};

/// A record found in the mirror, with the interval of the version returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found<T> {
    /// The record.
    pub record: T,
    /// When this version became current (upstream change time where known).
    pub valid_from: DateTime<Utc>,
    /// When it stopped being current; `None` for the current version.
    pub valid_to: Option<DateTime<Utc>>,
    /// When the current version was last seen in upstream (its staleness); `None` for a
    /// historic version.
    pub fetched_at: Option<DateTime<Utc>>,
}

impl<T> From<Stored<T>> for Found<T> {
    fn from(stored: Stored<T>) -> Self {
        Self {
            record: stored.record,
            valid_from: stored.changed_at,
            valid_to: None,
            fetched_at: Some(stored.fetched_at),
        }
    }
}

impl<T> From<Version<T>> for Found<T> {
    fn from(version: Version<T>) -> Self {
        Self {
            record: version.record,
            valid_from: version.valid_from,
            valid_to: version.valid_to,
            fetched_at: None,
        }
    }
}

/// The instant that stands for "as of day D": the last microsecond of D in UTC, so that the
/// version returned is the one in force at the end of that day (the store keeps
/// microseconds). Days are UTC days, as everywhere in the mirror.
pub(crate) fn end_of(day: NaiveDate) -> DateTime<Utc> {
    let last = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN);
    day.and_time(last).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_day_is_the_last_microsecond() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        let end = end_of(day);
        assert_eq!(end.date_naive(), day);
        assert_eq!(
            (end + chrono::Duration::microseconds(1)).date_naive(),
            day.succ_opt().unwrap_or_default()
        );
    }
}

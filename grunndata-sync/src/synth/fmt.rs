//! Date and time text in the forms the upstreams use, written by hand because these run once or
//! more per generated record.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

/// The synthetic world's "now": the production time of the bulk files. Fixed so that generated
/// data never depends on the clock.
pub(crate) fn reference_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The reference date (see [`reference_time`]).
pub(crate) fn reference_date() -> NaiveDate {
    reference_time().date_naive()
}

/// Appends `value` as exactly `width` decimal digits (zero-padded; higher digits dropped).
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut rest = value;
    for slot in digits[..width].iter_mut().rev() {
        // `rest % 10` is below 10, so the narrowing is exact.
        *slot = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
    }
    for &digit in &digits[..width] {
        out.push(char::from(digit));
    }
}

/// `YYYY-MM-DD`, written digit by digit: this runs many times per generated record.
pub(crate) fn date(d: NaiveDate) -> String {
    let mut s = String::with_capacity(24);
    push_digits(&mut s, u32::try_from(d.year()).unwrap_or(0), 4);
    s.push('-');
    push_digits(&mut s, d.month(), 2);
    s.push('-');
    push_digits(&mut s, d.day(), 2);
    s
}

/// `YYYY-MM-DDTHH:MM:SS` — a .NET `DateTime` without zone (HPR).
pub(crate) fn local_datetime(t: NaiveDateTime) -> String {
    let mut s = date(t.date());
    s.push('T');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s
}

/// `YYYY-MM-DDT00:00:00Z` for a date.
pub(crate) fn utc_midnight(d: NaiveDate) -> String {
    let mut s = date(d);
    s.push_str("T00:00:00Z");
    s
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` — Brreg's `dato`.
pub(crate) fn brreg_datetime(t: DateTime<Utc>) -> String {
    let mut s = local_datetime(t.naive_utc());
    s.push('.');
    push_digits(&mut s, t.timestamp_subsec_millis(), 3);
    s.push('Z');
    s
}

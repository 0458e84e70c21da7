//! Rows in PostgreSQL `COPY … FROM STDIN` text format.
//!
//! Columns are separated by a tab, rows end with a newline, NULL is `\N`, and backslash, tab,
//! newline and carriage return inside a value are backslash-escaped.

use std::fmt::Write as _;

use chrono::{Datelike as _, SecondsFormat};

use super::super::value::Value;

/// Appends one row.
pub(crate) fn push_row(buf: &mut String, row: &[Value]) {
    for (index, value) in row.iter().enumerate() {
        if index > 0 {
            buf.push('\t');
        }
        push_value(buf, value);
    }
    buf.push('\n');
}

fn push_value(buf: &mut String, value: &Value) {
    if value.is_null() {
        buf.push_str("\\N");
        return;
    }
    match value {
        Value::Text(Some(text)) | Value::Json(Some(text)) => push_escaped(buf, text),
        Value::Int(Some(number)) => {
            let _ = write!(buf, "{number}");
        }
        Value::Bool(Some(flag)) => buf.push(if *flag { 't' } else { 'f' }),
        Value::Date(Some(date)) => {
            let _ = write!(
                buf,
                "{:04}-{:02}-{:02}",
                date.year(),
                date.month(),
                date.day()
            );
        }
        Value::Timestamp(Some(at)) => {
            buf.push_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true));
        }
        Value::Bytes(Some(bytes)) => {
            // bytea hex input `\x…`, with the backslash escaped for COPY.
            buf.push_str("\\\\x");
            push_hex(buf, bytes);
        }
        _ => buf.push_str("\\N"),
    }
}

/// Appends `text` with COPY's escapes, copying the runs between escapes whole (the text is
/// mostly canonical JSON, where escapes are rare).
fn push_escaped(buf: &mut String, text: &str) {
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        // `at` is at an ASCII byte, so both slices end on character boundaries.
        buf.push_str(&text[start..at]);
        buf.push_str(escape);
        start = at + 1;
    }
    buf.push_str(&text[start..]);
}

fn push_hex(buf: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &byte in bytes {
        buf.push(char::from(DIGITS[usize::from(byte >> 4)]));
        buf.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;

    #[test]
    fn escapes_and_formats() {
        let mut buf = String::new();
        push_row(
            &mut buf,
            &[
                Value::text("a\tb\\c\nd æ\r"),
                Value::Int(Some(-7)),
                Value::Bool(Some(true)),
                Value::Date(NaiveDate::from_ymd_opt(2026, 3, 31)),
                Value::Timestamp(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single()),
                Value::Bytes(Some(vec![0xab, 0x01])),
                Value::Text(None),
            ],
        );
        assert_eq!(
            buf,
            "a\\tb\\\\c\\nd æ\\r\t-7\tt\t2026-03-31\t2026-01-02T03:04:05.000000Z\t\\\\xab01\t\\N\n"
        );
    }
}

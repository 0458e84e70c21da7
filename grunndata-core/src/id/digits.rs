//! Reading digits out of pasted input.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::IdError;

/// Characters users paste between digit groups: "150386 12345", "974-760-673", "9144:889".
fn is_separator(c: char) -> bool {
    c == ' ' || c == '-' || c == ':' || c == '\t'
}

/// Walks the ASCII digits of `input`, skipping separators between digits, and hands each digit
/// (0–9) to `on_digit`. Returns how many digits there were.
///
/// Fails on the first character that is neither a digit nor a separator between two digits,
/// and on empty input. Allocates nothing: this runs once per value on million-line inputs.
pub(crate) fn scan(input: &str, mut on_digit: impl FnMut(u8)) -> Result<usize, IdError> {
    let leading = input.chars().take_while(|c| c.is_whitespace()).count();
    let mut count = 0;
    // A separator is only accepted once a digit follows it.
    let mut pending_separator = None;
    for (index, c) in input.trim().chars().enumerate() {
        if c.is_ascii_digit() {
            on_digit(c as u8 - b'0');
            count += 1;
            pending_separator = None;
        } else if is_separator(c) && count > 0 {
            pending_separator.get_or_insert((c, index));
        } else {
            pending_separator = Some((c, index));
            break;
        }
    }
    if let Some((character, index)) = pending_separator {
        // Positions are 1-based and count every character of the input.
        return Err(IdError::NonDigit {
            character,
            position: leading + index + 1,
        });
    }
    if count == 0 {
        return Err(IdError::Empty);
    }
    Ok(count)
}

/// Exactly `N` digits, or the error saying how many there were.
pub(crate) fn exactly<const N: usize>(input: &str) -> Result<[u8; N], IdError> {
    let mut out = [0u8; N];
    let mut filled = 0;
    let count = scan(input, |digit| {
        // Digits past N are counted but not kept; the length check rejects them.
        if let Some(slot) = out.get_mut(filled) {
            *slot = digit;
        }
        filled += 1;
    })?;
    if count != N {
        return Err(IdError::WrongLength {
            expected: N,
            found: count,
        });
    }
    Ok(out)
}

/// Weighted digit sum modulo 11, the base of every mod-11 check here.
pub(crate) fn weighted_mod11(digits: &[u8], weights: &[u32]) -> u32 {
    digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum::<u32>()
        % 11
}

/// Renders digits (values 0–9) as text.
pub(crate) fn to_text(digits: &[u8]) -> String {
    digits.iter().map(|&d| char::from(b'0' + d)).collect()
}

/// An identifier as upstream JSON carries it: a number (HPR numbers, HER-ids, RESH-ids, Volven
/// code-system ids) or a string. Any `i64` is read; each type checks its own range.
///
/// Read with a visitor of its own rather than `#[serde(untagged)]`, which buffers every value
/// into serde's `Content` and then tries each variant in turn: that was a copy and two
/// allocations per identifier, on every record decoded from the store.
pub(crate) enum NumberOrText {
    /// A JSON number.
    Number(i64),
    /// A JSON string.
    Text(String),
}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberOrTextVisitor)
    }
}

struct NumberOrTextVisitor;

impl Visitor<'_> for NumberOrTextVisitor {
    type Value = NumberOrText;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an integer or a string")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Number(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NumberOrText, E> {
        i64::try_from(value)
            .map(NumberOrText::Number)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Text(value))
    }
}

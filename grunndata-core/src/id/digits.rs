//! Reading digits out of pasted input.

use serde::Deserialize;

use super::IdError;

/// Characters users paste between digit groups: "150386 12345", "974-760-673", "9144:889".
fn is_separator(c: char) -> bool {
    c == ' ' || c == '-' || c == ':' || c == '\t'
}

/// Collects the ASCII digits of `input`, skipping separators between digits.
///
/// Fails on the first character that is neither a digit nor a separator between two digits,
/// and on empty input. Stops collecting after `limit` digits (the count keeps going) so that
/// absurdly long input costs no memory.
pub(crate) fn collect(input: &str, limit: usize) -> Result<(Vec<u8>, usize), IdError> {
    let leading = input.chars().take_while(|c| c.is_whitespace()).count();
    let mut digits = Vec::with_capacity(limit);
    let mut count = 0;
    // A separator is only accepted once a digit follows it.
    let mut pending_separator = None;
    for (index, c) in input.trim().chars().enumerate() {
        // Positions are 1-based and count every character of the input.
        let position = leading + index + 1;
        if c.is_ascii_digit() {
            if digits.len() < limit {
                digits.push(c as u8 - b'0');
            }
            count += 1;
            pending_separator = None;
        } else if is_separator(c) && count > 0 {
            pending_separator.get_or_insert((c, position));
        } else {
            return Err(IdError::NonDigit {
                character: c,
                position,
            });
        }
    }
    if let Some((character, position)) = pending_separator {
        return Err(IdError::NonDigit {
            character,
            position,
        });
    }
    if count == 0 {
        return Err(IdError::Empty);
    }
    Ok((digits, count))
}

/// Exactly `N` digits, or the error saying how many there were.
pub(crate) fn exactly<const N: usize>(input: &str) -> Result<[u8; N], IdError> {
    let (digits, count) = collect(input, N)?;
    if count != N {
        return Err(IdError::WrongLength {
            expected: N,
            found: count,
        });
    }
    let mut out = [0u8; N];
    out.copy_from_slice(&digits);
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

/// An identifier as upstream JSON carries it: a number (HPR, HER-id) or a string.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum NumberOrText {
    /// A JSON number.
    Number(i64),
    /// A JSON string.
    Text(String),
}

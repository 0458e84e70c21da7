//! Identifier arithmetic: every generated identifier is a pure, invertible function of a record
//! index, so a record can be found from its key (the fake upstream's lookups) without any map.
//!
//! - Organisasjonsnummer: a 7-digit block prefix, then the eighth digit picked among those that
//!   give a valid mod-11 check digit (at least 9 of the 10 always do), then the check digit.
//! - Person numbers: Tenor synthetic fødselsnummer (month + 80; D-nummer also day + 40) with
//!   classic-rule check digits. A number is (birth date, individual number): the date comes from a
//!   coprime-stride permutation of a day range, the individual number is the k-th one in a pool
//!   whose check digits are valid for that date.
//! - HER-id, HPR-nummer: a base plus the index (neither has a check digit).
//! - Persontjenesten person ids: 64 lowercase hex digits; the first 16 encode the index through a
//!   keyed bijection, the rest are a hash, so ids look opaque but decode in O(1).

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::seed::{Stream, hash, mix};

/// Weights of the organisasjonsnummer check digit over digits 1–8.
const ORG_WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
/// Orgnr index slots per 7-digit block (at least 9 eighth digits give a valid check digit).
const ORG_SLOTS: u64 = 9;

/// First 7-digit block of main units (enheter): numbers from 910 000 000.
pub(crate) const ENHET_BLOCK: u32 = 9_100_000;
/// First 7-digit block of sub-units (underenheter): numbers from 810 000 000.
pub(crate) const UNDERENHET_BLOCK: u32 = 8_100_000;
/// Blocks available to each range before it would run into the next.
const ORG_BLOCKS: u64 = 800_000;

/// The check digit for an 8-digit prefix, or `None` when the remainder rule gives 10.
fn org_check_digit(prefix8: u32) -> Option<u32> {
    let mut digits = [0u32; 8];
    let mut rest = prefix8;
    for slot in digits.iter_mut().rev() {
        *slot = rest % 10;
        rest /= 10;
    }
    let sum: u32 = digits.iter().zip(ORG_WEIGHTS).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// The organisasjonsnummer of index `index` in the range starting at block `block_base`.
pub(crate) fn orgnr(block_base: u32, index: u64) -> u32 {
    let block = u32::try_from(index / ORG_SLOTS).unwrap_or(u32::MAX);
    let slot = index % ORG_SLOTS;
    let prefix7 = block_base + block;
    let mut seen = 0;
    for d8 in 0..10 {
        let prefix8 = prefix7 * 10 + d8;
        if let Some(check) = org_check_digit(prefix8) {
            if seen == slot {
                return prefix8 * 10 + check;
            }
            seen += 1;
        }
    }
    // Unreachable: at least 9 of the 10 eighth digits give a valid check digit.
    prefix7 * 100
}

/// The index of an organisasjonsnummer in the range starting at `block_base`, if it is one of ours.
pub(crate) fn orgnr_index(block_base: u32, orgnr: u32) -> Option<u64> {
    let prefix8 = orgnr / 10;
    if org_check_digit(prefix8)? != orgnr % 10 {
        return None;
    }
    let prefix7 = prefix8 / 10;
    let block = u64::from(prefix7.checked_sub(block_base)?);
    if block >= ORG_BLOCKS {
        return None;
    }
    let d8 = prefix8 % 10;
    let slot = (0..d8)
        .filter(|d| org_check_digit(prefix7 * 10 + d).is_some())
        .count() as u64;
    (slot < ORG_SLOTS).then_some(block * ORG_SLOTS + slot)
}

/// Parses exactly nine ASCII digits.
pub(crate) fn parse_orgnr(text: &str) -> Option<u32> {
    (text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// K1 weights over the first nine digits.
const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
/// K2 weights over the first ten digits.
const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The 11 digits of a Tenor synthetic number for a birth date and individual number, or `None`
/// when a check digit would be 10 (such numbers are never issued).
pub(crate) fn tenor_nin(date: NaiveDate, individual: u16, d_number: bool) -> Option<[u8; 11]> {
    let day = u8::try_from(date.day()).ok()? + if d_number { 40 } else { 0 };
    let month = u8::try_from(date.month()).ok()? + 80;
    let year = u8::try_from(date.year().rem_euclid(100)).ok()?;
    let individual = u8::try_from(individual / 100)
        .ok()
        .zip(u8::try_from(individual % 100).ok())?;
    let mut d = [
        day / 10,
        day % 10,
        month / 10,
        month % 10,
        year / 10,
        year % 10,
        individual.0,
        individual.1 / 10,
        individual.1 % 10,
        0,
        0,
    ];
    d[9] = check(&d[..9], &K1)?;
    d[10] = check(&d[..10], &K2)?;
    Some(d)
}

fn check(digits: &[u8], weights: &[u32]) -> Option<u8> {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => u8::try_from(k).ok(),
    }
}

/// The digits as text.
pub(crate) fn digits_to_string(digits: &[u8]) -> String {
    digits.iter().map(|&d| char::from(b'0' + d)).collect()
}

/// A range of birth dates and a pool of individual numbers from which person numbers are drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NinScheme {
    /// First day of the range.
    first: NaiveDate,
    /// Number of days in the range.
    days: u64,
    /// Stride of the day permutation (coprime with `days`).
    stride: u64,
    /// Inverse of `stride` modulo `days`.
    stride_inverse: u64,
    /// Individual-number pool for births before 2000 (inclusive bounds).
    pool_1900: (u16, u16),
    /// Individual-number pool for births from 2000 (inclusive bounds).
    pool_2000: (u16, u16),
}

/// A person number decoded to the scheme's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NinParts {
    pub(crate) date: NaiveDate,
    pub(crate) individual: u16,
    pub(crate) d_number: bool,
}

impl NinScheme {
    /// A scheme over `first..=last` with the given pools.
    pub(crate) fn new(
        first: NaiveDate,
        last: NaiveDate,
        pool_1900: (u16, u16),
        pool_2000: (u16, u16),
    ) -> Self {
        let days = u64::try_from((last - first).num_days() + 1)
            .unwrap_or(1)
            .max(1);
        // A prime stride spreads consecutive indices over the whole range; fall back to the next
        // prime-ish odd number if it happens to divide the range.
        let mut stride = 7919 % days;
        while gcd(stride, days) != 1 {
            stride += 1;
        }
        let stride_inverse = mod_inverse(stride, days);
        Self {
            first,
            days,
            stride,
            stride_inverse,
            pool_1900,
            pool_2000,
        }
    }

    /// The date range's length in days.
    pub(crate) fn days(&self) -> u64 {
        self.days
    }

    fn pool(&self, date: NaiveDate) -> (u16, u16) {
        if date.year() < 2000 {
            self.pool_1900
        } else {
            self.pool_2000
        }
    }

    fn date_of(&self, day: u64) -> NaiveDate {
        self.first + chrono::Days::new(day)
    }

    /// The smallest number of valid individual numbers any (sampled) date in the range has; an
    /// index whose rank within its date reaches this cannot be numbered.
    #[cfg(test)]
    fn min_capacity(&self, every_nth_day: usize, d_number: bool) -> u64 {
        (0..self.days)
            .step_by(every_nth_day)
            .map(|day| {
                let date = self.date_of(day);
                let (lo, hi) = self.pool(date);
                (lo..=hi)
                    .filter(|&i| tenor_nin(date, i, d_number).is_some())
                    .count() as u64
            })
            .min()
            .unwrap_or(0)
    }

    /// The birth date and individual number of index `index`, if the date has room for it.
    pub(crate) fn parts(&self, index: u64, d_number: bool) -> Option<(NaiveDate, u16, [u8; 11])> {
        let day = (index % self.days) * self.stride % self.days;
        let rank = index / self.days;
        let date = self.date_of(day);
        let (lo, hi) = self.pool(date);
        let mut seen = 0;
        for individual in lo..=hi {
            if let Some(digits) = tenor_nin(date, individual, d_number) {
                if seen == rank {
                    return Some((date, individual, digits));
                }
                seen += 1;
            }
        }
        None
    }

    /// The index of a decoded number in this scheme, if the number belongs to it.
    pub(crate) fn index(&self, parts: NinParts) -> Option<u64> {
        let day = u64::try_from((parts.date - self.first).num_days()).ok()?;
        if day >= self.days {
            return None;
        }
        let (lo, hi) = self.pool(parts.date);
        if !(lo..=hi).contains(&parts.individual) {
            return None;
        }
        let rank = (lo..parts.individual)
            .filter(|&i| tenor_nin(parts.date, i, parts.d_number).is_some())
            .count() as u64;
        let residue = day * self.stride_inverse % self.days;
        Some(rank * self.days + residue)
    }
}

/// The fewest valid individual numbers (400–499) any date 1950–1999 has (computed once over every
/// date, for both fødselsnummer and D-nummer forms; a test re-checks it).
pub(crate) const HPR_MIN_CAPACITY: u64 = 80;
/// The fewest valid individual numbers any date 1925–2024 has in the general pools.
pub(crate) const GENERAL_MIN_CAPACITY: u64 = 328;

/// Decodes an 11-digit Tenor synthetic number (month + 80) to date and individual number.
/// Numbers that are not Tenor-synthetic, or whose check digits do not match, give `None`.
pub(crate) fn decode_tenor(text: &str) -> Option<NinParts> {
    let bytes = text.as_bytes();
    if bytes.len() != 11 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d: Vec<u8> = bytes.iter().map(|b| b - b'0').collect();
    let mut day = d[0] * 10 + d[1];
    let month = (d[2] * 10 + d[3]).checked_sub(80)?;
    let d_number = day > 40;
    if d_number {
        day -= 40;
    }
    let year = u16::from(d[4]) * 10 + u16::from(d[5]);
    let individual = u16::from(d[6]) * 100 + u16::from(d[7]) * 10 + u16::from(d[8]);
    // Our numbers are born 1925–2024; the individual number says which century.
    let century = if individual >= 500 { 2000 } else { 1900 };
    let date = NaiveDate::from_ymd_opt(i32::from(century + year), month.into(), day.into())?;
    let parts = NinParts {
        date,
        individual,
        d_number,
    };
    (tenor_nin(date, individual, d_number)?.as_slice() == d.as_slice()).then_some(parts)
}

fn gcd(mut x: u64, mut y: u64) -> u64 {
    while y != 0 {
        (x, y) = (y, x % y);
    }
    x
}

/// The inverse of `value` modulo `modulus` (coprime), by the extended Euclidean algorithm.
fn mod_inverse(value: u64, modulus: u64) -> u64 {
    if modulus == 1 {
        return 0;
    }
    let (mut old_rem, mut rem) = (i128::from(value), i128::from(modulus));
    let (mut old_coef, mut coef) = (1i128, 0i128);
    while rem != 0 {
        let quotient = old_rem / rem;
        (old_rem, rem) = (rem, old_rem - quotient * rem);
        (old_coef, coef) = (coef, old_coef - quotient * coef);
    }
    u64::try_from(old_coef.rem_euclid(i128::from(modulus))).unwrap_or(0)
}

/// Odd multiplier of the person-id bijection, and its inverse modulo 2^64.
const ID_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15 | 1;

fn id_inverse_multiplier() -> u64 {
    // Newton's iteration for the inverse of an odd number modulo 2^64.
    let mut x = ID_MULTIPLIER;
    for _ in 0..6 {
        x = x.wrapping_mul(2u64.wrapping_sub(ID_MULTIPLIER.wrapping_mul(x)));
    }
    x
}

/// The Persontjenesten person id of index `index`: 64 lowercase hex digits.
pub(crate) fn person_id(seed: u64, index: u64) -> String {
    let key = mix(seed ^ 0x5052_4547);
    let head = (index ^ key).wrapping_mul(ID_MULTIPLIER);
    let mut id = format!("{head:016x}");
    for part in 0..3 {
        let tail = hash(
            seed,
            Stream::PregId,
            index.wrapping_mul(4).wrapping_add(part),
        );
        let _ = write!(id, "{tail:016x}");
    }
    id
}

/// The index encoded in a person id, if the id is one of ours for this seed.
pub(crate) fn person_id_index(seed: u64, id: &str) -> Option<u64> {
    if id.len() != 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let head = u64::from_str_radix(&id[..16], 16).ok()?;
    let key = mix(seed ^ 0x5052_4547);
    let index = head.wrapping_mul(id_inverse_multiplier()) ^ key;
    (person_id(seed, index) == id).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orgnr_round_trips_and_is_valid() {
        for index in (0..200_000).step_by(997).chain([0, 1, 8, 9, 10]) {
            let number = orgnr(ENHET_BLOCK, index);
            assert_eq!(orgnr_index(ENHET_BLOCK, number), Some(index));
            assert_eq!(orgnr_index(UNDERENHET_BLOCK, number), None);
            assert!(org_check_digit(number / 10) == Some(number % 10));
        }
    }

    #[test]
    fn nin_scheme_round_trips() {
        let first = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap_or_default();
        let scheme = NinScheme::new(first, last, (400, 499), (400, 499));
        for index in (0..2_000_000).step_by(7_771) {
            let Some((date, individual, digits)) = scheme.parts(index, false) else {
                continue;
            };
            let parts = decode_tenor(&digits_to_string(&digits));
            assert_eq!(
                parts,
                Some(NinParts {
                    date,
                    individual,
                    d_number: false
                })
            );
            assert_eq!(parts.and_then(|p| scheme.index(p)), Some(index));
        }
    }

    #[test]
    fn capacity_constants_hold() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let hpr = NinScheme::new(date(1950, 1, 1), date(1999, 12, 31), (400, 499), (400, 499));
        assert!(hpr.min_capacity(1, false) >= HPR_MIN_CAPACITY);
        let general = NinScheme::new(date(1925, 1, 1), date(2024, 12, 31), (0, 399), (500, 999));
        assert!(general.min_capacity(13, false) >= GENERAL_MIN_CAPACITY);
        assert!(general.min_capacity(13, true) >= GENERAL_MIN_CAPACITY);
    }

    #[test]
    fn person_ids_decode() {
        for index in [0, 1, 2, 99, 5_999_999] {
            let id = person_id(42, index);
            assert_eq!(id.len(), 64);
            assert_eq!(person_id_index(42, &id), Some(index));
            assert_eq!(person_id_index(43, &id), None);
        }
    }
}

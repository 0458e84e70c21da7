//! 7704 Godkjenningstype / autorisasjon (HPR `autorisasjon` on each approval).
//!
//! Only `1 Autorisasjon` has a verified label (no-basis FHIR examples, NHN HelseID claim docs).
//! Which of the other values is "Lisens" and so on is unverified, so they have no table entry
//! and show upstream's own `navn`; IDENTIFIERS.md §8.

use super::Concept;

/// The verified entries of 7704.
pub const TABLE: &[Concept] = &[Concept::new("1", "Autorisasjon")];

/// The value of full authorisation ("autorisasjon").
pub const AUTHORISATION: &str = "1";

/// The 7704 values that count as a valid authorisation to practise.
///
/// Taken from NAV's rules (IDENTIFIERS.md §8), the only documented production use: `1, 2, 4,
/// 14, 17, 18`. Value `3` is left out although older NAV rules accepted it, because NAV now
/// treats it as "student" — a student must not pass as authorised.
pub const COUNTS_AS_AUTHORISATION: &[&str] = &["1", "2", "4", "14", "17", "18"];

/// Whether a 7704 value counts as a valid authorisation to practise (see
/// [`COUNTS_AS_AUTHORISATION`]). Leading zeros and white space are ignored.
pub fn counts_as_authorisation(value: &str) -> bool {
    let value = value.trim().trim_start_matches('0');
    COUNTS_AS_AUTHORISATION.contains(&value)
}

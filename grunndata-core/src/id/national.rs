//! Person numbers: fødselsnummer, D-nummer, H-nummer and FH-nummer.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::{self, weighted_mod11};
use super::{IdError, fhir};

/// Weights of K1 over digits 1–9; with K1 weighted 1 the classic rule wants the sum ≡ 0 (mod 11).
const K1_WEIGHTS: [u32; 10] = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1];
/// Weights of K2 over digits 1–10 (K1 included); with K2 weighted 1 the sum must be ≡ 0 (mod 11).
const K2_WEIGHTS: [u32; 11] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/// What kind of person number an 11-digit [`NationalId`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NationalIdKind {
    /// Fødselsnummer: the birth number of persons registered in Folkeregisteret.
    Fodselsnummer,
    /// D-nummer: for persons without a fødselsnummer; the day is given plus 40.
    DNummer,
    /// H-nummer: an organisation-internal help number; the month is given plus 40.
    HNummer,
    /// FH-nummer (felles hjelpenummer, Norsk helsenett): first digit 8 or 9, no birth date encoded.
    FhNummer,
}

impl NationalIdKind {
    /// The name used in output and JSON (`fodselsnummer`, `d-nummer`, `h-nummer`, `fh-nummer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fodselsnummer => "fodselsnummer",
            Self::DNummer => "d-nummer",
            Self::HNummer => "h-nummer",
            Self::FhNummer => "fh-nummer",
        }
    }

    /// The FHIR identifier system, where the kind has a national one.
    ///
    /// H-numbers are local to the organisation that issued them, so they have none.
    pub fn fhir_system(self) -> Option<&'static str> {
        match self {
            Self::Fodselsnummer => Some(fhir::FNR),
            Self::DNummer => Some(fhir::DNR),
            Self::FhNummer => Some(fhir::FHN),
            Self::HNummer => None,
        }
    }
}

impl fmt::Display for NationalIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule the first check digit (K1) satisfies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckDigitRule {
    /// Valid under the classic rule (and therefore also under the 2032 rule).
    Classic,
    /// Valid only under the rule for numbers issued from 1 January 2032 (K1 remainder 1, 2 or 3).
    /// Such numbers encode neither century nor gender.
    Rule2032,
}

/// Gender as encoded in the ninth digit of numbers issued before 2032.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Odd ninth digit.
    Male,
    /// Even ninth digit.
    Female,
}

impl Gender {
    /// `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }
}

/// A validated 11-digit Norwegian person number.
///
/// Covers fødselsnummer, D-nummer, H-nummer and FH-nummer (see [`NationalIdKind`]), under both
/// the classic check-digit rule and the rule for numbers issued from 2032, and recognises Tenor
/// synthetic test numbers (Tenor month plus 80, NHN test data plus 65, Dolly D-numbers), which
/// are flagged [`is_synthetic`](Self::is_synthetic).
///
/// `Debug` masks the personal part (`NationalId(301082*****)`); use [`masked`](Self::masked) in
/// log lines. There is no `Display`: the 11 digits come only from [`expose`](Self::expose)
/// and serde, so a whole number is never printed by accident.
///
/// ```
/// use grunndata_core::id::{NationalId, NationalIdKind};
///
/// let nin: NationalId = "301082 99920".parse()?;
/// assert_eq!(nin.kind(), NationalIdKind::Fodselsnummer);
/// assert_eq!(nin.expose(), "30108299920");
/// assert_eq!(format!("{nin:?}"), "NationalId(301082*****)");
///
/// // Valid only under the 2032 rule: accepted, but it encodes no birth date or gender.
/// let new_rule: NationalId = "30108299939".parse()?;
/// assert_eq!(new_rule.birth_date(), None);
///
/// // Valid check digits, but a birth date (2 Jan 2032) that has not happened yet.
/// assert!("02013299997".parse::<NationalId>().is_err());
/// # Ok::<(), grunndata_core::id::IdError>(())
/// ```
#[derive(Clone, Copy)]
pub struct NationalId {
    digits: [u8; 11],
    kind: NationalIdKind,
    rule: CheckDigitRule,
    synthetic: bool,
    birth_date: Option<NaiveDate>,
}

impl NationalId {
    /// Parses and validates against today's date (the local clock) for the future-birth-date rule.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        Self::parse_on(input, chrono::Local::now().date_naive())
    }

    /// Parses and validates as of `today`; the pure form of [`parse`](Self::parse).
    pub fn parse_on(input: &str, today: NaiveDate) -> Result<Self, IdError> {
        let digits = digits::exactly::<11>(input)?;
        let rule = match weighted_mod11(&digits[..10], &K1_WEIGHTS) {
            0 => CheckDigitRule::Classic,
            1..=3 => CheckDigitRule::Rule2032,
            _ => return Err(IdError::CheckDigit1),
        };
        if weighted_mod11(&digits, &K2_WEIGHTS) != 0 {
            return Err(IdError::CheckDigit2);
        }
        let mut id = Self {
            digits,
            kind: NationalIdKind::Fodselsnummer,
            rule,
            synthetic: false,
            birth_date: None,
        };
        if digits[0] >= 8 {
            // FH-nummer: no date, gender or century is encoded.
            id.kind = NationalIdKind::FhNummer;
            return Ok(id);
        }
        let raw_day = two(digits[0], digits[1]);
        let raw_month = two(digits[2], digits[3]);
        let (day, d_nummer) = match raw_day {
            41..=71 => (raw_day - 40, true),
            _ => (raw_day, false),
        };
        // The month offsets (IDENTIFIERS.md §3, §4): +40 an H-nummer or one of NAV's Dolly test
        // numbers (the two share the range), +65 NHN Persontjenesten's reserved test data, +80
        // Skatteetaten's Tenor test numbers.
        let (month, plus_40, synthetic) = match raw_month {
            1..=12 => (raw_month, false, false),
            41..=52 => (raw_month - 40, true, false),
            66..=77 => (raw_month - 65, false, true),
            81..=92 => (raw_month - 80, false, true),
            _ => return Err(IdError::ImpossibleMonth { month: raw_month }),
        };
        id.kind = match (d_nummer, plus_40) {
            (false, false) => NationalIdKind::Fodselsnummer,
            (false, true) => NationalIdKind::HNummer,
            (true, _) => NationalIdKind::DNummer,
        };
        // An H-nummer never has a D-nummer's day, so a D-nummer with month +40 is a Dolly
        // test number (`55507608360`).
        id.synthetic = synthetic || (d_nummer && plus_40);
        let year = two(digits[4], digits[5]);
        if !date_exists_in_some_century(year, month, day) {
            return Err(IdError::ImpossibleDate { day, month });
        }
        if rule == CheckDigitRule::Rule2032 {
            // Numbers issued from 2032 encode no century, so no birth date can be derived.
            return Ok(id);
        }
        let individual =
            u16::from(digits[6]) * 100 + u16::from(digits[7]) * 10 + u16::from(digits[8]);
        let Some(century) = century(individual, year) else {
            return Ok(id);
        };
        let Some(date) =
            NaiveDate::from_ymd_opt(century + i32::from(year), month.into(), day.into())
        else {
            // 29 February in a year of this century that is not a leap year.
            return Err(IdError::ImpossibleDate { day, month });
        };
        if date > today {
            if id.kind == NationalIdKind::DNummer {
                // Whether D-nummer individual numbers still indicate the century is unverified
                // (IDENTIFIERS.md §2): a future date means the century is ambiguous, not that
                // the number is wrong.
                return Ok(id);
            }
            return Err(IdError::FutureBirthDate);
        }
        id.birth_date = Some(date);
        Ok(id)
    }

    /// The kind of person number.
    pub fn kind(&self) -> NationalIdKind {
        self.kind
    }

    /// Which rule the first check digit satisfies.
    pub fn check_digit_rule(&self) -> CheckDigitRule {
        self.rule
    }

    /// Whether this is a synthetic test number, never a real person: Skatteetaten's Tenor
    /// (month plus 80), NHN Persontjenesten's reserved test data (month plus 65), or a NAV
    /// Dolly D-nummer (day plus 40 and month plus 40). A month plus 40 alone is read as an
    /// H-nummer, which Dolly's fødselsnumre cannot be told apart from.
    pub fn is_synthetic(&self) -> bool {
        self.synthetic
    }

    /// The birth date, where the number allows deriving it.
    ///
    /// `None` for FH-numbers, for numbers valid only under the 2032 rule, where the individual
    /// number gives no century, and for D-numbers whose century is ambiguous.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// The gender, where the number still encodes it (not for FH-numbers or 2032-rule numbers).
    pub fn gender(&self) -> Option<Gender> {
        if self.kind == NationalIdKind::FhNummer || self.rule == CheckDigitRule::Rule2032 {
            return None;
        }
        Some(if self.digits[8] % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        })
    }

    /// The FHIR identifier system of this number's kind (none for H-numbers).
    pub fn fhir_system(&self) -> Option<&'static str> {
        self.kind.fhir_system()
    }

    /// The whole number, all eleven digits: for the store, an upstream request body, a FHIR
    /// identifier — never for a log line or an error message ([`masked`](Self::masked) is for
    /// those). There is deliberately no `Display`, so the whole number is never printed by
    /// accident:
    ///
    /// ```compile_fail
    /// let nin: grunndata_core::id::NationalId = "30108299920".parse().expect("valid");
    /// println!("{nin}"); // does not compile
    /// ```
    pub fn expose(&self) -> String {
        digits::to_text(&self.digits)
    }

    /// The form for log lines: the first six digits, the personal part masked (`150386*****`).
    pub fn masked(&self) -> String {
        let mut text = digits::to_text(&self.digits[..6]);
        text.push_str("*****");
        text
    }
}

/// Two digits as a number.
fn two(tens: u8, ones: u8) -> u8 {
    tens * 10 + ones
}

/// The century from the individual number (digits 7–9) and the two-digit year, by the table in
/// IDENTIFIERS.md §1. `None` where the table gives no answer.
fn century(individual: u16, year: u8) -> Option<i32> {
    match individual {
        0..=499 => Some(1900),
        500..=749 if year >= 54 => Some(1800),
        500..=999 if year < 40 => Some(2000),
        900..=999 if year >= 40 => Some(1900),
        _ => None,
    }
}

/// Whether day and month exist in 19yy or 20yy (the century may be unknown; 29 February
/// exists in at least one of them exactly when yy is divisible by four).
fn date_exists_in_some_century(year: u8, month: u8, day: u8) -> bool {
    [1900, 2000].into_iter().any(|century| {
        NaiveDate::from_ymd_opt(century + i32::from(year), month.into(), day.into()).is_some()
    })
}

impl FromStr for NationalId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.masked())
    }
}

// Identity is the digits alone; everything else is derived from them.
impl PartialEq for NationalId {
    fn eq(&self, other: &Self) -> bool {
        self.digits == other.digits
    }
}

impl Eq for NationalId {}

impl Hash for NationalId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digits.hash(state);
    }
}

impl PartialOrd for NationalId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NationalId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.digits.cmp(&other.digits)
    }
}

// The canonical JSON of the models keeps the whole number: the store and upstream bodies need
// it. Serialising is an explicit act; printing is not.
impl Serialize for NationalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.expose())
    }
}

impl<'de> Deserialize<'de> for NationalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

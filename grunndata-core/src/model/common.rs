//! Building blocks shared by the register models: validity periods and personal names.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Deserializes a list without spare capacity.
///
/// Serde grows a `Vec` as it reads, and the smallest allocation holds four elements: a person
/// with one address kept room for four. Decoded records live long in lookup caches, and there
/// the spare room was most of a cached person (24 MiB of 20 000 cached persons, BENCHMARKS.md),
/// so the lists of the cached models are shrunk as they are read.
pub(crate) fn compact<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Vec::<T>::deserialize(deserializer)?;
    list.shrink_to_fit();
    Ok(list)
}

/// A validity period of whole days; either end may be open.
///
/// Both ends are **inclusive**: `to` is the last valid day. That is how HPR means `til`
/// ("valid until and including"), and one convention everywhere avoids off-by-one errors
/// between registers. Sources whose end is an instant (AR `validTo`, Persontjenesten `validTo`)
/// are converted by the sync crate to the last day the instant still covers.
///
/// Upstream: HPR REST `periode{fra, til}`, SOAP `Periode{Fra, Til}` / `Gyldig`;
/// Persontjenesten `validFrom`/`validTo` on every history element.
///
/// ```
/// use chrono::NaiveDate;
/// use grunndata_core::model::Period;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let period = Period::new(Some(day(1, 1)), Some(day(3, 31)));
/// assert!(period.contains(day(3, 31))); // `to` is inclusive
/// assert!(!period.contains(day(4, 1)));
/// assert!(Period::UNBOUNDED.contains(day(4, 1)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First valid day; `None` = valid since forever.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub from: Option<NaiveDate>,
    /// Last valid day (inclusive); `None` = open-ended.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub to: Option<NaiveDate>,
}

impl Period {
    /// A period with neither end: always valid.
    pub const UNBOUNDED: Self = Self {
        from: None,
        to: None,
    };

    /// A period from `from` to `to`, both inclusive.
    pub const fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Self {
        Self { from, to }
    }

    /// A period starting on `from` with no end.
    pub const fn starting(from: NaiveDate) -> Self {
        Self {
            from: Some(from),
            to: None,
        }
    }

    /// Whether `date` lies in the period (`from <= date <= to`, open ends unbounded).
    pub fn contains(&self, date: NaiveDate) -> bool {
        !self.starts_after(date) && !self.ended_before(date)
    }

    /// Whether the period has not begun on `date` (`date < from`).
    pub fn starts_after(&self, date: NaiveDate) -> bool {
        self.from.is_some_and(|from| date < from)
    }

    /// Whether the period was over before `date` (`to < date`).
    pub fn ended_before(&self, date: NaiveDate) -> bool {
        self.to.is_some_and(|to| to < date)
    }

    /// Whether the period has no end.
    pub fn is_open_ended(&self) -> bool {
        self.to.is_none()
    }
}

impl fmt::Display for Period {
    /// `2026-01-01 – 2026-03-31`; an open end is left blank (`2026-01-01 –`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (Some(from), Some(to)) => write!(f, "{from} – {to}"),
            (Some(from), None) => write!(f, "{from} –"),
            (None, Some(to)) => write!(f, "– {to}"),
            (None, None) => f.write_str("–"),
        }
    }
}

/// A person's name in parts.
///
/// Upstream: Persontjenesten `PersonName{givenName, middleName, familyName}`; HPR REST
/// `person{fornavn, mellomnavn, etternavn}`, SOAP `Person{Fornavn, Mellomnavn, Etternavn}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Name {
    /// Given name(s) — fornavn / `givenName`.
    pub given: Option<String>,
    /// Middle name(s) — mellomnavn / `middleName`.
    pub middle: Option<String>,
    /// Family name — etternavn / `familyName`.
    pub family: Option<String>,
}

impl Name {
    /// The parts present, in order, separated by single spaces (`Kari Øie Nordmann`).
    pub fn full(&self) -> String {
        [&self.given, &self.middle, &self.family]
            .into_iter()
            .filter_map(|part| part.as_deref().map(str::trim))
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full())
    }
}

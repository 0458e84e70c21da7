//! Upstream shapes → [`HealthPersonnel`](crate::core::model::HealthPersonnel).
//!
//! [`soap`] converts the SOAP `Person`, [`rest`] the REST `HelsepersonUtvidet`; both use the
//! helpers here, so that one rule holds for both shapes:
//!
//! - absent, nil, empty and blank values are "not given";
//! - a value that is given but does not parse (a date, an integer, a boolean) makes the record
//!   malformed, with the path of the field as upstream names it — storing a guess could turn
//!   an ended approval into an open-ended one;
//! - a NIN that fails validation is kept as [`MaybeValid::Invalid`](crate::core::id::MaybeValid)
//!   and never makes the record malformed;
//! - a code without a value (`Verdi`/`verdi` empty) is "not given"; a code without a code
//!   system takes the system its field is documented to use (9060, 7704, 7426, 7702) and is
//!   otherwise kept with an empty system id (decision: the sources give no system for
//!   rekvisisjonsrett, avsluttet status, vilkår or administrative reactions);
//! - a missing period is unbounded ([`Period::UNBOUNDED`](crate::core::model::Period)), as the
//!   model's own default says;
//! - `0001-01-01` (.NET's `DateTime.MinValue`, which WCF writes for an unset non-nillable
//!   `xs:dateTime` such as `Periode.Fra`) is "not given".

pub(crate) mod rest;
pub(crate) mod soap;

use std::fmt;

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

use super::time;
use crate::core::codes::{Code, CodeSystemId};
use crate::core::id::{HprNumber, MaybeValid, NationalId};
use crate::core::model::Period;

/// Why a record did not convert: the field (as upstream names it) and what was wrong.
///
/// The message never holds a NIN: NINs are never parsed strictly, and other values are
/// scrubbed when the error becomes a [`MalformedRecord`](crate::source::MalformedRecord).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// Path of the field, e.g. `Godkjenninger[0].Gyldig.Fra` or `godkjenninger[0].periode.fra`.
    pub(crate) field: String,
    /// What was wrong.
    pub(crate) message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Result of converting one field.
pub(crate) type Converted<T> = Result<T, FieldError>;

/// A field path, built as the converter descends.
#[derive(Debug, Clone)]
pub(crate) struct Path(String);

impl Path {
    /// The root of a record.
    pub(crate) fn root() -> Self {
        Self(String::new())
    }

    /// A child element or property.
    pub(crate) fn field(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_owned())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    /// An array element.
    pub(crate) fn index(&self, name: &str, index: usize) -> Self {
        let path = self.field(name);
        Self(format!("{}[{index}]", path.0))
    }

    /// An error at this path.
    pub(crate) fn error(&self, message: impl Into<String>) -> FieldError {
        FieldError {
            field: self.0.clone(),
            message: message.into(),
        }
    }
}

/// The present (non-null, non-nil) elements of an array with their paths, for error messages.
pub(crate) fn items<'a, T>(
    items: Option<&'a Vec<Option<T>>>,
    parent: &'a Path,
    name: &'a str,
) -> impl Iterator<Item = (&'a T, Path)> + 'a {
    items
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(move |(index, item)| {
            item.as_ref().map(|item| (item, parent.index(name, index)))
        })
}

/// Trimmed text, `None` when absent or blank.
pub(crate) fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// .NET's `DateTime.MinValue`: WCF's "no value" for a non-nillable date-time.
const DOTNET_MIN_YEAR: i32 = 1;

/// A calendar date, `None` when not given.
pub(crate) fn date(value: Option<&str>, path: &Path) -> Converted<Option<NaiveDate>> {
    let date = text(value)
        .map(|value| time::parse_date(&value).map_err(|message| path.error(message)))
        .transpose()?;
    Ok(date.filter(|date| date.year() > DOTNET_MIN_YEAR))
}

/// An instant, `None` when not given.
pub(crate) fn instant(value: Option<&str>, path: &Path) -> Converted<Option<DateTime<Utc>>> {
    let instant = text(value)
        .map(|value| time::parse_instant(&value).map_err(|message| path.error(message)))
        .transpose()?;
    Ok(instant.filter(|instant| instant.year() > DOTNET_MIN_YEAR))
}

/// An integer written as text, `None` when not given.
pub(crate) fn integer(value: Option<&str>, path: &Path) -> Converted<Option<i64>> {
    text(value)
        .map(|value| {
            value
                .parse::<i64>()
                .map_err(|error| path.error(format!("not an integer ({error}): {value:?}")))
        })
        .transpose()
}

/// An `xs:boolean` (`true`, `false`, `1`, `0`), `None` when not given.
pub(crate) fn boolean(value: Option<&str>, path: &Path) -> Converted<Option<bool>> {
    match text(value).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(path.error(format!("not a boolean: {other:?}"))),
    }
}

/// The record's own HPR number (required).
pub(crate) fn hpr_number(value: Option<i64>, path: &Path) -> Converted<HprNumber> {
    let value = value.ok_or_else(|| path.error("missing"))?;
    HprNumber::new(value).map_err(|error| path.error(format!("not an HPR number: {error}")))
}

/// The HPR number a record is replaced by; `0` reads as "none" (decision: WCF writes an unset
/// `int` as 0).
pub(crate) fn replaced_by(value: Option<i64>, path: &Path) -> Converted<Option<HprNumber>> {
    match value {
        None | Some(0) => Ok(None),
        Some(value) => HprNumber::new(value)
            .map(Some)
            .map_err(|error| path.error(format!("not an HPR number: {error}"))),
    }
}

/// A NIN as received: validated, kept as received when invalid, `None` when not given.
pub(crate) fn nin(value: Option<&str>) -> Option<MaybeValid<NationalId>> {
    text(value).map(|value| MaybeValid::from_raw(&value))
}

/// The parts of a code as any upstream shape carries them.
pub(crate) struct CodeParts<'a> {
    /// The code system as sent (SOAP `OID`, REST `kodeverk.id`).
    pub(crate) system: Option<CodeSystemId>,
    /// SOAP `Verdi` / REST `verdi`.
    pub(crate) value: Option<&'a str>,
    /// SOAP `Beskrivelse` / REST `navn`.
    pub(crate) display: Option<&'a str>,
}

/// A code; `None` when it has no value. `default_system` is the field's documented system.
pub(crate) fn code(
    parts: Option<CodeParts<'_>>,
    default_system: Option<&CodeSystemId>,
) -> Option<Code> {
    let parts = parts?;
    let value = text(parts.value)?;
    let system = parts
        .system
        .filter(|system| !system.as_str().is_empty() && system.as_str() != "0")
        .or_else(|| default_system.cloned())
        .unwrap_or_else(|| CodeSystemId::new(""));
    Some(Code {
        system,
        value,
        display: text(parts.display),
    })
}

/// A code that the model requires.
pub(crate) fn required_code(
    parts: Option<CodeParts<'_>>,
    default_system: Option<&CodeSystemId>,
    path: &Path,
) -> Converted<Code> {
    code(parts, default_system).ok_or_else(|| path.error("missing code value"))
}

/// A period from its two ends as text; unbounded when the period is not given.
pub(crate) fn period(
    ends: Option<(Option<&str>, Option<&str>)>,
    path: &Path,
    from: &str,
    to: &str,
) -> Converted<Period> {
    let Some((start, end)) = ends else {
        return Ok(Period::UNBOUNDED);
    };
    Ok(Period::new(
        date(start, &path.field(from))?,
        date(end, &path.field(to))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_upstream() {
        let path = Path::root()
            .index("Godkjenninger", 0)
            .field("Gyldig")
            .field("Fra");
        assert_eq!(path.error("x").field, "Godkjenninger[0].Gyldig.Fra");
    }

    #[test]
    fn dotnet_min_value_is_not_given() {
        let path = Path::root().field("Fra");
        assert_eq!(date(Some("0001-01-01T00:00:00"), &path), Ok(None));
        assert_eq!(instant(Some("0001-01-01T00:00:00"), &path), Ok(None));
        assert!(date(Some("0002-01-01"), &path).is_ok_and(|d| d.is_some()));
    }

    #[test]
    fn scalars_parse_or_name_the_field() {
        let path = Path::root().field("Id");
        assert_eq!(integer(Some(" 42 "), &path), Ok(Some(42)));
        assert_eq!(integer(Some(""), &path), Ok(None));
        assert_eq!(
            integer(Some("4x"), &path).map_err(|e| e.field),
            Err("Id".to_owned())
        );
        assert_eq!(boolean(Some("1"), &path), Ok(Some(true)));
        assert!(boolean(Some("ja"), &path).is_err());
        assert_eq!(replaced_by(Some(0), &path), Ok(None));
        assert!(hpr_number(Some(-1), &path).is_err());
        assert!(hpr_number(None, &path).is_err());
    }

    #[test]
    fn codes_fall_back_to_the_documented_system() {
        let parts = |system: Option<&str>, value: Option<&'static str>| CodeParts {
            system: system.map(CodeSystemId::new),
            value,
            display: Some(" Lege "),
        };
        let category = code(
            Some(parts(Some("0"), Some("LE"))),
            Some(&CodeSystemId::CATEGORY),
        );
        assert_eq!(category.as_ref().map(|c| c.system.as_str()), Some("9060"));
        assert_eq!(category.and_then(|c| c.display), Some("Lege".to_owned()));
        let unknown = code(Some(parts(None, Some("1"))), None);
        assert_eq!(
            unknown.map(|c| c.system.as_str().to_owned()),
            Some(String::new())
        );
        assert_eq!(code(Some(parts(Some("9060"), Some("  "))), None), None);
    }
}

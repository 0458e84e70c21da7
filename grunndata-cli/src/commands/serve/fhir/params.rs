//! FHIR search parameters: parsed strictly (an unknown parameter is a 400, not silently
//! ignored), with `_count` capped, `_lastUpdated` prefixes and token `system|value`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::commands::serve::error::ApiError;

/// `_count` when not given.
pub const DEFAULT_COUNT: usize = 20;
/// The largest page; a larger `_count` is answered with pages of this size.
pub const MAX_COUNT: usize = 100;
/// The most matches one search considers (name searches are bounded by this).
pub const MAX_MATCHES: usize = 1000;

/// The parameters every search accepts.
const COMMON: &[&str] = &[
    "_count",
    "_offset",
    "_total",
    "_lastUpdated",
    "_include",
    "_format",
];

/// A parsed search request.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The parameters as given (for `self` and `next` links), in order.
    pub raw: Vec<(String, String)>,
    /// Page size.
    pub count: usize,
    /// Matches skipped.
    pub offset: usize,
    /// Whether `Bundle.total` is wanted (`_total` other than `none`).
    pub total: bool,
    /// `_lastUpdated` bounds.
    pub last_updated: Vec<(Prefix, DateTime<Utc>)>,
    /// `_include` values.
    pub include: Vec<String>,
}

/// A comparison prefix of a date parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// `eq` (the default): within the day / the instant's second.
    Eq,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

impl Search {
    /// Parses `pairs`, accepting the common parameters and `allowed`.
    pub fn parse(pairs: Vec<(String, String)>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut search = Self {
            count: DEFAULT_COUNT,
            total: true,
            ..Self::default()
        };
        for (name, value) in &pairs {
            let base = name.split(':').next().unwrap_or(name);
            if !COMMON.contains(&name.as_str()) && !allowed.contains(&base) {
                return Err(ApiError::BadRequest(format!(
                    "unknown or unsupported search parameter `{name}`; see /fhir/metadata"
                )));
            }
            match name.as_str() {
                "_count" => {
                    let count: usize = value.parse().map_err(|_| {
                        ApiError::BadRequest("`_count` must be a whole number".to_owned())
                    })?;
                    search.count = count.min(MAX_COUNT);
                }
                "_offset" => {
                    search.offset = value.parse().map_err(|_| {
                        ApiError::BadRequest("`_offset` must be a whole number".to_owned())
                    })?;
                }
                "_total" => match value.as_str() {
                    "none" => search.total = false,
                    "estimate" | "accurate" => search.total = true,
                    _ => {
                        return Err(ApiError::BadRequest(
                            "`_total` must be none, estimate or accurate".to_owned(),
                        ));
                    }
                },
                "_lastUpdated" => search.last_updated.push(date_param(value)?),
                "_include" => search.include.push(value.clone()),
                "_format"
                    if !matches!(
                        value.as_str(),
                        "json" | "application/json" | "application/fhir+json"
                    ) =>
                {
                    return Err(ApiError::BadRequest("only JSON is served".to_owned()));
                }
                _ => {}
            }
        }
        search.raw = pairs;
        Ok(search)
    }

    /// The values of parameter `name` (exact name, no modifier).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.raw
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Whether `at` passes every `_lastUpdated` bound.
    pub fn updated_matches(&self, at: DateTime<Utc>) -> bool {
        self.last_updated
            .iter()
            .all(|(prefix, bound)| match prefix {
                Prefix::Eq => at.date_naive() == bound.date_naive(),
                Prefix::Gt => at > *bound,
                Prefix::Ge => at >= *bound,
                Prefix::Lt => at < *bound,
                Prefix::Le => at <= *bound,
            })
    }
}

/// `ge2026-01-01` / `lt2026-01-01T10:00:00Z` into a prefix and an instant (a day is its
/// first instant, UTC).
fn date_param(value: &str) -> Result<(Prefix, DateTime<Utc>), ApiError> {
    let (prefix, rest) = match value.get(..2) {
        Some("eq") => (Prefix::Eq, &value[2..]),
        Some("gt") => (Prefix::Gt, &value[2..]),
        Some("ge") => (Prefix::Ge, &value[2..]),
        Some("lt") => (Prefix::Lt, &value[2..]),
        Some("le") => (Prefix::Le, &value[2..]),
        _ => (Prefix::Eq, value),
    };
    if let Ok(day) = rest.parse::<NaiveDate>() {
        return Ok((prefix, day.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    DateTime::parse_from_rfc3339(rest)
        .map(|at| (prefix, at.with_timezone(&Utc)))
        .map_err(|_| {
            ApiError::BadRequest(
                "`_lastUpdated` must be a date or instant with an optional prefix (eq, gt, ge, lt, le)"
                    .to_owned(),
            )
        })
}

/// A token `system|value` split; a value without `|` has no system.
pub fn token(value: &str) -> (Option<&str>, &str) {
    match value.split_once('|') {
        Some((system, value)) => (Some(system), value),
        None => (None, value),
    }
}

/// A reference parameter (`Organization/enh-1`, or a bare id) as the id, checking the type.
pub fn reference_id<'a>(value: &'a str, resource: &str) -> Result<&'a str, ApiError> {
    match value.split_once('/') {
        Some((kind, id)) if kind == resource => Ok(id),
        Some(_) => Err(ApiError::BadRequest(format!(
            "the reference must be to a {resource}"
        ))),
        None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn counts_are_capped_and_unknown_parameters_refused() {
        let search = Search::parse(pairs(&[("_count", "1000000")]), &[]).unwrap_or_default();
        assert_eq!(search.count, MAX_COUNT);
        assert!(Search::parse(pairs(&[("_count", "-1")]), &[]).is_err());
        assert!(Search::parse(pairs(&[("colour", "red")]), &["name"]).is_err());
        assert!(Search::parse(pairs(&[("name:contains", "x")]), &["name"]).is_ok());
    }

    #[test]
    fn last_updated_prefixes() {
        let search = Search::parse(
            pairs(&[
                ("_lastUpdated", "ge2026-01-01"),
                ("_lastUpdated", "lt2026-02-01T00:00:00Z"),
            ]),
            &[],
        )
        .unwrap_or_default();
        let inside = "2026-01-15T10:00:00Z".parse().unwrap_or_default();
        let after = "2026-03-01T00:00:00Z".parse().unwrap_or_default();
        assert!(search.updated_matches(inside));
        assert!(!search.updated_matches(after));
        assert!(Search::parse(pairs(&[("_lastUpdated", "soon")]), &[]).is_err());
    }
}

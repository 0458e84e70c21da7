//! Bulk lookup through search: `GET /enheter?organisasjonsnummer=a,b,c&size=n` (and the same
//! on `/underenheter`), used to refetch the units of a feed page in a few requests instead of
//! one `GET /enheter/{orgnr}` each.
//!
//! The answer is a normal search page (UPSTREAMS.md §1.3): `{"_embedded":{"enheter":[…]},
//! "_links", "page"}` (`underenheter` for sub-units), with no `_embedded` at all when nothing
//! matched. Search returns live units only, so a unit it leaves out — deleted (the single-unit
//! endpoint gives 200 with `slettedato`), unknown (404) or removed (410) — is looked up singly.
//!
//! Each element is parsed on its own, as the bulk files are, so one bad unit cannot spoil the
//! others. An element whose key cannot be read is named by elimination when exactly one asked-for
//! unit is unaccounted for (so its quarantine entry can be resolved by the next good fetch);
//! otherwise it is reported unnamed and the unaccounted units are looked up singly.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::dto::parse_unit;
use crate::core::id::OrgNumber;
use crate::core::model::{Organisation, UnitKind};
use crate::source::{MalformedRecord, Parsed};

/// At most this many organisation numbers go into one search request: the URL stays short
/// (about a kilobyte) and one page holds every answer.
pub(crate) const CHUNK: usize = 100;

/// One search page; only `_embedded` is read.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchPage {
    #[serde(rename = "_embedded", default)]
    embedded: Option<Embedded>,
}

#[derive(Debug, Deserialize)]
struct Embedded {
    #[serde(rename = "enheter", alias = "underenheter", default)]
    items: Vec<Box<RawValue>>,
}

/// What one search answered for the units it was asked about.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    /// Units found (cleanly parsed, or malformed but named), by organisation number.
    pub(crate) found: HashMap<OrgNumber, Parsed<Organisation>>,
    /// Elements that could not be tied to an asked-for unit.
    pub(crate) unnamed: Vec<MalformedRecord>,
}

impl SearchPage {
    /// Parses the elements and ties each to one of the `asked` units.
    pub(crate) fn answer(self, unit: UnitKind, asked: &[OrgNumber]) -> Answer {
        let items = self.embedded.map(|e| e.items).unwrap_or_default();
        let wanted: HashMap<String, OrgNumber> = asked
            .iter()
            .map(|org_number| (org_number.to_string(), *org_number))
            .collect();
        let mut answer = Answer::default();
        for item in items {
            let parsed = parse_unit(item.get().as_bytes(), unit);
            let key = match &parsed {
                Parsed::Record(record) => Some(record.org_number.to_string()),
                Parsed::Malformed(malformed) => malformed.upstream_id.clone(),
            };
            match (key, parsed) {
                (None, Parsed::Malformed(malformed)) => answer.unnamed.push(malformed),
                (Some(key), parsed) => {
                    // A unit not asked for is not applied: no event dates it.
                    if let Some(key) = wanted.get(&key) {
                        answer.found.insert(*key, parsed);
                    }
                }
                (None, Parsed::Record(_)) => {}
            }
        }
        if let [_] = answer.unnamed.as_slice() {
            let mut missing = asked.iter().filter(|key| !answer.found.contains_key(key));
            if let (Some(key), None) = (missing.next(), missing.next())
                && let Some(mut malformed) = answer.unnamed.pop()
            {
                malformed.upstream_id = Some(key.to_string());
                answer.found.insert(*key, Parsed::Malformed(malformed));
            }
        }
        answer
    }
}

/// `a,b,c` for the `organisasjonsnummer` parameter, each number once.
pub(crate) fn list(keys: &[OrgNumber]) -> String {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter()
        .filter(|key| seen.insert(**key))
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(text: &str) -> OrgNumber {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn page(json: &str) -> SearchPage {
        serde_json::from_str(json).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn empty_page_has_no_embedded() {
        let answer = page(r#"{"_links":{},"page":{"size":2,"totalElements":0}}"#)
            .answer(UnitKind::MainUnit, &[org("974760673")]);
        assert!(answer.found.is_empty() && answer.unnamed.is_empty());
    }

    #[test]
    fn elements_are_tied_to_asked_units_and_a_lone_keyless_one_is_named() {
        let asked = [org("974760673"), org("988077917"), org("923609016")];
        let json = r#"{"_embedded":{"enheter":[
            {"organisasjonsnummer":"974760673","navn":"A"},
            {"organisasjonsnummer":"988077917","registreringsdatoEnhetsregisteret":"x"},
            {"navn":"no key"},
            {"organisasjonsnummer":"310000019","navn":"not asked"}
        ]},"page":{"size":3}}"#;
        let answer = page(json).answer(UnitKind::MainUnit, &asked);
        assert!(matches!(
            answer.found.get(&asked[0]),
            Some(Parsed::Record(record)) if record.name.as_deref() == Some("A")
        ));
        assert!(matches!(
            answer.found.get(&asked[1]),
            Some(Parsed::Malformed(_))
        ));
        match answer.found.get(&asked[2]) {
            Some(Parsed::Malformed(malformed)) => {
                assert_eq!(malformed.upstream_id.as_deref(), Some("923609016"));
            }
            other => panic!("the keyless element is the one unaccounted unit: {other:?}"),
        }
        assert!(answer.unnamed.is_empty());
        assert_eq!(answer.found.len(), 3);
    }

    #[test]
    fn keyless_elements_stay_unnamed_when_ambiguous() {
        let asked = [org("974760673"), org("988077917"), org("923609016")];
        let json = r#"{"_embedded":{"enheter":[
            {"organisasjonsnummer":"974760673","navn":"A"},
            {"navn":"no key"}
        ]}}"#;
        let answer = page(json).answer(UnitKind::MainUnit, &asked);
        assert_eq!((answer.found.len(), answer.unnamed.len()), (1, 1));
    }

    #[test]
    fn lists_each_number_once() {
        let keys = [org("974760673"), org("988077917"), org("974760673")];
        assert_eq!(list(&keys), "974760673,988077917");
    }
}

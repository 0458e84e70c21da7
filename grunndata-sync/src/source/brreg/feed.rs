//! The change feeds `GET /oppdateringer/enheter` and `GET /oppdateringer/underenheter`:
//! their page envelope, events, and how a page of events is reduced before refetching.
//!
//! Response (UPSTREAMS.md §1.2): `{"_embedded":{"oppdaterteEnheter":[…]}, "_links", "page"}`
//! (`oppdaterteUnderenheter` for sub-units); an empty page has no `_embedded` at all.
//! Each event: `{oppdateringsid, dato, organisasjonsnummer, endringstype, _links}`.
//!
//! Reduction (our decision; the feed documents no ordering or uniqueness guarantee):
//! events below the requested `oppdateringsid` are dropped (a replay or an out-of-order
//! leftover), duplicates collapse, and only the latest event per unit is kept — the unit is
//! refetched anyway, so its current state already reflects every earlier event. Survivors are
//! ordered by `oppdateringsid`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::cursor::parse_dato;
use crate::core::id::OrgNumber;
use crate::source::MalformedRecord;
use crate::store::Register;

/// One page of a feed.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdatesPage {
    #[serde(rename = "_embedded", default)]
    embedded: Option<Embedded>,
}

#[derive(Debug, Deserialize)]
struct Embedded {
    #[serde(
        rename = "oppdaterteEnheter",
        alias = "oppdaterteUnderenheter",
        default
    )]
    items: Vec<serde_json::Value>,
}

impl UpdatesPage {
    /// The raw events (each parsed on its own, so one bad event cannot spoil the page).
    pub(crate) fn into_items(self) -> Vec<serde_json::Value> {
        self.embedded
            .map(|embedded| embedded.items)
            .unwrap_or_default()
    }
}

/// One event as Brreg sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdateDto {
    #[serde(rename = "oppdateringsid")]
    id: u64,
    #[serde(rename = "dato", default, deserialize_with = "timestamp")]
    at: Option<DateTime<Utc>>,
    #[serde(rename = "organisasjonsnummer")]
    org_number: String,
    #[serde(rename = "endringstype", default)]
    change: Option<String>,
}

/// `endringstype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// `Ny`: added — fetch and upsert.
    New,
    /// `Endring`: changed — fetch and upsert.
    Changed,
    /// `Sletting`: deleted from the register — fetch; the unit comes back with `slettedato` and
    /// is kept, marked deleted.
    Deleted,
    /// `Fjernet`: removed from open data — purge from the mirror (no fetch).
    Removed,
    /// `Ukjent`, a missing value, or a value this version does not know — fetch and see.
    Unknown,
}

impl ChangeType {
    /// Reads Brreg's word; anything unrecognised is `Unknown` (refetch is always safe).
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::trim) {
            Some("Ny") => Self::New,
            Some("Endring") => Self::Changed,
            Some("Sletting") => Self::Deleted,
            Some("Fjernet") => Self::Removed,
            _ => Self::Unknown,
        }
    }
}

/// An event that survived reduction.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) id: u64,
    pub(crate) at: Option<DateTime<Utc>>,
    pub(crate) org_number: OrgNumber,
    pub(crate) change: ChangeType,
}

/// What a page of raw events reduces to.
#[derive(Debug, Default)]
pub(crate) struct Reduced {
    /// The latest event per unit, by `oppdateringsid`.
    pub(crate) events: Vec<Event>,
    /// Events that did not parse.
    pub(crate) malformed: Vec<MalformedRecord>,
    /// The highest `oppdateringsid` on the page (parsed events only), if any.
    pub(crate) max_id: Option<u64>,
}

/// Parses and reduces one page of raw events; `from` is the requested inclusive lower bound
/// (events below it are dropped).
pub(crate) fn reduce(items: Vec<serde_json::Value>, from: Option<u64>) -> Reduced {
    let mut reduced = Reduced::default();
    let mut latest: HashMap<OrgNumber, Event> = HashMap::with_capacity(items.len());
    for item in items {
        let dto: UpdateDto = match serde_path_to_error::deserialize(&item) {
            Ok(dto) => dto,
            Err(error) => {
                // Still move past it when its id is readable.
                let id = item
                    .get("oppdateringsid")
                    .and_then(serde_json::Value::as_u64);
                reduced.max_id = reduced.max_id.max(id);
                let upstream_id = item
                    .get("organisasjonsnummer")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
                let raw = serde_json::to_vec(&item).unwrap_or_default();
                reduced.malformed.push(MalformedRecord::from_path_error(
                    Register::Brreg,
                    upstream_id,
                    &error,
                    &raw,
                ));
                continue;
            }
        };
        reduced.max_id = reduced.max_id.max(Some(dto.id));
        if from.is_some_and(|from| dto.id < from) {
            continue;
        }
        let org_number = match OrgNumber::parse(&dto.org_number) {
            Ok(org_number) => org_number,
            Err(error) => {
                reduced.malformed.push(MalformedRecord::new(
                    Register::Brreg,
                    Some(dto.org_number.clone()),
                    Some("organisasjonsnummer".to_owned()),
                    &format!("invalid organisasjonsnummer in event {}: {error}", dto.id),
                    serde_json::to_vec(&item).unwrap_or_default(),
                ));
                continue;
            }
        };
        let event = Event {
            id: dto.id,
            at: dto.at,
            org_number,
            change: ChangeType::parse(dto.change.as_deref()),
        };
        match latest.get(&org_number) {
            Some(kept) if kept.id >= event.id => {}
            _ => {
                latest.insert(org_number, event);
            }
        }
    }
    let mut events: Vec<Event> = latest.into_values().collect();
    events.sort_by_key(|event| event.id);
    reduced.events = events;
    reduced
}

/// `dato`: a timestamp; unreadable text makes the event malformed.
fn timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_dato(text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a timestamp"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(id: u64, org: &str, change: &str) -> serde_json::Value {
        json!({"oppdateringsid": id, "dato": "2020-10-05T04:01:22.299Z",
               "organisasjonsnummer": org, "endringstype": change,
               "_links": {"enhet": {"href": "x"}}})
    }

    #[test]
    fn keeps_latest_per_unit_in_id_order_and_drops_replays() {
        let items = vec![
            event(12, "974760673", "Endring"),
            event(10, "974760673", "Ny"),
            event(11, "988077917", "Sletting"),
            event(11, "988077917", "Sletting"),
            event(9, "923609016", "Ny"),
            json!({"oppdateringsid": "x"}),
            event(13, "123456789", "Ny"),
        ];
        let reduced = reduce(items, Some(10));
        let seen: Vec<(u64, String, ChangeType)> = reduced
            .events
            .iter()
            .map(|event| (event.id, event.org_number.to_string(), event.change))
            .collect();
        assert_eq!(
            seen,
            [
                (11, "988077917".to_owned(), ChangeType::Deleted),
                (12, "974760673".to_owned(), ChangeType::Changed),
            ]
        );
        assert_eq!(reduced.max_id, Some(13));
        assert_eq!(reduced.malformed.len(), 2);
        assert_eq!(
            reduced.malformed[1].upstream_id.as_deref(),
            Some("123456789")
        );
    }

    #[test]
    fn change_types() {
        let cases = [
            (Some("Ny"), ChangeType::New),
            (Some("Endring"), ChangeType::Changed),
            (Some("Sletting"), ChangeType::Deleted),
            (Some("Fjernet"), ChangeType::Removed),
            (Some("Ukjent"), ChangeType::Unknown),
            (Some("Nytt ord"), ChangeType::Unknown),
            (None, ChangeType::Unknown),
        ];
        for (text, expected) in cases {
            assert_eq!(ChangeType::parse(text), expected);
        }
    }
}

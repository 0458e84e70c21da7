//! The event feed `GET {b}/event?sequenceNumber=N` and `GET {b}/event/latest`: envelopes, and
//! how a page of events is reduced to the tracked persons to refetch.
//!
//! `EventDocument{sequenceNumber (a string!), personId, eventType}`; a page holds up to 1000.
//! Reduction (our decision): events below the requested `sequenceNumber` are dropped (replays,
//! out-of-order leftovers); events of persons that are not tracked are skipped without any
//! request; of the rest, only the latest per person is kept, remembering whether any of its
//! events changes identity (merge, split, NIN change), which makes the client follow the NINs.

use std::collections::HashMap;

use serde::Deserialize;

use super::tracked::TrackedPersons;
use crate::source::MalformedRecord;
use crate::store::Register;

/// `EventDocumentSearchResult{results, startIndex, endIndex}`.
#[derive(Debug, Deserialize)]
pub(crate) struct EventSearchResultDto {
    #[serde(rename = "results", default)]
    pub(crate) results: Option<Vec<serde_json::Value>>,
    #[serde(rename = "startIndex", default)]
    #[allow(
        dead_code,
        reason = "deprecated upstream; read so the field list matches the spec"
    )]
    start_index: Option<i64>,
    #[serde(rename = "endIndex", default)]
    #[allow(
        dead_code,
        reason = "deprecated upstream; read so the field list matches the spec"
    )]
    end_index: Option<i64>,
}

/// `EventDocument`.
#[derive(Debug, Deserialize)]
pub(crate) struct EventDocumentDto {
    #[serde(rename = "sequenceNumber", default)]
    pub(crate) sequence_number: Option<serde_json::Value>,
    #[serde(rename = "personId", default)]
    pub(crate) person_id: Option<String>,
    #[serde(rename = "eventType", default)]
    pub(crate) event_type: Option<String>,
}

impl EventDocumentDto {
    /// The sequence number: a decimal string per the spec; a JSON number is accepted too.
    pub(crate) fn sequence(&self) -> Option<i64> {
        match self.sequence_number.as_ref()? {
            serde_json::Value::String(text) => text.trim().parse().ok(),
            serde_json::Value::Number(number) => number.as_i64(),
            _ => None,
        }
    }
}

/// Event types after which a person's NINs may belong to another person id.
const IDENTITY_EVENTS: &[&str] = &[
    "PersonIsDiscontinued",
    "PersonIsContinuedAsValidUponMerger",
    "PersonIsDiscontinuedAsDuplicate",
    "PersonIsChangedBySplitting",
    "PersonIsRestoredBySplitting",
    "ChangeInNorwegianIdentificationNumber",
];

/// A tracked person to refetch.
#[derive(Debug, Clone)]
pub(crate) struct Refetch {
    pub(crate) sequence_number: i64,
    pub(crate) person_id: String,
    /// Some event of the person changes identity: follow its NINs after refetching.
    pub(crate) identity_changed: bool,
}

/// A reduced page.
#[derive(Debug, Default)]
pub(crate) struct Reduced {
    pub(crate) refetch: Vec<Refetch>,
    pub(crate) malformed: Vec<MalformedRecord>,
    pub(crate) max_sequence: Option<i64>,
    pub(crate) skipped: usize,
}

/// Parses and reduces one page from `from` (inclusive), keeping tracked persons only.
pub(crate) fn reduce(
    items: Vec<serde_json::Value>,
    from: i64,
    tracked: &dyn TrackedPersons,
) -> Reduced {
    let mut reduced = Reduced::default();
    let mut latest: HashMap<String, Refetch> = HashMap::new();
    for item in items {
        let parsed: Result<EventDocumentDto, _> = serde_path_to_error::deserialize(&item);
        let (dto, sequence) = match parsed {
            Ok(dto) => {
                let sequence = dto.sequence();
                (dto, sequence)
            }
            Err(error) => {
                let upstream_id = item
                    .get("personId")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
                reduced.malformed.push(MalformedRecord::from_path_error(
                    Register::Preg,
                    upstream_id,
                    &error,
                    &serde_json::to_vec(&item).unwrap_or_default(),
                ));
                continue;
            }
        };
        let (Some(sequence), Some(person_id)) = (sequence, dto.person_id.as_deref()) else {
            let field = if sequence.is_none() {
                "sequenceNumber"
            } else {
                "personId"
            };
            reduced.max_sequence = reduced.max_sequence.max(sequence);
            reduced.malformed.push(MalformedRecord::new(
                Register::Preg,
                dto.person_id.clone(),
                Some(field.to_owned()),
                &format!("event without a usable {field}"),
                serde_json::to_vec(&item).unwrap_or_default(),
            ));
            continue;
        };
        reduced.max_sequence = reduced.max_sequence.max(Some(sequence));
        if sequence < from || !tracked.is_tracked(person_id) {
            reduced.skipped += 1;
            continue;
        }
        let identity = dto
            .event_type
            .as_deref()
            .is_some_and(|kind| IDENTITY_EVENTS.contains(&kind));
        latest
            .entry(person_id.to_owned())
            .and_modify(|kept| {
                kept.identity_changed |= identity;
                kept.sequence_number = kept.sequence_number.max(sequence);
            })
            .or_insert(Refetch {
                sequence_number: sequence,
                person_id: person_id.to_owned(),
                identity_changed: identity,
            });
    }
    let mut refetch: Vec<Refetch> = latest.into_values().collect();
    refetch.sort_by_key(|item| item.sequence_number);
    reduced.refetch = refetch;
    reduced
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    fn event(sequence: &str, person: &str, kind: &str) -> serde_json::Value {
        json!({"sequenceNumber": sequence, "personId": person, "eventType": kind})
    }

    #[test]
    fn skips_untracked_and_keeps_latest_tracked() {
        let tracked: HashSet<String> = ["a".to_owned(), "b".to_owned()].into();
        let items = vec![
            event("10", "a", "ChangeInName"),
            event("11", "x", "ChangeInName"),
            event("12", "b", "PersonIsDiscontinuedAsDuplicate"),
            event("13", "a", "ChangeInResidentialAddress"),
            event("13", "a", "ChangeInResidentialAddress"),
            event("9", "b", "ChangeInName"),
            json!({"sequenceNumber": "oops", "personId": "a"}),
            json!({"sequenceNumber": 14}),
        ];
        let reduced = reduce(items, 10, &tracked);
        let seen: Vec<(i64, &str, bool)> = reduced
            .refetch
            .iter()
            .map(|item| {
                (
                    item.sequence_number,
                    item.person_id.as_str(),
                    item.identity_changed,
                )
            })
            .collect();
        assert_eq!(seen, [(12, "b", true), (13, "a", false)]);
        assert_eq!(reduced.max_sequence, Some(14));
        assert_eq!(reduced.skipped, 2);
        assert_eq!(reduced.malformed.len(), 2);
    }
}

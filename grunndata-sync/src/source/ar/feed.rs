//! The export (`GET /api/v1/communicationparty/export`) and the event feed
//! (`GET /api/v1/event`): envelopes, and how a page of events is reduced before refetching.
//!
//! Reduction (our decision; the docs promise neither order nor uniqueness): events below the
//! requested `fromSequenceNumber` are dropped, duplicates collapse, and only the latest event
//! per HER-id is kept — the party is refetched whole, so one fetch covers every event before
//! it. Survivors are ordered by `sequenceNumber`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::core::id::HerId;
use crate::source::MalformedRecord;
use crate::source::time::instant;
use crate::store::Register;

/// `CommunicationPartyExport{lastSequenceNumber, count, communicationParties}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ExportDto {
    #[serde(rename = "lastSequenceNumber", default)]
    pub(crate) last_sequence_number: Option<i64>,
    #[serde(rename = "count", default)]
    #[allow(dead_code, reason = "read so the field list matches the spec")]
    pub(crate) count: Option<i64>,
    #[serde(rename = "communicationParties", default)]
    pub(crate) communication_parties: Option<Vec<i64>>,
}

/// `EventsResponse{results, count}`.
#[derive(Debug, Deserialize)]
pub(crate) struct EventsResponseDto {
    #[serde(rename = "results", default)]
    pub(crate) results: Option<Vec<serde_json::Value>>,
    #[serde(rename = "count", default)]
    #[allow(dead_code, reason = "read so the field list matches the spec")]
    pub(crate) count: Option<i64>,
}

/// `Event{sequenceNumber, herId, eventType, eventTimestamp}`.
#[derive(Debug, Deserialize)]
pub(crate) struct EventDto {
    #[serde(rename = "sequenceNumber")]
    pub(crate) sequence_number: i64,
    #[serde(rename = "herId")]
    pub(crate) her_id: i64,
    #[serde(rename = "eventType", default)]
    pub(crate) event_type: Option<String>,
    #[serde(rename = "eventTimestamp", default, deserialize_with = "instant")]
    pub(crate) event_timestamp: Option<DateTime<Utc>>,
}

/// An event that survived reduction.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) sequence_number: i64,
    pub(crate) her_id: HerId,
    pub(crate) at: Option<DateTime<Utc>>,
}

/// A reduced page.
#[derive(Debug, Default)]
pub(crate) struct Reduced {
    pub(crate) events: Vec<Event>,
    pub(crate) malformed: Vec<MalformedRecord>,
    pub(crate) max_sequence: Option<i64>,
}

/// Parses and reduces one page of raw events from `from` (inclusive).
pub(crate) fn reduce(items: Vec<serde_json::Value>, from: i64) -> Reduced {
    let mut reduced = Reduced::default();
    let mut latest: HashMap<HerId, Event> = HashMap::with_capacity(items.len());
    for item in items {
        let dto: EventDto = match serde_path_to_error::deserialize(&item) {
            Ok(dto) => dto,
            Err(error) => {
                let sequence = item
                    .get("sequenceNumber")
                    .and_then(serde_json::Value::as_i64);
                reduced.max_sequence = reduced.max_sequence.max(sequence);
                let upstream_id = item.get("herId").map(ToString::to_string);
                let raw = serde_json::to_vec(&item).unwrap_or_default();
                reduced.malformed.push(MalformedRecord::from_path_error(
                    Register::Ar,
                    upstream_id,
                    &error,
                    &raw,
                ));
                continue;
            }
        };
        reduced.max_sequence = reduced.max_sequence.max(Some(dto.sequence_number));
        if dto.sequence_number < from {
            continue;
        }
        let her_id = match HerId::new(dto.her_id) {
            Ok(her_id) => her_id,
            Err(error) => {
                reduced.malformed.push(MalformedRecord::new(
                    Register::Ar,
                    Some(dto.her_id.to_string()),
                    Some("herId".to_owned()),
                    &format!("invalid HER-id in event {}: {error}", dto.sequence_number),
                    serde_json::to_vec(&item).unwrap_or_default(),
                ));
                continue;
            }
        };
        let event = Event {
            sequence_number: dto.sequence_number,
            her_id,
            at: dto.event_timestamp,
        };
        match latest.get(&her_id) {
            Some(kept) if kept.sequence_number >= event.sequence_number => {}
            _ => {
                latest.insert(her_id, event);
            }
        }
    }
    let mut events: Vec<Event> = latest.into_values().collect();
    events.sort_by_key(|event| event.sequence_number);
    reduced.events = events;
    reduced
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(sequence: i64, her_id: i64) -> serde_json::Value {
        json!({"sequenceNumber": sequence, "herId": her_id,
               "eventType": "CommunicationPartyUpdated",
               "eventTimestamp": "2025-01-02T03:04:05.678+01:00"})
    }

    #[test]
    fn keeps_latest_per_party_and_drops_replays() {
        let items = vec![
            event(7, 8_000_001),
            event(5, 8_000_001),
            event(6, 8_000_002),
            event(6, 8_000_002),
            event(4, 8_000_003),
            event(8, 0),
            json!({"herId": 8_000_004}),
        ];
        let reduced = reduce(items, 5);
        let seen: Vec<(i64, u32)> = reduced
            .events
            .iter()
            .map(|event| (event.sequence_number, event.her_id.get()))
            .collect();
        assert_eq!(seen, [(6, 8_000_002), (7, 8_000_001)]);
        assert_eq!(reduced.max_sequence, Some(8));
        assert_eq!(reduced.malformed.len(), 2);
    }
}

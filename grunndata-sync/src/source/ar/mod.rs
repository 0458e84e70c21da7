//! NHN Adresseregisteret, CommunicationParty API v1 (new model). HelseID + DPoP auth through
//! the [`Authorise`] hook.
//!
//! | operation | endpoints |
//! |---|---|
//! | bootstrap | `GET /api/v1/communicationparty/export?includeDeactivated=` → HER-ids + `lastSequenceNumber`; then `POST /api/v1/communicationparty` `{"herIds":[…]}` in chunks of ≤ 100 |
//! | changes | `GET /api/v1/event?fromSequenceNumber=N&maxEvents=M` (N inclusive, M ≤ 1000), then the bulk POST for the HER-ids seen |
//! | fetch | the bulk POST, chunks of ≤ 100, [`HttpConfig::concurrency`] at a time |
//! | other | `GET /api/v1/communicationparty/{herId}`, `GET /api/v1/event/latest`, `GET /api/v1/organization/{orgnr}`, `GET /api/v1/certificate/{herId}[/signing\|/encryption]` |
//!
//! AR has no delete event: a deactivated party comes as `CommunicationPartyUpdated` with
//! `validTo` in the past and is upserted as such (kept, marked inactive by its validity).
//!
//! Decisions where the spec is silent:
//! - The cursor is the next `fromSequenceNumber` in decimal ([`ArCursor`]); after a bootstrap it
//!   is `lastSequenceNumber + 1`.
//! - A HER-id from an event that the bulk answer leaves out is looked up singly; a 404 there
//!   becomes [`Change::Delete`] (kept in history).
//! - A 410 from the event endpoint is read as "cursor too old" ([`SourceError::CursorExpired`]);
//!   the spec documents only 200.
//! - `eventType` is not used to decide anything: both types mean "refetch".

mod certificates;
mod dto;
mod feed;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderValue};

pub use certificates::{Certificate, CertificatePair, CertificateUse};

use crate::core::id::{HerId, OrgNumber};
use crate::core::model::CommunicationParty;
use crate::source::json_array::parse_each;
use crate::source::{
    Authorise, Change, Cursor, HttpClient, HttpConfig, Page, Parsed, RecordStream, RequestSpec,
    Snapshot, Source, SourceError,
};
use crate::store::Register;

/// Test environment base URL (the spec's `servers`). The production URL is unverified.
pub const TEST_URL: &str = "https://cpapi.test.grunndata.nhn.no";

/// The most HER-ids per bulk request ("up to 100 herIds per request", NHN docs).
pub const MAX_BULK: usize = 100;
/// The most events per page (`maxEvents` maximum in the spec).
pub const MAX_EVENTS: u32 = 1000;

const EXPORT: &str = "/api/v1/communicationparty/export";
const BULK: &str = "/api/v1/communicationparty";
const EVENTS: &str = "/api/v1/event";
const LATEST: &str = "/api/v1/event/latest";

/// Settings of the AR client.
#[derive(Debug, Clone)]
pub struct ArConfig {
    /// Base URL, e.g. [`TEST_URL`] or the fake's `…/ar`.
    pub base_url: String,
    /// Timeouts, retries, concurrency.
    pub http: HttpConfig,
    /// `maxEvents` per feed page (1..=1000).
    pub max_events: u32,
    /// HER-ids per bulk request (1..=100).
    pub bulk_size: usize,
    /// Whether the bootstrap export includes deactivated parties (`includeDeactivated`).
    /// Default `false`, as upstream's default; deactivated parties then enter the mirror only
    /// through the feed.
    pub include_deactivated: bool,
}

impl ArConfig {
    /// Defaults against `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            http: HttpConfig::default(),
            max_events: MAX_EVENTS,
            bulk_size: MAX_BULK,
            include_deactivated: false,
        }
    }
}

/// The AR cursor: the next `fromSequenceNumber` (inclusive), stored in decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArCursor(pub i64);

impl ArCursor {
    /// Reads a stored cursor (a decimal ≥ 1).
    pub fn parse(cursor: &Cursor) -> Result<Self, SourceError> {
        cursor
            .sequence(Register::Ar, "fromSequenceNumber")
            .map(Self)
    }

    /// The cursor text to store.
    pub fn to_cursor(self) -> Cursor {
        Cursor::from_sequence(self.0)
    }
}

impl fmt::Display for ArCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The export: every active HER-id and the feed position it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// `lastSequenceNumber`, if upstream sent one.
    pub last_sequence_number: Option<i64>,
    /// The HER-ids (`communicationParties`); invalid ones are left out and counted.
    pub her_ids: Vec<HerId>,
    /// HER-ids in the export that were not valid (≤ 0).
    pub invalid: usize,
    /// `count`, if upstream sent one.
    pub count: Option<i64>,
}

/// A feed event (`GET /api/v1/event/latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArEvent {
    /// `sequenceNumber`.
    pub sequence_number: i64,
    /// `herId` as received.
    pub her_id: i64,
    /// `eventType` (`CommunicationPartyCreated` | `CommunicationPartyUpdated`).
    pub event_type: Option<String>,
    /// `eventTimestamp`.
    pub at: Option<chrono::DateTime<Utc>>,
}

/// The Adresseregisteret client.
#[derive(Debug, Clone)]
pub struct ArClient {
    http: HttpClient,
    config: ArConfig,
}

impl ArClient {
    /// A client for `config`; `auth` is the HelseID + DPoP hook (`None` only against a fake
    /// that does not check).
    pub fn new(config: ArConfig, auth: Option<Arc<dyn Authorise>>) -> Result<Self, SourceError> {
        let http = HttpClient::builder(Register::Ar, config.base_url.clone())
            .config(config.http.clone())
            .auth(auth)
            .default_header(ACCEPT, HeaderValue::from_static("application/json"))
            .build()?;
        Ok(Self { http, config })
    }

    /// The HTTP client (for tests and diagnostics).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `GET /api/v1/communicationparty/export`.
    pub async fn export(&self) -> Result<Export, SourceError> {
        let spec =
            RequestSpec::get(EXPORT).query("includeDeactivated", self.config.include_deactivated);
        let (_, dto) = self.http.fetch_json::<feed::ExportDto>(&spec).await?;
        let dto = dto.unwrap_or(feed::ExportDto {
            last_sequence_number: None,
            count: None,
            communication_parties: None,
        });
        let raw = dto.communication_parties.unwrap_or_default();
        let total = raw.len();
        let her_ids: Vec<HerId> = raw
            .into_iter()
            .filter_map(|id| HerId::new(id).ok())
            .collect();
        Ok(Export {
            last_sequence_number: dto.last_sequence_number,
            count: dto.count,
            invalid: total - her_ids.len(),
            her_ids,
        })
    }

    /// `GET /api/v1/event/latest`; `None` when there are no events (404).
    pub async fn latest_event(&self) -> Result<Option<ArEvent>, SourceError> {
        let spec = RequestSpec::get(LATEST).allow(StatusCode::NOT_FOUND);
        let (_, dto) = self.http.fetch_json::<feed::EventDto>(&spec).await?;
        Ok(dto.map(|dto| ArEvent {
            sequence_number: dto.sequence_number,
            her_id: dto.her_id,
            event_type: dto.event_type,
            at: dto.event_timestamp,
        }))
    }

    /// `GET /api/v1/communicationparty/{herId}`; `None` on 404.
    pub async fn party(
        &self,
        her_id: HerId,
    ) -> Result<Option<Parsed<CommunicationParty>>, SourceError> {
        self.single(format!("{BULK}/{her_id}")).await
    }

    /// `GET /api/v1/organization/{organizationNumber}`; `None` on 404.
    pub async fn party_by_org_number(
        &self,
        org_number: &OrgNumber,
    ) -> Result<Option<Parsed<CommunicationParty>>, SourceError> {
        self.single(format!("/api/v1/organization/{org_number}"))
            .await
    }

    async fn single(
        &self,
        path: String,
    ) -> Result<Option<Parsed<CommunicationParty>>, SourceError> {
        let spec = RequestSpec::get(path).allow(StatusCode::NOT_FOUND);
        let fetched = self.http.fetch(&spec).await?;
        if fetched.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(dto::parse_party(&fetched.body)))
    }

    /// `POST /api/v1/communicationparty` for at most [`ArConfig::bulk_size`] HER-ids.
    pub async fn bulk(
        &self,
        her_ids: &[HerId],
    ) -> Result<Vec<Parsed<CommunicationParty>>, SourceError> {
        if her_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<u32> = her_ids.iter().map(|id| id.get()).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "herIds": ids })).unwrap_or_default();
        let spec = RequestSpec::post(BULK).json_body(body);
        let fetched = self.http.fetch(&spec).await?;
        parse_each(&fetched.body, dto::parse_party).map_err(|message| SourceError::Envelope {
            register: Register::Ar,
            method: "POST".to_owned(),
            path: BULK.to_owned(),
            field: ".".to_owned(),
            message,
        })
    }

    /// Bulk-fetches any number of HER-ids: chunks of [`ArConfig::bulk_size`], several at once.
    pub async fn fetch_many(
        &self,
        her_ids: &[HerId],
    ) -> Result<Vec<Parsed<CommunicationParty>>, SourceError> {
        let owned: Vec<Vec<HerId>> = her_ids
            .chunks(self.chunk())
            .map(<[HerId]>::to_vec)
            .collect();
        let chunks: Vec<Vec<Parsed<CommunicationParty>>> = stream::iter(owned)
            .map(|chunk| async move { self.bulk(&chunk).await })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// `GET /api/v1/certificate/{herId}?includeHistoric=`.
    pub async fn certificates(
        &self,
        her_id: HerId,
        include_historic: bool,
    ) -> Result<Vec<CertificatePair>, SourceError> {
        let spec = RequestSpec::get(format!("/api/v1/certificate/{her_id}"))
            .query("includeHistoric", include_historic)
            .allow(StatusCode::NOT_FOUND);
        let (_, pairs) = self
            .http
            .fetch_json::<Vec<certificates::CertificatePairDto>>(&spec)
            .await?;
        Ok(pairs
            .unwrap_or_default()
            .into_iter()
            .map(certificates::CertificatePairDto::into_model)
            .collect())
    }

    /// `GET /api/v1/certificate/{herId}/signing|encryption`; `None` on 404.
    pub async fn certificate(
        &self,
        her_id: HerId,
        usage: CertificateUse,
    ) -> Result<Option<Certificate>, SourceError> {
        let spec = RequestSpec::get(format!(
            "/api/v1/certificate/{her_id}/{}",
            usage.path_segment()
        ))
        .allow(StatusCode::NOT_FOUND);
        let (_, dto) = self
            .http
            .fetch_json::<certificates::CertificateDto>(&spec)
            .await?;
        Ok(dto.and_then(certificates::CertificateDto::into_model))
    }

    fn chunk(&self) -> usize {
        self.config.bulk_size.clamp(1, MAX_BULK)
    }
}

impl Source for ArClient {
    type Record = CommunicationParty;

    fn register(&self) -> Register {
        Register::Ar
    }

    async fn bootstrap(&self) -> Result<Snapshot<CommunicationParty>, SourceError> {
        let requested_at = Utc::now();
        let export = self.export().await?;
        if export.invalid > 0 {
            tracing::warn!(
                invalid = export.invalid,
                "AR export held invalid HER-ids; skipped"
            );
        }
        let last = match export.last_sequence_number {
            Some(last) => last,
            // Not in the export: take the feed head now (before fetching), so nothing is missed.
            None => self
                .latest_event()
                .await?
                .map_or(0, |event| event.sequence_number),
        };
        let client = self.clone();
        let chunk = self.chunk();
        let concurrency = self.http.concurrency();
        // Upstream's own count, else the length of its list (invalid HER-ids included: they
        // are part of what upstream holds, and the difference should show).
        let expected = export
            .count
            .and_then(|count| u64::try_from(count).ok())
            .unwrap_or((export.her_ids.len() + export.invalid) as u64);
        let chunks: Vec<Vec<HerId>> = export
            .her_ids
            .chunks(chunk)
            .map(<[HerId]>::to_vec)
            .collect();
        let records: RecordStream<CommunicationParty> = Box::pin(
            stream::iter(chunks)
                .map(move |ids| {
                    let client = client.clone();
                    async move {
                        let mut parsed = client.bulk(&ids).await?;
                        attribute_keyless(&mut parsed, &ids);
                        Ok(parsed)
                    }
                })
                .buffered(concurrency)
                .flat_map(|result| match result {
                    Ok(parsed) => stream::iter(parsed.into_iter().map(Ok).collect::<Vec<_>>()),
                    Err(error) => stream::iter(vec![Err(error)]),
                }),
        );
        Ok(Snapshot {
            records,
            id: format!("lastSequenceNumber {last}"),
            at: requested_at,
            resume: ArCursor(last.max(0) + 1).to_cursor(),
            expected: Some(expected),
        })
    }

    async fn changes(&self, cursor: &Cursor) -> Result<Page<CommunicationParty>, SourceError> {
        let from = ArCursor::parse(cursor)?;
        let max_events = self.config.max_events.clamp(1, MAX_EVENTS);
        let spec = RequestSpec::get(EVENTS)
            .query("fromSequenceNumber", from.0)
            .query("maxEvents", max_events)
            .allow(StatusCode::GONE);
        let (status, page) = self
            .http
            .fetch_json::<feed::EventsResponseDto>(&spec)
            .await?;
        let Some(page) = page else {
            return Err(SourceError::CursorExpired {
                register: Register::Ar,
                cursor: cursor.as_str().to_owned(),
                reason: format!("GET {EVENTS} answered {status}"),
            });
        };
        let items = page.results.unwrap_or_default();
        let sequence_gaps = crate::source::sequence_gaps(Register::Ar, from.0, &items);
        let events_seen = items.len();
        let reduced = feed::reduce(items, from.0);
        let next = ArCursor(
            reduced
                .max_sequence
                .map_or(from.0, |max| from.0.max(max + 1)),
        );
        let caught_up = events_seen < usize::try_from(max_events).unwrap_or(usize::MAX);
        if !caught_up && next == from {
            return Err(SourceError::Envelope {
                register: Register::Ar,
                method: "GET".to_owned(),
                path: EVENTS.to_owned(),
                field: "results".to_owned(),
                message: "a full page without a readable sequenceNumber; cannot move on".to_owned(),
            });
        }
        let mut malformed = reduced.malformed;
        let ids: Vec<HerId> = reduced.events.iter().map(|event| event.her_id).collect();
        let fetched_at = Utc::now();
        let mut found: HashMap<HerId, CommunicationParty> = HashMap::new();
        let mut quarantined: HashSet<String> = HashSet::new();
        for parsed in self.fetch_many(&ids).await? {
            match parsed {
                Parsed::Record(party) => {
                    found.insert(party.her_id, party);
                }
                Parsed::Malformed(record) => {
                    quarantined.extend(record.upstream_id.clone());
                    malformed.push(record);
                }
            }
        }
        let mut changes = Vec::with_capacity(reduced.events.len());
        for event in reduced.events {
            if let Some(record) = found.remove(&event.her_id) {
                changes.push(Change::Upsert {
                    record,
                    changed_at: event.at,
                    fetched_at,
                });
                continue;
            }
            if quarantined.contains(&event.her_id.to_string()) {
                continue;
            }
            match self.party(event.her_id).await? {
                Some(Parsed::Record(record)) => changes.push(Change::Upsert {
                    record,
                    changed_at: event.at,
                    fetched_at: Utc::now(),
                }),
                Some(Parsed::Malformed(record)) => malformed.push(record),
                None => changes.push(Change::Delete {
                    key: event.her_id,
                    at: event.at,
                }),
            }
        }
        Ok(Page {
            changes,
            malformed,
            next_cursor: next.to_cursor(),
            caught_up,
            events_seen,
            sequence_gaps,
        })
    }

    async fn fetch(&self, keys: &[HerId]) -> Result<Vec<Parsed<CommunicationParty>>, SourceError> {
        self.fetch_many(keys).await
    }
}

/// In a snapshot's bulk answer, the one malformed record without a readable HER-id is the one
/// asked-for HER-id that nothing else in the answer accounts for, when exactly one is
/// unaccounted for: naming it lets its quarantine entry be resolved by the next good fetch.
/// Ambiguous cases (several such records) stay unnamed rather than guessed. (The feed does not
/// need this: it looks an unaccounted-for party up singly.)
fn attribute_keyless(parsed: &mut [Parsed<CommunicationParty>], asked: &[HerId]) {
    let is_keyless = |item: &Parsed<CommunicationParty>| matches!(item, Parsed::Malformed(malformed) if malformed.upstream_id.is_none());
    if parsed.iter().filter(|item| is_keyless(item)).count() != 1 {
        return;
    }
    let answered: HashSet<String> = parsed
        .iter()
        .filter_map(|item| match item {
            Parsed::Record(party) => Some(party.her_id.to_string()),
            Parsed::Malformed(malformed) => malformed.upstream_id.clone(),
        })
        .collect();
    let mut missing = asked
        .iter()
        .map(ToString::to_string)
        .filter(|id| !answered.contains(id));
    if let (Some(her_id), None) = (missing.next(), missing.next())
        && let Some(Parsed::Malformed(malformed)) = parsed.iter_mut().find(|item| is_keyless(item))
    {
        malformed.upstream_id = Some(her_id);
    }
}

/// The JSON field names this client reads, per upstream schema: `(schema, names)`.
pub fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    dto::field_names()
}

/// Parses one `CommunicationParty` JSON (for golden tests and tools).
pub fn parse_party(raw: &[u8]) -> Parsed<CommunicationParty> {
    dto::parse_party(raw)
}

//! Brønnøysund Enhetsregisteret, open data API (no auth).
//!
//! | operation | endpoints |
//! |---|---|
//! | bootstrap | `GET /enheter/lastned`, then `GET /underenheter/lastned` (gzip JSON arrays, streamed) |
//! | changes | `GET /oppdateringer/enheter`, `GET /oppdateringer/underenheter` (`oppdateringsid` inclusive, separate counters), then `GET /enheter?organisasjonsnummer=a,b,…` / `GET /underenheter?…` per hundred changed units, and `GET /enheter/{orgnr}` / `GET /underenheter/{orgnr}` for each one search does not return |
//! | fetch | `GET /enheter/{orgnr}`, falling back to `GET /underenheter/{orgnr}` on 404 |
//!
//! `endringstype` → [`Change`]: `Ny`, `Endring`, `Ukjent` and `Sletting` refetch the unit
//! (found → [`Change::Upsert`]; a deleted unit, which search leaves out, comes back from the
//! single-unit endpoint with `slettedato` and is kept, marked; 404 → [`Change::Delete`]; 410 →
//! [`Change::Purge`]); `Fjernet` → [`Change::Purge`] without a fetch.
//!
//! Decisions where the API documentation is silent:
//! - Feed pages are requested with `page=0&size=`[`BrregConfig::page_size`]`&sort=id,ASC` and
//!   the next page is `oppdateringsid = max seen + 1`, as current clients do (observed), which
//!   also keeps clear of the documented 10 000-deep paging cap.
//! - The bulk files carry no `oppdateringsid`, so the resume cursor is a time: the file's
//!   `Last-Modified` (HTTP-date) minus [`BrregConfig::resume_margin`], or — when the header
//!   is missing or not an HTTP-date (one report says it is a Java `Date.toString()`) — the
//!   request time minus [`BrregConfig::fallback_margin`] (files are produced nightly). Replayed
//!   events are idempotent refetches.
//! - Both files are assumed to come from the same nightly run; the `enheter` file's time is
//!   used for both feeds (the `underenheter` request starts only after `enheter` is consumed).
//! - Brreg documents no "cursor too old". Only a 410 from a feed endpoint is read as such
//!   ([`SourceError::CursorExpired`]); a 400 is a [`SourceError::Status`] whatever its text
//!   says (no error text is matched: the only one we know is our fake's). A gap in
//!   `oppdateringsid` is normal and never expiry (docs/upstream-decisions.md, "feed expiry").

mod bulk;
mod cursor;
mod dto;
mod feed;
mod search;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ETAG, HeaderMap, HeaderValue, LAST_MODIFIED};

pub use cursor::{BrregCursor, FeedPosition};
pub use feed::ChangeType;

use crate::core::id::OrgNumber;
use crate::core::model::{Organisation, UnitKind};
use crate::source::{
    Change, Cursor, HttpClient, HttpConfig, Page, Parsed, RecordStream, RequestSpec, Snapshot,
    Source, SourceError,
};
use crate::store::Register;

/// Production base URL.
pub const PRODUCTION_URL: &str = "https://data.brreg.no/enhetsregisteret/api";

const ACCEPT_ENHET: &str = "application/vnd.brreg.enhetsregisteret.enhet.v2+json;charset=UTF-8";
const ACCEPT_UNDERENHET: &str =
    "application/vnd.brreg.enhetsregisteret.underenhet.v2+json;charset=UTF-8";
const ACCEPT_BULK_ENHET: &str =
    "application/vnd.brreg.enhetsregisteret.enhet.v2+gzip;charset=UTF-8";
const ACCEPT_BULK_UNDERENHET: &str =
    "application/vnd.brreg.enhetsregisteret.underenhet.v2+gzip;charset=UTF-8";
// The underenhet variant is UNVERIFIED (UPSTREAMS.md §1); `application/json` is offered too.
const ACCEPT_FEED_ENHET: &str =
    "application/vnd.brreg.enhetsregisteret.oppdatering.enhet.v1+json, application/json;q=0.5";
const ACCEPT_FEED_UNDERENHET: &str =
    "application/vnd.brreg.enhetsregisteret.oppdatering.underenhet.v1+json, application/json;q=0.5";

/// Settings of the Brreg client.
#[derive(Debug, Clone)]
pub struct BrregConfig {
    /// Base URL, e.g. [`PRODUCTION_URL`] or the fake's `…/brreg/enhetsregisteret/api`.
    pub base_url: String,
    /// Timeouts, retries, concurrency.
    pub http: HttpConfig,
    /// Events per feed page (`size`). Clients use up to 10 000 (observed); the maximum is
    /// undocumented.
    pub page_size: u32,
    /// How far before the bulk file's `Last-Modified` the feeds resume.
    pub resume_margin: Duration,
    /// How far before the request time the feeds resume when `Last-Modified` is unusable.
    pub fallback_margin: Duration,
}

impl BrregConfig {
    /// Defaults against `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            http: HttpConfig::default(),
            page_size: 1000,
            resume_margin: Duration::from_hours(2),
            fallback_margin: Duration::from_hours(26),
        }
    }
}

/// The Enhetsregisteret client.
#[derive(Debug, Clone)]
pub struct BrregClient {
    http: HttpClient,
    config: BrregConfig,
}

/// A single unit lookup's outcome.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "transient, one per lookup; boxing would cost an allocation per unit"
)]
pub enum UnitLookup {
    /// 200: the unit (possibly with `slettedato`), or why it did not parse.
    Found(Parsed<Organisation>),
    /// 404 "Enheten finnes ikke".
    NotFound,
    /// 410 "Enheten er fjernet": removed from open data.
    Removed,
}

impl BrregClient {
    /// A client for `config` (no auth: Brreg is open data).
    pub fn new(config: BrregConfig) -> Result<Self, SourceError> {
        let http = HttpClient::builder(Register::Brreg, config.base_url.clone())
            .config(config.http.clone())
            .build()?;
        Ok(Self { http, config })
    }

    /// The HTTP client (for tests and diagnostics).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Streams one bulk file. Returns the stream and the response headers (`ETag`,
    /// `Last-Modified`).
    pub async fn bulk(
        &self,
        unit: UnitKind,
    ) -> Result<(RecordStream<Organisation>, HeaderMap), SourceError> {
        let (path, accept) = match unit {
            UnitKind::MainUnit => ("/enheter/lastned", ACCEPT_BULK_ENHET),
            UnitKind::SubUnit => ("/underenheter/lastned", ACCEPT_BULK_UNDERENHET),
        };
        let spec = RequestSpec::get(path)
            .header(ACCEPT, HeaderValue::from_static(accept))
            .streaming();
        let response = self.http.send(&spec).await?;
        let headers = response.headers().clone();
        Ok((bulk::stream_units(response, unit, path.to_owned()), headers))
    }

    /// Looks one unit up.
    pub async fn lookup(
        &self,
        unit: UnitKind,
        org_number: &OrgNumber,
    ) -> Result<UnitLookup, SourceError> {
        let (path, accept) = match unit {
            UnitKind::MainUnit => (format!("/enheter/{org_number}"), ACCEPT_ENHET),
            UnitKind::SubUnit => (format!("/underenheter/{org_number}"), ACCEPT_UNDERENHET),
        };
        let spec = RequestSpec::get(path)
            .header(ACCEPT, HeaderValue::from_static(accept))
            .allow(StatusCode::NOT_FOUND)
            .allow(StatusCode::GONE);
        let fetched = self.http.fetch(&spec).await?;
        Ok(match fetched.status {
            StatusCode::NOT_FOUND => UnitLookup::NotFound,
            StatusCode::GONE => UnitLookup::Removed,
            _ => UnitLookup::Found(dto::parse_unit(&fetched.body, unit)),
        })
    }

    /// Reads one page of one feed from `position`: the reduced changes, malformed events and
    /// records, the next position, and whether the feed is caught up.
    pub async fn feed_page(
        &self,
        unit: UnitKind,
        position: FeedPosition,
    ) -> Result<FeedPage, SourceError> {
        let (path, accept) = match unit {
            UnitKind::MainUnit => ("/oppdateringer/enheter", ACCEPT_FEED_ENHET),
            UnitKind::SubUnit => ("/oppdateringer/underenheter", ACCEPT_FEED_UNDERENHET),
        };
        let mut spec = RequestSpec::get(path)
            .header(ACCEPT, HeaderValue::from_static(accept))
            .allow(StatusCode::GONE)
            .allow(StatusCode::BAD_REQUEST);
        let from = match position {
            FeedPosition::Id(id) => {
                spec = spec.query("oppdateringsid", id);
                Some(id)
            }
            FeedPosition::Since(at) => {
                spec = spec.query("dato", FeedPosition::dato(at));
                None
            }
        };
        spec = spec
            .query("page", 0)
            .query("size", self.config.page_size)
            .query("sort", "id,ASC");
        let fetched = self.http.fetch(&spec).await?;
        if fetched.status == StatusCode::GONE {
            return Err(SourceError::CursorExpired {
                register: Register::Brreg,
                cursor: format!("{unit:?}@{position:?}"),
                reason: format!("GET {path} answered {}", fetched.status),
            });
        }
        if fetched.status == StatusCode::BAD_REQUEST {
            return Err(SourceError::Status {
                register: Register::Brreg,
                method: "GET".to_owned(),
                path: path.to_owned(),
                status: fetched.status,
                attempts: 1,
                body: Some(excerpt(&fetched.body)),
            });
        }
        let page: feed::UpdatesPage = self.http.decode(&spec, &fetched.body)?;
        let items = page.into_items();
        let raw_count = items.len();
        let reduced = feed::reduce(items, from);
        let next = match (reduced.max_id, position) {
            (Some(max), FeedPosition::Id(id)) => FeedPosition::Id(id.max(max + 1)),
            (Some(max), FeedPosition::Since(_)) => FeedPosition::Id(max + 1),
            (None, position) => position,
        };
        let caught_up = raw_count < usize::try_from(self.config.page_size).unwrap_or(usize::MAX);
        if !caught_up && next == position {
            return Err(SourceError::Envelope {
                register: Register::Brreg,
                method: "GET".to_owned(),
                path: path.to_owned(),
                field: "_embedded".to_owned(),
                message: "a full page without a readable oppdateringsid; cannot move on".to_owned(),
            });
        }
        let mut malformed = reduced.malformed;
        let (resolved, unnamed) = self.resolve(unit, reduced.events).await?;
        malformed.extend(unnamed);
        let mut changes = Vec::with_capacity(resolved.len());
        for item in resolved {
            match item {
                Resolved::Change(change) => changes.push(change),
                Resolved::Malformed(record) => malformed.push(record),
            }
        }
        Ok(FeedPage {
            changes,
            malformed,
            next,
            caught_up,
            events_seen: raw_count,
        })
    }

    /// Looks up to [`search::CHUNK`] units up in one search request
    /// (`GET /enheter?organisasjonsnummer=a,b,c&size=n`). Search returns live units only: a
    /// unit missing from the answer is deleted, unknown or removed, and must be looked up singly.
    async fn search(
        &self,
        unit: UnitKind,
        org_numbers: &[OrgNumber],
    ) -> Result<search::Answer, SourceError> {
        let (path, accept) = match unit {
            UnitKind::MainUnit => ("/enheter", ACCEPT_ENHET),
            UnitKind::SubUnit => ("/underenheter", ACCEPT_UNDERENHET),
        };
        let spec = RequestSpec::get(path)
            .header(ACCEPT, HeaderValue::from_static(accept))
            .query("organisasjonsnummer", search::list(org_numbers))
            .query("size", org_numbers.len().max(1));
        let fetched = self.http.fetch(&spec).await?;
        let page: search::SearchPage = self.http.decode(&spec, &fetched.body)?;
        Ok(page.answer(unit, org_numbers))
    }

    /// Turns reduced events into changes; results keep the events' order.
    ///
    /// The units to refetch are looked up [`search::CHUNK`] at a time through search, chunks
    /// in parallel up to the configured concurrency; the few that search does not return
    /// (deleted, unknown, removed) are then looked up singly, as are all of them without
    /// search. A feed page of a thousand changes thus costs about ten requests, not a thousand.
    async fn resolve(
        &self,
        unit: UnitKind,
        events: Vec<feed::Event>,
    ) -> Result<(Vec<Resolved>, Vec<crate::source::MalformedRecord>), SourceError> {
        let wanted: Vec<OrgNumber> = events
            .iter()
            .filter(|event| event.change != ChangeType::Removed)
            .map(|event| event.org_number)
            .collect();
        let chunks: Vec<Vec<OrgNumber>> = wanted
            .chunks(search::CHUNK)
            .map(<[OrgNumber]>::to_vec)
            .collect();
        let answers: Vec<(search::Answer, DateTime<Utc>)> = stream::iter(chunks)
            .map(|chunk| async move {
                let answer = self.search(unit, &chunk).await?;
                Ok::<_, SourceError>((answer, Utc::now()))
            })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        let mut found: HashMap<OrgNumber, (Parsed<Organisation>, DateTime<Utc>)> =
            HashMap::with_capacity(wanted.len());
        let mut unnamed = Vec::new();
        for (answer, fetched_at) in answers {
            found.extend(
                answer
                    .found
                    .into_iter()
                    .map(|(key, parsed)| (key, (parsed, fetched_at))),
            );
            unnamed.extend(answer.unnamed);
        }
        let steps: Vec<Step> = events
            .into_iter()
            .map(|event| {
                if event.change == ChangeType::Removed {
                    return Step::Done(Resolved::Change(Change::Purge {
                        key: event.org_number,
                        at: event.at,
                    }));
                }
                match found.remove(&event.org_number) {
                    Some((parsed, fetched_at)) => Step::Done(resolved(&event, parsed, fetched_at)),
                    None => Step::Lookup(event),
                }
            })
            .collect();
        let resolved = stream::iter(steps)
            .map(|step| async move {
                match step {
                    Step::Done(resolved) => Ok(resolved),
                    Step::Lookup(event) => self.resolve_one(unit, event).await,
                }
            })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        Ok((resolved, unnamed))
    }

    /// Resolves one event by looking its unit up singly.
    async fn resolve_one(
        &self,
        unit: UnitKind,
        event: feed::Event,
    ) -> Result<Resolved, SourceError> {
        let key = event.org_number;
        if event.change == ChangeType::Removed {
            return Ok(Resolved::Change(Change::Purge { key, at: event.at }));
        }
        let lookup = self.lookup(unit, &key).await?;
        let fetched_at = Utc::now();
        Ok(match lookup {
            UnitLookup::Found(parsed) => resolved(&event, parsed, fetched_at),
            UnitLookup::NotFound => Resolved::Change(Change::Delete { key, at: event.at }),
            UnitLookup::Removed => Resolved::Change(Change::Purge { key, at: event.at }),
        })
    }

    /// The resume cursor for a bulk file with these headers, requested at `requested_at`.
    pub fn resume_after(&self, headers: &HeaderMap, requested_at: DateTime<Utc>) -> BrregCursor {
        let at = match last_modified(headers) {
            Some(at) => at - self.config.resume_margin,
            None => requested_at - self.config.fallback_margin,
        };
        BrregCursor::since(at)
    }
}

/// One page of one Brreg feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    /// Changes in `oppdateringsid` order, one per unit.
    pub changes: Vec<Change<Organisation>>,
    /// Events and records that did not parse.
    pub malformed: Vec<crate::source::MalformedRecord>,
    /// Where this feed continues.
    pub next: FeedPosition,
    /// Whether the page was not full.
    pub caught_up: bool,
    /// Events on the page, before reduction.
    pub events_seen: usize,
}

#[allow(clippy::large_enum_variant, reason = "transient, one per event")]
enum Resolved {
    Change(Change<Organisation>),
    Malformed(crate::source::MalformedRecord),
}

/// An event resolved by search, or still to be looked up singly.
#[allow(clippy::large_enum_variant, reason = "transient, one per event")]
enum Step {
    Done(Resolved),
    Lookup(feed::Event),
}

/// What a fetched unit (found by search or singly) makes of its event.
fn resolved(
    event: &feed::Event,
    parsed: Parsed<Organisation>,
    fetched_at: DateTime<Utc>,
) -> Resolved {
    match parsed {
        Parsed::Record(record) => Resolved::Change(Change::Upsert {
            record,
            changed_at: event.at,
            fetched_at,
        }),
        Parsed::Malformed(record) => Resolved::Malformed(record),
    }
}

/// The start of a response body for an error message.
fn excerpt(body: &[u8]) -> String {
    let end = body.len().min(300);
    String::from_utf8_lossy(&body[..end]).trim().to_owned()
}

/// `Last-Modified` as an HTTP-date, if it is one.
fn last_modified(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(LAST_MODIFIED)?.to_str().ok()?;
    let at = httpdate::parse_http_date(text.trim()).ok()?;
    Some(DateTime::<Utc>::from(at))
}

/// The snapshot id: the `ETag`, else `Last-Modified`, else the request time.
fn snapshot_id(headers: &HeaderMap, requested_at: DateTime<Utc>) -> String {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    header(ETAG)
        .or_else(|| header(LAST_MODIFIED))
        .unwrap_or_else(|| format!("requested {}", requested_at.to_rfc3339()))
}

impl Source for BrregClient {
    type Record = Organisation;

    fn register(&self) -> Register {
        Register::Brreg
    }

    async fn bootstrap(&self) -> Result<Snapshot<Organisation>, SourceError> {
        let requested_at = Utc::now();
        let (main_units, headers) = self.bulk(UnitKind::MainUnit).await?;
        let client = self.clone();
        let sub_units = stream::once(async move {
            match client.bulk(UnitKind::SubUnit).await {
                Ok((records, _)) => records,
                Err(error) => Box::pin(stream::iter([Err(error)])) as RecordStream<Organisation>,
            }
        })
        .flatten();
        Ok(Snapshot {
            records: Box::pin(main_units.chain(sub_units)),
            id: snapshot_id(&headers, requested_at),
            at: last_modified(&headers).unwrap_or(requested_at),
            resume: self.resume_after(&headers, requested_at).to_cursor(),
            // The bulk files carry no count: the array's length is known only once read, so
            // the engine counts the elements itself.
            expected: None,
        })
    }

    /// One page of each feed, read concurrently; main units first in the page. `caught_up`
    /// when both pages were short.
    async fn changes(&self, cursor: &Cursor) -> Result<Page<Organisation>, SourceError> {
        let mut position = BrregCursor::parse(cursor)?;
        let (main, sub) = futures_util::future::try_join(
            self.feed_page(UnitKind::MainUnit, position.enheter),
            self.feed_page(UnitKind::SubUnit, position.underenheter),
        )
        .await
        .map_err(|error| with_cursor(error, cursor))?;
        position.enheter = main.next;
        position.underenheter = sub.next;
        let mut changes = main.changes;
        changes.extend(sub.changes);
        let mut malformed = main.malformed;
        malformed.extend(sub.malformed);
        Ok(Page {
            changes,
            malformed,
            next_cursor: position.to_cursor(),
            caught_up: main.caught_up && sub.caught_up,
            events_seen: main.events_seen + sub.events_seen,
            // No Brreg source promises dense `oppdateringsid` numbers: gaps are not counted.
            sequence_gaps: 0,
        })
    }

    async fn fetch(&self, keys: &[OrgNumber]) -> Result<Vec<Parsed<Organisation>>, SourceError> {
        let found: Vec<Option<Parsed<Organisation>>> = stream::iter(keys.iter().copied())
            .map(|key| async move {
                match self.lookup(UnitKind::MainUnit, &key).await? {
                    UnitLookup::Found(parsed) => Ok::<_, SourceError>(Some(parsed)),
                    UnitLookup::Removed => Ok(None),
                    UnitLookup::NotFound => match self.lookup(UnitKind::SubUnit, &key).await? {
                        UnitLookup::Found(parsed) => Ok(Some(parsed)),
                        UnitLookup::NotFound | UnitLookup::Removed => Ok(None),
                    },
                }
            })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        let mut seen = HashMap::new();
        Ok(found
            .into_iter()
            .flatten()
            .filter(|parsed| match parsed {
                Parsed::Record(record) => seen.insert(record.org_number, ()).is_none(),
                Parsed::Malformed(_) => true,
            })
            .collect())
    }
}

/// Puts the stored cursor text into a `CursorExpired` raised for one feed.
fn with_cursor(error: SourceError, cursor: &Cursor) -> SourceError {
    match error {
        SourceError::CursorExpired {
            register, reason, ..
        } => SourceError::CursorExpired {
            register,
            cursor: cursor.as_str().to_owned(),
            reason,
        },
        other => other,
    }
}

/// The JSON field names this client reads, per upstream schema: `(schema, names)`. For the
/// field-name agreement test against the spec.
pub fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    dto::field_names()
}

/// Parses one unit's JSON as the single-unit endpoints and bulk files deliver it (for golden
/// tests and tools).
pub fn parse_unit(raw: &[u8], unit: UnitKind) -> Parsed<Organisation> {
    dto::parse_unit(raw, unit)
}

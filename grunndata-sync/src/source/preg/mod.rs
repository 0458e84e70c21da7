//! NHN Persontjenesten (Person API v2), tracked persons only. HelseID auth through the
//! [`Authorise`] hook; every request carries the `api-version` header.
//!
//! Paths are under `{b}` = `/api/legal-basis` (default) or `/api/no-legal-basis`
//! ([`LegalBasis`]):
//!
//! | operation | endpoints |
//! |---|---|
//! | bootstrap | `GET {b}/event/latest` (its `sequenceNumber` is where the feed resumes), then `POST {b}/person/bulk-by-nin` (form `nins`, ≤ 100) for every tracked NIN |
//! | changes | `GET {b}/event?sequenceNumber=N` (N inclusive, ≤ 1000 events), then `POST {b}/person/bulk-by-id` (form `personIds`, ≤ 100) for the *tracked* person ids seen; others are skipped without a request |
//! | fetch | `POST {b}/person/bulk-by-id` |
//! | other | `GET {b}/person/{id}`, `POST {b}/person/get-by-nin` (form `nin`) |
//!
//! NINs travel only in form bodies, never in URLs, logs or errors (the HTTP client is marked
//! sensitive: no response bodies in errors). Every person request names `informationParts`
//! (required) and `includeHistory`.
//!
//! Decisions where the spec is silent:
//! - The cursor is the next `sequenceNumber` in decimal ([`PregCursor`]); after a bootstrap it is
//!   the latest event's + 1 (or 1 when there are no events).
//! - A page with fewer than 1000 events means "caught up".
//! - 404 "Event not found" from the feed: if the latest event is at or beyond the cursor, the
//!   cursor is no longer served ([`SourceError::CursorExpired`]); otherwise we are past the
//!   head (an empty, caught-up page). A 410 is always `CursorExpired`.
//! - After an identity event (merge, split, discontinuation, NIN change) of a tracked person,
//!   the client also looks up that person's NINs with bulk-by-nin, so that a surviving person
//!   id that now holds a tracked NIN is fetched too (its own events would be skipped, since its
//!   id is not tracked yet).
//! - A tracked person id missing from a bulk-by-id answer is looked up singly; a 404 becomes
//!   [`Change::Delete`].
//! - `includeHistory` defaults to `true`: historic NINs must be mirrored for a person tracked by
//!   an old D-number to stay linked, and the model keeps address history.

mod dto;
mod feed;
mod tracked;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};

pub use tracked::{TrackedPersons, TrackedSet};

use crate::core::id::NationalId;
use crate::core::model::Person;
use crate::source::json_array::parse_each;
use crate::source::{
    Authorise, Change, Cursor, HttpClient, HttpConfig, Page, Parsed, RecordStream, RequestSpec,
    Snapshot, Source, SourceError,
};
use crate::store::Register;

/// Test environment base URL (NHN's official sample). The production URL is unverified.
pub const TEST_URL: &str = "https://et.persontjenesten.test.nhn.no";

/// The most ids or NINs per bulk request (`maxItems: 100`).
pub const MAX_BULK: usize = 100;
/// The most events per feed page ("max 1000 event documents").
pub const PAGE_EVENTS: usize = 1000;

/// Which path family (and HelseID scope) the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegalBasis {
    /// `/api/legal-basis/…`, scope `nhn:hgd-persontjenesten-api/read-with-legal-basis`.
    #[default]
    With,
    /// `/api/no-legal-basis/…`, scope `nhn:hgd-persontjenesten-api/read-no-legal-basis`.
    Without,
}

impl LegalBasis {
    /// The path prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::With => "/api/legal-basis",
            Self::Without => "/api/no-legal-basis",
        }
    }
}

/// Settings of the Persontjenesten client.
#[derive(Debug, Clone)]
pub struct PregConfig {
    /// Base URL, e.g. [`TEST_URL`] or the fake's `…/preg`.
    pub base_url: String,
    /// Timeouts, retries, concurrency.
    pub http: HttpConfig,
    /// The `api-version` header (the v2 spec requires it; default `"2"`).
    pub api_version: String,
    /// Path family.
    pub legal_basis: LegalBasis,
    /// `informationParts` requested for every person: the parts the model holds.
    pub information_parts: Vec<String>,
    /// `includeHistory`.
    pub include_history: bool,
    /// Ids or NINs per bulk request (1..=100).
    pub bulk_size: usize,
}

impl PregConfig {
    /// The information parts the [`Person`] model is built from.
    pub const MODEL_PARTS: &'static [&'static str] = &[
        "NorwegianIdentificationNumber",
        "Name",
        "Birth",
        "Death",
        "Gender",
        "Status",
        "AddressProtection",
        "ResidentialAddress",
        "PostalAddress",
    ];

    /// Defaults against `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            http: HttpConfig::default(),
            api_version: "2".to_owned(),
            legal_basis: LegalBasis::default(),
            information_parts: Self::MODEL_PARTS
                .iter()
                .map(|&part| part.to_owned())
                .collect(),
            include_history: true,
            bulk_size: MAX_BULK,
        }
    }
}

/// The Persontjenesten cursor: the next `sequenceNumber` (inclusive), stored in decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PregCursor(pub i64);

impl PregCursor {
    /// Reads a stored cursor (a decimal ≥ 1).
    pub fn parse(cursor: &Cursor) -> Result<Self, SourceError> {
        cursor.sequence(Register::Preg, "sequenceNumber").map(Self)
    }

    /// The cursor text to store.
    pub fn to_cursor(self) -> Cursor {
        Cursor::from_sequence(self.0)
    }
}

impl fmt::Display for PregCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The Persontjenesten client.
#[derive(Clone)]
pub struct PregClient {
    http: HttpClient,
    config: PregConfig,
    tracked: Arc<dyn TrackedPersons>,
}

impl fmt::Debug for PregClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PregClient")
            .field("http", &self.http)
            .field("legal_basis", &self.config.legal_basis)
            .finish_non_exhaustive()
    }
}

impl PregClient {
    /// A client for `config`, following the persons in `tracked`; `auth` is the HelseID hook.
    pub fn new(
        config: PregConfig,
        auth: Option<Arc<dyn Authorise>>,
        tracked: Arc<dyn TrackedPersons>,
    ) -> Result<Self, SourceError> {
        let version =
            HeaderValue::from_str(&config.api_version).map_err(|_| SourceError::Config {
                register: Register::Preg,
                message: format!("api-version {:?} is not a header value", config.api_version),
            })?;
        let http = HttpClient::builder(Register::Preg, config.base_url.clone())
            .config(config.http.clone())
            .auth(auth)
            .default_header(HeaderName::from_static("api-version"), version)
            .default_header(ACCEPT, HeaderValue::from_static("application/json"))
            .sensitive(true)
            .build()?;
        Ok(Self {
            http,
            config,
            tracked,
        })
    }

    /// The HTTP client (for tests and diagnostics).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.config.legal_basis.prefix())
    }

    /// Adds `informationParts` and `includeHistory` to a person request.
    fn person_query(&self, mut spec: RequestSpec) -> RequestSpec {
        for part in &self.config.information_parts {
            spec = spec.query("informationParts", part);
        }
        spec.query("includeHistory", self.config.include_history)
    }

    /// `GET {b}/event/latest`: the latest sequence number, `None` when there are no events.
    pub async fn latest_sequence(&self) -> Result<Option<i64>, SourceError> {
        let spec = RequestSpec::get(self.path("/event/latest")).allow(StatusCode::NOT_FOUND);
        let (_, dto) = self
            .http
            .fetch_json::<feed::EventDocumentDto>(&spec)
            .await?;
        Ok(dto.and_then(|dto| dto.sequence()))
    }

    /// `GET {b}/person/{id}`; `None` on 404.
    pub async fn person(&self, id: &str) -> Result<Option<Parsed<Person>>, SourceError> {
        let spec = self
            .person_query(RequestSpec::get(self.path(&format!("/person/{id}"))))
            .allow(StatusCode::NOT_FOUND);
        let fetched = self.http.fetch(&spec).await?;
        if fetched.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(dto::parse_person(&fetched.body)))
    }

    /// `POST {b}/person/get-by-nin` (the NIN in the form body); `None` on 404.
    pub async fn get_by_nin(
        &self,
        nin: &NationalId,
    ) -> Result<Option<Parsed<Person>>, SourceError> {
        let spec = self
            .person_query(RequestSpec::post(self.path("/person/get-by-nin")))
            .form_body(vec![("nin".to_owned(), nin.expose())])
            .allow(StatusCode::NOT_FOUND);
        let fetched = self.http.fetch(&spec).await?;
        if fetched.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(dto::parse_person(&fetched.body)))
    }

    /// `POST {b}/person/bulk-by-id` for at most [`MAX_BULK`] ids.
    pub async fn bulk_by_id(&self, ids: &[String]) -> Result<Vec<Parsed<Person>>, SourceError> {
        let form = ids
            .iter()
            .map(|id| ("personIds".to_owned(), id.clone()))
            .collect();
        self.bulk("/person/bulk-by-id", form).await
    }

    /// `POST {b}/person/bulk-by-nin` for at most [`MAX_BULK`] NINs.
    pub async fn bulk_by_nin(
        &self,
        nins: &[NationalId],
    ) -> Result<Vec<Parsed<Person>>, SourceError> {
        let form = nins
            .iter()
            .map(|nin| ("nins".to_owned(), nin.expose()))
            .collect();
        self.bulk("/person/bulk-by-nin", form).await
    }

    async fn bulk(
        &self,
        rest: &str,
        form: Vec<(String, String)>,
    ) -> Result<Vec<Parsed<Person>>, SourceError> {
        if form.is_empty() {
            return Ok(Vec::new());
        }
        let path = self.path(rest);
        let spec = self
            .person_query(RequestSpec::post(path.clone()))
            .form_body(form);
        let fetched = self.http.fetch(&spec).await?;
        parse_each(&fetched.body, dto::parse_person).map_err(|message| SourceError::Envelope {
            register: Register::Preg,
            method: "POST".to_owned(),
            path,
            field: ".".to_owned(),
            message,
        })
    }

    /// Fetches any number of person ids: chunks of ≤ 100, several at once.
    pub async fn fetch_by_ids(&self, ids: &[String]) -> Result<Vec<Parsed<Person>>, SourceError> {
        let owned: Vec<Vec<String>> = ids.chunks(self.chunk()).map(<[String]>::to_vec).collect();
        let chunks: Vec<Vec<Parsed<Person>>> = stream::iter(owned)
            .map(|chunk| async move { self.bulk_by_id(&chunk).await })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// Fetches any number of NINs: chunks of ≤ 100, several at once.
    pub async fn fetch_by_nins(
        &self,
        nins: &[NationalId],
    ) -> Result<Vec<Parsed<Person>>, SourceError> {
        let owned: Vec<Vec<NationalId>> = nins
            .chunks(self.chunk())
            .map(<[NationalId]>::to_vec)
            .collect();
        let chunks: Vec<Vec<Parsed<Person>>> = stream::iter(owned)
            .map(|chunk| async move { self.bulk_by_nin(&chunk).await })
            .buffered(self.http.concurrency())
            .try_collect()
            .await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    fn chunk(&self) -> usize {
        self.config.bulk_size.clamp(1, MAX_BULK)
    }

    /// A 404 from the feed: past the head (empty page) or a cursor no longer served.
    async fn feed_not_found(
        &self,
        cursor: &Cursor,
        from: PregCursor,
    ) -> Result<Page<Person>, SourceError> {
        match self.latest_sequence().await? {
            Some(latest) if latest >= from.0 => Err(SourceError::CursorExpired {
                register: Register::Preg,
                cursor: cursor.as_str().to_owned(),
                reason: format!("event {from} not found though the latest is {latest}"),
            }),
            _ => Ok(Page {
                changes: Vec::new(),
                malformed: Vec::new(),
                next_cursor: from.to_cursor(),
                caught_up: true,
                events_seen: 0,
                sequence_gaps: 0,
            }),
        }
    }
}

impl Source for PregClient {
    type Record = Person;

    fn register(&self) -> Register {
        Register::Preg
    }

    /// The latest sequence number first (so nothing after it is missed), then every tracked NIN.
    async fn bootstrap(&self) -> Result<Snapshot<Person>, SourceError> {
        let requested_at = Utc::now();
        let latest = self.latest_sequence().await?;
        let nins = self.tracked.nins();
        let client = self.clone();
        let concurrency = self.http.concurrency();
        let chunks: Vec<Vec<NationalId>> = nins
            .chunks(self.chunk())
            .map(<[NationalId]>::to_vec)
            .collect();
        let records: RecordStream<Person> = Box::pin(
            stream::iter(chunks)
                .map(move |chunk| {
                    let client = client.clone();
                    async move { client.bulk_by_nin(&chunk).await }
                })
                .buffered(concurrency)
                .flat_map(|result| match result {
                    Ok(parsed) => stream::iter(parsed.into_iter().map(Ok).collect::<Vec<_>>()),
                    Err(error) => stream::iter(vec![Err(error)]),
                }),
        );
        Ok(Snapshot {
            records,
            id: latest.map_or_else(
                || "no events".to_owned(),
                |latest| format!("sequenceNumber {latest}"),
            ),
            at: requested_at,
            resume: PregCursor(latest.unwrap_or(0).max(0) + 1).to_cursor(),
            expected: None,
        })
    }

    async fn changes(&self, cursor: &Cursor) -> Result<Page<Person>, SourceError> {
        let from = PregCursor::parse(cursor)?;
        let spec = RequestSpec::get(self.path("/event"))
            .query("sequenceNumber", from.0)
            .allow(StatusCode::NOT_FOUND)
            .allow(StatusCode::GONE);
        let (status, page) = self
            .http
            .fetch_json::<feed::EventSearchResultDto>(&spec)
            .await?;
        let page = match (status, page) {
            (_, Some(page)) => page,
            (StatusCode::NOT_FOUND, None) => return self.feed_not_found(cursor, from).await,
            (status, None) => {
                return Err(SourceError::CursorExpired {
                    register: Register::Preg,
                    cursor: cursor.as_str().to_owned(),
                    reason: format!("GET {} answered {status}", spec.path()),
                });
            }
        };
        let items = page.results.unwrap_or_default();
        let sequence_gaps = crate::source::sequence_gaps(Register::Preg, from.0, &items);
        let events_seen = items.len();
        let reduced = feed::reduce(items, from.0, self.tracked.as_ref());
        let next = PregCursor(
            reduced
                .max_sequence
                .map_or(from.0, |max| from.0.max(max + 1)),
        );
        let caught_up = events_seen < PAGE_EVENTS;
        if !caught_up && next == from {
            return Err(SourceError::Envelope {
                register: Register::Preg,
                method: "GET".to_owned(),
                path: spec.path().to_owned(),
                field: "results".to_owned(),
                message: "a full page without a readable sequenceNumber; cannot move on".to_owned(),
            });
        }
        tracing::debug!(
            events_seen,
            skipped = reduced.skipped,
            refetch = reduced.refetch.len(),
            "preg feed page"
        );
        let mut malformed = reduced.malformed;
        let ids: Vec<String> = reduced
            .refetch
            .iter()
            .map(|item| item.person_id.clone())
            .collect();
        let fetched_at = Utc::now();
        let mut found: HashMap<String, Person> = HashMap::new();
        let mut quarantined: HashSet<String> = HashSet::new();
        let mut absorb = |parsed: Parsed<Person>, found: &mut HashMap<String, Person>| match parsed
        {
            Parsed::Record(person) => {
                found.insert(person.id.clone(), person);
            }
            Parsed::Malformed(record) => {
                quarantined.extend(record.upstream_id.clone());
                malformed.push(record);
            }
        };
        for parsed in self.fetch_by_ids(&ids).await? {
            absorb(parsed, &mut found);
        }
        // Follow the NINs of persons whose identity changed, to catch surviving person ids.
        let follow: Vec<NationalId> = reduced
            .refetch
            .iter()
            .filter(|item| item.identity_changed)
            .filter_map(|item| found.get(&item.person_id))
            .flat_map(|person| {
                person
                    .identifiers
                    .iter()
                    .filter_map(|id| id.number.valid().copied())
            })
            .collect();
        let mut extra: Vec<Person> = Vec::new();
        for parsed in self.fetch_by_nins(&follow).await? {
            match parsed {
                Parsed::Record(person)
                    if !found.contains_key(&person.id)
                        && !extra.iter().any(|other| other.id == person.id) =>
                {
                    extra.push(person);
                }
                Parsed::Record(_) => {}
                other @ Parsed::Malformed(_) => absorb(other, &mut found),
            }
        }
        let mut changes = Vec::with_capacity(reduced.refetch.len() + extra.len());
        for item in reduced.refetch {
            if let Some(record) = found.remove(&item.person_id) {
                changes.push(Change::Upsert {
                    record,
                    changed_at: None,
                    fetched_at,
                });
                continue;
            }
            if quarantined.contains(&item.person_id) {
                continue;
            }
            match self.person(&item.person_id).await? {
                Some(Parsed::Record(record)) => changes.push(Change::Upsert {
                    record,
                    changed_at: None,
                    fetched_at: Utc::now(),
                }),
                Some(Parsed::Malformed(record)) => malformed.push(record),
                None => changes.push(Change::Delete {
                    key: item.person_id,
                    at: None,
                }),
            }
        }
        changes.extend(extra.into_iter().map(|record| Change::Upsert {
            record,
            changed_at: None,
            fetched_at,
        }));
        Ok(Page {
            changes,
            malformed,
            next_cursor: next.to_cursor(),
            caught_up,
            events_seen,
            sequence_gaps,
        })
    }

    async fn fetch(&self, keys: &[String]) -> Result<Vec<Parsed<Person>>, SourceError> {
        self.fetch_by_ids(keys).await
    }
}

/// The JSON field names this client reads, per upstream schema: `(schema, names)`.
pub fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    dto::field_names()
}

/// Parses one `Person` JSON (for golden tests and tools).
pub fn parse_person(raw: &[u8]) -> Parsed<Person> {
    dto::parse_person(raw)
}

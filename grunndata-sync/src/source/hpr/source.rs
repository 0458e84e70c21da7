//! [`HprSource`]: HPR behind the common [`Source`] shape.
//!
//! | operation | how |
//! |---|---|
//! | bootstrap | the REST export (ZIP of `HelsepersonUtvidet`), or without export rights the SOAP `Søk2` listing, page by page |
//! | changes | SOAP `HentRegisterEndringer` over time windows, page by page ([`HprCursor`]) |
//! | fetch | REST `GET /v1/personerutvidet/{hpr}`, one request per number, bounded concurrency |
//!
//! **Why fetch uses REST and not SOAP `HentPersoner`** (the brief left the choice open): a
//! batch call fails as a whole on one unknown number (HPR answers "HPR-nummer ikke funnet" as a
//! fault), its batch limit is undocumented, and REST's 404 says exactly which number is
//! unknown. The cost — one request per number — is bounded by the HTTP layer's concurrency.
//!
//! **Change windows.** `HentRegisterEndringer` returns full `Person` records changed in
//! `[fra, til]`; whether either end is inclusive is not documented. Each window therefore
//! starts `overlap` before the previous one ended, a window never ends later than
//! `settle` before now (so changes still being committed are not skipped) nor spans more
//! than `max_window`, and records already delivered from the overlap are recognised by
//! `HPRNummer` + `SistOppdatert` and not delivered again. Within a window, pages are read
//! from `side` 1 until `ResultaterTotalt` `Person`s were seen (or a page is empty). If
//! `ResultaterTotalt` changes between pages (a person changed again and left the window),
//! the window is read again from page 1, so that no record slips between pages.
//!
//! HPR has no deletions in its feed: a merged record stays, with `ErstattetAvHprNummer` set,
//! so every change is an upsert.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use futures_util::stream;
use reqwest::Url;
use reqwest::header::{ETAG, HeaderMap, LAST_MODIFIED};

use super::auth::SoapCredentials;
use super::cursor::{HprCursor, MAX_RECENT};
use super::export;
use super::rest::HprRestClient;
use super::soap::HprSoapClient;
use crate::core::id::HprNumber;
use crate::core::model::HealthPersonnel;
use crate::source::http::{Authorise, HttpClient, HttpConfig, RequestSpec};
use crate::source::{
    Change, Cursor, MalformedRecord, Page, Parsed, RecordStream, Snapshot, Source, SourceError,
};
use crate::store::Register;

/// Tuning of the HPR client. The defaults suit the real service.
#[derive(Debug, Clone)]
pub struct HprOptions {
    /// `resultaterPerSide` / `ResultaterPerSide` (NAV uses 1000; the maximum is undocumented).
    pub page_size: u32,
    /// Longest change window; a longer stretch is read as several windows.
    pub max_window: Duration,
    /// How far each window reaches back into the previous one.
    pub overlap: Duration,
    /// How far behind now a window ends.
    pub settle: Duration,
    /// How old the export may be when it has no `Last-Modified` header: the change feed after
    /// an export bootstrap starts this long before the download.
    pub export_max_age: Duration,
    /// Where the `Søk2` listing starts (`SistEndretPeriode.Fra`).
    pub listing_since: DateTime<Utc>,
    /// Records buffered between the export reader thread and the consumer.
    pub export_buffer: usize,
}

impl Default for HprOptions {
    fn default() -> Self {
        Self {
            page_size: 1000,
            max_window: Duration::days(1),
            overlap: Duration::minutes(10),
            settle: Duration::minutes(2),
            export_max_age: Duration::hours(48),
            listing_since: Utc
                .with_ymd_and_hms(1900, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            export_buffer: 256,
        }
    }
}

/// The bulk export: its URL (not documented publicly; ask NHN) and its auth (Maskinporten,
/// scope `nhn:hpr/export`).
#[derive(Debug, Clone)]
pub struct ExportEndpoint {
    http: HttpClient,
    path: String,
    query: Vec<(String, String)>,
}

/// HPR as a [`Source`] of [`HealthPersonnel`].
#[derive(Debug, Clone)]
pub struct HprSource {
    rest: HprRestClient,
    soap: HprSoapClient,
    export: Option<ExportEndpoint>,
    options: HprOptions,
}

/// Builds an [`HprSource`].
#[derive(Debug, Default)]
pub struct HprSourceBuilder {
    rest_url: Option<String>,
    rest_auth: Option<Arc<dyn Authorise>>,
    soap_url: Option<String>,
    soap_credentials: Option<SoapCredentials>,
    export: Option<(String, Option<Arc<dyn Authorise>>)>,
    http: HttpConfig,
    options: HprOptions,
}

impl HprSourceBuilder {
    /// A builder with the URLs and the SOAP service user of `[hpr]` in the configuration.
    ///
    /// `rest_auth` authorises `personerutvidet` (Maskinporten, `nhn:hpr/extended`) and
    /// `export_auth` the export (`nhn:hpr/export`); the export is used only when
    /// `export_url` is set. SOAP credentials are used when both user and password are set.
    pub fn from_config(
        config: &crate::config::HprConfig,
        rest_auth: Option<Arc<dyn Authorise>>,
        export_auth: Option<Arc<dyn Authorise>>,
    ) -> Self {
        let credentials = match (&config.soap_username, &config.soap_password) {
            (Some(username), Some(password)) => Some(SoapCredentials {
                username: username.clone(),
                password: crate::auth::Secret::new(password.expose().to_owned()),
            }),
            _ => None,
        };
        let builder = Self::default()
            .rest(config.rest_base_url.clone(), rest_auth)
            .soap(config.soap_url.clone(), credentials);
        match &config.export_url {
            Some(url) => builder.export(url.clone(), export_auth),
            None => builder,
        }
    }

    /// The REST API base URL (e.g. `https://api.offentlig.hpr.nhn.no`) and its auth
    /// (Maskinporten, scope `nhn:hpr/extended`, e.g. [`TokenAuth`](crate::source::http::TokenAuth)).
    #[must_use]
    pub fn rest(mut self, base_url: impl Into<String>, auth: Option<Arc<dyn Authorise>>) -> Self {
        self.rest_url = Some(base_url.into());
        self.rest_auth = auth;
        self
    }

    /// The SOAP service URL (e.g. `https://ws.nhn.no/v2/HPR/Basic`) and its service user.
    #[must_use]
    pub fn soap(mut self, url: impl Into<String>, credentials: Option<SoapCredentials>) -> Self {
        self.soap_url = Some(url.into());
        self.soap_credentials = credentials;
        self
    }

    /// Bootstrap from the REST export at `url` (a full URL) with its auth (scope
    /// `nhn:hpr/export`). Without it, bootstrap pages through SOAP `Søk2`.
    #[must_use]
    pub fn export(mut self, url: impl Into<String>, auth: Option<Arc<dyn Authorise>>) -> Self {
        self.export = Some((url.into(), auth));
        self
    }

    /// Timeouts, retries and concurrency of every HPR client.
    #[must_use]
    pub fn http(mut self, config: HttpConfig) -> Self {
        self.http = config;
        self
    }

    /// Page size, windows, overlap.
    #[must_use]
    pub fn options(mut self, options: HprOptions) -> Self {
        self.options = options;
        self
    }

    /// Builds the source.
    pub fn build(self) -> Result<HprSource, SourceError> {
        let missing = |what: &str| SourceError::Config {
            register: Register::Hpr,
            message: format!("{what} is not set"),
        };
        let rest_url = self.rest_url.ok_or_else(|| missing("the REST base URL"))?;
        let soap_url = self.soap_url.ok_or_else(|| missing("the SOAP URL"))?;
        if self.options.page_size == 0 {
            return Err(SourceError::Config {
                register: Register::Hpr,
                message: "page_size must be at least 1".to_owned(),
            });
        }
        let export = self
            .export
            .map(|(url, auth)| export_endpoint(&url, auth, self.http.clone()))
            .transpose()?;
        Ok(HprSource {
            rest: HprRestClient::new(&rest_url, self.rest_auth, self.http.clone())?,
            soap: HprSoapClient::new(&soap_url, self.soap_credentials, self.http)?,
            export,
            options: self.options,
        })
    }
}

fn export_endpoint(
    url: &str,
    auth: Option<Arc<dyn Authorise>>,
    config: HttpConfig,
) -> Result<ExportEndpoint, SourceError> {
    let parsed = Url::parse(url).map_err(|error| SourceError::Config {
        register: Register::Hpr,
        message: format!("export URL {url:?}: {error}"),
    })?;
    let http = HttpClient::builder(Register::Hpr, parsed.origin().ascii_serialization())
        .config(config)
        .auth(auth)
        .build()?;
    Ok(ExportEndpoint {
        http,
        path: parsed.path().to_owned(),
        query: parsed.query_pairs().into_owned().collect(),
    })
}

impl HprSource {
    /// Starts building a source.
    pub fn builder() -> HprSourceBuilder {
        HprSourceBuilder::default()
    }

    /// The REST client (lookups by HPR number and by NIN).
    pub fn rest(&self) -> &HprRestClient {
        &self.rest
    }

    /// The SOAP client.
    pub fn soap(&self) -> &HprSoapClient {
        &self.soap
    }

    /// The options in force.
    pub fn options(&self) -> &HprOptions {
        &self.options
    }

    async fn bootstrap_export(
        &self,
        endpoint: &ExportEndpoint,
    ) -> Result<Snapshot<HealthPersonnel>, SourceError> {
        let requested_at = Utc::now();
        let mut spec = RequestSpec::get(endpoint.path.clone()).streaming();
        for (name, value) in &endpoint.query {
            spec = spec.query(name.clone(), value);
        }
        let (file, headers) = export::download(&endpoint.http, &spec).await?;
        let last_modified = last_modified(&headers);
        // Decision: trust `Last-Modified` as the export's production time; without it assume
        // the export may be up to `export_max_age` old.
        let produced = last_modified
            .filter(|at| *at <= requested_at)
            .unwrap_or(requested_at - self.options.export_max_age);
        let id = headers
            .get(ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| last_modified.map(|at| at.to_rfc3339()))
            .unwrap_or_else(|| format!("export@{}", requested_at.to_rfc3339()));
        Ok(Snapshot {
            records: export::stream(file, endpoint.path.clone(), self.options.export_buffer),
            id,
            at: last_modified.unwrap_or(requested_at),
            resume: HprCursor::since(produced - self.options.overlap).to_cursor(),
            expected: None,
        })
    }

    fn bootstrap_listing(&self) -> Snapshot<HealthPersonnel> {
        let requested_at = Utc::now();
        let state = Listing {
            soap: self.soap.clone(),
            since: self.options.listing_since,
            per_page: self.options.page_size,
            side: 1,
            seen: 0,
            done: false,
            buffer: VecDeque::new(),
        };
        let records: RecordStream<HealthPersonnel> =
            Box::pin(stream::unfold(state, |mut state| async move {
                state.next().await.map(|item| (item, state))
            }));
        Snapshot {
            records,
            id: format!("Søk2@{}", requested_at.to_rfc3339()),
            at: requested_at,
            resume: HprCursor::since(requested_at - self.options.overlap).to_cursor(),
            expected: None,
        }
    }

    async fn read_changes(&self, cursor: &Cursor) -> Result<Page<HealthPersonnel>, SourceError> {
        let mut position = HprCursor::parse(cursor)?;
        let now = Utc::now();
        let frontier = now - self.options.settle;
        let til = if let Some(til) = position.til {
            til
        } else {
            if frontier <= position.fra {
                return Ok(Page {
                    changes: Vec::new(),
                    malformed: Vec::new(),
                    next_cursor: position.to_cursor(),
                    caught_up: true,
                    events_seen: 0,
                    sequence_gaps: 0,
                });
            }
            let til = frontier.min(position.fra + self.options.max_window);
            position.til = Some(til);
            position.side = 1;
            position.seen = 0;
            position.total = None;
            til
        };
        let per_page = self.options.page_size;
        let page = self
            .soap
            .hent_register_endringer(position.fra, til, position.side, per_page)
            .await
            .map_err(SourceError::from)?;
        let items = page.items as u64;
        let restarted = position.side > 1
            && matches!((position.total, page.total), (Some(before), Some(now)) if before != now);
        let next_fra = (til - self.options.overlap).max(position.fra);
        let (changes, malformed) = assemble(
            page.records,
            &mut position.recent,
            self.options.overlap,
            now,
        );
        position.seen += items;
        let window_done = items == 0
            || page
                .total
                .map_or(items < u64::from(per_page), |total| position.seen >= total);
        let caught_up;
        if restarted {
            tracing::info!(register = %Register::Hpr, "ResultaterTotalt changed while paging; reading the window again");
            position.side = 1;
            position.seen = 0;
            position.total = None;
            caught_up = false;
        } else if window_done {
            // Caught up when this window reached the frontier of the moment it opened, i.e.
            // it was not cut short by `max_window` (later changes wait for the next poll).
            caught_up = til - position.fra < self.options.max_window;
            position.fra = next_fra;
            position.til = None;
            position.side = 1;
            position.seen = 0;
            position.total = None;
        } else {
            caught_up = false;
            position.total = position.total.or(page.total);
            position.side += 1;
        }
        if position.recent.len() > MAX_RECENT {
            position.recent.clear();
        }
        Ok(Page {
            changes,
            malformed,
            next_cursor: position.to_cursor(),
            caught_up,
            events_seen: page.items,
            sequence_gaps: 0,
        })
    }
}

/// The instant of a de-duplication key (`HPRNummer@SistOppdatert`).
fn recent_at(key: &str) -> Option<DateTime<Utc>> {
    let (_, at) = key.split_once('@')?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// A page's records → upserts (one per HPR number, the latest `SistOppdatert` winning; those
/// already delivered left out) and malformed records. The keys of delivered records join
/// `recent`, which then keeps those within `overlap` of the newest.
fn assemble(
    records: Vec<Parsed<HealthPersonnel>>,
    recent: &mut std::collections::BTreeSet<String>,
    overlap: Duration,
    fetched_at: DateTime<Utc>,
) -> (Vec<Change<HealthPersonnel>>, Vec<MalformedRecord>) {
    let mut latest: HashMap<HprNumber, usize> = HashMap::new();
    let mut kept: Vec<HealthPersonnel> = Vec::new();
    let mut malformed = Vec::new();
    for parsed in records {
        let record = match parsed {
            Parsed::Record(record) => record,
            Parsed::Malformed(bad) => {
                malformed.push(bad);
                continue;
            }
        };
        if let Some(at) = record.last_updated {
            let key = HprCursor::key(record.hpr_number.get(), at);
            if !recent.insert(key) {
                continue;
            }
        }
        match latest.get(&record.hpr_number) {
            Some(&index) if kept[index].last_updated > record.last_updated => {}
            Some(&index) => kept[index] = record,
            None => {
                latest.insert(record.hpr_number, kept.len());
                kept.push(record);
            }
        }
    }
    let newest = recent.iter().filter_map(|key| recent_at(key)).max();
    if let Some(newest) = newest {
        recent.retain(|key| recent_at(key).is_some_and(|at| at >= newest - overlap));
    }
    let changes = kept
        .into_iter()
        .map(|record| Change::Upsert {
            changed_at: record.last_updated,
            record,
            fetched_at,
        })
        .collect();
    (changes, malformed)
}

/// `Last-Modified` as an instant.
fn last_modified(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(LAST_MODIFIED)?.to_str().ok()?;
    let at = httpdate::parse_http_date(text).ok()?;
    Some(DateTime::<Utc>::from(at))
}

/// The `Søk2` listing as a lazily paged stream.
struct Listing {
    soap: HprSoapClient,
    since: DateTime<Utc>,
    per_page: u32,
    side: u32,
    seen: u64,
    done: bool,
    buffer: VecDeque<Parsed<HealthPersonnel>>,
}

impl Listing {
    async fn next(&mut self) -> Option<Result<Parsed<HealthPersonnel>, SourceError>> {
        loop {
            if let Some(record) = self.buffer.pop_front() {
                return Some(Ok(record));
            }
            if self.done {
                return None;
            }
            let page = match self.soap.sok2(self.since, self.side, self.per_page).await {
                Ok(page) => page,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error.into()));
                }
            };
            let items = page.items as u64;
            self.seen += items;
            self.side += 1;
            self.done = items == 0
                || page
                    .total
                    .map_or(items < u64::from(self.per_page), |total| self.seen >= total);
            self.buffer.extend(page.records);
        }
    }
}

impl Source for HprSource {
    type Record = HealthPersonnel;

    fn register(&self) -> Register {
        Register::Hpr
    }

    async fn bootstrap(&self) -> Result<Snapshot<HealthPersonnel>, SourceError> {
        match &self.export {
            Some(endpoint) => self.bootstrap_export(endpoint).await,
            None => Ok(self.bootstrap_listing()),
        }
    }

    async fn changes(&self, cursor: &Cursor) -> Result<Page<HealthPersonnel>, SourceError> {
        self.read_changes(cursor).await
    }

    async fn fetch(&self, keys: &[HprNumber]) -> Result<Vec<Parsed<HealthPersonnel>>, SourceError> {
        self.rest.by_hpr_numbers(keys).await
    }
}

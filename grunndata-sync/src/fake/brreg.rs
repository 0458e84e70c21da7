//! Enhetsregisteret (Brreg) open data API, served under `/brreg/enhetsregisteret/api`.
//!
//! Decisions where the specs are silent (UPSTREAMS.md §1):
//! - The bulk download (`/{enheter|underenheter}/lastned`) is the raw gzip file as the body
//!   (no `Content-Encoding`), a JSON array of every unit that is neither deleted nor removed,
//!   reflecting admin changes up to the request. `Last-Modified` is the time of the newest change
//!   it includes (the data set's production time before any admin change) and the `ETag` names
//!   the newest event id, so a client that starts the feed at `dato = Last-Modified` misses
//!   nothing (it may see some changes twice). `If-None-Match` gives 304. A file downloaded
//!   whole without faults is kept and served again until the data changes (as a file server
//!   serves Brreg's nightly file), so repeated downloads do not regenerate it.
//! - The feed's page depth is capped like search: `(page + 1) * size <= 10000`, `size <= 10000`,
//!   else 400 — clients must page by `oppdateringsid = last + 1` and `page = 0`. `includeChanges`
//!   is accepted and ignored (no `endringer`).
//! - Expired history ("cursor too old", fault `history_expired_below`): a feed request whose
//!   lower bound (`oppdateringsid`, or the first id at `dato`, default 1) is below the floor gets
//!   410 Gone with a Spring error body, as the fake's AR and Persontjenesten feeds do. The real
//!   behaviour is unknown (docs/upstream-decisions.md, "feed expiry"); the client reads only the
//!   status, never the text.
//! - Search (`GET /enheter?organisasjonsnummer=a,b`) returns live units only, in the order
//!   asked, paged by `page` and `size` like any search (default size 20), with no `_embedded`
//!   when nothing matched; other search parameters are ignored; without `organisasjonsnummer`
//!   it lists all live units. The fault `malformed_record` breaks the first unit of a page.
//! - A malformed 9-digit-or-not organisasjonsnummer in a path gives 400; unknown gives 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use super::dataset::{Unit, parse_datetime};
use super::faults::Fault;
use super::http;
use super::state::{BrregEntry, State as AppState};

/// Where Brreg's API is mounted.
pub const PREFIX: &str = "/brreg/enhetsregisteret/api";

/// The deepest page Brreg serves: `(page + 1) * size` may not exceed this.
const MAX_DEPTH: u64 = 10_000;

/// The Brreg router (paths relative to [`PREFIX`]).
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/enheter/lastned", get(|s, h| lastned(s, h, Unit::Enheter)))
        .route(
            "/underenheter/lastned",
            get(|s, h| lastned(s, h, Unit::Underenheter)),
        )
        .route(
            "/enheter/{orgnr}",
            get(|s, h, p| unit(s, h, p, Unit::Enheter)),
        )
        .route(
            "/underenheter/{orgnr}",
            get(|s, h, p| unit(s, h, p, Unit::Underenheter)),
        )
        .route("/enheter", get(|s, h, q| search(s, h, q, Unit::Enheter)))
        .route(
            "/underenheter",
            get(|s, h, q| search(s, h, q, Unit::Underenheter)),
        )
        .route(
            "/oppdateringer/enheter",
            get(|s, h, q| feed(s, h, q, Unit::Enheter)),
        )
        .route(
            "/oppdateringer/underenheter",
            get(|s, h, q| feed(s, h, q, Unit::Underenheter)),
        )
}

fn self_href(origin: &str, unit: Unit, orgnr: &str) -> String {
    format!("{origin}{PREFIX}/{}/{orgnr}", unit.segment())
}

/// Adds `_links` (self, and overordnetEnhet for sub-units) to a record object.
fn with_links(mut record: Value, unit: Unit, origin: &str) -> Value {
    let orgnr = record
        .get("organisasjonsnummer")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let parent = record
        .get("overordnetEnhet")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(object) = record.as_object_mut() {
        let mut links = Map::new();
        links.insert(
            "self".into(),
            json!({ "href": self_href(origin, unit, &orgnr) }),
        );
        if let Some(parent) = parent {
            links.insert(
                "overordnetEnhet".into(),
                json!({ "href": self_href(origin, Unit::Enheter, &parent) }),
            );
        }
        object.insert("_links".into(), Value::Object(links));
    }
    record
}

/// Removes the key of a record (fault `malformed_record`).
fn break_record(record: &mut Value) {
    if let Some(object) = record.as_object_mut() {
        object.remove("organisasjonsnummer");
    }
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

async fn lastned(State(state): State<Arc<AppState>>, headers: HeaderMap, unit: Unit) -> Response {
    let path = format!("{PREFIX}/{}/lastned", unit.segment());
    let (entries, created, head, last_change) = {
        let overlay = state.read();
        let brreg = overlay.brreg(unit);
        (
            brreg.entries.clone(),
            brreg.created.clone(),
            state.brreg_head(&overlay, unit),
            brreg.events.last().map(|e| e.dato),
        )
    };
    let etag = format!(
        "\"{}-{}-{}\"",
        unit.segment(),
        state.produced_at.timestamp(),
        head
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let (truncate_gzip, malformed, short) = {
        let mut faults = state.faults();
        (
            faults.fire(Fault::TruncateGzip, &path),
            faults.fire(Fault::MalformedRecord, &path),
            faults.short_snapshot(&path),
        )
    };
    let last_modified = http_date(last_change.unwrap_or(state.produced_at));
    // A download without faults is the same file until the data changes: serve the kept one.
    let keep = !truncate_gzip && !malformed && short.is_none();
    let kept = keep.then(|| state.bulk_file(unit, &etag)).flatten();
    let producer_state = Arc::clone(&state);
    let produce = move |writer: &mut http::ChannelWriter| {
        let data = &producer_state.data;
        let total = data.brreg_len(unit) + created.len() as u64;
        let cut_at = truncate_gzip.then_some(total / 2);
        let broken_at = malformed.then_some(total / 3);
        // A short snapshot ends its array early, well-formed and properly compressed.
        let end = short.map_or(total, |fraction| super::faults::kept(total, fraction));
        let mut gz = GzEncoder::new(writer, Compression::fast());
        let mut buffer = Vec::with_capacity(4096);
        let mut first = true;
        let mut broken = false;
        std::io::Write::write_all(&mut gz, b"[")?;
        for position in 0..end {
            if cut_at == Some(position) {
                // Push out what is compressed so far, then swallow the rest (including the
                // encoder's final block and trailer): a gzip stream that just stops.
                std::io::Write::flush(&mut gz)?;
                gz.get_mut().discard = true;
                return Ok(());
            }
            buffer.clear();
            let base = data.brreg_len(unit);
            let written = if position < base {
                let orgnr = data.brreg_orgnr(unit, position);
                match entries.get(&orgnr) {
                    Some(BrregEntry::Live(record)) => {
                        serde_json::to_writer(&mut buffer, record).map(|()| true)
                    }
                    Some(_) => Ok(false),
                    None => data.brreg_write_live(unit, position, &mut buffer),
                }
            } else {
                let orgnr = &created[usize::try_from(position - base).unwrap_or(0)];
                match entries.get(orgnr) {
                    Some(BrregEntry::Live(record)) => {
                        serde_json::to_writer(&mut buffer, record).map(|()| true)
                    }
                    _ => Ok(false),
                }
            }
            .map_err(std::io::Error::other)?;
            if !written {
                continue;
            }
            if broken_at.is_some_and(|at| position >= at) && !broken {
                // Only one record is broken.
                broken = true;
                let mut record: Value =
                    serde_json::from_slice(&buffer).map_err(std::io::Error::other)?;
                break_record(&mut record);
                buffer.clear();
                serde_json::to_writer(&mut buffer, &record).map_err(std::io::Error::other)?;
            }
            if !first {
                std::io::Write::write_all(&mut gz, b",")?;
            }
            first = false;
            std::io::Write::write_all(&mut gz, &buffer)?;
        }
        std::io::Write::write_all(&mut gz, b"]")?;
        gz.try_finish()
    };
    let body = match kept {
        Some(chunks) => http::from_chunks(&chunks),
        None if keep => {
            let keeper = Arc::clone(&state);
            let etag = etag.clone();
            http::streamed_keeping(produce, move |chunks| {
                keeper.keep_bulk_file(unit, etag, chunks);
            })
        }
        None => http::streamed(produce),
    };
    let media = match unit {
        Unit::Enheter => "application/vnd.brreg.enhetsregisteret.enhet.v2+gzip;charset=UTF-8",
        Unit::Underenheter => {
            "application/vnd.brreg.enhetsregisteret.underenhet.v2+gzip;charset=UTF-8"
        }
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    response
}

/// What a lookup of one unit finds.
enum Found {
    Record(Value),
    Removed,
    Missing,
}

fn find(state: &AppState, unit: Unit, orgnr: &str) -> Found {
    let overlay = state.read();
    match overlay.brreg(unit).entries.get(orgnr) {
        Some(BrregEntry::Live(record) | BrregEntry::Deleted(record)) => {
            Found::Record(record.clone())
        }
        Some(BrregEntry::Removed) => Found::Removed,
        None => match state.data.brreg_index(unit, orgnr) {
            Some(index) => Found::Record(state.data.brreg_record(unit, index)),
            None => Found::Missing,
        },
    }
}

fn is_live(record: &Value) -> bool {
    record.get("slettedato").is_none_or(Value::is_null)
}

async fn unit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(orgnr): Path<String>,
    unit: Unit,
) -> Response {
    let path = format!("{PREFIX}/{}/{orgnr}", unit.segment());
    if orgnr.len() != 9 || !orgnr.bytes().all(|b| b.is_ascii_digit()) {
        return http::spring_error(
            StatusCode::BAD_REQUEST,
            "Ugyldig organisasjonsnummer",
            &path,
        );
    }
    match find(&state, unit, &orgnr) {
        Found::Record(record) => {
            let mut record = with_links(record, unit, &http::origin(&headers));
            if state.faults().fire(Fault::MalformedRecord, &path) {
                break_record(&mut record);
            }
            http::json(StatusCode::OK, &record)
        }
        Found::Removed => http::spring_error(StatusCode::GONE, "Enheten er fjernet", &path),
        Found::Missing => http::spring_error(StatusCode::NOT_FOUND, "Enheten finnes ikke", &path),
    }
}

/// `page` and `size` with Brreg's defaults and depth cap.
fn paging(query: &[(String, String)], path: &str) -> Result<(u64, u64), Response> {
    let number = |key: &str, default: u64| -> Result<u64, Response> {
        match http::first(query, key) {
            None | Some("") => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                http::spring_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Ugyldig verdi for {key}"),
                    path,
                )
            }),
        }
    };
    let page = number("page", 0)?;
    let size = number("size", 20)?;
    if size == 0 || size > MAX_DEPTH || (page + 1).saturating_mul(size) > MAX_DEPTH {
        return Err(http::spring_error(
            StatusCode::BAD_REQUEST,
            &format!("Max dybde (page*size) er {MAX_DEPTH}"),
            path,
        ));
    }
    Ok((page, size))
}

fn page_object(size: u64, total: u64, page: u64) -> Value {
    json!({ "size": size, "totalElements": total, "totalPages": total.div_ceil(size), "number": page })
}

/// HAL links for a paged listing.
fn page_links(base: &str, query: &[(String, String)], page: u64, size: u64, total: u64) -> Value {
    let rest: Vec<String> = query
        .iter()
        .filter(|(k, _)| k != "page" && k != "size")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let href = |page: u64| {
        let mut parts = rest.clone();
        parts.push(format!("page={page}"));
        parts.push(format!("size={size}"));
        json!({ "href": format!("{base}?{}", parts.join("&")) })
    };
    let pages = total.div_ceil(size);
    let mut links = Map::new();
    links.insert("first".into(), href(0));
    links.insert("self".into(), href(page));
    if page + 1 < pages {
        links.insert("next".into(), href(page + 1));
    }
    links.insert("last".into(), href(pages.saturating_sub(1)));
    Value::Object(links)
}

/// A HAL page: `_embedded.<key>` only when there are items.
fn hal_page(key: &str, items: &[Value], links: Value, page: Value) -> Value {
    let mut body = Map::new();
    if !items.is_empty() {
        body.insert("_embedded".into(), json!({ key: items }));
    }
    body.insert("_links".into(), links);
    body.insert("page".into(), page);
    Value::Object(body)
}

async fn search(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    unit: Unit,
) -> Response {
    let path = format!("{PREFIX}/{}", unit.segment());
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let (page, size) = match paging(&query, &path) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let origin = http::origin(&headers);
    let (items, total) = if let Some(list) = http::first(&query, "organisasjonsnummer") {
        let found: Vec<Value> = list
            .split(',')
            .map(str::trim)
            .filter_map(|orgnr| match find(&state, unit, orgnr) {
                Found::Record(record) if is_live(&record) => Some(record),
                _ => None,
            })
            .collect();
        let total = found.len() as u64;
        let items: Vec<Value> = found
            .into_iter()
            .skip(usize::try_from(page * size).unwrap_or(usize::MAX))
            .take(usize::try_from(size).unwrap_or(0))
            .collect();
        (items, total)
    } else {
        // Every unit in order (base, then created); deleted ones are left out of the page but
        // still counted in the total, which the fake does not recount (documented shortcut).
        let overlay = state.read();
        let created = &overlay.brreg(unit).created;
        let base = state.data.brreg_len(unit);
        let total = base + created.len() as u64;
        let items = (page * size..((page + 1) * size).min(total))
            .filter_map(|position| {
                let orgnr = if position < base {
                    state.data.brreg_orgnr(unit, position)
                } else {
                    created[usize::try_from(position - base).ok()?].clone()
                };
                match overlay.brreg(unit).entries.get(&orgnr) {
                    Some(BrregEntry::Live(record)) => Some(record.clone()),
                    Some(_) => None,
                    None => Some(state.data.brreg_record(unit, position)).filter(is_live),
                }
            })
            .collect();
        (items, total)
    };
    let mut items: Vec<Value> = items
        .into_iter()
        .map(|r| with_links(r, unit, &origin))
        .collect();
    if let Some(record) = items.first_mut()
        && state.faults().fire(Fault::MalformedRecord, &path)
    {
        break_record(record);
    }
    let links = page_links(&format!("{origin}{path}"), &query, page, size, total);
    http::json(
        StatusCode::OK,
        &hal_page(
            unit.segment(),
            &items,
            links,
            page_object(size, total, page),
        ),
    )
}

async fn feed(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    unit: Unit,
) -> Response {
    let path = format!("{PREFIX}/oppdateringer/{}", unit.segment());
    let query = http::pairs(raw.as_deref().unwrap_or(""));
    let (page, size) = match paging(&query, &path) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let from_id = match http::first(&query, "oppdateringsid") {
        None | Some("") => 1,
        Some(text) => match text.parse::<u64>() {
            Ok(id) if id >= 1 => id,
            _ => {
                return http::spring_error(
                    StatusCode::BAD_REQUEST,
                    "oppdateringsid må være større eller lik 1",
                    &path,
                );
            }
        },
    };
    let since = match http::first(&query, "dato") {
        None | Some("") => None,
        Some(text) => match parse_datetime(text) {
            Some(t) => Some(t.and_utc()),
            None => return http::spring_error(StatusCode::BAD_REQUEST, "Ugyldig dato", &path),
        },
    };
    let filter: Option<Vec<String>> = http::first(&query, "organisasjonsnummer")
        .map(|list| list.split(',').map(|s| s.trim().to_owned()).collect());
    let floor = {
        let faults = state.faults();
        match unit {
            Unit::Enheter => faults.floors().brreg_enheter,
            Unit::Underenheter => faults.floors().brreg_underenheter,
        }
    };
    let overlay = state.read();
    let head = state.brreg_head(&overlay, unit);
    let lower = since.map_or(from_id, |t| {
        from_id.max(state.brreg_first_at_or_after(&overlay, unit, t))
    });
    if let Some(floor) = floor.filter(|&f| lower < f) {
        return http::spring_error(
            StatusCode::GONE,
            &format!(
                "Oppdateringshistorikken før oppdateringsid {floor} er ikke lenger tilgjengelig"
            ),
            &path,
        );
    }
    let skip = page * size;
    let (ids, total): (Vec<u64>, u64) = match &filter {
        None => {
            let total = (head + 1).saturating_sub(lower);
            let first = lower + skip;
            (
                (first..=head)
                    .take(usize::try_from(size).unwrap_or(0))
                    .collect(),
                total,
            )
        }
        Some(orgnrs) => {
            let mut ids: Vec<u64> = Vec::new();
            for orgnr in orgnrs {
                if let Some(index) = state.data.brreg_index(unit, orgnr) {
                    ids.push(index + 1);
                }
            }
            for event in &overlay.brreg(unit).events {
                if orgnrs.contains(&event.orgnr) {
                    ids.push(event.id);
                }
            }
            ids.retain(|&id| id >= lower);
            ids.sort_unstable();
            let total = ids.len() as u64;
            (
                ids.into_iter()
                    .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                    .take(usize::try_from(size).unwrap_or(0))
                    .collect(),
                total,
            )
        }
    };
    let origin = http::origin(&headers);
    let link_key = match unit {
        Unit::Enheter => "enhet",
        Unit::Underenheter => "underenhet",
    };
    let mut items: Vec<Value> = ids
        .into_iter()
        .filter_map(|id| state.brreg_event(&overlay, unit, id))
        .map(|event| {
            json!({
                "oppdateringsid": event.id,
                "dato": crate::synth::fmt::brreg_datetime(event.dato),
                "organisasjonsnummer": event.orgnr,
                "endringstype": event.endringstype,
                "_links": { link_key: { "href": self_href(&origin, unit, &event.orgnr) } },
            })
        })
        .collect();
    drop(overlay);
    super::feed_faults::apply(&state, &path, &mut items, "oppdateringsid");
    let key = match unit {
        Unit::Enheter => "oppdaterteEnheter",
        Unit::Underenheter => "oppdaterteUnderenheter",
    };
    let links = page_links(&format!("{origin}{path}"), &query, page, size, total);
    http::json(
        StatusCode::OK,
        &hal_page(key, &items, links, page_object(size, total, page)),
    )
}

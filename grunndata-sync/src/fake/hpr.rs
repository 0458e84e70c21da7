//! Helsepersonellregisteret, served under `/hpr`: the REST "HPR Offentlig API" person lookups,
//! the bulk export, and the SOAP service (`/hpr/v2/HPR/Basic`, see `hpr_soap`).
//!
//! Decisions where our sources are silent (UPSTREAMS.md §4):
//! - The export's real URL is UNVERIFIED; here it is `/hpr` + the configured path (default
//!   `/v1/eksport`). It is a ZIP (streamed, deflate) whose entries `helsepersonell-00001.json`, …
//!   are JSON arrays of up to 10 000 `HelsepersonUtvidet` each.
//! - `POST /v1/personerutvidet` answers with the person as it is now; `atDate` only sets
//!   `gjelderForDato`, and `includeHistory` is accepted and ignored.
//! - Not found is 404 with a `ProblemDetails` body; a body without `nin` is 400.
//! - An admin delete removes the person: REST gives 404 and nothing appears in
//!   `HentRegisterEndringer` (HPR has no deletion signal; a mirror notices only by comparing
//!   with a full listing).

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use zip::write::SimpleFileOptions;

use super::faults::Fault;
use super::http;
use super::state::State as AppState;
use super::token::{TokenServer, require_bearer};
use crate::auth::scopes;

/// Where HPR is mounted.
pub const PREFIX: &str = "/hpr";

/// The export's default path below [`PREFIX`] (the real URL is not documented).
pub const DEFAULT_EXPORT_PATH: &str = "/v1/eksport";

/// Persons per ZIP entry of the export.
const PER_ENTRY: u64 = 10_000;

/// The HPR router (paths relative to [`PREFIX`]). With `tokens`, the REST lookups demand a
/// Maskinporten token with `nhn:hpr/basic` or `nhn:hpr/extended`, the export one with
/// `nhn:hpr/export`, and the SOAP service HTTP Basic with the fake's service user
/// ([`super::hpr_soap::HPR_SOAP_USERNAME`]).
pub(crate) fn router(export_path: &str, tokens: Option<&TokenServer>) -> Router<Arc<AppState>> {
    let mut rest = Router::new()
        .route("/v1/personerutvidet/{hpr_nummer}", get(by_number))
        .route("/v1/personerutvidet", post(by_nin));
    let mut bulk = Router::new().route(export_path, get(export));
    let mut soap = Router::new().route("/v2/HPR/Basic", post(super::hpr_soap::soap));
    if let Some(tokens) = tokens {
        rest = require_bearer(rest, tokens, &[scopes::HPR_BASIC, scopes::HPR_EXTENDED]);
        bulk = require_bearer(bulk, tokens, &[scopes::HPR_EXPORT]);
        soap = soap.layer(axum::middleware::from_fn(super::hpr_soap::require_basic));
    }
    rest.merge(bulk).merge(soap)
}

fn break_record(record: &mut Value) {
    if let Some(object) = record.as_object_mut() {
        object.remove("hprNummer");
    }
}

fn not_found() -> Response {
    http::problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        "Helsepersonell ikke funnet",
    )
}

async fn by_number(State(state): State<Arc<AppState>>, Path(number): Path<String>) -> Response {
    let path = format!("{PREFIX}/v1/personerutvidet/{number}");
    let Ok(number) = number.parse::<u64>() else {
        return http::problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "hprNummer must be a number",
        );
    };
    let record = {
        let overlay = state.read();
        state.hpr_record(&overlay, number)
    };
    match record {
        Some(mut record) => {
            if state.faults().fire(Fault::MalformedRecord, &path) {
                break_record(&mut record);
            }
            http::json(StatusCode::OK, &record)
        }
        None => not_found(),
    }
}

async fn by_nin(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let path = format!("{PREFIX}/v1/personerutvidet");
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return http::problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "The body must be JSON: {nin, atDate, includeHistory}",
        );
    };
    let Some(nin) = input.get("nin").and_then(Value::as_str) else {
        return http::problem(StatusCode::BAD_REQUEST, "Bad Request", "nin is required");
    };
    let record = {
        let overlay = state.read();
        state
            .hpr_number_by_nin(&overlay, nin)
            .and_then(|number| state.hpr_record(&overlay, number))
    };
    let Some(mut record) = record else {
        return not_found();
    };
    if let (Some(at), Some(object)) = (
        input.get("atDate").and_then(Value::as_str),
        record.as_object_mut(),
    ) {
        object.insert(
            "gjelderForDato".into(),
            Value::String(at.chars().take(10).collect()),
        );
    }
    if state.faults().fire(Fault::MalformedRecord, &path) {
        break_record(&mut record);
    }
    http::json(StatusCode::OK, &record)
}

async fn export(State(state): State<Arc<AppState>>) -> Response {
    let path = format!("{PREFIX}{}", state.hpr_export_path);
    let (malformed, short) = {
        let mut faults = state.faults();
        (
            faults.fire(Fault::MalformedRecord, &path),
            faults.short_snapshot(&path),
        )
    };
    let (entries, removed, created) = {
        let overlay = state.read();
        (
            overlay.hpr.entries.clone(),
            overlay.hpr.removed.clone(),
            overlay.hpr.created.clone(),
        )
    };
    let producer_state = Arc::clone(&state);
    let body = http::streamed(move |writer| {
        let data = &producer_state.data;
        let base = data.hpr_len();
        let all = base + created.len() as u64;
        // A short snapshot is a complete ZIP of fewer records.
        let total = short.map_or(all, |fraction| super::faults::kept(all, fraction));
        let mut zip = zip::ZipWriter::new_stream(writer);
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut buffer = Vec::with_capacity(8192);
        let mut in_entry = 0u64;
        let mut entry = 0u64;
        let mut broken = !malformed;
        for position in 0..total {
            let number = if position < base {
                data.hpr_number(position)
            } else {
                created[usize::try_from(position - base).unwrap_or(0)]
            };
            if removed.contains(&number) {
                continue;
            }
            buffer.clear();
            match entries.get(&number) {
                Some(record) if !broken => {
                    let mut record = record.clone();
                    break_record(&mut record);
                    broken = true;
                    serde_json::to_writer(&mut buffer, &record)
                }
                Some(record) => serde_json::to_writer(&mut buffer, record),
                None if !broken => {
                    let mut record = data.hpr_record(position);
                    break_record(&mut record);
                    broken = true;
                    serde_json::to_writer(&mut buffer, &record)
                }
                None => data.hpr_write(position, &mut buffer),
            }
            .map_err(std::io::Error::other)?;
            if in_entry == 0 {
                entry += 1;
                zip.start_file(format!("helsepersonell-{entry:05}.json"), options)
                    .map_err(std::io::Error::other)?;
                zip.write_all(b"[")?;
            } else {
                zip.write_all(b",")?;
            }
            zip.write_all(&buffer)?;
            in_entry += 1;
            if in_entry == PER_ENTRY {
                zip.write_all(b"]")?;
                in_entry = 0;
            }
        }
        if in_entry > 0 {
            zip.write_all(b"]")?;
        }
        zip.finish().map_err(std::io::Error::other)?;
        Ok(())
    });
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"hpr-eksport.zip\""),
    );
    response
}

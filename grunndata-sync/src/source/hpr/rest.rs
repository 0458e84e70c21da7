//! The HPR REST API ("HPR Offentlig API", Maskinporten): `personerutvidet` by HPR number and by
//! NIN, and [`parse_helseperson`] for one `HelsepersonUtvidet` (also used for the export).
//!
//! Paths (observed in NAV's clients; the official spec is not stored): `GET
//! /v1/personerutvidet/{hprNummer}` and `POST /v1/personerutvidet` with body
//! `{"nin": "…", "atDate": "YYYY-MM-DD"}` — the NIN travels in the body, never in a URL. 404
//! means "no such person" and is not an error.

use std::sync::Arc;

use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::convert;
use super::rest_dto::HelsepersonUtvidetDto;
use super::time;
use crate::core::id::{HprNumber, NationalId};
use crate::core::model::HealthPersonnel;
use crate::source::http::{Authorise, HttpClient, HttpConfig, RequestSpec};
use crate::source::{MalformedRecord, Parsed, SourceError};
use crate::store::Register;

/// Path of the extended person resource.
pub const PERSONERUTVIDET: &str = "/v1/personerutvidet";

/// Parses one `HelsepersonUtvidet` JSON object. A record that does not parse is a
/// [`MalformedRecord`] naming the JSON path of the field and the HPR number, if readable.
pub fn parse_helseperson(bytes: &[u8]) -> Parsed<HealthPersonnel> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let dto: HelsepersonUtvidetDto = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(dto) => dto,
        Err(error) => {
            return Parsed::Malformed(MalformedRecord::from_path_error(
                Register::Hpr,
                peek_hpr_number(bytes),
                &error,
                bytes,
            ));
        }
    };
    if let Err(error) = deserializer.end() {
        return Parsed::Malformed(MalformedRecord::new(
            Register::Hpr,
            dto.hpr_nummer.map(|hpr| hpr.to_string()),
            None,
            &format!("trailing data after the record: {error}"),
            bytes.to_vec(),
        ));
    }
    match convert::rest::health_personnel(&dto) {
        Ok(record) => Parsed::Record(record),
        Err(error) => Parsed::Malformed(MalformedRecord::new(
            Register::Hpr,
            dto.hpr_nummer.map(|hpr| hpr.to_string()),
            Some(error.field),
            &error.message,
            bytes.to_vec(),
        )),
    }
}

/// `hprNummer` of a record that did not deserialise, as text, if it can be read at all.
fn peek_hpr_number(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(rename = "hprNummer", default)]
        hpr: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Peek>(bytes).ok()?.hpr? {
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::String(text) => convert::text(Some(&text)),
        _ => None,
    }
}

/// The body of `POST /v1/personerutvidet`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByNin<'a> {
    nin: &'a str,
    /// Decision: today in Norway, as NAV's client sends; the API's default is not documented.
    at_date: String,
}

/// A client of the HPR REST API.
#[derive(Debug, Clone)]
pub struct HprRestClient {
    http: HttpClient,
}

impl HprRestClient {
    /// A client for the API at `base_url` (e.g. `https://api.offentlig.test.hpr.nhn.no`),
    /// authorised by `auth` (Maskinporten, scope `nhn:hpr/extended`; see
    /// [`TokenAuth`](crate::source::http::TokenAuth)).
    pub fn new(
        base_url: &str,
        auth: Option<Arc<dyn Authorise>>,
        config: HttpConfig,
    ) -> Result<Self, SourceError> {
        let http = HttpClient::builder(Register::Hpr, base_url)
            .config(config)
            .auth(auth)
            .build()?;
        Ok(Self { http })
    }

    /// `GET /v1/personerutvidet/{hprNummer}`; `None` when HPR does not know the number.
    pub async fn by_hpr_number(
        &self,
        hpr: HprNumber,
    ) -> Result<Option<Parsed<HealthPersonnel>>, SourceError> {
        let spec = RequestSpec::get(format!("{PERSONERUTVIDET}/{}", hpr.get()))
            .allow(StatusCode::NOT_FOUND);
        self.one(&spec).await
    }

    /// `POST /v1/personerutvidet` with the NIN in the body; `None` when HPR has no such person.
    pub async fn by_nin(
        &self,
        nin: &NationalId,
    ) -> Result<Option<Parsed<HealthPersonnel>>, SourceError> {
        let text = nin.expose();
        let body = serde_json::to_vec(&ByNin {
            nin: &text,
            at_date: time::format_date(time::oslo_today()),
        })
        .map_err(|error| SourceError::Internal {
            register: Register::Hpr,
            message: format!("encoding a lookup by NIN: {error}"),
        })?;
        let spec = RequestSpec::post(PERSONERUTVIDET)
            .json_body(body)
            .allow(StatusCode::NOT_FOUND);
        self.one(&spec).await
    }

    /// Fetches many HPR numbers, one `GET` each, at most the HTTP layer's concurrency at once;
    /// numbers HPR does not know are left out. The first failed request fails the whole call.
    pub async fn by_hpr_numbers(
        &self,
        numbers: &[HprNumber],
    ) -> Result<Vec<Parsed<HealthPersonnel>>, SourceError> {
        let mut results = futures_util::stream::iter(numbers.iter().copied())
            .map(|hpr| self.by_hpr_number(hpr))
            .buffered(self.http.concurrency());
        let mut records = Vec::with_capacity(numbers.len());
        while let Some(result) = results.next().await {
            if let Some(parsed) = result? {
                records.push(parsed);
            }
        }
        Ok(records)
    }

    async fn one(
        &self,
        spec: &RequestSpec,
    ) -> Result<Option<Parsed<HealthPersonnel>>, SourceError> {
        let fetched = self.http.fetch(spec).await?;
        if fetched.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(parse_helseperson(&fetched.body)))
    }
}

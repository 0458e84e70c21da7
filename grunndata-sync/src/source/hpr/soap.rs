//! The HPR v2 SOAP service (`IHPR2Service`, SOAP 1.1 `BasicHttpBinding` at `…/v2/HPR/Basic`):
//! the change feed `HentRegisterEndringer` and the paged listing `Søk2`.
//!
//! Requests: `POST` to the service URL, `Content-Type: text/xml; charset=utf-8`,
//! `SOAPAction: "http://schemas.nhn.no/reg/HPRv2/IHPR2Service/<Operation>"`, HTTP Basic auth.
//! Responses are read by [`parse_response`].
//!
//! Decisions where the sources are silent:
//! - **`SOAPAction` with `ø`** (`Søk2`): header values must be ASCII, so non-ASCII bytes are
//!   percent-encoded as UTF-8 (`S%C3%B8k2`), which is what WCF's own client sends
//!   (`UrlPathEncode`) and what a WCF service decodes; NAV's HPR client URL-encodes the header
//!   the same way.
//! - **Charset**: a response body is read as UTF-8, and as ISO-8859-1 only if it is not valid
//!   UTF-8 (NAV observed HPR declaring ISO-8859-1 while sending UTF-8).
//! - **Faults and retries**: WCF answers every fault with HTTP 500. A `Client` fault (a bad
//!   request) fails at once as [`HprError::Fault`]; any other 500 (a `Server` fault, a proxy's
//!   error page) is sent again through the shared retry policy (backoff, attempts).

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};

use super::auth::{BasicAuth, SOAP_CONTENT_TYPE, SoapCredentials};
use super::envelope;
use super::error::HprError;
use super::soap_page::{self, PageError};
use crate::core::model::HealthPersonnel;
use crate::source::http::{HttpClient, HttpConfig, RequestSpec};
use crate::source::{Parsed, SourceError};
use crate::store::Register;

/// The SOAP operation of the change feed.
pub const HENT_REGISTER_ENDRINGER: &str = "HentRegisterEndringer";
/// The SOAP operation of the paged listing.
pub const SOK2: &str = "Søk2";
/// `SOAPAction` prefix: the WSDL's `soapAction` is this plus the operation name.
pub const SOAP_ACTION_PREFIX: &str = "http://schemas.nhn.no/reg/HPRv2/IHPR2Service/";

/// One page of a `PaginertResultatsett` (`HentRegisterEndringer`, `Søk2`).
#[derive(Debug)]
pub struct PersonPage {
    /// The `Person`s in order, parsed or malformed (nil ones left out).
    pub records: Vec<Parsed<HealthPersonnel>>,
    /// `Person` elements on the page, nil and malformed ones included.
    pub items: usize,
    /// `ResultaterPerSide`, if sent.
    pub per_page: Option<u64>,
    /// `ResultaterTotalt`, if sent.
    pub total: Option<u64>,
    /// `Side`, if sent.
    pub side: Option<u64>,
}

/// Reads the SOAP response of `operation` (`HentRegisterEndringer`, `Søk2`): a page of
/// persons, or the fault. A `Person` that does not parse is a malformed record in the page.
pub fn parse_response(body: &[u8], operation: &str) -> Result<PersonPage, HprError> {
    parse_at(body, operation, "")
}

fn parse_at(body: &[u8], operation: &str, path: &str) -> Result<PersonPage, HprError> {
    let text = decode(body);
    match soap_page::parse_page(&text, operation) {
        Ok(page) => Ok(PersonPage {
            records: page.records,
            items: page.items,
            per_page: page.per_page,
            total: page.total,
            side: page.side,
        }),
        Err(PageError::Fault(fault)) => Err(HprError::Fault {
            operation: operation.to_owned(),
            path: path.to_owned(),
            fault: Box::new(fault),
        }),
        Err(PageError::Shape { field, message }) => Err(HprError::Source(SourceError::Envelope {
            register: Register::Hpr,
            method: format!("POST {operation}"),
            path: path.to_owned(),
            field,
            message: crate::source::error::scrub_nins(&message),
        })),
    }
}

/// The body as text: UTF-8, or ISO-8859-1 when it is not valid UTF-8.
fn decode(body: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(body.iter().map(|&byte| char::from(byte)).collect()),
    }
}

/// The `SOAPAction` header of `operation`: quoted, non-ASCII percent-encoded (see module doc).
pub fn soap_action(operation: &str) -> String {
    let mut action = String::from("\"");
    for byte in format!("{SOAP_ACTION_PREFIX}{operation}").bytes() {
        if byte.is_ascii_graphic() && byte != b'%' && byte != b'"' {
            action.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            action.push('%');
            action.push(char::from(HEX[usize::from(byte >> 4)]));
            action.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    action.push('"');
    action
}

/// A client of the HPR SOAP service.
#[derive(Debug, Clone)]
pub struct HprSoapClient {
    http: HttpClient,
    path: String,
}

impl HprSoapClient {
    /// A client for the service at `url` (e.g. `https://ws.test.nhn.no/v2/HPR/Basic`), with
    /// the service user's credentials (`None` only against a test server without auth).
    pub fn new(
        url: &str,
        credentials: Option<SoapCredentials>,
        config: HttpConfig,
    ) -> Result<Self, SourceError> {
        let parsed = Url::parse(url).map_err(|error| SourceError::Config {
            register: Register::Hpr,
            message: format!("SOAP URL {url:?}: {error}"),
        })?;
        let path = parsed.path().trim_end_matches('/').to_owned();
        let origin = parsed.origin().ascii_serialization();
        let http = HttpClient::builder(Register::Hpr, origin)
            .config(config)
            .auth(Some(std::sync::Arc::new(BasicAuth::new(credentials))))
            .build()?;
        Ok(Self { http, path })
    }

    /// `HentRegisterEndringer(fra, til, side, resultaterPerSide)`: persons changed in the
    /// window, as full records. `side` starts at 1.
    pub async fn hent_register_endringer(
        &self,
        fra: chrono::DateTime<chrono::Utc>,
        til: chrono::DateTime<chrono::Utc>,
        side: u32,
        per_page: u32,
    ) -> Result<PersonPage, HprError> {
        let body = envelope::hent_register_endringer(fra, til, side, per_page)
            .map_err(|error| self.internal(&error))?;
        self.call(HENT_REGISTER_ENDRINGER, body).await
    }

    /// `Søk2` listing every person changed since `since` (full records), page `side` (from 1).
    pub async fn sok2(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        side: u32,
        per_page: u32,
    ) -> Result<PersonPage, HprError> {
        let body = envelope::sok2(since, side, per_page).map_err(|error| self.internal(&error))?;
        self.call(SOK2, body).await
    }

    fn internal(&self, error: &std::io::Error) -> HprError {
        HprError::Source(SourceError::Internal {
            register: Register::Hpr,
            message: format!("writing a SOAP envelope for {}: {error}", self.path),
        })
    }

    async fn call(&self, operation: &str, body: Vec<u8>) -> Result<PersonPage, HprError> {
        let action = HeaderValue::from_str(&soap_action(operation)).map_err(|error| {
            HprError::Source(SourceError::Config {
                register: Register::Hpr,
                message: format!("SOAPAction for {operation}: {error}"),
            })
        })?;
        let body = Bytes::from(body);
        let spec = RequestSpec::post(self.path.clone())
            .header(HeaderName::from_static("soapaction"), action)
            .raw_body(SOAP_CONTENT_TYPE, body);
        let first = self
            .http
            .fetch(&spec.clone().allow(StatusCode::INTERNAL_SERVER_ERROR))
            .await?;
        if first.status.is_success() {
            return parse_at(&first.body, operation, &self.path);
        }
        match parse_at(&first.body, operation, &self.path) {
            Err(HprError::Fault { fault, .. }) if fault.is_client_fault() => Err(HprError::Fault {
                operation: operation.to_owned(),
                path: self.path.clone(),
                fault,
            }),
            _ => {
                tracing::warn!(
                    register = %Register::Hpr,
                    operation,
                    path = %self.path,
                    "HTTP 500 without a client fault; retrying with backoff"
                );
                let again = self.http.fetch(&spec).await?;
                parse_at(&again.body, operation, &self.path)
            }
        }
    }
}

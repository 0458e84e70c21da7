//! A request described so that it can be sent again on retry, and a response read whole.

use std::fmt;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

/// The body of a request.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// `application/json`.
    Json(Bytes),
    /// `application/x-www-form-urlencoded`: name/value pairs (encoded when sent). Persontjenesten
    /// takes NINs this way so that they never appear in a URL.
    Form(Vec<(String, String)>),
    /// Any other body with its own `Content-Type` (the HPR SOAP envelope is `text/xml`).
    Raw {
        /// The `Content-Type` header.
        content_type: &'static str,
        /// The body.
        bytes: Bytes,
    },
}

/// One request, described so that it can be sent again on retry.
///
/// `path` is appended to the client's base URL and is what errors and logs show; the query is
/// never shown.
#[derive(Clone)]
pub struct RequestSpec {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) body: Option<RequestBody>,
    pub(super) allowed: Vec<StatusCode>,
    pub(super) streaming: bool,
    /// Largest body [`HttpClient::fetch`](super::HttpClient::fetch) reads for this request;
    /// `None`: [`HttpConfig::max_body_bytes`](super::HttpConfig::max_body_bytes).
    pub(super) max_body: Option<usize>,
}

impl fmt::Debug for RequestSpec {
    // The query and body may carry NINs; show only method and path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestSpec({} {})", self.method, self.path)
    }
}

impl RequestSpec {
    /// A request with `method` to `path` (relative to the base URL, starting with `/`).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            allowed: Vec::new(),
            streaming: false,
            max_body: None,
        }
    }

    /// Caps the body [`HttpClient::fetch`](super::HttpClient::fetch) reads for this request
    /// at `bytes` (default [`HttpConfig::max_body_bytes`](super::HttpConfig::max_body_bytes)).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// A `GET`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A `POST`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// Adds a query parameter (repeat the name for a repeated parameter).
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl fmt::Display) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets a JSON body.
    #[must_use]
    pub fn json_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(RequestBody::Json(body.into()));
        self
    }

    /// Sets a body of another type, e.g. a SOAP envelope (`text/xml; charset=utf-8`).
    #[must_use]
    pub fn raw_body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.body = Some(RequestBody::Raw {
            content_type,
            bytes: body.into(),
        });
        self
    }

    /// Sets a form body.
    #[must_use]
    pub fn form_body(mut self, pairs: Vec<(String, String)>) -> Self {
        self.body = Some(RequestBody::Form(pairs));
        self
    }

    /// Treats `status` as an answer the caller handles (e.g. 404, 410) rather than an error.
    #[must_use]
    pub fn allow(mut self, status: StatusCode) -> Self {
        self.allowed.push(status);
        self
    }

    /// Marks a streamed download: no overall timeout (only the read timeout), and the body is
    /// left for the caller to read.
    #[must_use]
    pub fn streaming(mut self) -> Self {
        self.streaming = true;
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path (no query).
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status (2xx or one the request allowed).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, decompressed if upstream used `Content-Encoding: gzip`.
    pub body: Bytes,
}

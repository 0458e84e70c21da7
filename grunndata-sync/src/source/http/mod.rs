//! The HTTP layer every upstream client shares: one `reqwest` client per upstream with
//! timeouts, retries with backoff and jitter, `Retry-After`, gzip, a `User-Agent`, an auth hook
//! applied to every attempt, and a bound on concurrent requests.
//!
//! Retry policy (each attempt counts towards [`HttpConfig::max_attempts`]):
//!
//! | outcome | action |
//! |---|---|
//! | connect error, timeout, connection reset, body read error, truncated JSON body | back off, retry |
//! | 5xx, 408 | back off, retry |
//! | 429 | wait `Retry-After` (delta-seconds or HTTP-date; backoff if absent), retry |
//! | 401 / 403 | ask the auth hook ([`Authorise::refused`]); retry once if it says so, else [`SourceError::Unauthorised`] |
//! | other 4xx | [`SourceError::Status`] at once, unless the request allows that status |
//!
//! Backoff is "equal jitter": attempt *n* waits `d/2 + rand(0..d/2)` with
//! `d = min(backoff_max, backoff_base · 2ⁿ⁻¹)`.
//!
//! Decision (specs are silent): none of the four upstreams documents 429 or `Retry-After`; we
//! honour it anyway and cap a single wait at [`HttpConfig::max_retry_after`] — a longer demand
//! becomes [`SourceError::RateLimited`] instead of a silent hour-long sleep.

mod auth;
mod config;
mod policy;
mod spec;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

pub use auth::{AuthFailure, Authorise, TokenAuth};
pub use config::{HttpConfig, USER_AGENT};
pub use policy::retry_after;
pub use spec::{Fetched, RequestBody, RequestSpec};

use super::error::{SourceError, scrub_nins};
use crate::store::Register;

/// How many bytes of an error response body are kept in [`SourceError::Status`].
const BODY_EXCERPT: usize = 300;

/// One upstream's HTTP client. Cheap to clone (shares the connection pool and the bound).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    register: Register,
    base: Url,
    client: reqwest::Client,
    config: HttpConfig,
    auth: Option<Arc<dyn Authorise>>,
    default_headers: Vec<(HeaderName, HeaderValue)>,
    permits: Semaphore,
    sensitive: bool,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("register", &self.inner.register)
            .field("base", &self.inner.base.as_str())
            .field("auth", &self.inner.auth.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpClient`].
#[derive(Debug)]
pub struct HttpClientBuilder {
    register: Register,
    base: String,
    config: HttpConfig,
    auth: Option<Arc<dyn Authorise>>,
    default_headers: Vec<(HeaderName, HeaderValue)>,
    sensitive: bool,
}

impl HttpClientBuilder {
    /// Sets timeouts, retries and concurrency.
    #[must_use]
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the auth hook applied to every attempt.
    #[must_use]
    pub fn auth(mut self, auth: Option<Arc<dyn Authorise>>) -> Self {
        self.auth = auth;
        self
    }

    /// Adds a header sent with every request (Persontjenesten's `api-version`).
    #[must_use]
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.push((name, value));
        self
    }

    /// Marks the upstream's responses as possibly carrying NINs: error bodies are then never
    /// excerpted (Persontjenesten).
    #[must_use]
    pub fn sensitive(mut self, sensitive: bool) -> Self {
        self.sensitive = sensitive;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<HttpClient, SourceError> {
        let register = self.register;
        let config_error = |message: String| SourceError::Config { register, message };
        let trimmed = self.base.trim_end_matches('/');
        let base = Url::parse(trimmed)
            .map_err(|error| config_error(format!("base URL {trimmed:?}: {error}")))?;
        let client = reqwest::Client::builder()
            .user_agent(self.config.user_agent.clone())
            .connect_timeout(self.config.connect_timeout)
            .read_timeout(self.config.read_timeout)
            .gzip(true)
            .build()
            .map_err(|error| config_error(format!("HTTP client: {error}")))?;
        let permits = Semaphore::new(self.config.concurrency.max(1));
        Ok(HttpClient {
            inner: Arc::new(Inner {
                register,
                base,
                client,
                config: self.config,
                auth: self.auth,
                default_headers: self.default_headers,
                permits,
                sensitive: self.sensitive,
            }),
        })
    }
}

/// What one attempt came to.
enum Outcome<T> {
    Done(T),
    Retry {
        wait: Option<Duration>,
        error: SourceError,
    },
    Fail(SourceError),
}

impl HttpClient {
    /// Starts building a client for `register` at `base_url` (e.g.
    /// `https://data.brreg.no/enhetsregisteret/api`; a trailing `/` is ignored).
    pub fn builder(register: Register, base_url: impl Into<String>) -> HttpClientBuilder {
        HttpClientBuilder {
            register,
            base: base_url.into(),
            config: HttpConfig::default(),
            auth: None,
            default_headers: Vec::new(),
            sensitive: false,
        }
    }

    /// The upstream this client talks to.
    pub fn register(&self) -> Register {
        self.inner.register
    }

    /// The configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// How many requests may be in flight at once (use it to size `buffered(n)` in bulk
    /// fetches).
    pub fn concurrency(&self) -> usize {
        self.inner.config.concurrency.max(1)
    }

    /// The full URL of `path` (no query).
    pub fn url(&self, path: &str) -> Result<Url, SourceError> {
        let text = format!("{}{}", self.inner.base.as_str().trim_end_matches('/'), path);
        Url::parse(&text).map_err(|error| SourceError::Config {
            register: self.inner.register,
            message: format!("URL for {path}: {error}"),
        })
    }

    /// Sends `spec` with retries and returns the response with its body unread: for streamed
    /// downloads. The status is 2xx or one the request allowed.
    pub async fn send(&self, spec: &RequestSpec) -> Result<reqwest::Response, SourceError> {
        self.execute(spec, |response| async move { Ok(response) })
            .await
    }

    /// Sends `spec` with retries and reads the whole body; a body that breaks off, or a 2xx JSON
    /// body that ends early, is retried like a failed request.
    pub async fn fetch(&self, spec: &RequestSpec) -> Result<Fetched, SourceError> {
        let register = self.inner.register;
        let limit = spec.max_body.unwrap_or(self.inner.config.max_body_bytes);
        self.execute(spec, |response| async move {
            let status = response.status();
            let headers = response.headers().clone();
            let body_error = |message: String| SourceError::Body {
                register,
                method: spec.method.to_string(),
                path: spec.path.clone(),
                message,
            };
            let body = match read_capped(response, limit).await {
                Ok(body) => body,
                Err(Capped::TooLarge) => {
                    return Err(AttemptError::Fail(body_error(format!(
                        "body larger than the {limit}-byte limit"
                    ))));
                }
                Err(Capped::Read(error)) => {
                    return Err(AttemptError::Retry(body_error(error_chain(
                        &error.without_url(),
                    ))));
                }
            };
            if status.is_success() && policy::looks_truncated(&headers, &body) {
                return Err(AttemptError::Retry(body_error(
                    "JSON body ends early".to_owned(),
                )));
            }
            Ok(Fetched {
                status,
                headers,
                body,
            })
        })
        .await
    }

    /// [`fetch`](Self::fetch), then decodes a 2xx body as `T`. Allowed non-2xx statuses give
    /// `Ok(None)` together with the status.
    pub async fn fetch_json<T: DeserializeOwned>(
        &self,
        spec: &RequestSpec,
    ) -> Result<(StatusCode, Option<T>), SourceError> {
        let fetched = self.fetch(spec).await?;
        if !fetched.status.is_success() {
            return Ok((fetched.status, None));
        }
        let value = self.decode(spec, &fetched.body)?;
        Ok((fetched.status, Some(value)))
    }

    /// Decodes a page envelope, naming the JSON path that failed.
    pub fn decode<T: DeserializeOwned>(
        &self,
        spec: &RequestSpec,
        body: &[u8],
    ) -> Result<T, SourceError> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| SourceError::Envelope {
            register: self.inner.register,
            method: spec.method.to_string(),
            path: spec.path.clone(),
            field: error.path().to_string(),
            message: scrub_nins(&error.inner().to_string()),
        })
    }

    /// The retry loop: `read` turns a response (2xx or allowed) into `T`, or asks for a retry.
    async fn execute<'s, T, F, Fut>(&self, spec: &'s RequestSpec, read: F) -> Result<T, SourceError>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, AttemptError>> + 's,
    {
        let max_attempts = self.inner.config.max_attempts.max(1);
        let mut auth_retried = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(spec, attempt, &mut auth_retried, &read).await;
            match outcome {
                Outcome::Done(value) => return Ok(value),
                Outcome::Fail(error) => return Err(error),
                Outcome::Retry { wait, error } => {
                    if attempt >= max_attempts {
                        return Err(error);
                    }
                    let wait = wait.unwrap_or_else(|| policy::backoff(&self.inner.config, attempt));
                    tracing::warn!(
                        register = %self.inner.register,
                        method = %spec.method,
                        path = %spec.path,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = %error_chain(&error),
                        "retrying upstream request"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt<'s, T, F, Fut>(
        &self,
        spec: &'s RequestSpec,
        attempt: u32,
        auth_retried: &mut bool,
        read: &F,
    ) -> Outcome<T>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, AttemptError>> + 's,
    {
        let register = self.inner.register;
        let method = spec.method.to_string();
        let request = match self.build(spec).await {
            Ok(request) => request,
            Err(error) => return Outcome::Fail(error),
        };
        let url = request.url().clone();
        let response = {
            // A closed semaphore cannot happen (we never close it); run unbounded if it did.
            let _permit = self.inner.permits.acquire().await.ok();
            match self.inner.client.execute(request).await {
                Ok(response) => response,
                Err(error) => {
                    return Outcome::Retry {
                        wait: None,
                        error: SourceError::Transport {
                            register,
                            method,
                            path: spec.path.clone(),
                            kind: policy::transport_kind(&error),
                            attempts: attempt,
                            // The URL may carry a query; errors name the path only.
                            source: error.without_url(),
                        },
                    };
                }
            }
        };
        let status = response.status();
        tracing::debug!(%register, %method, path = %spec.path, %status, attempt, "upstream response");
        if status.is_success() || spec.allowed.contains(&status) {
            return match read(response).await {
                Ok(value) => Outcome::Done(value),
                Err(AttemptError::Retry(error)) => Outcome::Retry { wait: None, error },
                Err(AttemptError::Fail(error)) => Outcome::Fail(error),
            };
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let challenge = response
                .headers()
                .get(reqwest::header::WWW_AUTHENTICATE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let error = SourceError::Unauthorised {
                register,
                method,
                path: spec.path.clone(),
                status,
                challenge,
            };
            let retry = !*auth_retried
                && self
                    .inner
                    .auth
                    .as_ref()
                    .is_some_and(|auth| auth.refused(&url, status, response.headers()));
            if retry {
                *auth_retried = true;
                return Outcome::Retry {
                    wait: Some(Duration::ZERO),
                    error,
                };
            }
            return Outcome::Fail(error);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = policy::retry_after(response.headers(), SystemTime::now());
            if let Some(wait) = wait
                && wait > self.inner.config.max_retry_after
            {
                return Outcome::Fail(SourceError::RateLimited {
                    register,
                    method,
                    path: spec.path.clone(),
                    retry_after_secs: wait.as_secs(),
                });
            }
            let error = self.status_error(spec, status, attempt, response).await;
            return Outcome::Retry { wait, error };
        }
        let retryable = status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT;
        let error = self.status_error(spec, status, attempt, response).await;
        if retryable {
            Outcome::Retry { wait: None, error }
        } else {
            Outcome::Fail(error)
        }
    }

    /// Builds the request for one attempt and lets the auth hook sign it.
    async fn build(&self, spec: &RequestSpec) -> Result<reqwest::Request, SourceError> {
        let register = self.inner.register;
        let mut url = self.url(&spec.path)?;
        if !spec.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&spec.query);
        }
        let mut builder = self.inner.client.request(spec.method.clone(), url);
        for (name, value) in self.inner.default_headers.iter().chain(&spec.headers) {
            builder = builder.header(name, value);
        }
        builder = match &spec.body {
            Some(RequestBody::Json(bytes)) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Some(RequestBody::Form(pairs)) => builder.form(pairs),
            Some(RequestBody::Raw {
                content_type,
                bytes,
            }) => builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
            None => builder,
        };
        if !spec.streaming {
            builder = builder.timeout(self.inner.config.request_timeout);
        }
        let mut request = builder.build().map_err(|error| SourceError::Config {
            register,
            message: format!(
                "{} {}: {}",
                spec.method,
                spec.path,
                error_chain(&error.without_url())
            ),
        })?;
        if let Some(auth) = &self.inner.auth {
            auth.authorise(&mut request)
                .await
                .map_err(|source| SourceError::Auth {
                    register,
                    method: spec.method.to_string(),
                    path: spec.path.clone(),
                    source,
                })?;
        }
        Ok(request)
    }

    /// A [`SourceError::Status`] with an excerpt of the body (none for sensitive upstreams).
    async fn status_error(
        &self,
        spec: &RequestSpec,
        status: StatusCode,
        attempt: u32,
        response: reqwest::Response,
    ) -> SourceError {
        let body = if self.inner.sensitive {
            None
        } else {
            // The excerpt only: an error page is never read further than that.
            let mut response = response;
            let mut excerpt = Vec::new();
            while excerpt.len() < BODY_EXCERPT {
                match response.chunk().await {
                    Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            excerpt.truncate(BODY_EXCERPT);
            Some(scrub_nins(String::from_utf8_lossy(&excerpt).trim()))
        };
        SourceError::Status {
            register: self.inner.register,
            method: spec.method.to_string(),
            path: spec.path.clone(),
            status,
            attempts: attempt,
            body,
        }
    }
}

/// What reading a response may ask of the retry loop.
pub(crate) enum AttemptError {
    /// Try again (counts as an attempt): a body cut short or unreadable.
    Retry(SourceError),
    /// Give up at once: a body over its size limit (another attempt would be as large).
    Fail(SourceError),
}

/// Why a capped body read stopped.
enum Capped {
    /// `Content-Length` or the bytes read exceed the limit.
    TooLarge,
    /// The body broke off.
    Read(reqwest::Error),
}

/// Reads `response`'s body chunk by chunk, stopping as soon as it exceeds `limit` bytes (a
/// declared `Content-Length` over the limit stops it before reading).
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, Capped> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(Capped::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(Capped::Read)? {
        if body.len() + chunk.len() > limit {
            return Err(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(crate) use crate::chain::error_chain;

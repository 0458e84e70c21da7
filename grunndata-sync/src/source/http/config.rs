//! Timeouts, retries and concurrency of one upstream client.

use std::time::Duration;

/// `grunndata/<version>`: the `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("grunndata/", env!("CARGO_PKG_VERSION"));

/// Timeouts, retries and concurrency of one upstream client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time to establish a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Time for a whole request including its body, for everything but streamed downloads.
    pub request_timeout: Duration,
    /// Longest silence while reading a response (a stalled server); applies to streamed
    /// downloads too, which have no overall limit.
    pub read_timeout: Duration,
    /// Attempts per request, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt (doubles each time, with jitter).
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Longest single wait a 429 `Retry-After` may impose.
    pub max_retry_after: Duration,
    /// Requests in flight at once against this upstream (bulk fetches run this many chunks in
    /// parallel).
    pub concurrency: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Largest response body read whole (pages, single records, token answers); a larger one
    /// fails the request without a retry. Bulk downloads (Brreg files, the HPR export) are
    /// streamed and not capped by this. Per request: `RequestSpec::max_body`.
    pub max_body_bytes: usize,
}

impl HttpConfig {
    /// Default [`max_body_bytes`](Self::max_body_bytes): 64 MiB, about 30 times the largest
    /// page we expect (1,000 Persontjenesten persons with history).
    pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_mins(1),
            read_timeout: Duration::from_mins(1),
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_mins(5),
            concurrency: 4,
            user_agent: USER_AGENT.to_owned(),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

//! Timeouts, retries and concurrency of one upstream client.

use std::time::Duration;

/// `grunndata/<version>`: the `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("grunndata/", env!("CARGO_PKG_VERSION"));

/// [`HttpConfig::max_body_bytes`] by default: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

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
    /// The largest response body read whole (feed pages, single records, exports of ids,
    /// SOAP pages): a longer one fails the request at once (not retried) instead of growing
    /// memory without bound. Downloads that are streamed (the Brreg bulk files, the HPR
    /// export) are not held whole and not capped by it. Default 64 MiB.
    pub max_body_bytes: u64,
    /// The `User-Agent` header.
    pub user_agent: String,
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
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: USER_AGENT.to_owned(),
        }
    }
}

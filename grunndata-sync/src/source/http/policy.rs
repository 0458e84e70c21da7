//! The retry policy's arithmetic: backoff with jitter, `Retry-After`, and how a failure is
//! classified.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::HttpConfig;

/// The wait before attempt `attempt + 1`: equal jitter on a capped exponential.
pub(super) fn backoff(config: &HttpConfig, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = config
        .backoff_base
        .saturating_mul(1 << exponent)
        .min(config.backoff_max);
    let half = full / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let jitter = if nanos == 0 { 0 } else { random_u64() % nanos };
    half + Duration::from_nanos(jitter)
}

/// A random number for jitter, without a dependency: `RandomState` is seeded randomly per
/// instance.
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    hasher.finish()
}

/// The wait a `Retry-After` header asks for: delta-seconds or an HTTP-date (a date in the past
/// means "now"). `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a 2xx body that claims to be JSON ends before its value does (a truncated page).
pub(super) fn looks_truncated(headers: &HeaderMap, body: &[u8]) -> bool {
    let is_json = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    if !is_json || body.is_empty() {
        return false;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err_and(|error| error.is_eof())
}

pub(super) fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "transport"
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("x")),
        );
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let cases = [
            ("1", Some(Duration::from_secs(1))),
            (" 120 ", Some(Duration::from_mins(2))),
            (
                "Sun, 06 Nov 1994 08:49:40 GMT",
                Some(Duration::from_secs(3)),
            ),
            ("Sun, 06 Nov 1994 08:00:00 GMT", Some(Duration::ZERO)),
            ("soon", None),
        ];
        for (text, expected) in cases {
            assert_eq!(retry_after(&headers(text), now), expected, "{text}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let config = HttpConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            ..HttpConfig::default()
        };
        for _ in 0..50 {
            let first = backoff(&config, 1);
            assert!(first >= Duration::from_millis(50) && first < Duration::from_millis(100));
            let capped = backoff(&config, 10);
            assert!(capped >= Duration::from_millis(200) && capped < Duration::from_millis(400));
        }
    }

    #[test]
    fn truncated_json_is_detected() {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(looks_truncated(&headers, br#"{"a":[1,2"#));
        assert!(!looks_truncated(&headers, br#"{"a":[1,2]}"#));
        assert!(!looks_truncated(&headers, b"{oops}"));
        assert!(!looks_truncated(&HeaderMap::new(), br#"{"a":"#));
    }
}

//! Rendered answers, kept by what they answer and the mirror version they were rendered
//! from: a hot read is a registry cache hit (which decides freshness) plus one lookup here,
//! instead of building, serialising and hashing the same JSON again.
//!
//! An entry is used only while the registry answers with the very record (the same `Arc`
//! from its cache) it was rendered from, so this cache never serves anything the registry
//! would not: a reload, a new version or an eviction there means a new rendering here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// How many rendered answers are kept.
const CAPACITY: usize = 50_000;
/// How long one is used at most: freshness is the registry's (see the module doc); this
/// only lets an answer nobody asks for again give way to a new rendering.
const TTL: Duration = Duration::from_mins(10);

/// One rendered answer.
struct Rendered {
    /// The record it was rendered from, kept alive so its address is not reused.
    source: Arc<dyn std::any::Any + Send + Sync>,
    body: Bytes,
    etag: HeaderValue,
    content_type: &'static str,
    /// From when it is rendered again.
    expires_at: Instant,
}

/// The cache of rendered answers: quick_cache, as the registry's (a hit is a shard's read
/// lock and a probe, with no housekeeping inside some requests).
pub struct RenderCache {
    entries: quick_cache::sync::Cache<String, Arc<Rendered>>,
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("entries", &self.entries.len())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

impl Default for RenderCache {
    fn default() -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CAPACITY),
            hits: std::sync::atomic::AtomicU64::new(0),
            misses: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// A weak ETag for `body`: the first 16 bytes of its SHA-256.
pub fn etag(body: &[u8]) -> Option<HeaderValue> {
    use std::fmt::Write as _;
    let digest = Sha256::digest(body);
    let mut tag = String::from("W/\"");
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).ok()
}

impl RenderCache {
    /// Answers served from the cache, and rendered anew.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(std::sync::atomic::Ordering::Relaxed),
            self.misses.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The 200 answer for `key` rendered from `source` (the registry's record): the kept one
    /// if it was rendered from this very record, else `render()` serialised as
    /// `content_type`, kept.
    pub fn answer<T: Send + Sync + 'static>(
        &self,
        key: String,
        source: &Arc<T>,
        content_type: &'static str,
        render: impl FnOnce() -> serde_json::Value,
    ) -> Response {
        let now = Instant::now();
        let same = |rendered: &Rendered| {
            std::ptr::addr_eq(Arc::as_ptr(&rendered.source), Arc::as_ptr(source))
                && now < rendered.expires_at
        };
        let rendered = match self.entries.get(&key) {
            Some(rendered) if same(&rendered) => {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                rendered
            }
            _ => {
                self.misses
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Ok(body) = serde_json::to_vec(&render()) else {
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                };
                let Some(etag) = etag(&body) else {
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                };
                let source: Arc<dyn std::any::Any + Send + Sync> = Arc::clone(source) as _;
                let rendered = Arc::new(Rendered {
                    source,
                    body: Bytes::from(body),
                    etag,
                    content_type,
                    expires_at: now + TTL,
                });
                self.entries.insert(key, Arc::clone(&rendered));
                rendered
            }
        };
        let mut response = (StatusCode::OK, rendered.body.clone()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(rendered.content_type),
        );
        headers.insert(header::ETAG, rendered.etag.clone());
        response
    }
}

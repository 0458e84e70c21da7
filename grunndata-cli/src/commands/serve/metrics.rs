//! `/metrics` in the Prometheus text format: requests and latency per route and status, the
//! mirror's last success and lag per register, and the rendered-answer cache's hit ratio.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::state::AppState;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Request counts and latency histograms, per (route, method, status).
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
}

type SeriesKey = (String, String, u16);

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

impl Metrics {
    /// Records one request to `route` (the route template, never the concrete path).
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = series
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.sum += seconds;
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            entry.buckets[index] += 1;
        }
    }

    /// The request series in the text format.
    fn render_requests(&self, out: &mut String) {
        let series = self
            .series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        out.push_str("# HELP grunndata_http_requests_total HTTP requests answered, by route template, method and status.\n");
        out.push_str("# TYPE grunndata_http_requests_total counter\n");
        for ((route, method, status), s) in &series {
            let _ = writeln!(
                out,
                "grunndata_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP grunndata_http_request_duration_seconds Time to answer, by route template, method and status.\n");
        out.push_str("# TYPE grunndata_http_request_duration_seconds histogram\n");
        for ((route, method, status), s) in &series {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(s.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "grunndata_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "grunndata_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "grunndata_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "grunndata_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::with_capacity(4096);
    state.metrics().render_requests(&mut out);
    let (hits, misses) = state.rendered().counts();
    out.push_str("# HELP grunndata_rendered_cache_requests_total Hot answers (FHIR Practitioner reads, REST authz) served from the rendered-answer cache (hit) or rendered anew (miss).\n# TYPE grunndata_rendered_cache_requests_total counter\n");
    let _ = writeln!(
        out,
        "grunndata_rendered_cache_requests_total{{result=\"hit\"}} {hits}"
    );
    let _ = writeln!(
        out,
        "grunndata_rendered_cache_requests_total{{result=\"miss\"}} {misses}"
    );
    let total = hits + misses;
    if total > 0 {
        #[allow(clippy::cast_precision_loss, reason = "a ratio for display")]
        let ratio = hits as f64 / total as f64;
        out.push_str("# HELP grunndata_rendered_cache_hit_ratio Share of hot answers served from the rendered-answer cache.\n# TYPE grunndata_rendered_cache_hit_ratio gauge\n");
        let _ = writeln!(out, "grunndata_rendered_cache_hit_ratio {ratio}");
    }
    render_registers(&state, &mut out).await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Per mirrored register: last success (Unix time), seconds since, and whether stale.
async fn render_registers(state: &AppState, out: &mut String) {
    let Ok(states) = state.sync_state_store().sync_states().await else {
        out.push_str("grunndata_mirror_up 0\n");
        return;
    };
    out.push_str("# HELP grunndata_mirror_up Whether the mirror could be read.\n# TYPE grunndata_mirror_up gauge\ngrunndata_mirror_up 1\n");
    let now = Utc::now();
    out.push_str("# HELP grunndata_register_last_success_timestamp_seconds When the register's last sync run succeeded (0: never).\n# TYPE grunndata_register_last_success_timestamp_seconds gauge\n");
    for sync in &states {
        let at = sync.last_success_at.map_or(0, |at| at.timestamp());
        let _ = writeln!(
            out,
            "grunndata_register_last_success_timestamp_seconds{{register=\"{}\"}} {at}",
            sync.register
        );
    }
    out.push_str("# HELP grunndata_register_lag_seconds Seconds since the register's last successful sync (the mirror's lag behind upstream, at most).\n# TYPE grunndata_register_lag_seconds gauge\n");
    for sync in &states {
        if let Some(at) = sync.last_success_at {
            let lag = now
                .signed_duration_since(at)
                .to_std()
                .map_or(0.0, |lag| lag.as_secs_f64());
            let _ = writeln!(
                out,
                "grunndata_register_lag_seconds{{register=\"{}\"}} {lag}",
                sync.register
            );
        }
    }
    out.push_str("# HELP grunndata_register_stale Whether the register is past its staleness bound.\n# TYPE grunndata_register_stale gauge\n");
    for (register, bound) in state.registers() {
        let stale = states
            .iter()
            .find(|sync| sync.register == *register)
            .is_none_or(|sync| sync.is_stale(*bound, now));
        let _ = writeln!(
            out,
            "grunndata_register_stale{{register=\"{register}\"}} {}",
            u8::from(stale)
        );
    }
}

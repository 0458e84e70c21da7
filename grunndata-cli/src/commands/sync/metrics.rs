//! `sync --watch --metrics-listen ADDR`: whether this node is the active syncer or a standby,
//! and per register its last success, lag, records applied, quarantined, sequence gaps and
//! failed runs, in the Prometheus text format at `/metrics`, and as JSON at `/health`.
//!
//! Counters count what this node did since it started; lag and last success are read from the
//! mirror, so a standby shows the same figures as the active node.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use grunndata_sync::engine::RunReport;
use grunndata_sync::store::{Register, Store};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// What this node did, per register, since it started.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    applied: u64,
    quarantined: u64,
    sequence_gaps: u64,
    failed_runs: u64,
    /// Whether the last run of the register on this node failed.
    failing: bool,
}

/// The figures a node serves; updated by the sync loop.
#[derive(Debug, Default)]
pub struct SyncMetrics {
    active: AtomicBool,
    totals: Mutex<BTreeMap<Register, Totals>>,
}

impl SyncMetrics {
    /// This node now holds the writer lock (`true`) or stands by (`false`).
    pub fn set_active(&self, active: bool) {
        self.active.store(active, Ordering::Release);
    }

    /// Adds what one run did.
    pub fn record(&self, report: &RunReport) {
        let mut totals = self.totals.lock().unwrap_or_else(PoisonError::into_inner);
        for register in &report.registers {
            let entry = totals.entry(register.register).or_default();
            entry.applied += register.counts.applied + register.counts.deleted;
            entry.quarantined += register.counts.quarantined;
            entry.sequence_gaps += register.counts.sequence_gaps;
            entry.failing = register.error.is_some();
            if entry.failing {
                entry.failed_runs += 1;
            }
        }
    }

    fn totals(&self) -> BTreeMap<Register, Totals> {
        self.totals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A counter's name, help text and figure.
type Counter = (&'static str, &'static str, fn(&Totals) -> u64);

#[derive(Clone)]
struct AppState {
    metrics: Arc<SyncMetrics>,
    store: Store,
    registers: Arc<[Register]>,
}

/// Serves `/metrics` and `/health` on `listen` until `stop`; returns the bound address.
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<SyncMetrics>,
    store: Store,
    registers: &[Register],
    stop: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let state = AppState {
        metrics,
        store,
        registers: registers.into(),
    };
    let app = axum::Router::new()
        .route("/metrics", get(prometheus))
        .route("/health", get(health))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("--metrics-listen {listen}"))?;
    let address = listener.local_addr().context("the metrics address")?;
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the metrics server stopped");
        }
    });
    Ok(address)
}

/// Per register: when the last successful run ended (from the mirror), if one did.
async fn last_successes(
    state: &AppState,
) -> Option<BTreeMap<Register, Option<chrono::DateTime<Utc>>>> {
    let states = state.store.sync_states().await.ok()?;
    Some(
        state
            .registers
            .iter()
            .map(|register| {
                let at = states
                    .iter()
                    .find(|sync| sync.register == *register)
                    .and_then(|sync| sync.last_success_at);
                (*register, at)
            })
            .collect(),
    )
}

/// Seconds from `at` to now (0 when `at` lies ahead).
fn seconds_since(at: chrono::DateTime<Utc>) -> f64 {
    Utc::now()
        .signed_duration_since(at)
        .to_std()
        .map_or(0.0, |lag| lag.as_secs_f64())
}

async fn prometheus(State(state): State<AppState>) -> Response {
    let mut out = String::with_capacity(2048);
    let active = state.metrics.active.load(Ordering::Acquire);
    out.push_str("# HELP grunndata_sync_active Whether this node holds the writer lock and syncs (1) or stands by (0).\n# TYPE grunndata_sync_active gauge\n");
    let _ = writeln!(out, "grunndata_sync_active {}", u8::from(active));
    let totals = state.metrics.totals();
    let counters: [Counter; 4] = [
        (
            "grunndata_sync_records_applied_total",
            "Records inserted, changed or deleted by this node.",
            |t| t.applied,
        ),
        (
            "grunndata_sync_records_quarantined_total",
            "Records this node quarantined as malformed.",
            |t| t.quarantined,
        ),
        (
            "grunndata_sync_sequence_gaps_total",
            "Sequence numbers missing from the feed pages this node read.",
            |t| t.sequence_gaps,
        ),
        (
            "grunndata_sync_failed_runs_total",
            "Runs of the register that failed on this node.",
            |t| t.failed_runs,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for register in state.registers.iter() {
            let figure = totals.get(register).map_or(0, value);
            let _ = writeln!(out, "{name}{{register=\"{register}\"}} {figure}");
        }
    }
    match last_successes(&state).await {
        Some(successes) => {
            out.push_str("# HELP grunndata_mirror_up Whether the mirror could be read.\n# TYPE grunndata_mirror_up gauge\ngrunndata_mirror_up 1\n");
            out.push_str("# HELP grunndata_register_last_success_timestamp_seconds When the register's last sync run succeeded (0: never).\n# TYPE grunndata_register_last_success_timestamp_seconds gauge\n");
            for (register, at) in &successes {
                let at = at.map_or(0, |at| at.timestamp());
                let _ = writeln!(
                    out,
                    "grunndata_register_last_success_timestamp_seconds{{register=\"{register}\"}} {at}"
                );
            }
            out.push_str("# HELP grunndata_register_lag_seconds Seconds since the register's last successful sync.\n# TYPE grunndata_register_lag_seconds gauge\n");
            for (register, at) in successes {
                if let Some(at) = at {
                    let lag = seconds_since(at);
                    let _ = writeln!(
                        out,
                        "grunndata_register_lag_seconds{{register=\"{register}\"}} {lag}"
                    );
                }
            }
        }
        None => out.push_str("grunndata_mirror_up 0\n"),
    }
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

/// `200` with the role and per-register figures; `503` when the mirror cannot be read or,
/// on the active node, the last run of a register failed.
async fn health(State(state): State<AppState>) -> Response {
    let active = state.metrics.active.load(Ordering::Acquire);
    let totals = state.metrics.totals();
    let successes = last_successes(&state).await;
    let registers: Vec<serde_json::Value> = state
        .registers
        .iter()
        .map(|register| {
            let figures = totals.get(register).copied().unwrap_or_default();
            json!({
                "register": register,
                "last_success_at": successes.as_ref().and_then(|s| s.get(register).copied().flatten()),
                "lag_seconds": successes.as_ref().and_then(|s| s.get(register).copied().flatten()).map(seconds_since),
                "last_run_failed": figures.failing,
                "applied": figures.applied,
                "quarantined": figures.quarantined,
                "sequence_gaps": figures.sequence_gaps,
                "failed_runs": figures.failed_runs,
            })
        })
        .collect();
    let failing = active && totals.values().any(|t| t.failing);
    let healthy = successes.is_some() && !failing;
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "role": if active { "active" } else { "standby" },
        "mirror_readable": successes.is_some(),
        "healthy": healthy,
        "registers": registers,
    });
    (status, axum::Json(body)).into_response()
}

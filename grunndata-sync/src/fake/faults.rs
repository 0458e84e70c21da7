//! Fault injection, set with `PUT /_admin/faults` and read back with `GET /_admin/faults`.
//!
//! Each fault is a rule `{ "probability": p, "count": n, "path_prefix": "/ar/api/v1/event" }`:
//! the next `n` matching requests get the fault for certain, after that each matching request
//! gets it with probability `p`. A request matches when its path (including the register prefix,
//! e.g. `/brreg/enhetsregisteret/api/oppdateringer/enheter`) starts with `path_prefix` (all paths
//! when absent). Probabilities are drawn from a generator seeded with `seed`, so a given sequence
//! of requests meets the same faults every run. `/_admin` is never faulted.
//!
//! | key | effect |
//! |---|---|
//! | `status_500`, `status_503` | the response is replaced by that status (JSON error body) |
//! | `rate_limit` | 429 with `Retry-After: retry_after_seconds` (default 1) |
//! | `stall` | the response is delayed by `millis` (default 30 000), to outlast client timeouts |
//! | `truncate_body` | the connection is cut after half the body (or 32 KiB of a stream) |
//! | `truncate_gzip` | the bulk download's gzip stream ends cleanly at the HTTP level but without its final block and trailer, about halfway |
//! | `malformed_record` | one record of the response loses its key field (or, for feeds, an event its id) |
//! | `duplicate_events` | one event of a feed page is repeated right after itself |
//! | `out_of_order_events` | two adjacent events of a feed page are swapped |
//! | `short_snapshot` | a snapshot answer (Brreg bulk file, AR export, HPR export) is well-formed but holds only the first `keep_fraction` (default 0.5) of its records; the AR export still announces the full `count` |
//! | `sequence_gaps` | one event in the middle of a feed page (of three or more) is left out, as an event store that skipped a number |
//!
//! `history_expired_below` sets, per feed (`brreg_enheter`, `brreg_underenheter`, `ar`, `preg`),
//! the oldest sequence number still served; asking for older history is answered as documented in
//! each upstream module ("cursor too old").

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// When one fault applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Chance that a matching request gets the fault (after `count` is used up).
    #[serde(default)]
    pub probability: f64,
    /// The next this many matching requests get the fault for certain.
    #[serde(default)]
    pub count: u64,
    /// Only requests whose path starts with this match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// `rate_limit` only: the `Retry-After` value in seconds (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// `stall` only: how long to delay, in milliseconds (default 30 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub millis: Option<u64>,
    /// `short_snapshot` only: the share of records kept (default 0.5; 0 answers `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_fraction: Option<f64>,
}

/// The oldest event still served, per feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryFloors {
    /// Brreg `oppdateringer/enheter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brreg_enheter: Option<u64>,
    /// Brreg `oppdateringer/underenheter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brreg_underenheter: Option<u64>,
    /// AR `event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ar: Option<u64>,
    /// Persontjenesten `event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preg: Option<u64>,
}

/// The whole fault configuration (the body of `PUT /_admin/faults`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the probability draws.
    #[serde(default)]
    pub seed: u64,
    /// Respond 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_500: Option<FaultRule>,
    /// Respond 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_503: Option<FaultRule>,
    /// Respond 429 with `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<FaultRule>,
    /// Delay the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<FaultRule>,
    /// Cut the connection mid-body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncate_body: Option<FaultRule>,
    /// End the bulk download's gzip stream early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncate_gzip: Option<FaultRule>,
    /// Break one record of a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed_record: Option<FaultRule>,
    /// Repeat one event of a feed page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_events: Option<FaultRule>,
    /// Swap two events of a feed page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_order_events: Option<FaultRule>,
    /// Answer a snapshot request with a well-formed but short list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_snapshot: Option<FaultRule>,
    /// Leave a number out of a feed page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_gaps: Option<FaultRule>,
    /// Expired feed history.
    #[serde(default)]
    pub history_expired_below: HistoryFloors,
}

/// The kinds of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Status500,
    Status503,
    RateLimit,
    Stall,
    TruncateBody,
    TruncateGzip,
    MalformedRecord,
    DuplicateEvents,
    OutOfOrderEvents,
    ShortSnapshot,
    SequenceGaps,
}

impl Fault {
    const ALL: [Self; 11] = [
        Self::Status500,
        Self::Status503,
        Self::RateLimit,
        Self::Stall,
        Self::TruncateBody,
        Self::TruncateGzip,
        Self::MalformedRecord,
        Self::DuplicateEvents,
        Self::OutOfOrderEvents,
        Self::ShortSnapshot,
        Self::SequenceGaps,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Status500 => "status_500",
            Self::Status503 => "status_503",
            Self::RateLimit => "rate_limit",
            Self::Stall => "stall",
            Self::TruncateBody => "truncate_body",
            Self::TruncateGzip => "truncate_gzip",
            Self::MalformedRecord => "malformed_record",
            Self::DuplicateEvents => "duplicate_events",
            Self::OutOfOrderEvents => "out_of_order_events",
            Self::ShortSnapshot => "short_snapshot",
            Self::SequenceGaps => "sequence_gaps",
        }
    }
}

/// How many of `total` records a short snapshot keeping `fraction` of them serves.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub(crate) fn kept(total: u64, fraction: f64) -> u64 {
    // Record counts are far below 2^52, so the round trip through f64 is exact enough.
    ((total as f64) * fraction.clamp(0.0, 1.0)).floor() as u64
}

/// The fault injector: configuration, remaining counts, draws and what fired.
#[derive(Debug)]
pub(crate) struct Faults {
    config: FaultConfig,
    used: [u64; Fault::ALL.len()],
    fired: [u64; Fault::ALL.len()],
    rng: ChaCha8Rng,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new(FaultConfig::default())
    }
}

impl Faults {
    pub(crate) fn new(config: FaultConfig) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        Self {
            config,
            used: [0; Fault::ALL.len()],
            fired: [0; Fault::ALL.len()],
            rng,
        }
    }

    fn rule(&self, fault: Fault) -> Option<&FaultRule> {
        match fault {
            Fault::Status500 => self.config.status_500.as_ref(),
            Fault::Status503 => self.config.status_503.as_ref(),
            Fault::RateLimit => self.config.rate_limit.as_ref(),
            Fault::Stall => self.config.stall.as_ref(),
            Fault::TruncateBody => self.config.truncate_body.as_ref(),
            Fault::TruncateGzip => self.config.truncate_gzip.as_ref(),
            Fault::MalformedRecord => self.config.malformed_record.as_ref(),
            Fault::DuplicateEvents => self.config.duplicate_events.as_ref(),
            Fault::OutOfOrderEvents => self.config.out_of_order_events.as_ref(),
            Fault::ShortSnapshot => self.config.short_snapshot.as_ref(),
            Fault::SequenceGaps => self.config.sequence_gaps.as_ref(),
        }
    }

    /// Decides whether `fault` applies to a request for `path`, and counts it if so.
    pub(crate) fn fire(&mut self, fault: Fault, path: &str) -> bool {
        let Some(rule) = self.rule(fault) else {
            return false;
        };
        if rule
            .path_prefix
            .as_deref()
            .is_some_and(|prefix| !path.starts_with(prefix))
        {
            return false;
        }
        let (count, probability) = (rule.count, rule.probability);
        let slot = fault as usize;
        let hit = if self.used[slot] < count {
            self.used[slot] += 1;
            true
        } else {
            probability > 0.0 && self.rng.random_bool(probability.clamp(0.0, 1.0))
        };
        if hit {
            self.fired[slot] += 1;
        }
        hit
    }

    /// `Retry-After` seconds of the rate-limit rule.
    pub(crate) fn retry_after(&self) -> u64 {
        self.config
            .rate_limit
            .as_ref()
            .and_then(|r| r.retry_after_seconds)
            .unwrap_or(1)
    }

    /// Delay of the stall rule.
    pub(crate) fn stall_millis(&self) -> u64 {
        self.config
            .stall
            .as_ref()
            .and_then(|r| r.millis)
            .unwrap_or(30_000)
    }

    /// The share of records a short snapshot keeps, if `short_snapshot` fires for `path`.
    pub(crate) fn short_snapshot(&mut self, path: &str) -> Option<f64> {
        self.fire(Fault::ShortSnapshot, path).then(|| {
            self.config
                .short_snapshot
                .as_ref()
                .and_then(|rule| rule.keep_fraction)
                .unwrap_or(0.5)
                .clamp(0.0, 1.0)
        })
    }

    /// The expired-history floors.
    pub(crate) fn floors(&self) -> &HistoryFloors {
        &self.config.history_expired_below
    }

    /// What `GET /_admin/faults` returns: the configuration and how often each fault fired.
    pub(crate) fn report(&self) -> serde_json::Value {
        let fired: serde_json::Map<String, serde_json::Value> = Fault::ALL
            .iter()
            .map(|f| (f.name().to_string(), self.fired[*f as usize].into()))
            .collect();
        serde_json::json!({ "config": self.config, "fired": fired })
    }
}

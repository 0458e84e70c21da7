//! What a sync run did, per register: the figures `grunndata sync` prints at the end.

use std::time::Duration;

use serde::Serialize;

use crate::store::{BatchOutcome, Register};

/// How a register was brought up to date in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// First sync: the whole register from a snapshot, then the feed.
    Bootstrap,
    /// A new snapshot over existing data, with records absent from it removed: asked for by
    /// the operator, or because the feed no longer reached back to the cursor.
    Resnapshot,
    /// Changes from the feed since the cursor.
    Incremental,
    /// Named records fetched again (`--ids`); the cursor is left alone.
    Refresh,
}

impl SyncMode {
    /// The mode's name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bootstrap => "bootstrap",
            Self::Resnapshot => "resnapshot",
            Self::Incremental => "incremental",
            Self::Refresh => "refresh",
        }
    }
}

/// Counted changes of one register in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records read from upstream (parsed or not) and feed events seen.
    pub fetched: u64,
    /// Records inserted or changed in the mirror.
    pub applied: u64,
    /// Records fetched again with unchanged content.
    pub unchanged: u64,
    /// Records deleted or purged by the feed.
    pub deleted: u64,
    /// Records removed because a new snapshot no longer held them.
    pub swept: u64,
    /// Records that did not parse and went to quarantine.
    pub quarantined: u64,
    /// Records stored with a secondary identifier that failed validation.
    pub flagged: u64,
    /// Batches committed.
    pub batches: u64,
    /// Sequence numbers missing from the feed pages read (applied, not an expired cursor).
    pub sequence_gaps: u64,
}

impl Counts {
    /// Adds what one committed batch did.
    pub(crate) fn add_outcome(&mut self, outcome: &BatchOutcome) {
        self.applied += outcome.inserted + outcome.changed;
        self.unchanged += outcome.refreshed + outcome.unchanged + outcome.skipped_untracked;
        self.deleted += outcome.deleted + outcome.purged;
        self.swept += outcome.swept;
        self.quarantined += outcome.quarantined;
        self.batches += 1;
    }
}

/// A bootstrap's count against upstream's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// What upstream says the snapshot holds (AR export `count`; for Brreg the number of
    /// elements in the bulk files).
    pub upstream: u64,
    /// Current records in the mirror after the bootstrap.
    pub mirror: u64,
    /// Records of the snapshot that went to quarantine instead.
    pub quarantined: u64,
}

impl Reconciliation {
    /// Whether the mirror holds what upstream says, once quarantined records are counted.
    pub fn agrees(&self) -> bool {
        self.mirror + self.quarantined == self.upstream
    }
}

/// What one register's sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterReport {
    /// The register.
    pub register: Register,
    /// How it was synced (the last mode, when a feed run fell back to a re-snapshot).
    pub mode: SyncMode,
    /// Why a re-snapshot happened, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resnapshot_reason: Option<String>,
    /// The figures.
    pub counts: Counts,
    /// After a (re-)snapshot: the mirror's count against upstream's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
    /// Whether the feed had nothing more when the run ended.
    pub caught_up: bool,
    /// The cursor the mirror is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// How long it took.
    #[serde(serialize_with = "as_seconds")]
    pub duration: Duration,
    /// Why it failed, if it did (what it committed before stays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RegisterReport {
    pub(crate) fn new(register: Register, mode: SyncMode) -> Self {
        Self {
            register,
            mode,
            resnapshot_reason: None,
            counts: Counts::default(),
            reconciliation: None,
            caught_up: false,
            cursor: None,
            duration: Duration::ZERO,
            error: None,
        }
    }

    /// Whether the register synced without error.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

fn as_seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// What a whole run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// One report per register synced, in [`Register::ALL`] order.
    pub registers: Vec<RegisterReport>,
    /// Whether the run stopped early because shutdown was requested (after a whole batch).
    pub interrupted: bool,
}

impl RunReport {
    /// Whether every register synced without error.
    pub fn succeeded(&self) -> bool {
        self.registers.iter().all(RegisterReport::succeeded)
    }

    /// The registers that failed.
    pub fn failed(&self) -> Vec<Register> {
        self.registers
            .iter()
            .filter(|report| !report.succeeded())
            .map(|report| report.register)
            .collect()
    }
}

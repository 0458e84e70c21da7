//! Progress callbacks: how the CLI draws its bars without the engine knowing about terminals.

use crate::store::Register;

use super::report::{RegisterReport, SyncMode};

/// Receives progress of a run. Called from the registers' tasks, concurrently.
pub trait Progress: Send + Sync {
    /// `register` started a snapshot or its feed; `expected` is upstream's count when known.
    fn started(&self, register: Register, mode: SyncMode, expected: Option<u64>) {
        let _ = (register, mode, expected);
    }

    /// `register` has read `done` records (snapshot) or events (feed) so far in this phase.
    fn advanced(&self, register: Register, done: u64) {
        let _ = (register, done);
    }

    /// `register` finished (or failed); `report` is final.
    fn finished(&self, report: &RegisterReport) {
        let _ = report;
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

//! The sync engine against the fake upstream over loopback HTTP, on SQLite and PostgreSQL:
//! bootstrap, feed, re-snapshot, quarantine, refresh, faults and convergence.

// In tests a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fake_support;

#[path = "engine/harness.rs"]
mod harness;

#[path = "engine/story.rs"]
mod story;

#[path = "engine/faults.rs"]
mod faults;

//! Helpers shared by the grunndata-sync integration tests.
//!
//! - [`db`]: a fresh database per test — an SQLite file in a temp directory, or a PostgreSQL
//!   database created on the server named by `GRUNNDATA_TEST_PG` and dropped afterwards.
//! - [`rss`]: peak resident memory, for the benchmarks.
//! - [`synth`]: synthetic records with valid identifiers (Tenor NINs, mod-11 orgnrs).
//! - [`world`]: the whole synthetic world loaded through the sources' parsers.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod db;
pub mod mirror;
pub mod rss;
pub mod synth;
pub mod world;

/// A numeric setting of the benchmarks from the environment (`1_000_000` allowed), or
/// `default`.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

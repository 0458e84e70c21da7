//! Helpers shared by the grunndata-sync integration tests.
//!
//! - [`db`]: a fresh database per test — an SQLite file in a temp directory, or a PostgreSQL
//!   database created on the server named by `GRUNNDATA_TEST_PG` and dropped afterwards.
//! - [`synth`]: synthetic records with valid identifiers (Tenor NINs, mod-11 orgnrs).
//! - [`world`]: the whole synthetic world loaded through the sources' parsers.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod db;
pub mod mirror;
pub mod synth;
#[cfg(feature = "fake")]
pub mod world;

//! Helpers shared by the grunndata-sync integration tests.
//!
//! - [`db`]: a fresh database per test — an SQLite file in a temp directory, or a PostgreSQL
//!   database created on the server named by `GRUNNDATA_TEST_PG` and dropped afterwards.
//! - [`synth`]: synthetic records with valid identifiers (Tenor NINs, mod-11 orgnrs).

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod db;
pub mod mirror;
pub mod synth;

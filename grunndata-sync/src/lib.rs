//! # grunndata-sync
//!
//! The I/O half of grunndata: upstream clients, the mirror store, the sync engine and the
//! `Registry` lookup API. Built on [`grunndata_core`], which it re-exports as [`core`].

pub use grunndata_core as core;

pub mod auth;
pub mod config;
pub mod fake;
pub mod source;
pub mod store;
pub mod synth;

//! # grunndata-sync
//!
//! The I/O half of grunndata: upstream clients ([`source`], [`auth`]), the mirror [`store`]
//! (SQLite embedded, PostgreSQL shared), the deterministic [`synth`] data generator and the
//! [`fake`] upstream, and the one typed [`config`]. Built on [`grunndata_core`], which it
//! re-exports as [`core`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use grunndata_sync::core::id::NationalId;
//! use grunndata_sync::store::{Register, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
//! let store = Store::open(&url).await?; // created, private and migrated on first use
//!
//! // Persontjenesten is mirrored only for the persons you track (a Tenor synthetic number).
//! let nin: NationalId = "01818000010".parse()?;
//! store.track_person(&nin, Some("example")).await?;
//! assert!(store.is_tracked(&nin).await?);
//! assert_eq!(store.counts(Register::Brreg).await?.records, 0);
//! # Ok(())
//! # }
//! ```

pub use grunndata_core as core;

pub use chain::error_chain;

mod chain;

pub mod auth;
pub mod check;
pub mod config;
pub mod engine;
pub mod fake;
pub mod registry;
pub mod source;
pub mod store;
pub mod synth;

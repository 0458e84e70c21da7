//! # grunndata-sync
//!
//! The I/O half of grunndata: upstream clients ([`source`], [`auth`]), the mirror [`store`]
//! (SQLite embedded, PostgreSQL shared), the deterministic [`synth`] data generator and the
//! [`fake`] upstream, and the one typed [`config`]. Built on [`grunndata_core`], which it
//! re-exports as [`core`].
//!
//! ## Features
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `sqlite` | the mirror on an embedded SQLite file | yes |
//! | `postgres` | the mirror in a shared PostgreSQL database | yes |
//! | `sync` | `source` (upstream clients), `auth` (HelseID, Maskinporten) and `engine` | yes |
//! | `fake` | the test kit: `fake` upstream, `synth` data, `auth::testkeys` (implies `sync`) | yes |
//!
//! The store, the `Registry` and the checks are always there. A journal system that only
//! looks up builds `default-features = false, features = ["sqlite"]` (or `"postgres"`): no
//! HTTP client or server, no JOSE crypto, no second database driver.
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
pub use secret::Secret;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("grunndata-sync needs a database: enable feature `sqlite`, `postgres` or both");

mod chain;
mod secret;

pub mod check;
pub mod config;
pub mod registry;
pub mod store;

#[cfg(feature = "sync")]
pub mod auth;
#[cfg(feature = "sync")]
pub mod engine;
#[cfg(feature = "sync")]
pub mod source;

#[cfg(feature = "fake")]
pub mod fake;
#[cfg(feature = "fake")]
pub mod synth;

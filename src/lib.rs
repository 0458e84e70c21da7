//! # grunndata
//!
//! Norwegian health master data ("grunndata") mirrored locally. This facade re-exports the
//! library crates so that one dependency brings in the whole toolkit:
//!
//! - [`core`] — [`grunndata_core`]: validated identifiers, domain models, code systems and pure
//!   rules. No I/O.
//! - [`sync`] — [`grunndata_sync`]: upstream clients, the mirror store, the sync engine and lookups.
//!
//! ```
//! use grunndata::core::id::NationalId;
//!
//! let nin: NationalId = "30108299920".parse().unwrap();
//! assert_eq!(nin.masked(), "301082*****");
//! ```

pub use grunndata_core as core;
pub use grunndata_sync as sync;

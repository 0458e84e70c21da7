//! # grunndata-core
//!
//! The pure domain of Norwegian health master data ("grunndata"): validated identifiers, the
//! models of the four registers, the code systems they use, and the rules that judge them.
//! Nothing here does I/O — no network, no database, no files — so it can be used anywhere
//! and tested without setup.
//!
//! - [`id`]: fødselsnummer (classic and 2032 rule), D-, H- and FH-nummer, Tenor synthetic
//!   numbers, organisasjonsnummer, HPR-nummer, HER-id, RESH-id.
//! - [`model`]: the register models — [`model::Person`] (Persontjenesten),
//!   [`model::HealthPersonnel`] (HPR), [`model::Organisation`] (Enhetsregisteret),
//!   [`model::CommunicationParty`] (Adresseregisteret) — as plain serde data.
//! - [`codes`]: code systems with embedded display names (9060 [`codes::Category`], 7704,
//!   7426, 9044, 3401); unknown upstream codes are kept, not rejected.
//! - [`authz`]: "is HPR person P authorised as category C on date D?", with the reason when not.
//! - [`check`]: the consistency-rule catalogue and the rules that judge one record.
//!
//! ```
//! use grunndata_core::id::{NationalId, NationalIdKind, OrgNumber};
//!
//! let nin: NationalId = "30108299920".parse()?;
//! assert_eq!(nin.kind(), NationalIdKind::Fodselsnummer);
//! assert_eq!(nin.masked(), "301082*****");
//!
//! let orgnr: OrgNumber = "974760673".parse()?;
//! assert_eq!(orgnr.fhir_system(), "urn:oid:2.16.578.1.12.4.1.4.101");
//! # Ok::<(), grunndata_core::id::IdError>(())
//! ```

pub mod authz;
pub mod check;
pub mod codes;
pub mod id;
pub mod model;
pub mod register;

pub use register::{Register, UnknownRegister};

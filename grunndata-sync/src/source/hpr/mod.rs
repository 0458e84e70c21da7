//! Helsepersonellregisteret (HPR): health personnel and their approvals, keyed by HPR-nummer.
//!
//! HPR has two faces (UPSTREAMS.md §4), and the mirror uses both:
//!
//! | need | call | module |
//! |---|---|---|
//! | one person by HPR number / by NIN | REST `GET /v1/personerutvidet/{hpr}`, `POST /v1/personerutvidet` (Maskinporten) | [`rest`] |
//! | bootstrap, with export rights | REST export: a ZIP of JSON streams of `HelsepersonUtvidet` (scope `nhn:hpr/export`; URL configured) | [`export`] |
//! | bootstrap, without | SOAP `Søk2`, paged | [`soap`] |
//! | incremental sync | SOAP `HentRegisterEndringer(fra, til, side, resultaterPerSide)`: full `Person` records, no refetch | [`soap`], [`cursor`] |
//!
//! [`HprSource`] puts them behind the common [`Source`](crate::source::Source) shape. Both
//! upstream shapes (SOAP `Person`, REST `HelsepersonUtvidet`) are parsed into
//! [`HealthPersonnel`](crate::core::model::HealthPersonnel) by private DTO and conversion
//! modules; a record that does not parse is a [`MalformedRecord`](crate::source::MalformedRecord)
//! naming the field (as upstream names it) and the HPR number when readable, and never aborts
//! its page or stream. A NIN that fails validation is kept as
//! [`MaybeValid::Invalid`](crate::core::id::MaybeValid), not treated as malformed.
//!
//! SOAP is read with quick-xml (namespace-aware walk of the envelope, serde per `Person`); the
//! request envelopes are written with its writer. Nothing here logs a NIN, a token or a
//! password.
//!
//! Decisions where the sources are silent are documented where they are taken: time zones and
//! request times (private module `time`), the `SOAPAction` encoding, charset and fault retries
//! ([`soap`]), the `Søk2` listing criterion (private module `envelope`), the export's entry
//! format ([`export`]), windows, overlap and de-duplication ([`cursor`], [`HprSource`]), why
//! fetch uses REST ([`HprSource`]), and code systems, empty codes and `DateTime.MinValue`
//! (private module `convert`).

mod auth;
pub(crate) mod convert;
pub mod cursor;
pub(crate) mod envelope;
mod error;
pub mod export;
pub mod rest;
pub(crate) mod rest_dto;
pub mod soap;
pub(crate) mod soap_dto;
pub(crate) mod soap_page;
mod source;
pub(crate) mod time;

pub use auth::SoapCredentials;
pub use cursor::HprCursor;
pub use error::HprError;
pub use export::{ExportError, ExportSummary, read_export};
pub use rest::{HprRestClient, parse_helseperson};
pub use soap::{HprSoapClient, PersonPage, parse_response};
pub use soap_page::SoapFault;
pub use source::{ExportEndpoint, HprOptions, HprSource, HprSourceBuilder};

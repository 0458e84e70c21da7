//! The register models: plain, serde-able data, one file per register.
//!
//! | type | register | key |
//! |---|---|---|
//! | [`Person`] | NHN Persontjenesten (PREG, population register) | opaque person `id` |
//! | [`HealthPersonnel`] | Helsepersonellregisteret (HPR) | [`HprNumber`](crate::id::HprNumber) |
//! | [`Organisation`] | Brønnøysund Enhetsregisteret | [`OrgNumber`](crate::id::OrgNumber) |
//! | [`CommunicationParty`] | NHN Adresseregisteret (AR) | [`HerId`](crate::id::HerId) |
//!
//! **The serde form is grunndata's canonical JSON, not any upstream's shape.** Field names are
//! English snake_case; each field's doc names the upstream field it comes from, and the sync
//! crate converts. The store keeps this JSON as the record of truth, so names here are stable:
//! rename only with a migration.
//!
//! Design rules:
//! - A record's own key is a validated identifier. Secondary identifiers that real registers
//!   hold invalid (a NIN on an HPR person, an orgnr on an AR party, a parent orgnr) are
//!   [`MaybeValid`](crate::id::MaybeValid): kept as received and flagged, never dropped.
//! - Codes keep unknown values ([`Code`](crate::codes::Code), [`Category`](crate::codes::Category),
//!   and the open enums here with an `Other(String)` case).
//! - Validity is a [`Period`] of whole days with an inclusive end, everywhere.
//! - `Debug` never prints a whole person number: [`NationalId`](crate::id::NationalId) and
//!   `MaybeValid` mask themselves, and no model holds a NIN as a plain string.
//! - Optional fields and lists default when absent, so stored JSON written by an older version
//!   still reads.

mod common;
mod communication_party;
mod date;
mod flagged;
pub(crate) mod open_enum;
mod organisation;
mod person;
mod personnel;

pub use common::{Name, Period};
pub use communication_party::{
    AmqpAddress, AmqpTransportStatus, CertificateMetadata, CommunicationParty, ParentOrganisation,
    PartyPostalAddress, PartyType,
};
pub use date::{date_text, instant_text, parse_date, parse_instant, parse_ymd};
pub use flagged::{FlaggedIdentifier, FlaggedIdentifiers};
pub use organisation::{
    IndustryCode, OrgAddress, Organisation, OrganisationalForm, SectorCode, UnitKind,
};
pub use person::{
    AddressProtection, ContactAddress, IdentifierStatus, IdentifierType, Person, PersonIdentifier,
    PersonStatus, ResidentialAddress,
};
pub use personnel::{
    AdditionalCompetence, AdministrativeReaction, Approval, Condition, HealthPersonnel,
    RequisitionRight, Speciality, Suspension,
};

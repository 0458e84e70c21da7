//! Validated Norwegian identifiers.
//!
//! Each identifier is a newtype that can only be built by parsing, so a value of one of these
//! types is always valid. Parsing accepts what users paste: surrounding white space and the
//! separators space, `-` and `:` between digits are ignored; any other character is an error
//! that names its position.
//!
//! | type | what | check digits |
//! |---|---|---|
//! | [`NationalId`] | fødselsnummer, D-nummer, H-nummer, FH-nummer (11 digits) | K1 (classic or 2032 rule) and K2, mod 11 |
//! | [`OrgNumber`] | organisasjonsnummer (9 digits) | mod 11, weights 3 2 7 6 5 4 3 2 |
//! | [`HprNumber`] | HPR-nummer (Helsepersonellregisteret) | none documented |
//! | [`HerId`] | HER-id (Adresseregisteret) | none documented |
//! | [`ReshId`] | RESH-id (specialist health service units) | none documented |
//!
//! Identifiers that must be kept even when invalid (real registers contain such data) are held
//! in [`MaybeValid`].

mod any;
mod digits;
mod error;
mod maybe_valid;
mod national;
mod numeric;
mod org;

pub use any::{AnyId, IdFamily, IdKind};
pub use error::IdError;
pub use maybe_valid::{InvalidId, MaybeValid};
pub use national::{CheckDigitRule, Gender, NationalId, NationalIdKind};
pub use numeric::{HerId, HprNumber, ReshId};
pub use org::OrgNumber;

pub(crate) use digits::NumberOrText;

/// The canonical text of an identifier, as the registers and the store write it: the digits.
///
/// Every identifier but [`NationalId`] is also `Display`; a person number has no `Display`, so
/// code that needs its whole text names it ([`NationalId::expose`]) or goes through this trait.
pub trait CanonicalText {
    /// The identifier's digits as text.
    fn canonical_text(&self) -> String;
}

impl CanonicalText for NationalId {
    fn canonical_text(&self) -> String {
        self.expose()
    }
}

macro_rules! canonical_by_display {
    ($($name:ty),*) => {$(
        impl CanonicalText for $name {
            fn canonical_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

canonical_by_display!(OrgNumber, HprNumber, HerId, ReshId);

/// FHIR identifier systems (NamingSystem URIs, preferred OID form) for the identifiers here.
pub mod fhir {
    /// Fødselsnummer (Skatteetaten).
    pub const FNR: &str = "urn:oid:2.16.578.1.12.4.1.4.1";
    /// D-nummer (Skatteetaten).
    pub const DNR: &str = "urn:oid:2.16.578.1.12.4.1.4.2";
    /// Felles hjelpenummer (Norsk helsenett).
    pub const FHN: &str = "urn:oid:2.16.578.1.12.4.1.4.3";
    /// HPR-nummer (Helsedirektoratet).
    pub const HPR: &str = "urn:oid:2.16.578.1.12.4.1.4.4";
    /// Organisasjonsnummer (Enhetsregisteret, Brønnøysundregistrene).
    pub const ENH: &str = "urn:oid:2.16.578.1.12.4.1.4.101";
    /// RESH-id (Norsk helsenett).
    pub const RESH: &str = "urn:oid:2.16.578.1.12.4.1.4.102";
    /// HER-id (Adresseregisteret, Norsk helsenett).
    pub const HER: &str = "urn:oid:2.16.578.1.12.4.1.2";
}

//! 3401 Adressetype (AR legacy `PhysicalAddress.TypeCodeValue`).
//!
//! From ks-no/fiks-nhn-client `Adressetype.kt`; `PST` and `RES` confirmed in NHN test responses.

use super::Concept;

/// The known entries of 3401.
pub const TABLE: &[Concept] = &[
    Concept::new("BAD", "Ubrukelig adresse"),
    Concept::new("H", "Bostedsadresse"),
    Concept::new("HP", "Folkeregisteradresse"),
    Concept::new("HV", "Ferieadresse"),
    Concept::new("INV", "Faktureringsadresse"),
    Concept::new("PST", "Postadresse"),
    Concept::new("RES", "Besøksadresse"),
    Concept::new("TMP", "Midlertidig adresse"),
    Concept::new("WP", "Arbeidsadresse"),
];

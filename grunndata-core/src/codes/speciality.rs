//! 7426 Spesialiteter (HPR `spesialistgodkjenninger[].type` / SOAP `Spesialiteter`).
//!
//! Only two labels are verified (IDENTIFIERS.md §8; the Grunndata FHIR stub holds one concept);
//! no fuller list exists in the stored sources, so every other speciality shows upstream's own
//! `navn`.

use super::Concept;

/// The verified entries of 7426.
pub const TABLE: &[Concept] = &[
    Concept::new("1", "Allmennmedisin"),
    Concept::new("152", "Ortopedisk kirurgi"),
];

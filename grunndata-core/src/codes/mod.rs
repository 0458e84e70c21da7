//! Code systems ("kodeverk") used by the registers, with their display names embedded.
//!
//! The registers send codes as a code-system id plus a value (HPR `Kode{verdi, navn,
//! kodeverk{id}}`, AR `AdministrativeCode{codeListId, value, name}`, AR legacy `Code{OID,
//! CodeValue, CodeText}`). A [`Code`] keeps all three, and *never rejects* a value it does not
//! know: upstream adds codes without notice, and a mirror that dropped such records would be
//! wrong in a worse way than one that shows a raw code.
//!
//! The tables are copied into this source from `../shared/reference` (IDENTIFIERS.md §8 and
//! `codesystems/`): CI builds without that folder, and a library that read files at run time
//! would break the "no I/O" invariant. Only labels confirmed by a source are included; a value
//! known to exist but whose label is unverified has no entry (its display comes from upstream).
//!
//! | system | what | module |
//! |---|---|---|
//! | 9060 | Kategori helsepersonell (complete, 36 codes) | [`category`] ([`Category`]) |
//! | 7704 | Godkjenningstype / autorisasjon (HPR `autorisasjon`) | [`authorisation`] |
//! | 7426 | Spesialiteter (HPR specialist approvals) | [`speciality`] |
//! | 9044 | Type elektronisk adresse (AR) | [`electronic_address`] |
//! | 3401 | Adressetype (AR physical addresses) | [`address_type`] |
//!
//! ```
//! use grunndata_core::codes::{self, Category, CodeSystemId};
//!
//! assert_eq!(codes::display("9060", "LE"), Some("Lege"));
//! assert_eq!(codes::display("urn:oid:2.16.578.1.12.4.1.1.7704", "1"), Some("Autorisasjon"));
//! assert_eq!(Category::LE.label(), "LE Lege");
//! assert_eq!(CodeSystemId::CATEGORY.oid().as_deref(), Some("urn:oid:2.16.578.1.12.4.1.1.9060"));
//! ```

pub mod address_type;
pub mod authorisation;
pub mod category;
pub mod electronic_address;
pub mod speciality;
mod system;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use category::Category;
pub use system::CodeSystemId;

/// One entry of an embedded code-system table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concept {
    /// The code value (`LE`, `1`, `E_EDI`).
    pub code: &'static str,
    /// The display name in Norwegian, as the code system's owner publishes it.
    pub display: &'static str,
    /// Whether the owner marks the code as no longer in use ("Utgått"); kept because old
    /// records still carry it.
    pub deprecated: bool,
}

impl Concept {
    /// A concept in use.
    pub(crate) const fn new(code: &'static str, display: &'static str) -> Self {
        Self {
            code,
            display,
            deprecated: false,
        }
    }

    /// A concept its owner marks as no longer in use.
    pub(crate) const fn deprecated(code: &'static str, display: &'static str) -> Self {
        Self {
            code,
            display,
            deprecated: true,
        }
    }
}

/// The embedded table for a code system, if we have one.
pub fn table(system: &CodeSystemId) -> Option<&'static [Concept]> {
    match system.as_str() {
        "9060" => Some(category::TABLE),
        "7704" => Some(authorisation::TABLE),
        "7426" => Some(speciality::TABLE),
        "9044" => Some(electronic_address::TABLE),
        "3401" => Some(address_type::TABLE),
        _ => None,
    }
}

/// The embedded concept for `value` in `system`.
pub fn concept(system: &CodeSystemId, value: &str) -> Option<&'static Concept> {
    table(system)?.iter().find(|concept| concept.code == value)
}

/// The display name of `value` in a code system, from the embedded tables.
///
/// `system` may be written as the bare number (`9060`), the OID (`2.16.578.1.12.4.1.1.9060`)
/// or the URN (`urn:oid:2.16.578.1.12.4.1.1.9060`). `None` when the system or value is not in
/// the tables — callers then show the upstream display or the raw value.
pub fn display(system: &str, value: &str) -> Option<&'static str> {
    concept(&CodeSystemId::new(system), value).map(|concept| concept.display)
}

/// A coded value as received from upstream: system, value and the display upstream sent.
///
/// Unknown values are kept, never rejected. [`display_name`](Self::display_name) prefers the
/// embedded table (so the helpdesk sees one spelling) and falls back to upstream's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Code {
    /// The code system (HPR `kodeverk.id`, AR `codeListId`, legacy `OID`).
    pub system: CodeSystemId,
    /// The value (HPR `verdi`, AR `value`, legacy `CodeValue`).
    pub value: String,
    /// The display text upstream sent (HPR `navn`, AR `name`, legacy `CodeText`), if any.
    #[serde(default)]
    pub display: Option<String>,
}

impl Code {
    /// A code with no upstream display.
    pub fn new(system: CodeSystemId, value: impl Into<String>) -> Self {
        Self {
            system,
            value: value.into(),
            display: None,
        }
    }

    /// A code with the display text upstream sent.
    pub fn with_display(
        system: CodeSystemId,
        value: impl Into<String>,
        display: impl Into<String>,
    ) -> Self {
        Self {
            system,
            value: value.into(),
            display: Some(display.into()),
        }
    }

    /// The display name: the embedded table's, else upstream's, else `None`.
    pub fn display_name(&self) -> Option<&str> {
        concept(&self.system, &self.value)
            .map(|concept| concept.display)
            .or(self.display.as_deref())
    }

    /// Whether the embedded table for this system knows the value (`false` also when we have
    /// no table for the system).
    pub fn is_known(&self) -> bool {
        concept(&self.system, &self.value).is_some()
    }

    /// `value display` for people (`1 Autorisasjon`), or just the value when no display is known.
    pub fn label(&self) -> String {
        match self.display_name() {
            Some(display) => format!("{} {display}", self.value),
            None => self.value.clone(),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

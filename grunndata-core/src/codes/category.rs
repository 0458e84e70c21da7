//! 9060 Kategori helsepersonell, and [`Category`], the typed form of its codes.
//!
//! Source: HL7Norway/kodeverk `no-kodeverk-9060.fsh` (content `#complete`), mirrored in
//! IDENTIFIERS.md §8.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CodeSystemId, Concept};

/// All 36 codes of 9060, in the published order (MT last, marked "Utgått").
pub const TABLE: &[Concept] = &[
    Concept::new("AA", "Ambulansearbeider"),
    Concept::new("AT", "Apotektekniker"),
    Concept::new("AU", "Audiograf"),
    Concept::new("BI", "Bioingeniør"),
    Concept::new("ET", "Ergoterapeut"),
    Concept::new("FA1", "Provisorfarmasøyt"),
    Concept::new("FA2", "Reseptarfarmasøyt"),
    Concept::new("FB", "Fiskehelsebiolog"),
    Concept::new("FO", "Fotterapeut"),
    Concept::new("FT", "Fysioterapeut"),
    Concept::new("HE", "Helsesekretær"),
    Concept::new("HF", "Helsefagarbeider"),
    Concept::new("HP", "Hjelpepleier"),
    Concept::new("JO", "Jordmor"),
    Concept::new("KE", "Klinisk ernæringsfysiolog"),
    Concept::new("KI", "Kiropraktor"),
    Concept::new("LE", "Lege"),
    Concept::new("NP", "Naprapat"),
    Concept::new("OA", "Omsorgsarbeider"),
    Concept::new("OI", "Ortopediingeniør"),
    Concept::new("OP", "Optiker"),
    Concept::new("OR", "Ortoptist"),
    Concept::new("OS", "Osteopat"),
    Concept::new("PE", "Perfusjonist"),
    Concept::new("PM", "Paramedisiner"),
    Concept::new("PS", "Psykolog"),
    Concept::new("RA", "Radiograf"),
    Concept::new("SP", "Sykepleier"),
    Concept::new("TH", "Tannhelsesekretær"),
    Concept::new("TL", "Tannlege"),
    Concept::new("TP", "Tannpleier"),
    Concept::new("TT", "Tanntekniker"),
    Concept::new("VE", "Veterinær"),
    Concept::new("VP", "Vernepleier"),
    Concept::new("XX", "Ukjent/uspesifisert"),
    Concept::deprecated("MT", "Manuellterapeut"),
];

/// A health-personnel category (9060 "Kategori helsepersonell", HPR `helsepersonellkategori`).
///
/// A string newtype with one associated constant per known code rather than an enum: a
/// developer writes `Category::LE`, yet a code HPR introduces tomorrow is held as it came
/// (`Category::new("ZZ")`) without an `Other` case to remember, and there is exactly one
/// representation of each code (an enum with `Other(String)` could hold `Other("LE")` next to
/// `LE`). Compare with `==`; [`is_known`](Self::is_known) tells whether the code is in 9060.
///
/// ```
/// use grunndata_core::codes::Category;
///
/// let category: Category = "le".parse()?;
/// assert_eq!(category, Category::LE);
/// assert_eq!(category.display(), Some("Lege"));
/// assert!(!Category::new("ZZ").is_known());
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(Cow<'static, str>);

/// Declares the associated constants, one per 9060 code, with its display name as doc.
macro_rules! categories {
    ($($code:ident => $doc:literal),+ $(,)?) => {
        impl Category {
            $(
                #[doc = concat!("`", stringify!($code), "` ", $doc, ".")]
                pub const $code: Self = Self(Cow::Borrowed(stringify!($code)));
            )+
        }
    };
}

categories! {
    AA => "Ambulansearbeider",
    AT => "Apotektekniker",
    AU => "Audiograf",
    BI => "Bioingeniør",
    ET => "Ergoterapeut",
    FA1 => "Provisorfarmasøyt",
    FA2 => "Reseptarfarmasøyt",
    FB => "Fiskehelsebiolog",
    FO => "Fotterapeut",
    FT => "Fysioterapeut",
    HE => "Helsesekretær",
    HF => "Helsefagarbeider",
    HP => "Hjelpepleier",
    JO => "Jordmor",
    KE => "Klinisk ernæringsfysiolog",
    KI => "Kiropraktor",
    LE => "Lege",
    NP => "Naprapat",
    OA => "Omsorgsarbeider",
    OI => "Ortopediingeniør",
    OP => "Optiker",
    OR => "Ortoptist",
    OS => "Osteopat",
    PE => "Perfusjonist",
    PM => "Paramedisiner",
    PS => "Psykolog",
    RA => "Radiograf",
    SP => "Sykepleier",
    TH => "Tannhelsesekretær",
    TL => "Tannlege",
    TP => "Tannpleier",
    TT => "Tanntekniker",
    VE => "Veterinær",
    VP => "Vernepleier",
    XX => "Ukjent/uspesifisert",
    MT => "Manuellterapeut (utgått)",
}

impl Category {
    /// The code system these codes belong to.
    pub const SYSTEM: CodeSystemId = CodeSystemId::CATEGORY;

    /// A category exactly as upstream sent it (surrounding white space removed). Unknown codes
    /// are kept.
    pub fn new(code: impl Into<String>) -> Self {
        let code = code.into();
        let trimmed = code.trim();
        if trimmed.len() == code.len() {
            Self(Cow::Owned(code))
        } else {
            Self(Cow::Owned(trimmed.to_owned()))
        }
    }

    /// The code (`LE`).
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The display name from 9060 (`Lege`), `None` for unknown codes.
    pub fn display(&self) -> Option<&'static str> {
        self.concept().map(|concept| concept.display)
    }

    /// The 9060 entry for this code.
    pub fn concept(&self) -> Option<&'static Concept> {
        TABLE.iter().find(|concept| concept.code == self.code())
    }

    /// Whether the code is in 9060.
    pub fn is_known(&self) -> bool {
        self.concept().is_some()
    }

    /// Code and name for people (`LE Lege`); just the code when unknown.
    pub fn label(&self) -> String {
        match self.display() {
            Some(display) => format!("{} {display}", self.code()),
            None => self.code().to_owned(),
        }
    }
}

impl fmt::Display for Category {
    /// Writes the code alone, so `to_string` and `parse` round-trip; use
    /// [`label`](Category::label) for `LE Lege`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Category {
    type Err = std::convert::Infallible;

    /// For what people type (`le`, ` LE `): trimmed and upper-cased, since every 9060 code is
    /// upper case. Upstream data goes through [`Category::new`], which keeps the text as is.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(text.trim().to_uppercase()))
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

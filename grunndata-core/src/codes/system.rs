//! Code-system identifiers.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::id::NumberOrText;

/// The prefix of Volven/Helsedirektoratet code-system OIDs; the system number follows it.
const VOLVEN_OID_PREFIX: &str = "2.16.578.1.12.4.1.1.";

/// Which code system a [`Code`](super::Code) belongs to.
///
/// Held in its shortest form: the bare Volven number (`9060`) for Helsedirektoratet code
/// systems, which is what HPR (`kodeverk.id`) and AR legacy (`OID`) send; anything else (an AR
/// `codeListId` such as a name) is kept as received. [`new`](Self::new) strips `urn:oid:` and
/// the Volven prefix, so every spelling of one system compares equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeSystemId(Cow<'static, str>);

impl CodeSystemId {
    /// 9060 Kategori helsepersonell.
    pub const CATEGORY: Self = Self(Cow::Borrowed("9060"));
    /// 7704 Godkjenningstype / autorisasjon (HPR `autorisasjon`).
    pub const AUTHORISATION: Self = Self(Cow::Borrowed("7704"));
    /// 7426 Spesialiteter (HPR specialist approvals).
    pub const SPECIALITY: Self = Self(Cow::Borrowed("7426"));
    /// 7702 Tilleggskompetanse (HPR additional competences; no labels verified).
    pub const ADDITIONAL_COMPETENCE: Self = Self(Cow::Borrowed("7702"));
    /// 9044 Type elektronisk adresse (AR).
    pub const ELECTRONIC_ADDRESS_TYPE: Self = Self(Cow::Borrowed("9044"));
    /// 3401 Adressetype (AR physical addresses).
    pub const ADDRESS_TYPE: Self = Self(Cow::Borrowed("3401"));
    /// 3402 Kommunenummer (AR legacy municipality).
    pub const MUNICIPALITY: Self = Self(Cow::Borrowed("3402"));
    /// 9040 Helsevirksomhet type (AR business type).
    pub const BUSINESS_TYPE: Self = Self(Cow::Borrowed("9040"));

    /// Normalises any spelling: `9060`, `2.16.578.1.12.4.1.1.9060` and
    /// `urn:oid:2.16.578.1.12.4.1.1.9060` all become `9060`. Other text is kept (trimmed).
    pub fn new(text: &str) -> Self {
        let text = text.trim();
        let text = text.strip_prefix("urn:oid:").unwrap_or(text);
        let text = text.strip_prefix(VOLVEN_OID_PREFIX).unwrap_or(text);
        Self(Cow::Owned(text.to_owned()))
    }

    /// A Volven code system by number (HPR sends `kodeverk.id` as an integer).
    pub fn volven(number: u32) -> Self {
        Self(Cow::Owned(number.to_string()))
    }

    /// The id in its short form (`9060`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URN form of the OID (`urn:oid:2.16.578.1.12.4.1.1.9060`) for a Volven number, as
    /// FHIR `Coding.system` wants it; `None` for ids that are not Volven numbers.
    pub fn oid(&self) -> Option<String> {
        let is_number = !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit());
        is_number.then(|| format!("urn:oid:{VOLVEN_OID_PREFIX}{}", self.0))
    }
}

impl fmt::Display for CodeSystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for CodeSystemId {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl Serialize for CodeSystemId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CodeSystemId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // HPR JSON carries `kodeverk.id` as a number; our canonical JSON as a string.
        // A code-system number is never negative (the shared reader takes any integer).
        Ok(match NumberOrText::deserialize(deserializer)? {
            NumberOrText::Number(n) => match u64::try_from(n) {
                Ok(n) => Self(Cow::Owned(n.to_string())),
                Err(_) => {
                    return Err(serde::de::Error::invalid_value(
                        serde::de::Unexpected::Signed(n),
                        &"a code-system number or id",
                    ));
                }
            },
            NumberOrText::Text(text) => Self::new(&text),
        })
    }
}

//! Enhetsregisteret's JSON shapes (UPSTREAMS.md §1.4, `enhetsregisteret.yml`, the python-brreg
//! samples) and their conversion into [`Organisation`].
//!
//! One DTO reads both `Enhet` and `Underenhet`: they share nearly every field, and the unit
//! kind comes from the endpoint, not the payload. Unknown fields are ignored (Brreg adds fields
//! without a version bump); every field but `organisasjonsnummer` may be missing.
//!
//! Decisions where the sources are silent or contradict each other:
//! - Dates are `YYYY-MM-DD`; an empty string (`"konkursdato": ""` in the samples) reads as
//!   absent. A non-empty string that is not a date makes the record malformed at that field.
//! - The stored 2020 spec spells the founding date `stiftelsedato`; the samples and current
//!   API `stiftelsesdato`. Both are accepted.
//! - `antallAnsatte` is kept only when `harRegistrertAntallAnsatte` is not `false`.
//! - An invalid `organisasjonsnummer` makes the record malformed (it is the key); an invalid
//!   `overordnetEnhet` is kept as received (`MaybeValid`).
//! - An explicit `null` in any optional field reads as absent (a `null` list as empty).
//! - Compulsory dissolution is dated by the API's five reason-specific fields
//!   (`tvangsopplostPgaManglendeDagligLederDato`, `…ManglendeRevisorDato`,
//!   `…ManglendeRegnskapDato`, `…MangelfulltStyreDato`,
//!   `tvangsavvikletPgaManglendeSlettingDato`); `compulsory_liquidation_date` is the earliest
//!   of those present (docs/upstream-decisions.md, "Brreg compulsory dissolution").

use chrono::NaiveDate;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::core::id::{MaybeValid, OrgNumber};
use crate::core::model::{
    IndustryCode, OrgAddress, Organisation, OrganisationalForm, SectorCode, UnitKind,
};
use crate::source::record::parse_dto;
use crate::source::{MalformedRecord, Parsed};
use crate::store::Register;

/// An `Enhet` or `Underenhet` as Brreg sends it (single-unit endpoints and bulk files).
#[derive(Debug, Deserialize)]
pub(crate) struct UnitDto {
    #[serde(rename = "organisasjonsnummer")]
    org_number: String,
    #[serde(rename = "navn", default)]
    name: Option<String>,
    #[serde(rename = "organisasjonsform", default)]
    form: Option<FormDto>,
    #[serde(rename = "hjemmeside", default)]
    homepage: Option<String>,
    #[serde(rename = "postadresse", default)]
    postal_address: Option<AddressDto>,
    #[serde(rename = "forretningsadresse", default)]
    business_address: Option<AddressDto>,
    #[serde(rename = "beliggenhetsadresse", default)]
    location_address: Option<AddressDto>,
    #[serde(
        rename = "registreringsdatoEnhetsregisteret",
        default,
        deserialize_with = "date"
    )]
    registered_date: Option<NaiveDate>,
    #[serde(rename = "registrertIMvaregisteret", default)]
    vat_registered: Option<bool>,
    #[serde(rename = "naeringskode1", default)]
    industry1: Option<CodeDto>,
    #[serde(rename = "naeringskode2", default)]
    industry2: Option<CodeDto>,
    #[serde(rename = "naeringskode3", default)]
    industry3: Option<CodeDto>,
    #[serde(rename = "antallAnsatte", default)]
    employees: Option<u32>,
    #[serde(rename = "harRegistrertAntallAnsatte", default)]
    has_employees: Option<bool>,
    #[serde(rename = "overordnetEnhet", default)]
    parent: Option<String>,
    #[serde(
        rename = "stiftelsesdato",
        alias = "stiftelsedato",
        default,
        deserialize_with = "date"
    )]
    founded_date: Option<NaiveDate>,
    #[serde(rename = "oppstartsdato", default, deserialize_with = "date")]
    start_date: Option<NaiveDate>,
    #[serde(rename = "datoEierskifte", default, deserialize_with = "date")]
    owner_change_date: Option<NaiveDate>,
    #[serde(rename = "nedleggelsesdato", default, deserialize_with = "date")]
    closed_date: Option<NaiveDate>,
    #[serde(rename = "slettedato", default, deserialize_with = "date")]
    deleted_date: Option<NaiveDate>,
    #[serde(rename = "institusjonellSektorkode", default)]
    sector: Option<CodeDto>,
    #[serde(rename = "registrertIForetaksregisteret", default)]
    in_business_register: Option<bool>,
    #[serde(rename = "konkurs", default)]
    bankrupt: Option<bool>,
    #[serde(rename = "konkursdato", default, deserialize_with = "date")]
    bankruptcy_date: Option<NaiveDate>,
    #[serde(rename = "underAvvikling", default)]
    under_liquidation: Option<bool>,
    #[serde(rename = "underAvviklingDato", default, deserialize_with = "date")]
    liquidation_date: Option<NaiveDate>,
    #[serde(rename = "underTvangsavviklingEllerTvangsopplosning", default)]
    under_compulsory_liquidation: Option<bool>,
    #[serde(
        rename = "tvangsopplostPgaManglendeDagligLederDato",
        default,
        deserialize_with = "date"
    )]
    dissolved_no_manager_date: Option<NaiveDate>,
    #[serde(
        rename = "tvangsopplostPgaManglendeRevisorDato",
        default,
        deserialize_with = "date"
    )]
    dissolved_no_auditor_date: Option<NaiveDate>,
    #[serde(
        rename = "tvangsopplostPgaManglendeRegnskapDato",
        default,
        deserialize_with = "date"
    )]
    dissolved_no_accounts_date: Option<NaiveDate>,
    #[serde(
        rename = "tvangsopplostPgaMangelfulltStyreDato",
        default,
        deserialize_with = "date"
    )]
    dissolved_deficient_board_date: Option<NaiveDate>,
    #[serde(
        rename = "tvangsavvikletPgaManglendeSlettingDato",
        default,
        deserialize_with = "date"
    )]
    wound_up_not_deleted_date: Option<NaiveDate>,
}

/// `organisasjonsform{kode, beskrivelse, utgaatt}`.
#[derive(Debug, Deserialize)]
pub(crate) struct FormDto {
    #[serde(rename = "kode")]
    code: String,
    #[serde(rename = "beskrivelse", default)]
    description: Option<String>,
    #[serde(rename = "utgaatt", default, deserialize_with = "date")]
    expired: Option<NaiveDate>,
}

/// `naeringskode1|2|3`, `institusjonellSektorkode`: `{kode, beskrivelse}`.
#[derive(Debug, Deserialize)]
pub(crate) struct CodeDto {
    #[serde(rename = "kode")]
    code: String,
    #[serde(rename = "beskrivelse", default)]
    description: Option<String>,
}

/// `Adresse{land, landkode, postnummer, poststed, adresse[], kommune, kommunenummer}`.
#[derive(Debug, Deserialize)]
pub(crate) struct AddressDto {
    #[serde(rename = "adresse", default, deserialize_with = "null_as_empty")]
    lines: Vec<Option<String>>,
    #[serde(rename = "postnummer", default)]
    postal_code: Option<String>,
    #[serde(rename = "poststed", default)]
    city: Option<String>,
    #[serde(rename = "kommune", default)]
    municipality: Option<String>,
    #[serde(rename = "kommunenummer", default)]
    municipality_number: Option<String>,
    #[serde(rename = "land", default)]
    country: Option<String>,
    #[serde(rename = "landkode", default)]
    country_code: Option<String>,
}

/// Just the key, for naming a record that failed to parse.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyOnly {
    #[serde(rename = "organisasjonsnummer", default)]
    pub(crate) org_number: Option<String>,
}

/// Parses one unit's JSON (a bulk-file element or a single-unit response) into the model, or
/// into a [`MalformedRecord`] naming the unit and the field.
pub(crate) fn parse_unit(raw: &[u8], unit: UnitKind) -> Parsed<Organisation> {
    // Fast path without path tracking; on failure parse again to find the field.
    let Ok(dto) = serde_json::from_slice::<UnitDto>(raw) else {
        let upstream_id = serde_json::from_slice::<KeyOnly>(raw)
            .ok()
            .and_then(|key| key.org_number);
        return Parsed::Malformed(match parse_dto::<UnitDto>(raw) {
            Err(error) => {
                MalformedRecord::from_path_error(Register::Brreg, upstream_id, &error, raw)
            }
            // Cannot happen (the same input failed above); keep it malformed regardless.
            Ok(_) => MalformedRecord::new(
                Register::Brreg,
                upstream_id,
                None,
                "record did not parse",
                raw.to_vec(),
            ),
        });
    };
    match dto.into_model(unit) {
        Ok(organisation) => Parsed::Record(organisation),
        Err(invalid) => Parsed::Malformed(MalformedRecord::new(
            Register::Brreg,
            Some(invalid.upstream_id),
            Some(invalid.field.to_owned()),
            &invalid.message,
            raw.to_vec(),
        )),
    }
}

/// Why a parsed DTO could not become an [`Organisation`].
#[derive(Debug)]
pub(crate) struct Invalid {
    upstream_id: String,
    field: &'static str,
    message: String,
}

impl UnitDto {
    /// Converts into the core model; fails only on an invalid key.
    pub(crate) fn into_model(self, unit: UnitKind) -> Result<Organisation, Invalid> {
        let org_number = match OrgNumber::parse(&self.org_number) {
            Ok(org_number) => org_number,
            Err(error) => {
                return Err(Invalid {
                    message: format!("invalid organisasjonsnummer: {error}"),
                    upstream_id: self.org_number,
                    field: "organisasjonsnummer",
                });
            }
        };
        let industry_codes = [self.industry1, self.industry2, self.industry3]
            .into_iter()
            .flatten()
            .map(|code| IndustryCode {
                code: code.code,
                description: code.description,
            })
            .collect();
        let employees = if self.has_employees == Some(false) {
            None
        } else {
            self.employees
        };
        Ok(Organisation {
            org_number,
            unit,
            name: self.name,
            form: self.form.map(|form| OrganisationalForm {
                code: form.code,
                description: form.description,
                expired: form.expired,
            }),
            parent: self
                .parent
                .filter(|parent| !parent.trim().is_empty())
                .map(|parent| MaybeValid::from_raw(&parent)),
            business_address: self.business_address.map(AddressDto::into_model),
            location_address: self.location_address.map(AddressDto::into_model),
            postal_address: self.postal_address.map(AddressDto::into_model),
            industry_codes,
            sector: self.sector.map(|code| SectorCode {
                code: code.code,
                description: code.description,
            }),
            homepage: self.homepage,
            employees,
            registered_date: self.registered_date,
            founded_date: self.founded_date,
            start_date: self.start_date,
            owner_change_date: self.owner_change_date,
            closed_date: self.closed_date,
            deleted_date: self.deleted_date,
            vat_registered: self.vat_registered.unwrap_or(false),
            in_business_register: self.in_business_register.unwrap_or(false),
            bankrupt: self.bankrupt.unwrap_or(false),
            bankruptcy_date: self.bankruptcy_date,
            under_liquidation: self.under_liquidation.unwrap_or(false),
            liquidation_date: self.liquidation_date,
            under_compulsory_liquidation: self.under_compulsory_liquidation.unwrap_or(false),
            compulsory_liquidation_date: [
                self.dissolved_no_manager_date,
                self.dissolved_no_auditor_date,
                self.dissolved_no_accounts_date,
                self.dissolved_deficient_board_date,
                self.wound_up_not_deleted_date,
            ]
            .into_iter()
            .flatten()
            .min(),
        })
    }
}

impl AddressDto {
    fn into_model(self) -> OrgAddress {
        OrgAddress {
            lines: self
                .lines
                .into_iter()
                .flatten()
                .filter(|line| !line.trim().is_empty())
                .collect(),
            postal_code: self.postal_code,
            city: self.city,
            municipality: self.municipality,
            municipality_number: self.municipality_number,
            country: self.country,
            country_code: self.country_code,
        }
    }
}

/// A list that may be sent as `null` (read as empty).
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A Brreg date: `YYYY-MM-DD`, with `null` and `""` read as absent. Reads from the borrowed
/// text without allocating (the bulk files hold millions of dates).
fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    deserializer.deserialize_option(DateVisitor)
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Option<NaiveDate>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date YYYY-MM-DD, an empty string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        // The usual spelling digit by digit; chrono's format interpreter was a tenth of a
        // bootstrap's parse (callgrind).
        crate::core::model::parse_ymd(text)
            .map(Some)
            .map_err(|_| E::custom(format!("{text:?} is not a date (YYYY-MM-DD)")))
    }
}

/// The field names each Brreg schema is read with: `(schema, names)`.
pub(crate) fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    use crate::source::introspect::struct_fields;
    vec![
        // One DTO reads both; its names are checked against the union.
        ("Enhet|Underenhet", struct_fields::<UnitDto>()),
        ("Organisasjonsform", struct_fields::<FormDto>()),
        ("Naeringskode", struct_fields::<CodeDto>()),
        ("Sektorkode", struct_fields::<CodeDto>()),
        ("Adresse", struct_fields::<AddressDto>()),
        ("Oppdatering", struct_fields::<super::feed::UpdateDto>()),
    ]
}

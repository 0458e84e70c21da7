//! Organisation — a unit in Brønnøysund Enhetsregisteret: a main unit (enhet) or a sub-unit
//! (underenhet, an establishment).
//!
//! Upstream: `GET /enheter/{orgnr}` and `GET /underenheter/{orgnr}` and the bulk files
//! (UPSTREAMS.md §1.4; samples in brreg/samples-python-brreg). One type covers both, told apart
//! by [`UnitKind`], because they share nearly every field and a sub-unit's parent is looked up
//! in the same table.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::id::{MaybeValid, OrgNumber};

/// A unit in Enhetsregisteret.
#[allow(
    clippy::struct_excessive_bools,
    reason = "the flags are Brreg's own, independent status fields; mirrored one to one"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// The key — organisasjonsnummer. Upstream `organisasjonsnummer`.
    pub org_number: OrgNumber,
    /// Main unit or sub-unit: which endpoint (`enheter` / `underenheter`) it came from.
    pub unit: UnitKind,
    /// Name. Upstream `navn`.
    #[serde(default)]
    pub name: Option<String>,
    /// Organisational form (AS, ENK, BEDR, …) — organisasjonsform.
    /// Upstream `organisasjonsform{kode, beskrivelse, utgaatt}`.
    #[serde(default)]
    pub form: Option<OrganisationalForm>,
    /// The parent: for a sub-unit its main unit, for a main unit the unit it is an
    /// "organisasjonsledd" of. Kept as received if invalid (Brreg fixtures hold fake numbers).
    /// Upstream `overordnetEnhet`.
    #[serde(default)]
    pub parent: Option<MaybeValid<OrgNumber>>,
    /// Business address of a main unit — forretningsadresse. Upstream `forretningsadresse`.
    #[serde(default)]
    pub business_address: Option<OrgAddress>,
    /// Location address of a sub-unit — beliggenhetsadresse. Upstream `beliggenhetsadresse`.
    #[serde(default)]
    pub location_address: Option<OrgAddress>,
    /// Postal address — postadresse. Upstream `postadresse`.
    #[serde(default)]
    pub postal_address: Option<OrgAddress>,
    /// Industry (NACE / SN2007) codes in upstream order — næringskoder.
    /// Upstream `naeringskode1`, `naeringskode2`, `naeringskode3`.
    #[serde(default)]
    pub industry_codes: Vec<IndustryCode>,
    /// Institutional sector — institusjonell sektorkode.
    /// Upstream `institusjonellSektorkode{kode, beskrivelse}`.
    #[serde(default)]
    pub sector: Option<SectorCode>,
    /// Homepage. Upstream `hjemmeside`.
    #[serde(default)]
    pub homepage: Option<String>,
    /// Number of employees, where registered. Upstream `antallAnsatte` (meaningful only when
    /// `harRegistrertAntallAnsatte`).
    #[serde(default)]
    pub employees: Option<u32>,
    /// Registered in Enhetsregisteret on. Upstream `registreringsdatoEnhetsregisteret`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub registered_date: Option<NaiveDate>,
    /// Founded on — stiftelsesdato. Upstream `stiftelsesdato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub founded_date: Option<NaiveDate>,
    /// Started on — oppstartsdato (sub-units). Upstream `oppstartsdato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub start_date: Option<NaiveDate>,
    /// Date of change of owner — dato eierskifte (sub-units). Upstream `datoEierskifte`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub owner_change_date: Option<NaiveDate>,
    /// Closed down on — nedleggelsesdato (sub-units). Upstream `nedleggelsesdato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub closed_date: Option<NaiveDate>,
    /// Deleted from the register on — slettedato. Upstream `slettedato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub deleted_date: Option<NaiveDate>,
    /// Registered in the VAT register. Upstream `registrertIMvaregisteret`.
    #[serde(default)]
    pub vat_registered: bool,
    /// Registered in Foretaksregisteret. Upstream `registrertIForetaksregisteret`.
    #[serde(default)]
    pub in_business_register: bool,
    /// Bankrupt — konkurs. Upstream `konkurs`.
    #[serde(default)]
    pub bankrupt: bool,
    /// Date of bankruptcy. Upstream `konkursdato` (Brreg may send `""`; read as absent).
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub bankruptcy_date: Option<NaiveDate>,
    /// Being wound up — under avvikling. Upstream `underAvvikling`.
    #[serde(default)]
    pub under_liquidation: bool,
    /// Date winding up began. Upstream `underAvviklingDato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub liquidation_date: Option<NaiveDate>,
    /// Being compulsorily wound up or dissolved — under tvangsavvikling eller tvangsoppløsning.
    /// Upstream `underTvangsavviklingEllerTvangsopplosning`.
    #[serde(default)]
    pub under_compulsory_liquidation: bool,
    /// Date compulsory dissolution was decided: the earliest of upstream
    /// `tvangsopplostPgaManglendeDagligLederDato`, `tvangsopplostPgaManglendeRevisorDato`,
    /// `tvangsopplostPgaManglendeRegnskapDato`, `tvangsopplostPgaMangelfulltStyreDato` and
    /// `tvangsavvikletPgaManglendeSlettingDato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub compulsory_liquidation_date: Option<NaiveDate>,
}

impl Organisation {
    /// Whether this is a main unit (enhet).
    pub fn is_main_unit(&self) -> bool {
        self.unit == UnitKind::MainUnit
    }

    /// Whether the unit is deleted from the register (has a `slettedato`).
    pub fn is_deleted(&self) -> bool {
        self.deleted_date.is_some()
    }

    /// Whether the unit is still operating on `on`: not deleted or closed by then, and not
    /// bankrupt or being wound up. A deletion or closure dated after `on` does not count.
    pub fn is_operating(&self, on: NaiveDate) -> bool {
        let gone_by = |date: Option<NaiveDate>| date.is_some_and(|date| date <= on);
        !gone_by(self.deleted_date)
            && !gone_by(self.closed_date)
            && !self.bankrupt
            && !self.under_liquidation
            && !self.under_compulsory_liquidation
    }

    /// The visiting address: the business address of a main unit, the location address of a
    /// sub-unit (whichever is present).
    pub fn visiting_address(&self) -> Option<&OrgAddress> {
        self.business_address
            .as_ref()
            .or(self.location_address.as_ref())
    }
}

/// Main unit or sub-unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A main unit — enhet (hovedenhet, or organisasjonsledd). Endpoint `/enheter`.
    MainUnit,
    /// A sub-unit — underenhet (establishment, "bedrift"). Endpoint `/underenheter`.
    SubUnit,
}

/// An organisational form — organisasjonsform.
///
/// Upstream `organisasjonsform{kode, beskrivelse, utgaatt}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationalForm {
    /// Code (`AS`, `ENK`, `BEDR`, …). Upstream `kode`.
    pub code: String,
    /// Description in Norwegian. Upstream `beskrivelse`.
    #[serde(default)]
    pub description: Option<String>,
    /// The form is no longer in use since. Upstream `utgaatt`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub expired: Option<NaiveDate>,
}

/// An industry code (NACE / SN2007) — næringskode.
///
/// Upstream `naeringskode1|2|3{kode, beskrivelse}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndustryCode {
    /// Code (`86.211`). Upstream `kode`.
    pub code: String,
    /// Description in Norwegian. Upstream `beskrivelse`.
    #[serde(default)]
    pub description: Option<String>,
}

/// An institutional sector code — institusjonell sektorkode.
///
/// Upstream `institusjonellSektorkode{kode, beskrivelse}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectorCode {
    /// Code (`2100`). Upstream `kode`.
    pub code: String,
    /// Description in Norwegian. Upstream `beskrivelse`.
    #[serde(default)]
    pub description: Option<String>,
}

/// An address in Enhetsregisteret — adresse.
///
/// Upstream `Adresse{land, landkode, postnummer, poststed, adresse[], kommune, kommunenummer}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgAddress {
    /// Address lines in order, with Brreg's `null` and empty entries dropped. Upstream `adresse[]`.
    pub lines: Vec<String>,
    /// Postal code. Upstream `postnummer`.
    pub postal_code: Option<String>,
    /// Post town. Upstream `poststed`.
    pub city: Option<String>,
    /// Municipality name. Upstream `kommune`.
    pub municipality: Option<String>,
    /// Municipality number. Upstream `kommunenummer`.
    pub municipality_number: Option<String>,
    /// Country name. Upstream `land`.
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 country code. Upstream `landkode`.
    pub country_code: Option<String>,
}

//! Person — a person in NHN Persontjenesten (PREG, successor of the population-register
//! service; data mainly from Folkeregisteret).
//!
//! Upstream: Persontjenesten v2 `Person` (UPSTREAMS.md §3.4). Upstream keeps every part as a
//! history list; this model holds the parts the mirror needs, current values where one value
//! makes sense (name, status, protection) and lists with validity where history matters to the
//! reader (identifiers, addresses).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Name, Period};
use super::open_enum::open_enum;
use crate::id::{Gender, MaybeValid, NationalId};

/// A person in Persontjenesten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The person's opaque id, the key (≤ 64 characters; 64-hex and GUID strings are seen).
    /// Upstream `id`. Not a NIN: NINs change, this id does not.
    pub id: String,
    /// The feed event that produced this version. Upstream `sequenceNumber`.
    #[serde(default)]
    pub sequence_number: Option<i64>,
    /// Norwegian identification numbers, current and discontinued.
    /// Upstream `norwegianIdentificationNumber[]`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub identifiers: Vec<PersonIdentifier>,
    /// The current name. Upstream `name[]` (the element with `isValid`).
    #[serde(default)]
    pub name: Option<Name>,
    /// The short form of the name for narrow fields. Upstream `name[].shortName`.
    #[serde(default)]
    pub short_name: Option<String>,
    /// Birth date. Upstream `birth[].birthDate` (a date-time whose time and zone "must be
    /// ignored").
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub birth_date: Option<NaiveDate>,
    /// Birth year, where only the year is known. Upstream `birth[].birthYear`.
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// Date of death. Upstream `death.deceasedDate`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub death_date: Option<NaiveDate>,
    /// Legal gender. Upstream `gender[].gender` (`Female` | `Male`).
    #[serde(default)]
    pub gender: Option<Gender>,
    /// Register status (bosatt, utflyttet, død, …). Upstream `status[].status`.
    #[serde(default)]
    pub status: Option<PersonStatus>,
    /// Address protection level — adressebeskyttelse. Upstream
    /// `addressProtection[].protectionLevel`. The sync crate maps "no element" to
    /// `Unclassified` only when the `AddressProtection` part was requested.
    #[serde(default)]
    pub address_protection: AddressProtection,
    /// Residential addresses — bostedsadresse. Upstream `residentialAddress[]`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub residential_addresses: Vec<ResidentialAddress>,
    /// Postal addresses — postadresse. Upstream `postalAddress[]` (`ContactAddress`).
    #[serde(default, deserialize_with = "super::common::compact")]
    pub postal_addresses: Vec<ContactAddress>,
}

impl Person {
    /// The NIN currently in use, if any (the first `InUse` one that is valid).
    pub fn current_nin(&self) -> Option<&NationalId> {
        self.identifiers
            .iter()
            .filter(|identifier| identifier.status == IdentifierStatus::InUse)
            .find_map(|identifier| identifier.number.valid())
    }

    /// Whether the person is registered as dead (status `deceased` or a death date).
    pub fn is_deceased(&self) -> bool {
        self.death_date.is_some() || self.status == Some(PersonStatus::Deceased)
    }

    /// Whether this person's addresses must be withheld from anyone without an audited
    /// purpose: the person-level protection says so, or any address carries a confidentiality
    /// that does (an address can be graded even when the person-level element is missing).
    pub fn must_withhold_addresses(&self) -> bool {
        self.address_protection.withholds_address()
            || self
                .residential_addresses
                .iter()
                .filter_map(|address| address.confidentiality.as_ref())
                .chain(
                    self.postal_addresses
                        .iter()
                        .filter_map(|address| address.confidentiality.as_ref()),
                )
                .any(AddressProtection::withholds_address)
    }

    /// The residential address valid on `on`.
    pub fn residential_address_on(&self, on: NaiveDate) -> Option<&ResidentialAddress> {
        self.residential_addresses
            .iter()
            .find(|address| address.validity.contains(on))
    }

    /// The postal address valid on `on`.
    pub fn postal_address_on(&self, on: NaiveDate) -> Option<&ContactAddress> {
        self.postal_addresses
            .iter()
            .find(|address| address.validity.contains(on))
    }
}

/// A Norwegian identification number held by a person, with its status.
///
/// Upstream `NorwegianIdentificationNumber{identificationNumber, identificationNumberType,
/// status, validFrom, validTo}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonIdentifier {
    /// The number; kept as received if it fails validation. Upstream `identificationNumber`.
    pub number: MaybeValid<NationalId>,
    /// What kind of number upstream says it is. Upstream `identificationNumberType`.
    #[serde(default)]
    pub kind: Option<IdentifierType>,
    /// In use or discontinued. Upstream `status`.
    pub status: IdentifierStatus,
    /// When the number was in use. Upstream `validFrom`/`validTo`.
    #[serde(default)]
    pub validity: Period,
}

open_enum! {
    /// Whether a person's identification number is still in use.
    /// Upstream `NorwegianIdentificationNumber.status`.
    pub enum IdentifierStatus {
        /// In use — i bruk. Upstream `InUse`.
        InUse => "in_use" | "iBruk",
        /// Discontinued (replaced, e.g. a D-nummer after a fødselsnummer is issued) — opphørt.
        /// Upstream `Discontinued`.
        Discontinued => "discontinued" | "opphoert",
    }
}

open_enum! {
    /// The kind of identification number, as Persontjenesten classifies it.
    /// Upstream `identificationNumberType`.
    pub enum IdentifierType {
        /// Fødselsnummer (OID 2.16.578.1.12.4.1.4.1). Upstream `NationalIdentityNumber`.
        NationalIdentityNumber => "national_identity_number" | "foedselsnummer",
        /// D-nummer (OID 2.16.578.1.12.4.1.4.2). Upstream `DNumber`.
        DNumber => "d_number" | "dnummer",
        /// Felles hjelpenummer (OID 2.16.578.1.12.4.1.4.3). Upstream
        /// `AlternateIdentificationNumber`.
        AlternateIdentificationNumber => "alternate_identification_number" | "fhnummer",
    }
}

open_enum! {
    /// A person's status in the population register — personstatus.
    /// Upstream `PersonStatusType`; FREG names as aliases.
    pub enum PersonStatus {
        /// Resident in Norway — bosatt.
        Resident => "resident" | "bosatt",
        /// Emigrated — utflyttet.
        Emigrated => "emigrated" | "utflyttet",
        /// Disappeared — forsvunnet.
        Disappeared => "disappeared" | "forsvunnet",
        /// Deceased — død.
        Deceased => "deceased" | "doed" | "død",
        /// Discontinued (e.g. merged as a duplicate) — opphørt.
        Discontinued => "discontinued" | "opphoert" | "opphørt",
        /// Registered at birth, not yet resident — fødselsregistrert.
        RegisteredAtBirth => "registered_at_birth" | "foedselsregistrert" | "fødselsregistrert",
        /// Temporary (D-nummer) — midlertidig.
        Temporary => "temporary" | "midlertidig",
        /// Inactive (D-nummer) — inaktiv.
        Inactive => "inactive" | "inaktiv",
        /// Not resident in Norway — ikke bosatt.
        NotResident => "not_resident" | "ikkeBosatt",
        /// Active (D-nummer) — aktiv.
        Active => "active" | "aktiv",
    }
}

open_enum! {
    /// Address protection level — adressebeskyttelse / gradering.
    /// Upstream `AddressConfidentiality`; FREG names as aliases.
    pub enum AddressProtection {
        /// No protection — ugradert.
        Unclassified => "unclassified" | "ugradert",
        /// A client address is registered instead of the real one — klientadresse.
        ClientAddress => "client_address" | "klientadresse",
        /// Confidential — fortrolig (kode 7).
        Confidential => "confidential" | "fortrolig",
        /// Strictly confidential — strengt fortrolig (kode 6).
        StrictlyConfidential => "strictly_confidential" | "strengtFortrolig",
    }
}

impl AddressProtection {
    /// Whether addresses at this level must be withheld: `Confidential` and
    /// `StrictlyConfidential`, and — failing safe — any level this version does not know.
    /// A client address is a published substitute, so it is shown.
    pub fn withholds_address(&self) -> bool {
        !matches!(self, Self::Unclassified | Self::ClientAddress)
    }
}

impl Default for AddressProtection {
    /// `Unclassified`: what FREG means when a person has no protection element.
    fn default() -> Self {
        Self::Unclassified
    }
}

/// A residential address — bostedsadresse.
///
/// Upstream `ResidentialAddress` with one of `streetAddress`, `cadastralAddress` (matrikkel) or
/// `unknownResidence`; the street parts are flattened here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResidentialAddress {
    /// Street name. Upstream `streetAddress.addressName`.
    pub street_name: Option<String>,
    /// House number. Upstream `streetAddress.addressNumber.houseNumber`.
    pub house_number: Option<String>,
    /// House letter. Upstream `streetAddress.addressNumber.houseLetter`.
    pub house_letter: Option<String>,
    /// Additional name of the address (farm name etc.). Upstream `addressAdditionalName`.
    pub additional_name: Option<String>,
    /// C/o name. Upstream `coAddressName`.
    pub co_name: Option<String>,
    /// Flat number (bruksenhetsnummer, `H0101`). Upstream `separatelyOccupiedUnitNumber`.
    pub unit_number: Option<String>,
    /// Postal code, 4 digits. Upstream `city.postalCode`.
    pub postal_code: Option<String>,
    /// Post town. Upstream `city.cityName`.
    pub city: Option<String>,
    /// Municipality number (kommunenummer). Upstream `municipalityNumber`.
    pub municipality_number: Option<String>,
    /// Municipality name. Upstream `municipalityName`.
    pub municipality_name: Option<String>,
    /// Cadastral identifier (matrikkel) when there is no street address. Upstream
    /// `cadastralIdentifier`.
    pub cadastral_identifier: Option<String>,
    /// The residence is unknown; only the municipality is. Upstream `unknownResidence`.
    pub unknown_residence: bool,
    /// The confidentiality recorded on this address. Upstream `addressConfidentiality`.
    pub confidentiality: Option<AddressProtection>,
    /// Date of moving in. Upstream `moveDate`.
    #[serde(deserialize_with = "super::date::optional_date")]
    pub move_date: Option<NaiveDate>,
    /// When this address applies. Upstream `validFrom`/`validTo`.
    pub validity: Period,
}

/// A postal address — postadresse (a "contact address" in Persontjenesten).
///
/// Upstream `ContactAddress` with one of `streetAddress`, `postBoxAddress` or
/// `freeFormPostalAddress`; all three are rendered into `lines` above the postal code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactAddress {
    /// C/o name. Upstream `coAddressName`.
    pub co_name: Option<String>,
    /// Address lines above postal code and town, in order: street and number, `Postboks 123`
    /// (from `postBoxIdentification`, with `postBoxOwner`), or the free-form `addressLine[]`.
    pub lines: Vec<String>,
    /// Postal code. Upstream `city.postalCode`.
    pub postal_code: Option<String>,
    /// Post town. Upstream `city.cityName`.
    pub city: Option<String>,
    /// The confidentiality recorded on this address. Upstream `addressConfidentiality`.
    pub confidentiality: Option<AddressProtection>,
    /// When this address applies. Upstream `validFrom`/`validTo`.
    pub validity: Period,
}

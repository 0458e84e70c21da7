//! Persontjenesten v2 `Person` (openapi.yaml) and its conversion into [`Person`].
//!
//! Upstream keeps every part as a list of history elements carrying `isValid` (FREG
//! *ErGjeldende*), `validFrom`, `validTo`, `registeredAt`, `source` and `reason`. Only the parts
//! the model holds are read; the rest of the person is ignored (and not kept: data
//! minimisation).
//!
//! Decisions where the spec is silent:
//! - *The current element* of a part is the first with `isValid: true`; failing that, the one
//!   without `validTo` with the latest `validFrom`; failing that, the last one.
//! - Identifiers keep every element (current and historic), one per number: the current element
//!   wins, else the last. A missing `status` is `InUse` when the element `isValid`, else
//!   `Discontinued`. Elements without a number are skipped.
//! - Addresses keep every element upstream sends, each with its validity (with
//!   `includeHistory=false` that is the current one only).
//! - Days (`birthDate`, `deceasedDate`, `moveDate`, `validFrom`) are taken literally as written;
//!   `validTo` is an exclusive instant, so it ends on the last day it covers (see `time.rs`).
//! - Enum values sent as `""` (the spec's generated examples do) read as absent.
//! - A missing or empty `id` makes the record malformed (it is the key).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer};

use crate::core::id::{Gender, MaybeValid, NationalId};
use crate::core::model::{
    AddressProtection, ContactAddress, IdentifierStatus, IdentifierType, Name, Period, Person,
    PersonIdentifier, PersonStatus, ResidentialAddress,
};
use crate::source::record::parse_dto;
use crate::source::time::{last_day_covered, literal};
use crate::source::{MalformedRecord, Parsed};
use crate::store::Register;

/// `Person` (the parts the model needs).
#[derive(Debug, Deserialize)]
pub(crate) struct PersonDto {
    #[serde(rename = "id", default)]
    id: Option<String>,
    #[serde(rename = "sequenceNumber", default)]
    sequence_number: Option<i64>,
    #[serde(rename = "norwegianIdentificationNumber", default)]
    identifiers: Option<Vec<IdentifierDto>>,
    #[serde(rename = "name", default)]
    name: Option<Vec<NameDto>>,
    #[serde(rename = "birth", default)]
    birth: Option<Vec<BirthDto>>,
    #[serde(rename = "death", default)]
    death: Option<DeathDto>,
    #[serde(rename = "gender", default)]
    gender: Option<Vec<GenderDto>>,
    #[serde(rename = "status", default)]
    status: Option<Vec<StatusDto>>,
    #[serde(rename = "addressProtection", default)]
    address_protection: Option<Vec<ProtectionDto>>,
    #[serde(rename = "residentialAddress", default)]
    residential_address: Option<Vec<ResidentialAddressDto>>,
    #[serde(rename = "postalAddress", default)]
    postal_address: Option<Vec<ContactAddressDto>>,
}

/// The history metadata every element carries (the parts we use).
macro_rules! history_element {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize)]
        pub(crate) struct $name {
            #[serde(rename = "isValid", default)]
            is_valid: Option<bool>,
            #[serde(rename = "validFrom", default, deserialize_with = "literal")]
            valid_from: Option<NaiveDateTime>,
            #[serde(rename = "validTo", default, deserialize_with = "literal")]
            valid_to: Option<NaiveDateTime>,
            $($(#[$fmeta])* $field: $ty,)*
        }

        impl History for $name {
            fn is_valid(&self) -> Option<bool> {
                self.is_valid
            }
            fn valid_from(&self) -> Option<NaiveDateTime> {
                self.valid_from
            }
            fn valid_to(&self) -> Option<NaiveDateTime> {
                self.valid_to
            }
        }
    };
}

history_element!(
    /// `NorwegianIdentificationNumber`.
    IdentifierDto {
        #[serde(rename = "status", default, deserialize_with = "word")]
        status: Option<String>,
        #[serde(rename = "identificationNumber", default)]
        number: Option<String>,
        #[serde(rename = "identificationNumberType", default, deserialize_with = "word")]
        kind: Option<String>,
    }
);

history_element!(
    /// `PersonName`.
    NameDto {
        #[serde(rename = "givenName", default)]
        given: Option<String>,
        #[serde(rename = "middleName", default)]
        middle: Option<String>,
        #[serde(rename = "familyName", default)]
        family: Option<String>,
        #[serde(rename = "shortName", default)]
        short: Option<String>,
    }
);

history_element!(
    /// `Birth`.
    BirthDto {
        #[serde(rename = "birthDate", default, deserialize_with = "literal")]
        birth_date: Option<NaiveDateTime>,
        #[serde(rename = "birthYear", default, deserialize_with = "text_or_number")]
        birth_year: Option<String>,
    }
);

history_element!(
    /// `Death`.
    DeathDto {
        #[serde(rename = "deceasedDate", default, deserialize_with = "literal")]
        deceased_date: Option<NaiveDateTime>,
    }
);

history_element!(
    /// `PersonGender`.
    GenderDto {
        #[serde(rename = "gender", default, deserialize_with = "word")]
        gender: Option<String>,
    }
);

history_element!(
    /// `PersonStatus`.
    StatusDto {
        #[serde(rename = "status", default, deserialize_with = "word")]
        status: Option<String>,
    }
);

history_element!(
    /// `AddressProtection`.
    ProtectionDto {
        #[serde(rename = "protectionLevel", default, deserialize_with = "word")]
        protection_level: Option<String>,
    }
);

history_element!(
    /// `ResidentialAddress`.
    ResidentialAddressDto {
        #[serde(rename = "streetAddress", default)]
        street: Option<StreetAddressDto>,
        #[serde(rename = "cadastralAddress", default)]
        cadastral: Option<CadastralAddressDto>,
        #[serde(rename = "unknownResidence", default)]
        unknown: Option<UnknownResidenceDto>,
        #[serde(rename = "cadastralIdentifier", default)]
        cadastral_identifier: Option<String>,
        #[serde(rename = "addressConfidentiality", default, deserialize_with = "word")]
        confidentiality: Option<String>,
        #[serde(rename = "moveDate", default, deserialize_with = "literal")]
        move_date: Option<NaiveDateTime>,
    }
);

history_element!(
    /// `ContactAddress` (postal address).
    ContactAddressDto {
        #[serde(rename = "addressConfidentiality", default, deserialize_with = "word")]
        confidentiality: Option<String>,
        #[serde(rename = "postBoxAddress", default)]
        post_box: Option<PostBoxAddressDto>,
        #[serde(rename = "streetAddress", default)]
        street: Option<StreetAddressForPostDto>,
        #[serde(rename = "freeFormPostalAddress", default)]
        free_form: Option<FreeFormPostalAddressDto>,
    }
);

/// `StreetAddress` (residential).
#[derive(Debug, Deserialize)]
pub(crate) struct StreetAddressDto {
    #[serde(rename = "municipalityNumber", default)]
    municipality_number: Option<String>,
    #[serde(rename = "municipalityName", default)]
    municipality_name: Option<String>,
    #[serde(rename = "separatelyOccupiedUnitNumber", default)]
    unit_number: Option<String>,
    #[serde(rename = "addressName", default)]
    address_name: Option<String>,
    #[serde(rename = "addressNumber", default)]
    address_number: Option<AddressNumberDto>,
    #[serde(rename = "addressAdditionalName", default)]
    additional_name: Option<String>,
    #[serde(rename = "city", default)]
    city: Option<CityDto>,
    #[serde(rename = "coAddressName", default)]
    co_name: Option<String>,
}

/// `StreetAddressForPost` (postal).
#[derive(Debug, Deserialize)]
pub(crate) struct StreetAddressForPostDto {
    #[serde(rename = "coAddressName", default)]
    co_name: Option<String>,
    #[serde(rename = "addressName", default)]
    address_name: Option<String>,
    #[serde(rename = "streetAddressNumber", default)]
    address_number: Option<AddressNumberDto>,
    #[serde(rename = "city", default)]
    city: Option<CityDto>,
    #[serde(rename = "addressAdditionalName", default)]
    additional_name: Option<String>,
    #[serde(rename = "separatelyOccupiedUnitNumber", default)]
    unit_number: Option<String>,
}

/// `StreetAddressNumber`.
#[derive(Debug, Deserialize)]
pub(crate) struct AddressNumberDto {
    #[serde(rename = "houseNumber", default, deserialize_with = "text_or_number")]
    house_number: Option<String>,
    #[serde(rename = "houseLetter", default)]
    house_letter: Option<String>,
}

/// `City`.
#[derive(Debug, Deserialize)]
pub(crate) struct CityDto {
    #[serde(rename = "cityName", default)]
    city_name: Option<String>,
    #[serde(rename = "postalCode", default)]
    postal_code: Option<String>,
}

/// `CadastralAddress`.
#[derive(Debug, Deserialize)]
pub(crate) struct CadastralAddressDto {
    #[serde(rename = "separatelyOccupiedUnitNumber", default)]
    unit_number: Option<String>,
    #[serde(rename = "cadastralNumber", default)]
    cadastral_number: Option<CadastralNumberDto>,
    #[serde(rename = "addressAdditionalName", default)]
    additional_name: Option<String>,
    #[serde(rename = "city", default)]
    city: Option<CityDto>,
    #[serde(rename = "coAddressName", default)]
    co_name: Option<String>,
}

/// `CadastralNumber` (the municipality part).
#[derive(Debug, Deserialize)]
pub(crate) struct CadastralNumberDto {
    #[serde(rename = "municipalityNumber", default)]
    municipality_number: Option<String>,
    #[serde(rename = "municipalityName", default)]
    municipality_name: Option<String>,
}

/// `UnknownResidence`.
#[derive(Debug, Deserialize)]
pub(crate) struct UnknownResidenceDto {
    #[serde(rename = "municipalityNumber", default)]
    municipality_number: Option<String>,
    #[serde(rename = "municipalityName", default)]
    municipality_name: Option<String>,
}

/// `PostBoxAddress`.
#[derive(Debug, Deserialize)]
pub(crate) struct PostBoxAddressDto {
    #[serde(rename = "postBoxOwner", default)]
    owner: Option<String>,
    #[serde(rename = "postBoxIdentification", default)]
    identification: Option<String>,
    #[serde(rename = "city", default)]
    city: Option<CityDto>,
}

/// `FreeFormPostalAddress`.
#[derive(Debug, Deserialize)]
pub(crate) struct FreeFormPostalAddressDto {
    #[serde(rename = "addressLine", default)]
    lines: Option<Vec<Option<String>>>,
    #[serde(rename = "adresselinje", default)]
    lines_deprecated: Option<Vec<Option<String>>>,
    #[serde(rename = "city", default)]
    city: Option<CityDto>,
}

/// Just the key, for naming a record that failed to parse.
#[derive(Debug, Deserialize)]
struct KeyOnly {
    #[serde(rename = "id", default)]
    id: Option<String>,
}

/// History metadata of an element.
trait History {
    fn is_valid(&self) -> Option<bool>;
    fn valid_from(&self) -> Option<NaiveDateTime>;
    fn valid_to(&self) -> Option<NaiveDateTime>;

    fn validity(&self) -> Period {
        Period::new(
            self.valid_from().map(|from| from.date()),
            self.valid_to().and_then(last_day_covered),
        )
    }
}

/// The current element of a part (see the module docs).
fn current<T: History>(elements: Option<&Vec<T>>) -> Option<&T> {
    let elements = elements?;
    elements
        .iter()
        .find(|element| element.is_valid() == Some(true))
        .or_else(|| {
            elements
                .iter()
                .filter(|element| element.valid_to().is_none() && element.is_valid() != Some(false))
                .max_by_key(|element| element.valid_from())
        })
        .or_else(|| elements.last())
}

/// An enum word; `""` reads as absent.
fn word<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.filter(|text| !text.trim().is_empty()))
}

/// A string that some producers send as a number (`houseNumber`, `birthYear`).
fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    Ok(match Option::<Raw>::deserialize(deserializer)? {
        Some(Raw::Text(text)) if !text.trim().is_empty() => Some(text),
        Some(Raw::Number(number)) => Some(number.to_string()),
        _ => None,
    })
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn street_line(name: Option<&str>, number: Option<&AddressNumberDto>) -> Option<String> {
    let number = number.map(|number| {
        format!(
            "{}{}",
            number.house_number.as_deref().unwrap_or_default(),
            number.house_letter.as_deref().unwrap_or_default()
        )
    });
    let line = [name.map(str::to_owned), number]
        .into_iter()
        .flatten()
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!line.is_empty()).then_some(line)
}

fn gender(text: &str) -> Option<Gender> {
    match text.trim().to_ascii_lowercase().as_str() {
        "female" | "kvinne" => Some(Gender::Female),
        "male" | "mann" => Some(Gender::Male),
        _ => None,
    }
}

fn date(at: Option<NaiveDateTime>) -> Option<NaiveDate> {
    at.map(|at| at.date())
}

impl IdentifierDto {
    fn into_model(self) -> Option<PersonIdentifier> {
        let validity = self.validity();
        let number = non_empty(self.number)?;
        let status = match self.status {
            Some(status) => IdentifierStatus::parse(&status),
            None if self.is_valid == Some(false) => IdentifierStatus::Discontinued,
            None => IdentifierStatus::InUse,
        };
        Some(PersonIdentifier {
            number: MaybeValid::<NationalId>::from_raw(&number),
            kind: self.kind.as_deref().map(IdentifierType::parse),
            status,
            validity,
        })
    }
}

/// One identifier per number: the current element, else the last (first-seen order).
fn identifiers(elements: Option<Vec<IdentifierDto>>) -> Vec<PersonIdentifier> {
    let mut order: Vec<String> = Vec::new();
    let mut chosen: HashMap<String, IdentifierDto> = HashMap::new();
    for element in elements.unwrap_or_default() {
        let Some(number) = element.number.as_deref().map(str::trim).map(str::to_owned) else {
            continue;
        };
        if number.is_empty() {
            continue;
        }
        let replace = match chosen.get(&number) {
            None => {
                order.push(number.clone());
                true
            }
            Some(kept) => kept.is_valid != Some(true),
        };
        if replace {
            chosen.insert(number, element);
        }
    }
    order
        .into_iter()
        .filter_map(|number| chosen.remove(&number))
        .filter_map(IdentifierDto::into_model)
        .collect()
}

impl ResidentialAddressDto {
    fn into_model(self) -> ResidentialAddress {
        let validity = self.validity();
        let mut address = ResidentialAddress {
            cadastral_identifier: non_empty(self.cadastral_identifier),
            confidentiality: self
                .confidentiality
                .as_deref()
                .map(AddressProtection::parse),
            move_date: date(self.move_date),
            validity,
            ..ResidentialAddress::default()
        };
        if let Some(street) = self.street {
            address.street_name = non_empty(street.address_name);
            if let Some(number) = street.address_number {
                address.house_number = non_empty(number.house_number);
                address.house_letter = non_empty(number.house_letter);
            }
            address.additional_name = non_empty(street.additional_name);
            address.co_name = non_empty(street.co_name);
            address.unit_number = non_empty(street.unit_number);
            if let Some(city) = street.city {
                address.postal_code = non_empty(city.postal_code);
                address.city = non_empty(city.city_name);
            }
            address.municipality_number = non_empty(street.municipality_number);
            address.municipality_name = non_empty(street.municipality_name);
        } else if let Some(cadastral) = self.cadastral {
            address.unit_number = non_empty(cadastral.unit_number);
            address.additional_name = non_empty(cadastral.additional_name);
            address.co_name = non_empty(cadastral.co_name);
            if let Some(city) = cadastral.city {
                address.postal_code = non_empty(city.postal_code);
                address.city = non_empty(city.city_name);
            }
            if let Some(number) = cadastral.cadastral_number {
                address.municipality_number = non_empty(number.municipality_number);
                address.municipality_name = non_empty(number.municipality_name);
            }
        } else if let Some(unknown) = self.unknown {
            address.unknown_residence = true;
            address.municipality_number = non_empty(unknown.municipality_number);
            address.municipality_name = non_empty(unknown.municipality_name);
        }
        address
    }
}

impl ContactAddressDto {
    fn into_model(self) -> ContactAddress {
        let validity = self.validity();
        let mut address = ContactAddress {
            confidentiality: self
                .confidentiality
                .as_deref()
                .map(AddressProtection::parse),
            validity,
            ..ContactAddress::default()
        };
        let city = if let Some(street) = self.street {
            address.co_name = non_empty(street.co_name);
            address.lines.extend(non_empty(street.additional_name));
            address.lines.extend(street_line(
                street.address_name.as_deref(),
                street.address_number.as_ref(),
            ));
            if let Some(unit) = non_empty(street.unit_number) {
                // The flat number belongs with the street line (Posten's addressing rules).
                if let Some(last) = address.lines.last_mut() {
                    last.push(' ');
                    last.push_str(&unit);
                }
            }
            street.city
        } else if let Some(post_box) = self.post_box {
            address.lines.extend(non_empty(post_box.owner));
            address
                .lines
                .extend(non_empty(post_box.identification).map(|id| {
                    if id.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("Postboks {id}")
                    } else {
                        id
                    }
                }));
            post_box.city
        } else if let Some(free_form) = self.free_form {
            let lines = free_form.lines.or(free_form.lines_deprecated);
            address
                .lines
                .extend(lines.unwrap_or_default().into_iter().filter_map(non_empty));
            free_form.city
        } else {
            None
        };
        if let Some(city) = city {
            address.postal_code = non_empty(city.postal_code);
            address.city = non_empty(city.city_name);
        }
        address
    }
}

impl PersonDto {
    fn into_model(self) -> Result<Person, (&'static str, String)> {
        let id = non_empty(self.id).ok_or(("id", "the person id is missing".to_owned()))?;
        let name = current(self.name.as_ref());
        let birth = current(self.birth.as_ref());
        let birth_year = birth
            .and_then(|birth| birth.birth_year.as_deref())
            .map(|year| {
                year.trim()
                    .parse::<i32>()
                    .map_err(|_| ("birth.birthYear", format!("{year:?} is not a year")))
            })
            .transpose()?;
        let death = self
            .death
            .as_ref()
            .filter(|death| death.is_valid != Some(false));
        Ok(Person {
            id,
            sequence_number: self.sequence_number,
            name: name.map(|name| Name {
                given: name.given.clone(),
                middle: name.middle.clone(),
                family: name.family.clone(),
            }),
            short_name: name.and_then(|name| name.short.clone()),
            birth_date: birth.and_then(|birth| date(birth.birth_date)),
            birth_year,
            death_date: death.and_then(|death| date(death.deceased_date)),
            gender: current(self.gender.as_ref())
                .and_then(|element| element.gender.as_deref())
                .and_then(gender),
            status: current(self.status.as_ref())
                .and_then(|element| element.status.as_deref())
                .map(PersonStatus::parse),
            address_protection: current(self.address_protection.as_ref())
                .and_then(|element| element.protection_level.as_deref())
                .map(AddressProtection::parse)
                .unwrap_or_default(),
            identifiers: identifiers(self.identifiers),
            residential_addresses: self
                .residential_address
                .unwrap_or_default()
                .into_iter()
                .map(ResidentialAddressDto::into_model)
                .collect(),
            postal_addresses: self
                .postal_address
                .unwrap_or_default()
                .into_iter()
                .map(ContactAddressDto::into_model)
                .collect(),
        })
    }
}

/// Parses one `Person` JSON into the model, or a [`MalformedRecord`] (whose `Debug` never
/// shows the payload, which carries NINs).
pub(crate) fn parse_person(raw: &[u8]) -> Parsed<Person> {
    let upstream_id = || {
        serde_json::from_slice::<KeyOnly>(raw)
            .ok()
            .and_then(|key| key.id)
    };
    let dto: PersonDto = match parse_dto(raw) {
        Ok(dto) => dto,
        Err(error) => {
            return Parsed::Malformed(MalformedRecord::from_path_error(
                Register::Preg,
                upstream_id(),
                &error,
                raw,
            ));
        }
    };
    match dto.into_model() {
        Ok(person) => Parsed::Record(person),
        Err((field, message)) => Parsed::Malformed(MalformedRecord::new(
            Register::Preg,
            upstream_id(),
            Some(field.to_owned()),
            &message,
            raw.to_vec(),
        )),
    }
}

/// The field names each Persontjenesten schema is read with: `(schema, names)`.
pub(crate) fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    use crate::source::introspect::struct_fields;
    vec![
        ("Person", struct_fields::<PersonDto>()),
        (
            "NorwegianIdentificationNumber",
            struct_fields::<IdentifierDto>(),
        ),
        ("PersonName", struct_fields::<NameDto>()),
        ("Birth", struct_fields::<BirthDto>()),
        ("Death", struct_fields::<DeathDto>()),
        ("PersonGender", struct_fields::<GenderDto>()),
        ("PersonStatus", struct_fields::<StatusDto>()),
        ("AddressProtection", struct_fields::<ProtectionDto>()),
        (
            "ResidentialAddress",
            struct_fields::<ResidentialAddressDto>(),
        ),
        ("StreetAddress", struct_fields::<StreetAddressDto>()),
        (
            "StreetAddressForPost",
            struct_fields::<StreetAddressForPostDto>(),
        ),
        ("StreetAddressNumber", struct_fields::<AddressNumberDto>()),
        ("City", struct_fields::<CityDto>()),
        ("CadastralAddress", struct_fields::<CadastralAddressDto>()),
        ("UnknownResidence", struct_fields::<UnknownResidenceDto>()),
        ("ContactAddress", struct_fields::<ContactAddressDto>()),
        ("PostBoxAddress", struct_fields::<PostBoxAddressDto>()),
        (
            "FreeFormPostalAddress",
            struct_fields::<FreeFormPostalAddressDto>(),
        ),
        (
            "EventDocument",
            struct_fields::<super::feed::EventDocumentDto>(),
        ),
        (
            "EventDocumentSearchResult",
            struct_fields::<super::feed::EventSearchResultDto>(),
        ),
    ]
}

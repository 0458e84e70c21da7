//! Persontjenesten (v2 model) `Person` records.
//!
//! Field names are those of persontjenesten/openapi.yaml. Every element carries the history
//! metadata (`registeredAt`, `isValid`, `source`, `reason`, `validFrom`, `validTo`); some persons
//! have a historic name or address (`isValid: false`), which the fake upstream filters out unless
//! `includeHistory=true`. Names are upper case, as Folkeregisteret delivers them.

// Field names are the upstream's, even where they repeat the struct's name.
#![allow(clippy::struct_field_names)]

use chrono::NaiveDate;
use serde::Serialize;

use super::gen_rng::Gen;
use super::ids;
use super::people::{Home, Protection, Status, year_text};
use super::seed::{self, Stream};
use super::{Synth, fmt};

/// A Persontjenesten v2 `Person` as the API returns it with every information part we model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PregPerson {
    pub(crate) id: String,
    pub(crate) sequence_number: u64,
    pub(crate) norwegian_identification_number: Vec<IdentificationNumber>,
    pub(crate) name: Vec<Name>,
    pub(crate) birth: Vec<Birth>,
    pub(crate) death: Option<Death>,
    pub(crate) status: Vec<PersonStatus>,
    pub(crate) gender: Vec<PersonGender>,
    pub(crate) address_protection: Vec<AddressProtection>,
    pub(crate) residential_address: Vec<ResidentialAddress>,
    pub(crate) postal_address: Vec<ContactAddress>,
}

/// History metadata on every element (FREG names: Ajourholdstidspunkt, ErGjeldende, Kilde,
/// Aarsak, Gyldighetstidspunkt, Opphoerstidspunkt).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    registered_at: String,
    is_valid: bool,
    source: &'static str,
    reason: Option<&'static str>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

impl Meta {
    fn current(from: NaiveDate) -> Self {
        let day = fmt::date(from);
        let mut registered_at = String::with_capacity(20);
        registered_at.push_str(&day);
        registered_at.push_str("T08:00:00Z");
        let mut valid_from = day;
        valid_from.push_str("T00:00:00Z");
        Self {
            registered_at,
            is_valid: true,
            source: "Freg",
            reason: None,
            valid_from: Some(valid_from),
            valid_to: None,
        }
    }

    fn historic(from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            is_valid: false,
            valid_to: Some(fmt::utc_midnight(to)),
            ..Self::current(from)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentificationNumber {
    #[serde(flatten)]
    meta: Meta,
    status: &'static str,
    identification_number: String,
    identification_number_type: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Name {
    #[serde(flatten)]
    meta: Meta,
    given_name: String,
    middle_name: Option<String>,
    family_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Birth {
    #[serde(flatten)]
    meta: Meta,
    birth_date: String,
    birth_year: String,
    birth_municipality_number: Option<&'static str>,
    birth_municipality_name: Option<&'static str>,
    birth_country: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Death {
    #[serde(flatten)]
    meta: Meta,
    deceased_date: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonStatus {
    #[serde(flatten)]
    meta: Meta,
    status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonGender {
    #[serde(flatten)]
    meta: Meta,
    gender: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressProtection {
    #[serde(flatten)]
    meta: Meta,
    protection_level: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResidentialAddress {
    #[serde(flatten)]
    meta: Meta,
    street_address: StreetAddress,
    address_confidentiality: &'static str,
    move_date: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StreetAddress {
    municipality_number: &'static str,
    municipality_name: &'static str,
    county_number: &'static str,
    county_name: &'static str,
    address_name: &'static str,
    address_number: AddressNumber,
    address_code: String,
    city: City,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressNumber {
    house_number: String,
    house_letter: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct City {
    city_name: &'static str,
    postal_code: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContactAddress {
    #[serde(flatten)]
    meta: Meta,
    address_confidentiality: &'static str,
    post_box_address: PostBoxAddress,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostBoxAddress {
    post_box_owner: Option<String>,
    post_box_identification: String,
    city: City,
}

const FOREIGN_BIRTH_COUNTRIES: &[&str] = &["SWE", "POL", "LTU", "DEU", "DNK", "SYR", "PHL", "ROU"];

impl Synth {
    /// The Persontjenesten person id of person `index` (64 hex digits).
    pub fn preg_person_id(&self, index: u64) -> String {
        ids::person_id(self.seed(), index)
    }

    /// The index of the Persontjenesten person with this id, if one of ours.
    pub fn preg_index_by_id(&self, id: &str) -> Option<u64> {
        ids::person_id_index(self.seed(), id).filter(|&p| p < self.counts.preg_persons)
    }

    /// Persontjenesten person `index`.
    pub fn preg_person(&self, index: u64) -> PregPerson {
        let mut core = self.person_core(index);
        if self
            .plan
            .as_ref()
            .is_some_and(|plan| plan.preg_deceased == Some(index))
        {
            // Planted: registered deceased here, while HPR still shows the person alive.
            core.status = Status::Deceased;
            core.death = Some(fmt::reference_date() - chrono::Days::new(20));
        }
        let mut g = Gen(seed::record_rng(self.seed(), Stream::PregPerson, index));
        let born = core.birth_date;
        let upper = |s: &str| s.to_uppercase();
        let mut name = Vec::with_capacity(2);
        if let Some(former) = core.former_family {
            let married = born + chrono::Days::new(365 * 25);
            name.push(Name {
                meta: Meta::historic(born, married),
                given_name: upper(core.given),
                middle_name: core.middle.map(upper),
                family_name: upper(former),
            });
        }
        let name_since = if core.former_family.is_some() {
            born + chrono::Days::new(365 * 25)
        } else {
            born
        };
        name.insert(
            0,
            Name {
                meta: Meta::current(name_since),
                given_name: upper(core.given),
                middle_name: core.middle.map(upper),
                family_name: upper(core.family),
            },
        );
        let born_abroad = core.d_number || g.chance(0.08);
        let birth = vec![Birth {
            meta: Meta::current(born),
            birth_date: fmt::utc_midnight(born),
            birth_year: year_text(born),
            birth_municipality_number: (!born_abroad)
                .then_some(core.home.place.municipality_number),
            birth_municipality_name: (!born_abroad).then_some(core.home.place.municipality),
            birth_country: if born_abroad {
                g.pick(FOREIGN_BIRTH_COUNTRIES)
            } else {
                "NOR"
            },
        }];
        let status_since = core.death.unwrap_or(if core.status == Status::Resident {
            born
        } else {
            core.home.moved_in
        });
        let mut status = vec![PersonStatus {
            meta: Meta::current(status_since),
            status: core.status.as_str(),
        }];
        if matches!(core.status, Status::Deceased | Status::Emigrated) {
            status.push(PersonStatus {
                meta: Meta::historic(born, status_since),
                status: Status::Resident.as_str(),
            });
        }
        let protection_since = core.home.moved_in;
        let address_protection = match core.protection {
            Protection::None => Vec::new(),
            level => vec![AddressProtection {
                meta: Meta::current(protection_since),
                protection_level: level.as_str(),
            }],
        };
        let confidentiality = match core.protection {
            Protection::None => "Unclassified",
            level => level.as_str(),
        };
        // Decision: a strictly confidential (strengt fortrolig) person's residential address is not
        // delivered at all, and persons who live abroad or are not resident have none.
        let has_residence = core.protection != Protection::StrictlyConfidential
            && !matches!(
                core.status,
                Status::Emigrated | Status::NotResident | Status::Disappeared
            );
        let mut residential_address = Vec::with_capacity(2);
        if has_residence {
            residential_address.push(residential(
                &core.home,
                Meta::current(core.home.moved_in),
                confidentiality,
            ));
            if let Some(former) = core.former_home.filter(|h| h.moved_in < core.home.moved_in) {
                let meta = Meta::historic(former.moved_in, core.home.moved_in);
                residential_address.push(residential(&former, meta, "Unclassified"));
            }
        }
        let postal_address = if g.chance(0.08) {
            vec![ContactAddress {
                meta: Meta::current(core.home.moved_in),
                address_confidentiality: "Unclassified",
                post_box_address: PostBoxAddress {
                    post_box_owner: None,
                    post_box_identification: format!("Postboks {}", g.between(1, 9999)),
                    city: City {
                        city_name: core.home.place.city,
                        postal_code: core.home.place.postal_code,
                    },
                },
            }]
        } else {
            Vec::new()
        };
        PregPerson {
            id: self.preg_person_id(index),
            sequence_number: index + 1,
            norwegian_identification_number: vec![IdentificationNumber {
                meta: Meta::current(born),
                status: if core.status == Status::Discontinued {
                    "Discontinued"
                } else {
                    "InUse"
                },
                identification_number: core.nin.clone(),
                identification_number_type: if core.d_number {
                    "DNumber"
                } else {
                    "NationalIdentityNumber"
                },
            }],
            name,
            birth,
            death: core.death.map(|date| Death {
                meta: Meta::current(date),
                deceased_date: fmt::utc_midnight(date),
            }),
            status,
            gender: vec![PersonGender {
                meta: Meta::current(born),
                gender: if core.female { "Female" } else { "Male" },
            }],
            address_protection,
            residential_address,
            postal_address,
        }
    }
}

fn residential(home: &Home, meta: Meta, confidentiality: &'static str) -> ResidentialAddress {
    let place = home.place;
    ResidentialAddress {
        meta,
        street_address: StreetAddress {
            municipality_number: place.municipality_number,
            municipality_name: place.municipality,
            county_number: place.county_number,
            county_name: place.county,
            address_name: home.street,
            address_number: AddressNumber {
                house_number: home.number.to_string(),
                house_letter: home.letter,
            },
            address_code: format!(
                "{:05}",
                (home.street.len() * 977 + home.number as usize) % 100_000
            ),
            city: City {
                city_name: place.city,
                postal_code: place.postal_code,
            },
        },
        address_confidentiality: confidentiality,
        move_date: fmt::utc_midnight(home.moved_in),
    }
}

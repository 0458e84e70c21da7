//! The facts about a person that several registers share: number, name, birth, status, death,
//! address protection and home address. Persontjenesten person `p` and, for `p` below the number
//! of health personnel, HPR person `p` are both built from `person_core(p)`, so they agree.

use chrono::{Datelike, NaiveDate};

use super::gen_rng::Gen;
use super::ids::{self, NinParts};
use super::names::{self, Place};
use super::seed::{self, Stream};
use super::{Synth, fmt};

/// Persontjenesten `PersonStatusType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Resident,
    Emigrated,
    Disappeared,
    Deceased,
    Discontinued,
    RegisteredAtBirth,
    Temporary,
    Inactive,
    NotResident,
    Active,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "Resident",
            Self::Emigrated => "Emigrated",
            Self::Disappeared => "Disappeared",
            Self::Deceased => "Deceased",
            Self::Discontinued => "Discontinued",
            Self::RegisteredAtBirth => "RegisteredAtBirth",
            Self::Temporary => "Temporary",
            Self::Inactive => "Inactive",
            Self::NotResident => "NotResident",
            Self::Active => "Active",
        }
    }
}

/// Persontjenesten `AddressConfidentiality`, or no protection element at all (most persons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protection {
    None,
    Unclassified,
    ClientAddress,
    Confidential,
    StrictlyConfidential,
}

impl Protection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None | Self::Unclassified => "Unclassified",
            Self::ClientAddress => "ClientAddress",
            Self::Confidential => "Confidential",
            Self::StrictlyConfidential => "StrictlyConfidential",
        }
    }
}

/// A home address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Home {
    pub(crate) place: Place,
    pub(crate) street: &'static str,
    pub(crate) number: u32,
    pub(crate) letter: Option<&'static str>,
    pub(crate) moved_in: NaiveDate,
}

/// The shared facts about one person.
#[derive(Debug, Clone)]
pub(crate) struct PersonCore {
    pub(crate) nin: String,
    pub(crate) d_number: bool,
    pub(crate) birth_date: NaiveDate,
    pub(crate) female: bool,
    pub(crate) given: &'static str,
    pub(crate) middle: Option<&'static str>,
    pub(crate) family: &'static str,
    pub(crate) status: Status,
    pub(crate) death: Option<NaiveDate>,
    pub(crate) protection: Protection,
    pub(crate) home: Home,
    /// A previous family name (name history), for some.
    pub(crate) former_family: Option<&'static str>,
    /// A previous home (address history), for some.
    pub(crate) former_home: Option<Home>,
}

impl Synth {
    /// Whether general person `q` (Persontjenesten person `hpr_persons + q`) has a D-nummer.
    fn general_has_d_number(&self, q: u64) -> bool {
        seed::ppm(seed::hash(self.seed(), Stream::PersonFlags, q), 20_000)
    }

    /// The person number of Persontjenesten person `p`, with its date and individual number.
    fn nin_of(&self, p: u64) -> (String, NinParts) {
        let hpr = self.counts.hpr_persons;
        let (scheme, index, d_number) = if p < hpr {
            (&self.hpr_nins, p, false)
        } else {
            let q = p - hpr;
            (&self.general_nins, q, self.general_has_d_number(q))
        };
        // Synth::new checked the scheme's capacity, so `parts` always finds a number.
        let (date, individual, digits) = scheme
            .parts(index, d_number)
            .unwrap_or_else(|| (NaiveDate::default(), 0, [0; 11]));
        (
            ids::digits_to_string(&digits),
            NinParts {
                date,
                individual,
                d_number,
            },
        )
    }

    /// The Tenor person number of Persontjenesten person `index`.
    pub fn preg_nin(&self, index: u64) -> String {
        self.nin_of(index).0
    }

    /// The index of the Persontjenesten person with this person number, if one of ours.
    pub fn preg_index_by_nin(&self, nin: &str) -> Option<u64> {
        let parts = ids::decode_tenor(nin)?;
        let hpr = self.counts.hpr_persons;
        if !parts.d_number
            && let Some(p) = self.hpr_nins.index(parts).filter(|&p| p < hpr)
        {
            return Some(p);
        }
        let q = self.general_nins.index(parts)?;
        let p = hpr.checked_add(q)?;
        (p < self.counts.preg_persons && self.general_has_d_number(q) == parts.d_number)
            .then_some(p)
    }

    /// The shared facts of Persontjenesten person `p`.
    pub(crate) fn person_core(&self, p: u64) -> PersonCore {
        let (nin, parts) = self.nin_of(p);
        let mut g = Gen(seed::record_rng(self.seed(), Stream::PersonCore, p));
        let female = parts.individual % 2 == 0;
        let given = g.pick(if female { names::FEMALE } else { names::MALE });
        let middle = g.chance(0.2).then(|| g.pick(names::FAMILY));
        let family = g.pick(names::FAMILY);
        let today = fmt::reference_date();
        let age = today.years_since(parts.date).unwrap_or(0);
        let health_worker = p < self.counts.hpr_persons;
        let status = if health_worker {
            self.health_worker_status(p, &mut g)
        } else if parts.d_number {
            g.weighted(&[
                (Status::Temporary, 55),
                (Status::Inactive, 35),
                (Status::Active, 5),
                (Status::Discontinued, 5),
            ])
        } else {
            let dead_per_mille = match age {
                0..=39 => 5,
                40..=59 => 30,
                60..=79 => 120,
                _ => 450,
            };
            let newborn = if age == 0 { 300 } else { 0 };
            g.weighted(&[
                (Status::Deceased, dead_per_mille),
                (Status::RegisteredAtBirth, newborn),
                (Status::Emigrated, 30),
                (Status::NotResident, 5),
                (Status::Disappeared, 1),
                (Status::Discontinued, 3),
                (Status::Resident, 1000 - dead_per_mille - 39),
            ])
        };
        let death = (status == Status::Deceased).then(|| {
            let lived = u64::try_from((today - parts.date).num_days()).unwrap_or(1);
            today - chrono::Days::new(g.days(lived.min(30 * 365)))
        });
        let protection = g.weighted(&[
            (Protection::None, 993_320),
            (Protection::Unclassified, 3_000),
            (Protection::Confidential, 2_500),
            (Protection::StrictlyConfidential, 800),
            (Protection::ClientAddress, 380),
        ]);
        let home = random_home(&mut g, parts.date);
        let former_family = (female && age > 30 && g.chance(0.15)).then(|| g.pick(names::FAMILY));
        let former_home = g.chance(0.3).then(|| random_home(&mut g, parts.date));
        PersonCore {
            nin,
            d_number: parts.d_number,
            birth_date: parts.date,
            female,
            given,
            middle,
            family,
            status,
            death,
            protection,
            home,
            former_family,
            former_home,
        }
    }

    /// Health personnel are nearly all resident; those registered in Adresseregisteret always.
    fn health_worker_status(&self, p: u64, g: &mut Gen) -> Status {
        if self.ar_person_of_hpr(p).is_some() {
            return Status::Resident;
        }
        g.weighted(&[
            (Status::Resident, 985),
            (Status::Deceased, 5),
            (Status::Emigrated, 10),
        ])
    }
}

/// A home somewhere, moved into some time after birth.
fn random_home(g: &mut Gen, born: NaiveDate) -> Home {
    let today = fmt::reference_date();
    let since = u64::try_from((today - born).num_days()).unwrap_or(1).max(1);
    Home {
        place: g.pick(names::PLACES),
        street: g.pick(names::STREETS),
        number: g.between(1, 150),
        letter: g.chance(0.1).then(|| g.pick(&["A", "B", "C"])),
        moved_in: today - chrono::Days::new(g.days(since)),
    }
}

/// The birth year as text.
pub(crate) fn year_text(date: NaiveDate) -> String {
    date.year().to_string()
}

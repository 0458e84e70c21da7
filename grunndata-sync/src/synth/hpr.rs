//! Helsepersonellregisteret `HelsepersonUtvidet` records (REST "HPR Offentlig API" shape, with the
//! exact JSON names of UPSTREAMS.md §4.1, including `fødselsdato`, `dødsdato` and `vilkår`).
//!
//! Kodeverk ids 9060 (helsepersonellkategori), 7704 (autorisasjon), 7426 (spesialitet) and 7702
//! (tilleggskompetanse) are documented. The ids and values used below for rekvisisjonsrett,
//! avsluttet status, administrative reactions and vilkår, and the 7426 values other than 1 and
//! 152, are NOT verified: they are placeholders chosen for this synthetic data (see the constants).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::gen_rng::Gen;
use super::people::{PersonCore, Status};
use super::seed::{self, Stream};
use super::{Synth, fmt};

/// First HPR-nummer; HPR person `i` has number `HPR_BASE + i`.
const HPR_BASE: u64 = 10_000_000;
/// Days over which the base data's `sistOppdatert` values are spread (ending at the reference time).
const UPDATE_SPAN_DAYS: i64 = 3650;

/// Kodeverk 9060, Kategori helsepersonell.
const OID_CATEGORY: u32 = 9060;
/// Kodeverk 7704, Godkjenningstype.
const OID_AUTHORISATION: u32 = 7704;
/// Kodeverk 7426, Spesialiteter.
const OID_SPECIALITY: u32 = 7426;
/// Kodeverk 7702, Tilleggskompetanse.
const OID_EXTRA: u32 = 7702;
/// UNVERIFIED placeholder: the rekvisisjonsrett kodeverk id is not documented in our sources.
const OID_REQUISITION: u32 = 7703;
/// UNVERIFIED placeholder: kodeverk of `avsluttetStatus`.
const OID_ENDED: u32 = 7705;
/// UNVERIFIED placeholder: kodeverk of administrative reactions.
const OID_REACTION: u32 = 7706;
/// UNVERIFIED placeholder: kodeverk of vilkår.
const OID_CONDITION: u32 = 7707;

/// Name of the administrative-reaction code that marks a suspension (the fake upstream maps it to
/// SOAP `Suspensjonsperioder`).
pub(crate) const SUSPENSION: &str = "Suspensjon";

/// Helsepersonellkategori (9060): code, name, weight (roughly the register's proportions).
const CATEGORIES: &[(&str, &str, u32)] = &[
    ("SP", "Sykepleier", 2800),
    ("HF", "Helsefagarbeider", 2200),
    ("HP", "Hjelpepleier", 1000),
    ("LE", "Lege", 800),
    ("VP", "Vernepleier", 400),
    ("FT", "Fysioterapeut", 400),
    ("PS", "Psykolog", 250),
    ("TL", "Tannlege", 150),
    ("AA", "Ambulansearbeider", 150),
    ("BI", "Bioingeniør", 150),
    ("ET", "Ergoterapeut", 150),
    ("JO", "Jordmor", 70),
    ("RA", "Radiograf", 80),
    ("FA1", "Provisorfarmasøyt", 50),
    ("FA2", "Reseptarfarmasøyt", 50),
    ("TP", "Tannpleier", 30),
    ("TH", "Tannhelsesekretær", 60),
    ("OP", "Optiker", 40),
    ("KE", "Klinisk ernæringsfysiolog", 10),
    ("KI", "Kiropraktor", 20),
    ("AT", "Apotektekniker", 60),
    ("OI", "Ortopediingeniør", 5),
    ("OR", "Ortoptist", 2),
    ("OS", "Osteopat", 5),
    ("PE", "Perfusjonist", 2),
    ("PM", "Paramedisiner", 30),
    ("NP", "Naprapat", 10),
    ("AU", "Audiograf", 5),
    ("FO", "Fotterapeut", 20),
    ("OA", "Omsorgsarbeider", 50),
    ("TT", "Tanntekniker", 10),
    ("VE", "Veterinær", 50),
    ("FB", "Fiskehelsebiolog", 2),
    ("HE", "Helsesekretær", 50),
    ("MT", "Manuellterapeut", 2),
];

/// Categories of health personnel who are registered in Adresseregisteret.
const AR_CATEGORIES: &[(&str, &str, u32)] = &[
    ("LE", "Lege", 50),
    ("SP", "Sykepleier", 20),
    ("FT", "Fysioterapeut", 10),
    ("PS", "Psykolog", 10),
    ("TL", "Tannlege", 10),
];

/// Spesialiteter (7426). Only 1 and 152 are verified; the other values are UNVERIFIED placeholders.
const SPECIALITIES: &[(&str, &str)] = &[
    ("1", "Allmennmedisin"),
    ("152", "Ortopedisk kirurgi"),
    ("2", "Anestesiologi"),
    ("11", "Indremedisin"),
    ("12", "Generell kirurgi"),
    ("14", "Fødselshjelp og kvinnesykdommer"),
    ("18", "Psykiatri"),
    ("20", "Radiologi"),
    ("22", "Barne- og ungdomssykdommer"),
];

/// A `HelsepersonUtvidet` from the HPR REST API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelsepersonUtvidet {
    pub(crate) person: Personalia,
    pub(crate) hpr_nummer: u64,
    pub(crate) erstattet_av_hpr_nummer: Option<u64>,
    pub(crate) godkjenninger: Vec<Godkjenning>,
    pub(crate) administrative_reaksjoner: Vec<AdministrativReaksjon>,
    pub(crate) sist_oppdatert: String,
    pub(crate) gjelder_for_dato: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Personalia {
    fornavn: &'static str,
    mellomnavn: Option<&'static str>,
    etternavn: &'static str,
    #[serde(rename = "fødselsdato")]
    fodselsdato: String,
    #[serde(rename = "dødsdato")]
    dodsdato: Option<String>,
    mangler_nin: bool,
    pub(crate) nin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Godkjenning {
    helsepersonellkategori: Kode,
    autorisasjon: Kode,
    periode: Periode,
    godkjent_turnus_dato: Option<String>,
    rekvisisjonsretter: Vec<Rettighet>,
    spesialistgodkjenninger: Vec<Rettighet>,
    tilleggskompetanser: Vec<Tilleggskompetanse>,
    #[serde(rename = "vilkår")]
    vilkar: Vec<Vilkar>,
    avsluttet_status: Option<Kode>,
    administrative_reaksjoner: Vec<AdministrativReaksjon>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rettighet {
    #[serde(rename = "type")]
    kind: Kode,
    periode: Periode,
    avsluttet_status: Option<Kode>,
    administrative_reaksjoner: Vec<AdministrativReaksjon>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tilleggskompetanse {
    #[serde(rename = "type")]
    kind: Kode,
    periode: Periode,
    avsluttet_status: Option<Kode>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Vilkar {
    #[serde(rename = "type")]
    kind: Kode,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AdministrativReaksjon {
    #[serde(rename = "type")]
    kind: Kode,
    periode: Periode,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Kode {
    navn: &'static str,
    verdi: &'static str,
    kodeverk: Kodeverk,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Kodeverk {
    id: u32,
    navn: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Periode {
    fra: String,
    til: Option<String>,
}

fn kode(verdi: &'static str, navn: &'static str, id: u32, kodeverk: &'static str) -> Kode {
    Kode {
        navn,
        verdi,
        kodeverk: Kodeverk { id, navn: kodeverk },
    }
}

fn periode(fra: NaiveDate, til: Option<NaiveDate>) -> Periode {
    Periode {
        fra: fmt::date(fra),
        til: til.map(fmt::date),
    }
}

impl Synth {
    /// The HPR-nummer of HPR person `index`.
    pub fn hpr_number(&self, index: u64) -> u64 {
        HPR_BASE + index
    }

    /// The index of the HPR person with this HPR-nummer, if one of ours.
    pub fn hpr_index(&self, hpr_number: u64) -> Option<u64> {
        hpr_number
            .checked_sub(HPR_BASE)
            .filter(|&i| i < self.counts.hpr_persons)
    }

    /// `sistOppdatert` of HPR person `index` in the base data: strictly increasing with the index
    /// and before the reference time, so change windows map to index ranges.
    pub fn hpr_last_updated(&self, index: u64) -> NaiveDateTime {
        let end = fmt::reference_time().naive_utc();
        let span = UPDATE_SPAN_DAYS * 86_400;
        let n = i64::try_from(self.counts.hpr_persons)
            .unwrap_or(i64::MAX)
            .max(1);
        let i = i64::try_from(index).unwrap_or(0);
        // i * span / n, in whole seconds, ends one step before `end`.
        let offset = i128::from(i) * i128::from(span) / i128::from(n);
        end - chrono::Duration::seconds(span)
            + chrono::Duration::seconds(i64::try_from(offset).unwrap_or(0))
    }

    /// The first base index whose `sistOppdatert` is at or after `t` (may be `hpr_persons`).
    pub fn hpr_first_updated_at_or_after(&self, t: NaiveDateTime) -> u64 {
        // `hpr_last_updated` is increasing, so a binary search finds the boundary.
        let (mut lo, mut hi) = (0, self.counts.hpr_persons);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.hpr_last_updated(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn hpr_merge_candidate(&self, index: u64) -> bool {
        seed::ppm(seed::hash(self.seed(), Stream::HprFlags, index), 2_000)
    }

    /// The person that HPR person `index` was merged into, if it was (`erstattetAvHprNummer`).
    /// The target is always a person that was not itself merged.
    pub(super) fn hpr_merged_into(&self, index: u64) -> Option<u64> {
        let next = index + 1;
        (next < self.counts.hpr_persons
            && self.ar_person_of_hpr(index).is_none()
            && self.hpr_merge_candidate(index)
            && !self.hpr_merge_candidate(next))
        .then_some(next)
    }

    /// Whether HPR person `index` is alive, has a NIN and approvals (a plain candidate for a
    /// planted anomaly).
    pub(super) fn hpr_is_plain(&self, index: u64) -> bool {
        let record = self.hpr_person_base(index);
        record.person.nin.is_some()
            && record.person.dodsdato.is_none()
            && !record.godkjenninger.is_empty()
    }

    /// Whether HPR person `index` has an approval with no end status whose period has not run
    /// out at the reference date.
    pub(super) fn hpr_has_open_approval(&self, index: u64) -> bool {
        let today = fmt::date(fmt::reference_date());
        self.hpr_person_base(index)
            .godkjenninger
            .iter()
            .any(|approval| {
                approval.avsluttet_status.is_none()
                    && approval
                        .periode
                        .til
                        .as_ref()
                        .is_none_or(|til| *til >= today)
            })
    }

    /// HPR person `index`, with its planted anomaly if it has one.
    pub fn hpr_person(&self, index: u64) -> HelsepersonUtvidet {
        let mut record = self.hpr_person_base(index);
        let Some(plan) = &self.plan else {
            return record;
        };
        let today = fmt::reference_date();
        if plan.hpr_replaced == Some(index) {
            record.erstattet_av_hpr_nummer = Some(self.hpr_number(index + 1));
        }
        if plan.hpr_expired == Some(index) {
            let ended = Some(fmt::date(today - chrono::Days::new(30)));
            for approval in &mut record.godkjenninger {
                approval.periode.til.clone_from(&ended);
                for right in approval
                    .rekvisisjonsretter
                    .iter_mut()
                    .chain(approval.spesialistgodkjenninger.iter_mut())
                {
                    right.periode.til.clone_from(&ended);
                }
            }
        }
        if plan.hpr_right == Some(index)
            && let Some(approval) = record.godkjenninger.first_mut()
        {
            approval.periode.til = Some(fmt::date(today - chrono::Days::new(60)));
            approval.rekvisisjonsretter.push(Rettighet {
                kind: kode(
                    "1",
                    "Full rekvisisjonsrett",
                    OID_REQUISITION,
                    "Rekvisisjonsrett",
                ),
                periode: periode(today - chrono::Days::new(400), None),
                avsluttet_status: None,
                administrative_reaksjoner: Vec::new(),
            });
        }
        if let Some((_, original)) = plan.hpr_duplicate.filter(|&(h, _)| h == index) {
            record.person.nin = Some(self.person_core(original).nin);
        }
        if plan.hpr_invalid_nin == Some(index)
            && let Some(nin) = record.person.nin.as_mut()
        {
            // The same number with its last check digit changed.
            let last = nin.pop().and_then(|digit| digit.to_digit(10)).unwrap_or(0);
            nin.push(char::from_digit((last + 1) % 10, 10).unwrap_or('0'));
        }
        record
    }

    fn hpr_person_base(&self, index: u64) -> HelsepersonUtvidet {
        let mut g = Gen(seed::record_rng(self.seed(), Stream::HprPerson, index));
        let merged_into = self.hpr_merged_into(index);
        // A merged-away record is the same human as its target, registered once without a NIN.
        let core = self.person_core(merged_into.unwrap_or(index));
        let in_ar = self.ar_person_of_hpr(index).is_some();
        let missing_nin = merged_into.is_some() || (!in_ar && g.chance(0.005));
        let person = Personalia {
            fornavn: core.given,
            mellomnavn: core.middle,
            etternavn: core.family,
            fodselsdato: fmt::date(core.birth_date),
            dodsdato: core.death.map(fmt::date),
            mangler_nin: missing_nin,
            nin: (!missing_nin).then(|| core.nin.clone()),
        };
        let godkjenninger = if merged_into.is_some() {
            Vec::new()
        } else {
            godkjenninger(&mut g, &core, in_ar)
        };
        HelsepersonUtvidet {
            person,
            hpr_nummer: self.hpr_number(index),
            erstattet_av_hpr_nummer: merged_into.map(|target| self.hpr_number(target)),
            godkjenninger,
            administrative_reaksjoner: Vec::new(),
            sist_oppdatert: fmt::local_datetime(self.hpr_last_updated(index)),
            gjelder_for_dato: fmt::date(fmt::reference_date()),
        }
    }
}

fn godkjenninger(g: &mut Gen, core: &PersonCore, in_ar: bool) -> Vec<Godkjenning> {
    let today = fmt::reference_date();
    let first = if in_ar {
        g.weighted(AR_CATEGORIES_W)
    } else {
        g.weighted(CATEGORIES_W)
    };
    let mut result = vec![godkjenning(g, core, first, in_ar, today)];
    if !in_ar && g.chance(0.08) {
        let second = g.weighted(CATEGORIES_W);
        if second != first {
            result.push(godkjenning(g, core, second, false, today));
        }
    }
    result
}

const CATEGORIES_W: &[(usize, u32)] = &weights::<{ CATEGORIES.len() }>(CATEGORIES);
const AR_CATEGORIES_W: &[(usize, u32)] = &weights::<{ AR_CATEGORIES.len() }>(AR_CATEGORIES);

/// (index, weight) pairs for [`Gen::weighted`], built at compile time.
const fn weights<const N: usize>(table: &[(&str, &str, u32)]) -> [(usize, u32); N] {
    let mut out = [(0usize, 0u32); N];
    let mut i = 0;
    while i < N {
        out[i] = (i, table[i].2);
        i += 1;
    }
    out
}

fn category(index: usize, in_ar: bool) -> (&'static str, &'static str) {
    let table = if in_ar { AR_CATEGORIES } else { CATEGORIES };
    let (code, name, _) = table[index];
    (code, name)
}

fn godkjenning(
    g: &mut Gen,
    core: &PersonCore,
    which: usize,
    in_ar: bool,
    today: NaiveDate,
) -> Godkjenning {
    let (code, name) = category(which, in_ar);
    let adult = core
        .birth_date
        .with_year(core.birth_date.year() + 23)
        .unwrap_or(core.birth_date);
    let career = u64::try_from((today - adult).num_days())
        .unwrap_or(1)
        .max(1);
    let from = adult + chrono::Days::new(g.days(career));
    let licence = !in_ar && g.chance(0.08);
    let until = licence.then(|| from + chrono::Days::new(u64::from(g.between(180, 3 * 365))));
    let dead = core.status == Status::Deceased;
    let revoked = !in_ar && !dead && g.chance(0.003);
    let suspended = !in_ar && !revoked && g.chance(0.005);
    let mut reactions = Vec::new();
    if suspended {
        let start = from + chrono::Days::new(g.days(career / 2 + 1));
        let end = g
            .chance(0.5)
            .then(|| start + chrono::Days::new(u64::from(g.between(30, 720))));
        reactions.push(AdministrativReaksjon {
            kind: kode("S", SUSPENSION, OID_REACTION, "Administrativ reaksjon"),
            periode: periode(start.min(today), end),
        });
    }
    let revoked_on = revoked.then(|| from + chrono::Days::new(g.days(career / 2 + 1)));
    // Rights and specialities end with the approval they hang under (revoked, licence run
    // out, death), so consistent data has none in force under an approval that is not.
    let approval_end = revoked_on.or(until).or(core.death);
    let ended = if revoked {
        Some(kode("T", "Tilbakekalt", OID_ENDED, "Avsluttet status"))
    } else if dead {
        Some(kode("D", "Død", OID_ENDED, "Avsluttet status"))
    } else {
        None
    };
    let doctor = code == "LE";
    let specialities = if doctor && g.chance(0.5) {
        let (value, label) = g.pick(SPECIALITIES);
        let start = from + chrono::Days::new(u64::from(g.between(5 * 365, 8 * 365)));
        if start < today && approval_end.is_none_or(|end| end >= start) {
            vec![Rettighet {
                kind: kode(value, label, OID_SPECIALITY, "Spesialitet"),
                periode: periode(start, approval_end.filter(|&end| end >= start)),
                avsluttet_status: ended.clone(),
                administrative_reaksjoner: Vec::new(),
            }]
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    };
    let requisition = if (doctor || code == "TL") && g.chance(0.95) {
        vec![Rettighet {
            kind: kode(
                "1",
                "Full rekvisisjonsrett",
                OID_REQUISITION,
                "Rekvisisjonsrett",
            ),
            periode: periode(from, approval_end),
            avsluttet_status: ended.clone(),
            administrative_reaksjoner: Vec::new(),
        }]
    } else {
        Vec::new()
    };
    let extra = if code == "FT" && g.chance(0.05) {
        vec![Tilleggskompetanse {
            kind: kode("1", "Manuellterapi", OID_EXTRA, "Tilleggskompetanse"),
            periode: periode(from + chrono::Days::new(730), None),
            avsluttet_status: None,
        }]
    } else {
        Vec::new()
    };
    let conditions = if !in_ar && g.chance(0.005) {
        vec![Vilkar {
            kind: kode(
                "1",
                "Begrenset til arbeid under veiledning",
                OID_CONDITION,
                "Vilkår",
            ),
        }]
    } else {
        Vec::new()
    };
    // 7704 value 1 is "Autorisasjon" (verified); that 2 is "Lisens" is UNVERIFIED.
    let (auth_value, auth_name) = if licence {
        ("2", "Lisens")
    } else {
        ("1", "Autorisasjon")
    };
    Godkjenning {
        helsepersonellkategori: kode(code, name, OID_CATEGORY, "Kategori helsepersonell"),
        autorisasjon: kode(auth_value, auth_name, OID_AUTHORISATION, "Godkjenningstype"),
        periode: periode(from, revoked_on.or(until).or(core.death)),
        godkjent_turnus_dato: doctor.then(|| fmt::date(from)),
        rekvisisjonsretter: requisition,
        spesialistgodkjenninger: specialities,
        tilleggskompetanser: extra,
        vilkar: conditions,
        avsluttet_status: ended,
        administrative_reaksjoner: reactions,
    }
}

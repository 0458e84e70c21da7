//! Enhetsregisteret `Enhet` and `Underenhet` records (field names as in brreg/samples-python-brreg).
//!
//! Records carry no `_links`: the generator does not know where it will be served from, and the
//! fake upstream adds them with its own base URL.

// Field names are the upstream's, even where they repeat the struct's name.
#![allow(clippy::struct_field_names)]

use serde::Serialize;

use super::gen_rng::Gen;
use super::ids::{self, ENHET_BLOCK, UNDERENHET_BLOCK};
use super::names::{self, Place};
use super::seed::{self, Stream};
use super::{Synth, fmt};

/// A main unit (`Enhet`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Enhet {
    pub(crate) organisasjonsnummer: String,
    pub(crate) navn: String,
    pub(crate) organisasjonsform: Organisasjonsform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hjemmeside: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) postadresse: Option<Adresse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registreringsdato_enhetsregisteret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registrert_i_mvaregisteret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) naeringskode1: Option<Kode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) antall_ansatte: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) har_registrert_antall_ansatte: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) forretningsadresse: Option<Adresse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stiftelsesdato: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) institusjonell_sektorkode: Option<Kode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registrert_i_foretaksregisteret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registrert_i_stiftelsesregisteret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registrert_i_frivillighetsregisteret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) siste_innsendte_aarsregnskap: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) konkurs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) konkursdato: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) under_avvikling: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) under_tvangsavvikling_eller_tvangsopplosning: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maalform: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slettedato: Option<String>,
}

/// A sub-unit (`Underenhet`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Underenhet {
    pub(crate) organisasjonsnummer: String,
    pub(crate) navn: String,
    pub(crate) organisasjonsform: Organisasjonsform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) postadresse: Option<Adresse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registreringsdato_enhetsregisteret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registrert_i_mvaregisteret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) naeringskode1: Option<Kode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) antall_ansatte: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) har_registrert_antall_ansatte: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) overordnet_enhet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) oppstartsdato: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) beliggenhetsadresse: Option<Adresse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nedleggelsesdato: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slettedato: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Organisasjonsform {
    kode: &'static str,
    beskrivelse: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Kode {
    kode: &'static str,
    beskrivelse: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Adresse {
    land: &'static str,
    landkode: &'static str,
    postnummer: &'static str,
    poststed: &'static str,
    adresse: Vec<String>,
    kommune: &'static str,
    kommunenummer: &'static str,
}

/// An organisasjonsnummer whose check digit does not match (planted anomalies).
pub(crate) const INVALID_ORGNR: &str = "123456789";

/// Organisasjonsform: code, description, weight, institusjonell sektorkode and its description.
const FORMS: &[(&str, &str, u32, &str, &str)] = &[
    (
        "AS",
        "Aksjeselskap",
        420,
        "2100",
        "Private aksjeselskaper mv.",
    ),
    (
        "ENK",
        "Enkeltpersonforetak",
        330,
        "8200",
        "Personlig næringsdrivende",
    ),
    (
        "FLI",
        "Forening/lag/innretning",
        90,
        "7000",
        "Ideelle organisasjoner",
    ),
    (
        "BRL",
        "Borettslag",
        40,
        "2500",
        "Private produsentorienterte foretak uten fast forretningsdrift",
    ),
    (
        "ESEK",
        "Eierseksjonssameie",
        30,
        "8500",
        "Private husholdninger med ansatte",
    ),
    (
        "NUF",
        "Norskregistrert utenlandsk foretak",
        25,
        "1400",
        "Utenlandske foretak",
    ),
    (
        "ANS",
        "Ansvarlig selskap med solidarisk ansvar",
        20,
        "2500",
        "Private produsentorienterte foretak uten fast forretningsdrift",
    ),
    (
        "DA",
        "Selskap med delt ansvar",
        15,
        "2500",
        "Private produsentorienterte foretak uten fast forretningsdrift",
    ),
    ("STI", "Stiftelse", 15, "7000", "Ideelle organisasjoner"),
    (
        "SA",
        "Samvirkeforetak",
        10,
        "2100",
        "Private aksjeselskaper mv.",
    ),
    ("ORGL", "Organisasjonsledd", 4, "6100", "Statsforvaltningen"),
    ("KOMM", "Kommune", 1, "6500", "Kommuneforvaltningen"),
];

/// Forms of health organisations (AR organisations), as (index into FORMS, weight).
const HEALTH_FORMS: &[(usize, u32)] = &[(0, 70), (1, 15), (8, 5), (10, 10)];

/// Næringskoder (SN2007) of ordinary units.
const NACE: &[(&str, &str)] = &[
    ("68.209", "Utleie av egen eller leid fast eiendom ellers"),
    ("41.200", "Oppføring av bygninger"),
    ("62.010", "Programmeringstjenester"),
    (
        "70.220",
        "Bedriftsrådgivning og annen administrativ rådgivning",
    ),
    ("43.220", "VVS-arbeid"),
    ("49.410", "Godstransport på vei"),
    ("56.101", "Drift av restauranter og kafeer"),
    ("47.190", "Butikkhandel med bredt vareutvalg ellers"),
    ("96.021", "Frisering"),
    ("69.201", "Regnskap og bokføring"),
    ("64.209", "Andre holdingselskaper"),
    ("94.991", "Aktiviteter i andre interesseorganisasjoner"),
    ("68.320", "Forvaltning av fast eiendom på oppdragsbasis"),
    ("43.210", "Elektrisk installasjonsarbeid"),
];

/// Health næringskoder, matching [`names::HEALTH_KINDS`].
fn health_nace(code: &'static str) -> &'static str {
    match code {
        "86.211" => "Allmenn legetjeneste",
        "86.221" => "Spesialisert legetjeneste, unntatt psykiatrisk legetjeneste",
        "86.230" => "Tannhelsetjenester",
        "86.901" => "Hjemmesykepleie",
        "86.904" => "Fysioterapitjeneste",
        "86.906" => "Psykologtjeneste",
        "87.101" => "Somatiske sykehjem",
        "47.730" => "Butikkhandel med apotekvarer",
        _ => "Andre helsetjenester",
    }
}

/// Lifecycle state of an enhet, decided by a cheap hash so other registers can ask for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnhetState {
    Active,
    Deleted,
    Bankrupt,
    Dissolving,
    ForcedDissolving,
}

impl Synth {
    /// The organisasjonsnummer of enhet `index`.
    pub fn enhet_orgnr(&self, index: u64) -> String {
        ids::orgnr(ENHET_BLOCK, index).to_string()
    }

    /// The index of the enhet with this organisasjonsnummer, if one of ours.
    pub fn enhet_index(&self, orgnr: &str) -> Option<u64> {
        ids::orgnr_index(ENHET_BLOCK, ids::parse_orgnr(orgnr)?).filter(|&i| i < self.counts.enheter)
    }

    /// The organisasjonsnummer of underenhet `index`.
    pub fn underenhet_orgnr(&self, index: u64) -> String {
        ids::orgnr(UNDERENHET_BLOCK, index).to_string()
    }

    /// The index of the underenhet with this organisasjonsnummer, if one of ours.
    pub fn underenhet_index(&self, orgnr: &str) -> Option<u64> {
        ids::orgnr_index(UNDERENHET_BLOCK, ids::parse_orgnr(orgnr)?)
            .filter(|&i| i < self.counts.underenheter)
    }

    /// Whether enhet `index` is deleted (has `slettedato`) in the base data.
    pub fn enhet_is_deleted(&self, index: u64) -> bool {
        self.enhet_state(index) == EnhetState::Deleted
    }

    pub(crate) fn enhet_state(&self, index: u64) -> EnhetState {
        if self.health_org_of_enhet(index).is_some() {
            return EnhetState::Active;
        }
        match seed::below(seed::hash(self.seed(), Stream::EnhetFlags, index), 1000) {
            0..=49 => EnhetState::Deleted,
            50..=59 => EnhetState::Bankrupt,
            60..=69 => EnhetState::Dissolving,
            70..=72 => EnhetState::ForcedDissolving,
            _ => EnhetState::Active,
        }
    }

    /// Enhet `index`.
    pub fn enhet(&self, index: u64) -> Enhet {
        let mut g = Gen(seed::record_rng(self.seed(), Stream::Enhet, index));
        let state = self.enhet_state(index);
        let health = self.health_org_of_enhet(index).is_some();
        let form = FORMS[if health {
            g.weighted(HEALTH_FORMS)
        } else {
            g.weighted(&form_weights())
        }];
        let place = g.pick(names::PLACES);
        let (navn, nace) = if health {
            let (kind, code) = g.pick(names::HEALTH_KINDS);
            let stem = if g.chance(0.5) {
                g.pick(names::FAMILY).to_uppercase()
            } else {
                place.city.to_string()
            };
            (
                company_name(&format!("{stem} {kind}"), form.0),
                Kode {
                    kode: code,
                    beskrivelse: health_nace(code),
                },
            )
        } else if form.0 == "KOMM" {
            (
                format!("{} KOMMUNE", place.municipality),
                Kode {
                    kode: "84.110",
                    beskrivelse: "Generell offentlig administrasjon",
                },
            )
        } else {
            let stem = format!(
                "{} {}",
                g.pick(names::COMPANY_WORDS),
                g.pick(names::COMPANY_KINDS)
            );
            let (code, text) = g.pick(NACE);
            (
                company_name(&stem, form.0),
                Kode {
                    kode: code,
                    beskrivelse: text,
                },
            )
        };
        let today = fmt::reference_date();
        let founded = today - chrono::Days::new(g.days(40 * 365));
        let organisasjonsnummer = self.enhet_orgnr(index);
        let organisasjonsform = Organisasjonsform {
            kode: form.0,
            beskrivelse: form.1,
        };
        if state == EnhetState::Deleted {
            let deleted = founded
                + chrono::Days::new(
                    g.days(
                        u64::try_from((today - founded).num_days())
                            .unwrap_or(1)
                            .max(1),
                    ),
                );
            return Enhet {
                slettedato: Some(fmt::date(deleted)),
                ..bare(organisasjonsnummer, navn, organisasjonsform)
            };
        }
        let employees = if form.0 == "ENK" {
            g.between(0, 2)
        } else {
            g.between(0, 60)
        };
        let bankrupt = state == EnhetState::Bankrupt;
        Enhet {
            hjemmeside: (health && g.chance(0.6)).then(|| format!("www.{}.no", slug(&navn))),
            postadresse: g.chance(0.3).then(|| postbox(&mut g, place)),
            registreringsdato_enhetsregisteret: Some(fmt::date(founded)),
            registrert_i_mvaregisteret: Some(
                !matches!(form.0, "FLI" | "BRL" | "ESEK") && g.chance(0.7),
            ),
            naeringskode1: Some(nace),
            antall_ansatte: Some(employees),
            har_registrert_antall_ansatte: Some(employees > 0),
            forretningsadresse: Some(street(&mut g, place)),
            stiftelsesdato: Some(fmt::date(founded)),
            institusjonell_sektorkode: Some(Kode {
                kode: form.3,
                beskrivelse: form.4,
            }),
            registrert_i_foretaksregisteret: Some(matches!(
                form.0,
                "AS" | "ANS" | "DA" | "NUF" | "SA" | "STI"
            )),
            registrert_i_stiftelsesregisteret: Some(form.0 == "STI"),
            registrert_i_frivillighetsregisteret: Some(form.0 == "FLI" && g.chance(0.4)),
            siste_innsendte_aarsregnskap: (form.0 == "AS").then(|| "2024".to_string()),
            konkurs: Some(bankrupt),
            konkursdato: bankrupt.then(|| fmt::date(today - chrono::Days::new(g.days(700)))),
            under_avvikling: Some(state == EnhetState::Dissolving),
            under_tvangsavvikling_eller_tvangsopplosning: Some(
                state == EnhetState::ForcedDissolving,
            ),
            maalform: Some(if g.chance(0.08) { "Nynorsk" } else { "Bokmål" }),
            ..bare(organisasjonsnummer, navn, organisasjonsform)
        }
    }

    /// The parent of underenhet `index`: a non-deleted enhet.
    fn underenhet_parent(&self, index: u64) -> u64 {
        let n = self.counts.enheter;
        let mut candidate = seed::below(seed::hash(self.seed(), Stream::Underenhet, index), n);
        // Deleted enheter are ~5 %, so this ends within a few steps; health units never are.
        for _ in 0..n {
            if !self.enhet_is_deleted(candidate) {
                break;
            }
            candidate = (candidate + 1) % n;
        }
        candidate
    }

    /// Whether underenhet `index` is deleted (has `slettedato`) in the base data.
    pub(crate) fn underenhet_is_deleted(&self, index: u64) -> bool {
        seed::below(seed::hash(self.seed(), Stream::Underenhet, !index), 1000) < 30
    }

    /// Underenhet `index`, with its planted anomaly if it has one.
    pub fn underenhet(&self, index: u64) -> Underenhet {
        let mut unit = self.underenhet_base(index);
        if let Some(plan) = &self.plan {
            if plan.sub_parent_missing == Some(index) {
                // A well-formed number beyond the generated enheter.
                unit.overordnet_enhet = Some(self.enhet_orgnr(self.counts.enheter + 1));
            }
            if let Some((_, enhet)) = plan.sub_parent_deleted.filter(|&(u, _)| u == index) {
                unit.overordnet_enhet = Some(self.enhet_orgnr(enhet));
            }
            if plan.sub_parent_invalid == Some(index) {
                unit.overordnet_enhet = Some(INVALID_ORGNR.to_owned());
            }
        }
        unit
    }

    fn underenhet_base(&self, index: u64) -> Underenhet {
        let mut g = Gen(seed::record_rng(
            self.seed(),
            Stream::Underenhet,
            index ^ 0x5555,
        ));
        let parent_index = self.underenhet_parent(index);
        let parent = self.enhet(parent_index);
        let organisasjonsnummer = self.underenhet_orgnr(index);
        let today = fmt::reference_date();
        let started = today - chrono::Days::new(g.days(30 * 365));
        let bedr = !matches!(
            parent.organisasjonsform.kode,
            "FLI" | "STI" | "BRL" | "ESEK"
        );
        let organisasjonsform = if bedr {
            Organisasjonsform {
                kode: "BEDR",
                beskrivelse: "Underenhet til næringsdrivende og offentlig forvaltning",
            }
        } else {
            Organisasjonsform {
                kode: "AAFY",
                beskrivelse: "Underenhet til ikke-næringsdrivende",
            }
        };
        let roll = seed::below(seed::hash(self.seed(), Stream::Underenhet, !index), 1000);
        let closed = (roll < 110).then(|| {
            started
                + chrono::Days::new(
                    g.days(
                        u64::try_from((today - started).num_days())
                            .unwrap_or(1)
                            .max(1),
                    ),
                )
        });
        if roll < 30 {
            // Deleted: few fields, as in the Brreg fixture of a deleted underenhet.
            return Underenhet {
                slettedato: closed.map(fmt::date),
                nedleggelsesdato: closed.map(fmt::date),
                ..bare_sub(organisasjonsnummer, parent.navn, organisasjonsform)
            };
        }
        let place = g.pick(names::PLACES);
        let employees = g.between(0, 40);
        Underenhet {
            postadresse: g.chance(0.2).then(|| postbox(&mut g, place)),
            registreringsdato_enhetsregisteret: Some(fmt::date(started)),
            registrert_i_mvaregisteret: parent.registrert_i_mvaregisteret,
            naeringskode1: parent.naeringskode1.clone(),
            antall_ansatte: Some(employees),
            har_registrert_antall_ansatte: Some(employees > 0),
            overordnet_enhet: Some(parent.organisasjonsnummer.clone()),
            oppstartsdato: Some(fmt::date(started)),
            beliggenhetsadresse: Some(street(&mut g, place)),
            nedleggelsesdato: closed.map(fmt::date),
            ..bare_sub(organisasjonsnummer, parent.navn, organisasjonsform)
        }
    }
}

fn form_weights() -> [(usize, u32); FORMS.len()] {
    let mut out = [(0, 0); FORMS.len()];
    for (i, form) in FORMS.iter().enumerate() {
        out[i] = (i, form.2);
    }
    out
}

fn company_name(stem: &str, form: &str) -> String {
    match form {
        "AS" | "ANS" | "DA" | "SA" => format!("{stem} {form}"),
        _ => stem.to_string(),
    }
}

/// A lower-case ASCII web-name from a unit name.
pub(crate) fn slug(name: &str) -> String {
    name.split_whitespace()
        .filter(|word| !matches!(*word, "AS" | "ANS" | "DA" | "SA"))
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
        .replace('æ', "ae")
        .replace('ø', "o")
        .replace('å', "aa")
}

fn bare(organisasjonsnummer: String, navn: String, organisasjonsform: Organisasjonsform) -> Enhet {
    Enhet {
        organisasjonsnummer,
        navn,
        organisasjonsform,
        hjemmeside: None,
        postadresse: None,
        registreringsdato_enhetsregisteret: None,
        registrert_i_mvaregisteret: None,
        naeringskode1: None,
        antall_ansatte: None,
        har_registrert_antall_ansatte: None,
        forretningsadresse: None,
        stiftelsesdato: None,
        institusjonell_sektorkode: None,
        registrert_i_foretaksregisteret: None,
        registrert_i_stiftelsesregisteret: None,
        registrert_i_frivillighetsregisteret: None,
        siste_innsendte_aarsregnskap: None,
        konkurs: None,
        konkursdato: None,
        under_avvikling: None,
        under_tvangsavvikling_eller_tvangsopplosning: None,
        maalform: None,
        slettedato: None,
    }
}

fn bare_sub(
    organisasjonsnummer: String,
    navn: String,
    organisasjonsform: Organisasjonsform,
) -> Underenhet {
    Underenhet {
        organisasjonsnummer,
        navn,
        organisasjonsform,
        postadresse: None,
        registreringsdato_enhetsregisteret: None,
        registrert_i_mvaregisteret: None,
        naeringskode1: None,
        antall_ansatte: None,
        har_registrert_antall_ansatte: None,
        overordnet_enhet: None,
        oppstartsdato: None,
        beliggenhetsadresse: None,
        nedleggelsesdato: None,
        slettedato: None,
    }
}

fn street(g: &mut Gen, place: Place) -> Adresse {
    Adresse {
        land: "Norge",
        landkode: "NO",
        postnummer: place.postal_code,
        poststed: place.city,
        adresse: vec![format!("{} {}", g.pick(names::STREETS), g.between(1, 120))],
        kommune: place.municipality,
        kommunenummer: place.municipality_number,
    }
}

fn postbox(g: &mut Gen, place: Place) -> Adresse {
    Adresse {
        adresse: vec![format!("Postboks {}", g.between(1, 9999))],
        ..street(g, place)
    }
}

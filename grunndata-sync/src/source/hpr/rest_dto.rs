//! `HelsepersonUtvidet` of the HPR REST API ("HPR Offentlig API"), as upstream writes it.
//!
//! Names are those of UPSTREAMS.md §4.1 exactly (observed DTOs; the official spec is not
//! stored), Norwegian letters included (`fødselsdato`, `dødsdato`, `vilkår`). Every field is
//! optional and unknown fields are ignored. Dates stay text and are parsed in
//! [`convert`](super::convert), which accepts both `YYYY-MM-DD` and date-times; a value of the
//! wrong JSON type fails the record with its JSON path (via `serde_path_to_error`).

use serde::Deserialize;

use crate::core::codes::CodeSystemId;

/// `HelsepersonUtvidet`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HelsepersonUtvidetDto {
    #[serde(default)]
    pub(crate) person: Option<PersonaliaDto>,
    #[serde(default)]
    pub(crate) hpr_nummer: Option<i64>,
    #[serde(default)]
    pub(crate) erstattet_av_hpr_nummer: Option<i64>,
    #[serde(default)]
    pub(crate) godkjenninger: Option<Vec<Option<GodkjenningDto>>>,
    #[serde(default)]
    pub(crate) administrative_reaksjoner: Option<Vec<Option<AdministrativReaksjonDto>>>,
    #[serde(default)]
    pub(crate) sist_oppdatert: Option<String>,
}

/// `person` of `HelsepersonUtvidet`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersonaliaDto {
    #[serde(default)]
    pub(crate) fornavn: Option<String>,
    #[serde(default)]
    pub(crate) mellomnavn: Option<String>,
    #[serde(default)]
    pub(crate) etternavn: Option<String>,
    #[serde(rename = "fødselsdato", default)]
    pub(crate) fodselsdato: Option<String>,
    #[serde(rename = "dødsdato", default)]
    pub(crate) dodsdato: Option<String>,
    #[serde(default)]
    pub(crate) mangler_nin: Option<bool>,
    #[serde(default)]
    pub(crate) nin: Option<String>,
}

/// An element of `godkjenninger`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GodkjenningDto {
    #[serde(default)]
    pub(crate) helsepersonellkategori: Option<KodeDto>,
    #[serde(default)]
    pub(crate) autorisasjon: Option<KodeDto>,
    #[serde(default)]
    pub(crate) periode: Option<PeriodeDto>,
    #[serde(default)]
    pub(crate) godkjent_turnus_dato: Option<String>,
    #[serde(default)]
    pub(crate) rekvisisjonsretter: Option<Vec<Option<RettighetDto>>>,
    #[serde(default)]
    pub(crate) spesialistgodkjenninger: Option<Vec<Option<RettighetDto>>>,
    #[serde(default)]
    pub(crate) tilleggskompetanser: Option<Vec<Option<RettighetDto>>>,
    #[serde(rename = "vilkår", default)]
    pub(crate) vilkar: Option<Vec<Option<VilkarDto>>>,
    #[serde(default)]
    pub(crate) avsluttet_status: Option<KodeDto>,
    #[serde(default)]
    pub(crate) administrative_reaksjoner: Option<Vec<Option<AdministrativReaksjonDto>>>,
}

/// An element of `rekvisisjonsretter`, `spesialistgodkjenninger` or `tilleggskompetanser`
/// (the last has no `administrativeReaksjoner`, which then reads as absent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RettighetDto {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<KodeDto>,
    #[serde(default)]
    pub(crate) periode: Option<PeriodeDto>,
    #[serde(default)]
    pub(crate) avsluttet_status: Option<KodeDto>,
    #[serde(default)]
    pub(crate) administrative_reaksjoner: Option<Vec<Option<AdministrativReaksjonDto>>>,
}

/// An element of `vilkår`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct VilkarDto {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<KodeDto>,
}

/// An element of `administrativeReaksjoner`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdministrativReaksjonDto {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<KodeDto>,
    #[serde(default)]
    pub(crate) periode: Option<PeriodeDto>,
}

/// `Kode{navn, verdi, kodeverk{id, navn}}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KodeDto {
    #[serde(default)]
    pub(crate) navn: Option<String>,
    #[serde(default)]
    pub(crate) verdi: Option<String>,
    #[serde(default)]
    pub(crate) kodeverk: Option<KodeverkDto>,
}

/// `kodeverk{id, navn}`; `id` is the Volven number (an integer; text or an OID also reads).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KodeverkDto {
    #[serde(default)]
    pub(crate) id: Option<CodeSystemId>,
}

/// `periode{fra, til}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeriodeDto {
    #[serde(default)]
    pub(crate) fra: Option<String>,
    #[serde(default)]
    pub(crate) til: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::introspect::struct_fields;

    /// Every name a DTO reads is one UPSTREAMS.md §4.1 lists for `HelsepersonUtvidet` (a typo
    /// would silently read nothing). The observed DTOs are the only source; no spec is stored.
    #[test]
    fn dto_field_names_are_the_documented_names() {
        let checks: [(&str, &[&str], &[&str]); 9] = [
            (
                "HelsepersonUtvidet",
                struct_fields::<HelsepersonUtvidetDto>(),
                &[
                    "person",
                    "hprNummer",
                    "erstattetAvHprNummer",
                    "godkjenninger",
                    "administrativeReaksjoner",
                    "sistOppdatert",
                    "gjelderForDato",
                ],
            ),
            (
                "person",
                struct_fields::<PersonaliaDto>(),
                &[
                    "fornavn",
                    "mellomnavn",
                    "etternavn",
                    "fødselsdato",
                    "dødsdato",
                    "manglerNin",
                    "nin",
                ],
            ),
            (
                "godkjenninger[]",
                struct_fields::<GodkjenningDto>(),
                &[
                    "helsepersonellkategori",
                    "autorisasjon",
                    "periode",
                    "godkjentTurnusDato",
                    "rekvisisjonsretter",
                    "spesialistgodkjenninger",
                    "tilleggskompetanser",
                    "vilkår",
                    "avsluttetStatus",
                    "administrativeReaksjoner",
                ],
            ),
            (
                "rekvisisjonsretter[]",
                struct_fields::<RettighetDto>(),
                &[
                    "type",
                    "periode",
                    "avsluttetStatus",
                    "administrativeReaksjoner",
                ],
            ),
            ("vilkår[]", struct_fields::<VilkarDto>(), &["type"]),
            (
                "administrativeReaksjoner[]",
                struct_fields::<AdministrativReaksjonDto>(),
                &["type", "periode"],
            ),
            (
                "Kode",
                struct_fields::<KodeDto>(),
                &["navn", "verdi", "kodeverk"],
            ),
            ("kodeverk", struct_fields::<KodeverkDto>(), &["id", "navn"]),
            ("periode", struct_fields::<PeriodeDto>(), &["fra", "til"]),
        ];
        for (schema, names, documented) in checks {
            assert!(!names.is_empty(), "{schema}: no fields introspected");
            for name in names {
                assert!(
                    documented.contains(name),
                    "{schema}.{name} is not documented"
                );
            }
        }
    }
}

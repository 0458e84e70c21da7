//! The SOAP `Person` of HPR v2 (WSDL `helsepersonellregisteret.wsdl`, ns
//! `http://schemas.nhn.no/reg/HPRv2`), as upstream writes it.
//!
//! Every leaf is kept as text (`Option<String>`) and parsed in [`convert`](super::convert), so
//! that a bad value names its field there and never fails the whole record in serde. Element
//! names are the WSDL's exactly, Norwegian letters included; quick-xml matches local names, so
//! the namespace prefixes WCF chooses do not matter. `i:nil="true"` (any prefix bound to
//! `http://www.w3.org/2001/XMLSchema-instance`) reads as `None`. Elements we do not mirror
//! (`AlternativeIder`, `ETag`, `FysiskeAdresser`, `Kjønn`, `Statsborgerskap`, `Utdannelser`,
//! `KonvertertFraLand`) are ignored, as is anything upstream adds later.

use serde::Deserialize;

/// Declares a WCF array wrapper (`ArrayOfX`): an element whose children are all `<X>`, each
/// possibly nil.
macro_rules! array_of {
    ($(#[$doc:meta])* $name:ident, $item:literal, $ty:ty) => {
        $(#[$doc])*
        #[derive(Debug, Default, Deserialize)]
        pub(crate) struct $name {
            #[serde(rename = $item, default)]
            pub(crate) items: Vec<Option<$ty>>,
        }
    };
}

/// `Person` (HPRv2). Leaves are text; see the module doc.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PersonDto {
    #[serde(rename = "AdministrativeReaksjoner", default)]
    pub(crate) administrative_reaksjoner: Option<ArrayOfAdministrativReaksjon>,
    #[serde(rename = "Dødsdato", default)]
    pub(crate) dodsdato: Option<String>,
    #[serde(rename = "ErstattetAvHprNummer", default)]
    pub(crate) erstattet_av_hpr_nummer: Option<String>,
    #[serde(rename = "Etternavn", default)]
    pub(crate) etternavn: Option<String>,
    #[serde(rename = "Fornavn", default)]
    pub(crate) fornavn: Option<String>,
    #[serde(rename = "Fødselsdato", default)]
    pub(crate) fodselsdato: Option<String>,
    #[serde(rename = "Godkjenninger", default)]
    pub(crate) godkjenninger: Option<ArrayOfGodkjenning>,
    #[serde(rename = "HPRNummer", default)]
    pub(crate) hpr_nummer: Option<String>,
    #[serde(rename = "ManglerNIN", default)]
    pub(crate) mangler_nin: Option<String>,
    #[serde(rename = "Mellomnavn", default)]
    pub(crate) mellomnavn: Option<String>,
    #[serde(rename = "NIN", default)]
    pub(crate) nin: Option<String>,
    #[serde(rename = "SistOppdatert", default)]
    pub(crate) sist_oppdatert: Option<String>,
}

array_of!(
    /// `ArrayOfGodkjenning`.
    ArrayOfGodkjenning,
    "Godkjenning",
    GodkjenningDto
);
array_of!(
    /// `ArrayOfAdministrativReaksjon`.
    ArrayOfAdministrativReaksjon,
    "AdministrativReaksjon",
    AdministrativReaksjonDto
);
array_of!(
    /// `ArrayOfSpesialitet`.
    ArrayOfSpesialitet,
    "Spesialitet",
    RettighetDto
);
array_of!(
    /// `ArrayOfRekvisisjonsrett`.
    ArrayOfRekvisisjonsrett,
    "Rekvisisjonsrett",
    RettighetDto
);
array_of!(
    /// `ArrayOfTilleggskompetanse`.
    ArrayOfTilleggskompetanse,
    "Tilleggskompetanse",
    RettighetDto
);
array_of!(
    /// `ArrayOfSuspensjonsperiode`.
    ArrayOfSuspensjonsperiode,
    "Suspensjonsperiode",
    SuspensjonsperiodeDto
);
array_of!(
    /// `ArrayOfVilkår`.
    ArrayOfVilkar,
    "Vilkår",
    VilkarDto
);

/// `Godkjenning`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GodkjenningDto {
    #[serde(rename = "AdministrativeReaksjoner", default)]
    pub(crate) administrative_reaksjoner: Option<ArrayOfAdministrativReaksjon>,
    #[serde(rename = "Autorisasjon", default)]
    pub(crate) autorisasjon: Option<KodeDto>,
    #[serde(rename = "AvsluttetStatus", default)]
    pub(crate) avsluttet_status: Option<KodeDto>,
    #[serde(rename = "GodkjentTurnus", default)]
    pub(crate) godkjent_turnus: Option<String>,
    #[serde(rename = "Gyldig", default)]
    pub(crate) gyldig: Option<PeriodeDto>,
    #[serde(rename = "Helsepersonellkategori", default)]
    pub(crate) helsepersonellkategori: Option<KodeDto>,
    #[serde(rename = "Id", default)]
    pub(crate) id: Option<String>,
    #[serde(rename = "Rekvisisjonsretter", default)]
    pub(crate) rekvisisjonsretter: Option<ArrayOfRekvisisjonsrett>,
    #[serde(rename = "Spesialiteter", default)]
    pub(crate) spesialiteter: Option<ArrayOfSpesialitet>,
    #[serde(rename = "Suspensjonsperioder", default)]
    pub(crate) suspensjonsperioder: Option<ArrayOfSuspensjonsperiode>,
    #[serde(rename = "Tilleggskompetanser", default)]
    pub(crate) tilleggskompetanser: Option<ArrayOfTilleggskompetanse>,
    #[serde(rename = "Vilkår", default)]
    pub(crate) vilkar: Option<ArrayOfVilkar>,
}

/// `Spesialitet`, `Rekvisisjonsrett` and `Tilleggskompetanse` share these elements
/// (`Tilleggskompetanse` has neither `AdministrativeReaksjoner` nor `Suspensjonsperioder`,
/// which then read as absent).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RettighetDto {
    #[serde(rename = "AdministrativeReaksjoner", default)]
    pub(crate) administrative_reaksjoner: Option<ArrayOfAdministrativReaksjon>,
    #[serde(rename = "AvsluttetStatus", default)]
    pub(crate) avsluttet_status: Option<KodeDto>,
    #[serde(rename = "Gyldig", default)]
    pub(crate) gyldig: Option<PeriodeDto>,
    #[serde(rename = "Id", default)]
    pub(crate) id: Option<String>,
    #[serde(rename = "Suspensjonsperioder", default)]
    pub(crate) suspensjonsperioder: Option<ArrayOfSuspensjonsperiode>,
    #[serde(rename = "Type", default)]
    pub(crate) kind: Option<KodeDto>,
}

/// `Suspensjonsperiode`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SuspensjonsperiodeDto {
    #[serde(rename = "Id", default)]
    pub(crate) id: Option<String>,
    #[serde(rename = "Periode", default)]
    pub(crate) periode: Option<PeriodeDto>,
}

/// `Vilkår`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct VilkarDto {
    #[serde(rename = "Fritekst", default)]
    pub(crate) fritekst: Option<String>,
    #[serde(rename = "Id", default)]
    pub(crate) id: Option<String>,
    #[serde(rename = "Type", default)]
    pub(crate) kind: Option<KodeDto>,
}

/// `AdministrativReaksjon` (its `Id` is not mirrored: the model has no id for reactions).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdministrativReaksjonDto {
    #[serde(rename = "Periode", default)]
    pub(crate) periode: Option<PeriodeDto>,
    #[serde(rename = "Type", default)]
    pub(crate) kind: Option<KodeDto>,
}

/// `Kode` (ns `http://schemas.nhn.no/reg/Common/no`). `Aktiv` and `Kodegruppenavn` (the
/// code system's name) are not mirrored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KodeDto {
    #[serde(rename = "Beskrivelse", default)]
    pub(crate) beskrivelse: Option<String>,
    #[serde(rename = "OID", default)]
    pub(crate) oid: Option<String>,
    #[serde(rename = "Verdi", default)]
    pub(crate) verdi: Option<String>,
}

/// `Periode` (ns `http://schemas.nhn.no/reg/Common/no`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeriodeDto {
    #[serde(rename = "Fra", default)]
    pub(crate) fra: Option<String>,
    #[serde(rename = "Til", default)]
    pub(crate) til: Option<String>,
}

/// The `Person` element as the root of a fragment cut out of a page (see
/// [`soap_page`](super::soap_page)): the wrapper carries the namespace bindings in scope.
#[derive(Debug, Deserialize)]
pub(crate) struct PersonFragment {
    #[serde(rename = "Person", default)]
    pub(crate) person: Option<PersonDto>,
}

/// SOAP 1.1 `Fault` (ns `http://schemas.xmlsoap.org/soap/envelope/`; its children are
/// unqualified).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FaultDto {
    #[serde(default)]
    pub(crate) faultcode: Option<String>,
    #[serde(default)]
    pub(crate) faultstring: Option<String>,
    #[serde(default)]
    pub(crate) detail: Option<FaultDetailDto>,
}

/// SOAP 1.1 fault `detail`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FaultDetailDto {
    #[serde(rename = "GenericFault", default)]
    pub(crate) generic_fault: Option<GenericFaultDto>,
}

/// `GenericFault` (ns `http://register.nhn.no/Common`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GenericFaultDto {
    #[serde(rename = "ErrorCode", default)]
    pub(crate) error_code: Option<String>,
    #[serde(rename = "Message", default)]
    pub(crate) message: Option<String>,
}

/// The `Fault` element as the root of a fragment.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultFragment {
    #[serde(rename = "Fault", default)]
    pub(crate) fault: Option<FaultDto>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::source::introspect::struct_fields;

    /// The WSDL's element names per type, extracted into a fixture (CI may build without
    /// `../shared/reference`).
    fn wsdl() -> BTreeMap<String, Vec<String>> {
        let text = include_str!("../../../tests/fixtures/hpr/wsdl-elements.json");
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.remove("_about");
        }
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn dto_element_names_are_wsdl_element_names() {
        let wsdl = wsdl();
        let checks: [(&str, &[&str]); 15] = [
            ("Person", struct_fields::<PersonDto>()),
            ("Godkjenning", struct_fields::<GodkjenningDto>()),
            ("Spesialitet", struct_fields::<RettighetDto>()),
            ("Rekvisisjonsrett", struct_fields::<RettighetDto>()),
            (
                "Suspensjonsperiode",
                struct_fields::<SuspensjonsperiodeDto>(),
            ),
            ("Vilkår", struct_fields::<VilkarDto>()),
            (
                "AdministrativReaksjon",
                struct_fields::<AdministrativReaksjonDto>(),
            ),
            ("Kode", struct_fields::<KodeDto>()),
            ("Periode", struct_fields::<PeriodeDto>()),
            ("GenericFault", struct_fields::<GenericFaultDto>()),
            ("ArrayOfGodkjenning", struct_fields::<ArrayOfGodkjenning>()),
            ("ArrayOfSpesialitet", struct_fields::<ArrayOfSpesialitet>()),
            (
                "ArrayOfRekvisisjonsrett",
                struct_fields::<ArrayOfRekvisisjonsrett>(),
            ),
            (
                "ArrayOfSuspensjonsperiode",
                struct_fields::<ArrayOfSuspensjonsperiode>(),
            ),
            ("ArrayOfVilkår", struct_fields::<ArrayOfVilkar>()),
        ];
        for (schema, names) in checks {
            let known = wsdl.get(schema).cloned().unwrap_or_default();
            assert!(!known.is_empty(), "{schema} is not in the fixture");
            assert!(!names.is_empty(), "{schema}: no fields introspected");
            for name in names {
                assert!(
                    known.iter().any(|k| k == name),
                    "{schema}.{name} is not in the WSDL"
                );
            }
        }
        let tillegg = wsdl.get("Tilleggskompetanse").cloned().unwrap_or_default();
        for name in ["AvsluttetStatus", "Gyldig", "Id", "Type"] {
            assert!(
                tillegg.iter().any(|k| k == name),
                "Tilleggskompetanse.{name}"
            );
        }
    }

    #[test]
    fn request_elements_follow_the_wsdl_order() {
        let wsdl = wsdl();
        let order = |schema: &str, names: &[&str]| {
            let known = wsdl.get(schema).cloned().unwrap_or_default();
            let positions: Vec<Option<usize>> = names
                .iter()
                .map(|name| known.iter().position(|k| k == name))
                .collect();
            assert!(
                positions.iter().all(Option::is_some),
                "{schema}: {names:?} vs {known:?}"
            );
            assert!(
                positions.windows(2).all(|pair| pair[0] < pair[1]),
                "{schema} order"
            );
        };
        order(
            "HentRegisterEndringer",
            &["fra", "til", "side", "resultaterPerSide"],
        );
        order(
            "Søkeparametre",
            &[
                "KunBasisData",
                "ResultaterPerSide",
                "Side",
                "SistEndretPeriode",
            ],
        );
        order("Søk2", &["search"]);
        order("Periode", &["Fra"]);
    }
}

//! SOAP `Person` → [`HealthPersonnel`]. Field paths use the WSDL's element names, with array
//! wrappers shown as an index (`Godkjenninger[0].Spesialiteter[1].Gyldig.Til`).

use super::{
    CodeParts, Converted, Path, boolean, code, date, hpr_number, instant, integer, items, nin,
    period, replaced_by, required_code, text,
};
use crate::core::codes::{Category, Code, CodeSystemId};
use crate::core::model::{
    AdditionalCompetence, AdministrativeReaction, Approval, Condition, HealthPersonnel, Name,
    Period, RequisitionRight, Speciality, Suspension,
};
use crate::source::hpr::soap_dto::{
    AdministrativReaksjonDto, ArrayOfAdministrativReaksjon, ArrayOfSuspensjonsperiode,
    GodkjenningDto, KodeDto, PeriodeDto, PersonDto, RettighetDto, SuspensjonsperiodeDto, VilkarDto,
};

/// The record's HPR number alone (for naming a record whose other fields fail).
pub(crate) fn hpr_of(dto: &PersonDto) -> Option<String> {
    text(dto.hpr_nummer.as_deref())
}

/// Converts one SOAP `Person`.
pub(crate) fn health_personnel(dto: &PersonDto) -> Converted<HealthPersonnel> {
    let root = Path::root();
    let hpr_path = root.field("HPRNummer");
    let hpr = hpr_number(integer(dto.hpr_nummer.as_deref(), &hpr_path)?, &hpr_path)?;
    let replaced_path = root.field("ErstattetAvHprNummer");
    Ok(HealthPersonnel {
        hpr_number: hpr,
        nin: nin(dto.nin.as_deref()),
        missing_nin: boolean(dto.mangler_nin.as_deref(), &root.field("ManglerNIN"))?
            .unwrap_or(false),
        name: Name {
            given: text(dto.fornavn.as_deref()),
            middle: text(dto.mellomnavn.as_deref()),
            family: text(dto.etternavn.as_deref()),
        },
        birth_date: date(dto.fodselsdato.as_deref(), &root.field("Fødselsdato"))?,
        death_date: date(dto.dodsdato.as_deref(), &root.field("Dødsdato"))?,
        replaced_by: replaced_by(
            integer(dto.erstattet_av_hpr_nummer.as_deref(), &replaced_path)?,
            &replaced_path,
        )?,
        approvals: items(
            dto.godkjenninger.as_ref().map(|a| &a.items),
            &root,
            "Godkjenninger",
        )
        .map(|(item, path)| approval(item, &path))
        .collect::<Converted<_>>()?,
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), &root)?,
        last_updated: instant(dto.sist_oppdatert.as_deref(), &root.field("SistOppdatert"))?,
    })
}

fn approval(dto: &GodkjenningDto, path: &Path) -> Converted<Approval> {
    let category = required_code(
        parts(dto.helsepersonellkategori.as_ref()),
        Some(&CodeSystemId::CATEGORY),
        &path.field("Helsepersonellkategori"),
    )?;
    Ok(Approval {
        id: integer(dto.id.as_deref(), &path.field("Id"))?,
        category: Category::new(category.value),
        authorisation: code(
            parts(dto.autorisasjon.as_ref()),
            Some(&CodeSystemId::AUTHORISATION),
        ),
        validity: validity(dto.gyldig.as_ref(), &path.field("Gyldig"))?,
        end_status: code(parts(dto.avsluttet_status.as_ref()), None),
        internship_approved: date(
            dto.godkjent_turnus.as_deref(),
            &path.field("GodkjentTurnus"),
        )?,
        suspensions: suspensions(dto.suspensjonsperioder.as_ref(), path)?,
        specialities: items(
            dto.spesialiteter.as_ref().map(|a| &a.items),
            path,
            "Spesialiteter",
        )
        .map(|(item, path)| {
            let right = right(item, &path, Some(&CodeSystemId::SPECIALITY))?;
            Ok(Speciality {
                id: right.id,
                kind: right.kind,
                validity: right.validity,
                end_status: right.end_status,
                suspensions: right.suspensions,
                administrative_reactions: right.administrative_reactions,
            })
        })
        .collect::<Converted<_>>()?,
        requisition_rights: items(
            dto.rekvisisjonsretter.as_ref().map(|a| &a.items),
            path,
            "Rekvisisjonsretter",
        )
        .map(|(item, path)| {
            let right = right(item, &path, None)?;
            Ok(RequisitionRight {
                id: right.id,
                kind: right.kind,
                validity: right.validity,
                end_status: right.end_status,
                suspensions: right.suspensions,
                administrative_reactions: right.administrative_reactions,
            })
        })
        .collect::<Converted<_>>()?,
        additional_competences: items(
            dto.tilleggskompetanser.as_ref().map(|a| &a.items),
            path,
            "Tilleggskompetanser",
        )
        .map(|(item, path)| {
            let right = right(item, &path, Some(&CodeSystemId::ADDITIONAL_COMPETENCE))?;
            Ok(AdditionalCompetence {
                id: right.id,
                kind: right.kind,
                validity: right.validity,
                end_status: right.end_status,
            })
        })
        .collect::<Converted<_>>()?,
        conditions: items(dto.vilkar.as_ref().map(|a| &a.items), path, "Vilkår")
            .map(|(item, path)| condition(item, &path))
            .collect::<Converted<_>>()?,
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), path)?,
    })
}

/// What `Spesialitet`, `Rekvisisjonsrett` and `Tilleggskompetanse` have in common.
struct Right {
    id: Option<i64>,
    kind: Code,
    validity: Period,
    end_status: Option<Code>,
    suspensions: Vec<Suspension>,
    administrative_reactions: Vec<AdministrativeReaction>,
}

fn right(dto: &RettighetDto, path: &Path, system: Option<&CodeSystemId>) -> Converted<Right> {
    Ok(Right {
        id: integer(dto.id.as_deref(), &path.field("Id"))?,
        kind: required_code(parts(dto.kind.as_ref()), system, &path.field("Type"))?,
        validity: validity(dto.gyldig.as_ref(), &path.field("Gyldig"))?,
        end_status: code(parts(dto.avsluttet_status.as_ref()), None),
        suspensions: suspensions(dto.suspensjonsperioder.as_ref(), path)?,
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), path)?,
    })
}

fn suspensions(
    array: Option<&ArrayOfSuspensjonsperiode>,
    parent: &Path,
) -> Converted<Vec<Suspension>> {
    items(array.map(|a| &a.items), parent, "Suspensjonsperioder")
        .map(|(item, path): (&SuspensjonsperiodeDto, Path)| {
            Ok(Suspension {
                id: integer(item.id.as_deref(), &path.field("Id"))?,
                // Decision: a suspension without a period is read as unbounded (suspended
                // until further notice) — the cautious reading for authorisation.
                period: validity(item.periode.as_ref(), &path.field("Periode"))?,
            })
        })
        .collect()
}

fn reactions(
    array: Option<&ArrayOfAdministrativReaksjon>,
    parent: &Path,
) -> Converted<Vec<AdministrativeReaction>> {
    items(array.map(|a| &a.items), parent, "AdministrativeReaksjoner")
        .map(|(item, path): (&AdministrativReaksjonDto, Path)| {
            Ok(AdministrativeReaction {
                kind: required_code(parts(item.kind.as_ref()), None, &path.field("Type"))?,
                period: validity(item.periode.as_ref(), &path.field("Periode"))?,
            })
        })
        .collect()
}

fn condition(dto: &VilkarDto, path: &Path) -> Converted<Condition> {
    Ok(Condition {
        id: integer(dto.id.as_deref(), &path.field("Id"))?,
        kind: code(parts(dto.kind.as_ref()), None),
        text: text(dto.fritekst.as_deref()),
    })
}

fn validity(periode: Option<&PeriodeDto>, path: &Path) -> Converted<Period> {
    period(
        periode.map(|p| (p.fra.as_deref(), p.til.as_deref())),
        path,
        "Fra",
        "Til",
    )
}

/// A `Kode`'s parts: `OID` is the system, `Verdi` the value, `Beskrivelse` the display
/// (`Kodegruppenavn` names the code system, not the value, and `Aktiv` is not mirrored).
fn parts(kode: Option<&KodeDto>) -> Option<CodeParts<'_>> {
    kode.map(|kode| CodeParts {
        system: text(kode.oid.as_deref()).map(|oid| CodeSystemId::new(&oid)),
        value: kode.verdi.as_deref(),
        display: kode.beskrivelse.as_deref(),
    })
}

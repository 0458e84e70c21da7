//! REST `HelsepersonUtvidet` → [`HealthPersonnel`]. Field paths use the JSON names
//! (`godkjenninger[0].spesialistgodkjenninger[1].periode.til`).
//!
//! The REST shape has no ids and no suspension periods (UPSTREAMS.md §4.1: not seen in the
//! DTOs), so those stay empty; administrative reactions are kept as reactions and never read
//! as suspensions (what their types mean is not documented).

use super::{
    CodeParts, Converted, Path, code, date, hpr_number, instant, items, nin, period, replaced_by,
    required_code, text,
};
use crate::core::codes::{Category, CodeSystemId};
use crate::core::model::{
    AdditionalCompetence, AdministrativeReaction, Approval, Condition, HealthPersonnel, Name,
    Period, RequisitionRight, Speciality,
};
use crate::source::hpr::rest_dto::{
    AdministrativReaksjonDto, GodkjenningDto, HelsepersonUtvidetDto, KodeDto, PeriodeDto,
    RettighetDto,
};

/// Converts one `HelsepersonUtvidet`.
pub(crate) fn health_personnel(dto: &HelsepersonUtvidetDto) -> Converted<HealthPersonnel> {
    let root = Path::root();
    let person = dto.person.as_ref();
    let personalia = root.field("person");
    Ok(HealthPersonnel {
        hpr_number: hpr_number(dto.hpr_nummer, &root.field("hprNummer"))?,
        nin: nin(person.and_then(|p| p.nin.as_deref())),
        missing_nin: person.and_then(|p| p.mangler_nin).unwrap_or(false),
        name: Name {
            given: text(person.and_then(|p| p.fornavn.as_deref())),
            middle: text(person.and_then(|p| p.mellomnavn.as_deref())),
            family: text(person.and_then(|p| p.etternavn.as_deref())),
        },
        birth_date: date(
            person.and_then(|p| p.fodselsdato.as_deref()),
            &personalia.field("fødselsdato"),
        )?,
        death_date: date(
            person.and_then(|p| p.dodsdato.as_deref()),
            &personalia.field("dødsdato"),
        )?,
        replaced_by: replaced_by(
            dto.erstattet_av_hpr_nummer,
            &root.field("erstattetAvHprNummer"),
        )?,
        approvals: items(dto.godkjenninger.as_ref(), &root, "godkjenninger")
            .map(|(item, path)| approval(item, &path))
            .collect::<Converted<_>>()?,
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), &root)?,
        last_updated: instant(dto.sist_oppdatert.as_deref(), &root.field("sistOppdatert"))?,
    })
}

fn approval(dto: &GodkjenningDto, path: &Path) -> Converted<Approval> {
    let category = required_code(
        parts(dto.helsepersonellkategori.as_ref()),
        Some(&CodeSystemId::CATEGORY),
        &path.field("helsepersonellkategori"),
    )?;
    Ok(Approval {
        id: None,
        category: Category::new(category.value),
        authorisation: code(
            parts(dto.autorisasjon.as_ref()),
            Some(&CodeSystemId::AUTHORISATION),
        ),
        validity: validity(dto.periode.as_ref(), &path.field("periode"))?,
        end_status: code(parts(dto.avsluttet_status.as_ref()), None),
        internship_approved: date(
            dto.godkjent_turnus_dato.as_deref(),
            &path.field("godkjentTurnusDato"),
        )?,
        suspensions: Vec::new(),
        specialities: items(
            dto.spesialistgodkjenninger.as_ref(),
            path,
            "spesialistgodkjenninger",
        )
        .map(|(item, path)| {
            let right = right(item, &path, Some(&CodeSystemId::SPECIALITY))?;
            Ok(Speciality {
                id: None,
                kind: right.kind,
                validity: right.validity,
                end_status: right.end_status,
                suspensions: Vec::new(),
                administrative_reactions: right.administrative_reactions,
            })
        })
        .collect::<Converted<_>>()?,
        requisition_rights: items(dto.rekvisisjonsretter.as_ref(), path, "rekvisisjonsretter")
            .map(|(item, path)| {
                let right = right(item, &path, None)?;
                Ok(RequisitionRight {
                    id: None,
                    kind: right.kind,
                    validity: right.validity,
                    end_status: right.end_status,
                    suspensions: Vec::new(),
                    administrative_reactions: right.administrative_reactions,
                })
            })
            .collect::<Converted<_>>()?,
        additional_competences: items(
            dto.tilleggskompetanser.as_ref(),
            path,
            "tilleggskompetanser",
        )
        .map(|(item, path)| {
            let right = right(item, &path, Some(&CodeSystemId::ADDITIONAL_COMPETENCE))?;
            Ok(AdditionalCompetence {
                id: None,
                kind: right.kind,
                validity: right.validity,
                end_status: right.end_status,
            })
        })
        .collect::<Converted<_>>()?,
        conditions: items(dto.vilkar.as_ref(), path, "vilkår")
            .map(|(item, _)| Condition {
                id: None,
                kind: code(parts(item.kind.as_ref()), None),
                text: None,
            })
            .map(Ok)
            .collect::<Converted<_>>()?,
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), path)?,
    })
}

/// What the three kinds of rights have in common in REST.
struct Right {
    kind: crate::core::codes::Code,
    validity: Period,
    end_status: Option<crate::core::codes::Code>,
    administrative_reactions: Vec<AdministrativeReaction>,
}

fn right(dto: &RettighetDto, path: &Path, system: Option<&CodeSystemId>) -> Converted<Right> {
    Ok(Right {
        kind: required_code(parts(dto.kind.as_ref()), system, &path.field("type"))?,
        validity: validity(dto.periode.as_ref(), &path.field("periode"))?,
        end_status: code(parts(dto.avsluttet_status.as_ref()), None),
        administrative_reactions: reactions(dto.administrative_reaksjoner.as_ref(), path)?,
    })
}

fn reactions(
    array: Option<&Vec<Option<AdministrativReaksjonDto>>>,
    parent: &Path,
) -> Converted<Vec<AdministrativeReaction>> {
    items(array, parent, "administrativeReaksjoner")
        .map(|(item, path)| {
            Ok(AdministrativeReaction {
                kind: required_code(parts(item.kind.as_ref()), None, &path.field("type"))?,
                period: validity(item.periode.as_ref(), &path.field("periode"))?,
            })
        })
        .collect()
}

fn validity(periode: Option<&PeriodeDto>, path: &Path) -> Converted<Period> {
    period(
        periode.map(|p| (p.fra.as_deref(), p.til.as_deref())),
        path,
        "fra",
        "til",
    )
}

/// A `Kode`'s parts: `kodeverk.id` is the system, `verdi` the value, `navn` the display.
fn parts(kode: Option<&KodeDto>) -> Option<CodeParts<'_>> {
    kode.map(|kode| CodeParts {
        system: kode.kodeverk.as_ref().and_then(|k| k.id.clone()),
        value: kode.verdi.as_deref(),
        display: kode.navn.as_deref(),
    })
}

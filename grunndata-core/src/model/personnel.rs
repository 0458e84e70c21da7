//! HealthPersonnel — a person in Helsepersonellregisteret (HPR) with their approvals.
//!
//! Upstream: HPR REST `HelsepersonUtvidet` (Maskinporten) and SOAP `Person` (HPRv2 change
//! feed), UPSTREAMS.md §4. Field docs name both; where they differ the SOAP name is in
//! PascalCase. English names are used, with the Norwegian term of art in each doc, because
//! that is what the helpdesk and HPR's own documents say.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::common::{Name, Period};
use crate::codes::{Category, Code};
use crate::id::{HprNumber, MaybeValid, NationalId};

/// A health worker in HPR — helsepersonell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthPersonnel {
    /// The key. `hprNummer` in HelsepersonUtvidet / `HPRNummer` in SOAP Person.
    pub hpr_number: HprNumber,
    /// Fødselsnummer or D-nummer, kept as received if invalid. `person.nin` / SOAP `NIN`.
    #[serde(default)]
    pub nin: Option<MaybeValid<NationalId>>,
    /// HPR records that the person has no NIN. `person.manglerNin` / SOAP `ManglerNIN`.
    #[serde(default)]
    pub missing_nin: bool,
    /// Name. `person.{fornavn, mellomnavn, etternavn}` / SOAP `Fornavn`, `Mellomnavn`,
    /// `Etternavn`.
    #[serde(default)]
    pub name: Name,
    /// Birth date. `person.fødselsdato` / SOAP `Fødselsdato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub birth_date: Option<NaiveDate>,
    /// Date of death. `person.dødsdato` / SOAP `Dødsdato`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub death_date: Option<NaiveDate>,
    /// The HPR number that replaces this one (duplicates merged) — erstattet av.
    /// `erstattetAvHprNummer` / SOAP `ErstattetAvHprNummer`. A replaced record is stale: look
    /// the person up under the new number.
    #[serde(default)]
    pub replaced_by: Option<HprNumber>,
    /// Approvals — godkjenninger. `godkjenninger[]` / SOAP `Godkjenninger`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub approvals: Vec<Approval>,
    /// Person-level administrative reactions — administrative reaksjoner.
    /// `administrativeReaksjoner[]` / SOAP `AdministrativeReaksjoner`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub administrative_reactions: Vec<AdministrativeReaction>,
    /// When HPR last changed the record. `sistOppdatert` / SOAP `SistOppdatert`.
    #[serde(default, deserialize_with = "super::date::optional_instant")]
    pub last_updated: Option<DateTime<Utc>>,
}

impl HealthPersonnel {
    /// The approvals in `category`.
    pub fn approvals_in<'a>(
        &'a self,
        category: &'a Category,
    ) -> impl Iterator<Item = &'a Approval> + 'a {
        self.approvals
            .iter()
            .filter(move |approval| &approval.category == category)
    }
}

/// An approval — godkjenning: the right to practise as one category of health personnel.
///
/// `godkjenninger[]` in HelsepersonUtvidet / SOAP `Godkjenning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// HPR's id of the approval, where sent. SOAP `Id` (absent in REST).
    #[serde(default)]
    pub id: Option<i64>,
    /// Health-personnel category (9060), e.g. `LE` Lege — helsepersonellkategori.
    /// `helsepersonellkategori.verdi` / SOAP `Helsepersonellkategori.Verdi`.
    pub category: Category,
    /// Kind of approval (7704), e.g. `1` Autorisasjon — autorisasjon / godkjenningstype.
    /// `autorisasjon` / SOAP `Autorisasjon`. Only some values count as an authorisation to
    /// practise: see [`codes::authorisation`](crate::codes::authorisation).
    #[serde(default)]
    pub authorisation: Option<Code>,
    /// When the approval is valid (`to` inclusive) — gyldighetsperiode.
    /// `periode{fra, til}` / SOAP `Gyldig{Fra, Til}`.
    #[serde(default)]
    pub validity: Period,
    /// Why the approval ended, if it has — avsluttet status (e.g. tilbakekalt, frafalt).
    /// `avsluttetStatus` / SOAP `AvsluttetStatus`. An approval with an end status is not
    /// valid, whatever its period says (HPR client practice).
    #[serde(default)]
    pub end_status: Option<Code>,
    /// Date the internship (turnus) was approved — godkjent turnus.
    /// `godkjentTurnusDato` / SOAP `GodkjentTurnus`.
    #[serde(default, deserialize_with = "super::date::optional_date")]
    pub internship_approved: Option<NaiveDate>,
    /// Periods when the approval is suspended — suspensjonsperioder. SOAP `Suspensjonsperioder`
    /// (not seen in the REST DTOs).
    #[serde(default, deserialize_with = "super::common::compact")]
    pub suspensions: Vec<Suspension>,
    /// Specialist approvals (7426) — spesialistgodkjenninger.
    /// `spesialistgodkjenninger[]` / SOAP `Spesialiteter`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub specialities: Vec<Speciality>,
    /// Rights to requisition (prescribe or order) — rekvisisjonsretter.
    /// `rekvisisjonsretter[]` / SOAP `Rekvisisjonsretter`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub requisition_rights: Vec<RequisitionRight>,
    /// Additional competences (7702) — tilleggskompetanser.
    /// `tilleggskompetanser[]` / SOAP `Tilleggskompetanser`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub additional_competences: Vec<AdditionalCompetence>,
    /// Conditions attached to the approval — vilkår. `vilkår[]` / SOAP `Vilkår`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub conditions: Vec<Condition>,
    /// Administrative reactions on the approval — administrative reaksjoner.
    /// `administrativeReaksjoner[]` / SOAP `AdministrativeReaksjoner`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub administrative_reactions: Vec<AdministrativeReaction>,
}

impl Approval {
    /// The suspension in force on `on`, if any.
    pub fn suspension_on(&self, on: NaiveDate) -> Option<&Suspension> {
        suspension_on(&self.suspensions, on)
    }
}

/// A specialist approval — spesialistgodkjenning (spesialitet).
///
/// `spesialistgodkjenninger[]` in HelsepersonUtvidet / SOAP `Spesialitet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speciality {
    /// HPR's id, where sent. SOAP `Id`.
    #[serde(default)]
    pub id: Option<i64>,
    /// The speciality (7426), e.g. `1` Allmennmedisin. `type` / SOAP `Type`.
    pub kind: Code,
    /// When it is valid (`to` inclusive). `periode` / SOAP `Gyldig`.
    #[serde(default)]
    pub validity: Period,
    /// Why it ended, if it has. `avsluttetStatus` / SOAP `AvsluttetStatus`.
    #[serde(default)]
    pub end_status: Option<Code>,
    /// Suspension periods. SOAP `Suspensjonsperioder`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub suspensions: Vec<Suspension>,
    /// Administrative reactions. `administrativeReaksjoner` / SOAP `AdministrativeReaksjoner`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub administrative_reactions: Vec<AdministrativeReaction>,
}

impl Speciality {
    /// Whether it is in force on `on`: within its period, not ended, not suspended.
    pub fn is_valid_on(&self, on: NaiveDate) -> bool {
        in_force(
            self.validity,
            self.end_status.as_ref(),
            &self.suspensions,
            on,
        )
    }
}

/// A right to requisition — rekvisisjonsrett (e.g. `1` Full rekvisisjonsrett).
///
/// `rekvisisjonsretter[]` in HelsepersonUtvidet / SOAP `Rekvisisjonsrett`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequisitionRight {
    /// HPR's id, where sent. SOAP `Id`.
    #[serde(default)]
    pub id: Option<i64>,
    /// Which right (its code-system OID is unverified). `type` / SOAP `Type`.
    pub kind: Code,
    /// When it is valid (`to` inclusive). `periode` / SOAP `Gyldig`.
    #[serde(default)]
    pub validity: Period,
    /// Why it ended, if it has. `avsluttetStatus` / SOAP `AvsluttetStatus`.
    #[serde(default)]
    pub end_status: Option<Code>,
    /// Suspension periods. SOAP `Suspensjonsperioder`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub suspensions: Vec<Suspension>,
    /// Administrative reactions. `administrativeReaksjoner` / SOAP `AdministrativeReaksjoner`.
    #[serde(default, deserialize_with = "super::common::compact")]
    pub administrative_reactions: Vec<AdministrativeReaction>,
}

impl RequisitionRight {
    /// Whether it is in force on `on`: within its period, not ended, not suspended.
    pub fn is_valid_on(&self, on: NaiveDate) -> bool {
        in_force(
            self.validity,
            self.end_status.as_ref(),
            &self.suspensions,
            on,
        )
    }
}

/// An additional competence — tilleggskompetanse (7702).
///
/// `tilleggskompetanser[]` in HelsepersonUtvidet / SOAP `Tilleggskompetanse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalCompetence {
    /// HPR's id, where sent. SOAP `Id`.
    #[serde(default)]
    pub id: Option<i64>,
    /// Which competence (7702; labels unverified). `type` / SOAP `Type`.
    pub kind: Code,
    /// When it is valid (`to` inclusive). `periode` / SOAP `Gyldig`.
    #[serde(default)]
    pub validity: Period,
    /// Why it ended, if it has. `avsluttetStatus` / SOAP `AvsluttetStatus`.
    #[serde(default)]
    pub end_status: Option<Code>,
}

impl AdditionalCompetence {
    /// Whether it is in force on `on`: within its period and not ended.
    pub fn is_valid_on(&self, on: NaiveDate) -> bool {
        in_force(self.validity, self.end_status.as_ref(), &[], on)
    }
}

/// A condition attached to an approval — vilkår.
///
/// `vilkår[]` in HelsepersonUtvidet / SOAP `Vilkår`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// HPR's id, where sent. SOAP `Id`.
    #[serde(default)]
    pub id: Option<i64>,
    /// Kind of condition. `type` / SOAP `Type`.
    #[serde(default)]
    pub kind: Option<Code>,
    /// The condition in words. SOAP `Fritekst`.
    #[serde(default)]
    pub text: Option<String>,
}

/// A period in which an approval or right is suspended — suspensjonsperiode.
///
/// SOAP `Suspensjonsperiode{Id, Periode}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// HPR's id, where sent. SOAP `Id`.
    #[serde(default)]
    pub id: Option<i64>,
    /// The suspended days (`to` inclusive; open-ended until lifted). SOAP `Periode`.
    pub period: Period,
}

/// An administrative reaction (e.g. a warning, a restriction) — administrativ reaksjon.
///
/// `administrativeReaksjoner[]` in HelsepersonUtvidet / SOAP `AdministrativeReaksjoner`.
/// What the types mean is not documented in the stored sources, so the authorisation rule does
/// not interpret them; they are shown as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministrativeReaction {
    /// Kind of reaction. `type`.
    pub kind: Code,
    /// When it applies. `periode`.
    #[serde(default)]
    pub period: Period,
}

/// The suspension among `suspensions` in force on `on`.
pub(crate) fn suspension_on(suspensions: &[Suspension], on: NaiveDate) -> Option<&Suspension> {
    suspensions
        .iter()
        .find(|suspension| suspension.period.contains(on))
}

/// Whether something with a period, an end status and suspensions is in force on `on`.
fn in_force(
    validity: Period,
    end_status: Option<&Code>,
    suspensions: &[Suspension],
    on: NaiveDate,
) -> bool {
    validity.contains(on) && end_status.is_none() && suspension_on(suspensions, on).is_none()
}

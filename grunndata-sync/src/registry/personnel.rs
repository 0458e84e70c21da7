//! HPR personnel lookups and the questions asked of them: authorised, requisition rights,
//! specialities.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::audit::Outcome;
use super::cache::Subject;
use super::{Found, Registry, RegistryError, RegistryResult};
use crate::core::authz::{self, Verdict};
use crate::core::codes::Category;
use crate::core::id::{HprNumber, IdError, NationalId};
use crate::core::model::{HealthPersonnel, RequisitionRight, Speciality};
use crate::store::Register;

/// A health worker named by HPR number or by NIN (fødselsnummer or D-nummer).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Practitioner {
    /// By HPR number: not a personal-data lookup.
    Hpr(HprNumber),
    /// By NIN: a personal-data lookup, always audited.
    Nin(NationalId),
}

impl From<HprNumber> for Practitioner {
    fn from(hpr: HprNumber) -> Self {
        Self::Hpr(hpr)
    }
}

impl From<NationalId> for Practitioner {
    fn from(nin: NationalId) -> Self {
        Self::Nin(nin)
    }
}

impl FromStr for Practitioner {
    type Err = IdError;

    /// Eleven digits (separators ignored) are a NIN, checked as such, so a typo in one says
    /// which check digit is wrong; anything else is read as an HPR number.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if digits == 11 {
            NationalId::parse(text).map(Self::Nin)
        } else {
            HprNumber::parse(text).map(Self::Hpr)
        }
    }
}

impl fmt::Display for Practitioner {
    /// The HPR number, or the NIN masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hpr(hpr) => write!(f, "HPR number {hpr}"),
            Self::Nin(nin) => write!(f, "NIN {}", nin.masked()),
        }
    }
}

impl fmt::Debug for Practitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The answer to "is this person authorised as this category on this day?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorisation {
    /// The HPR record judged.
    pub personnel: Arc<Found<HealthPersonnel>>,
    /// The verdict of the core rule ([`authz::authorised`]), with its reason when negative.
    pub verdict: Verdict,
}

impl Registry {
    /// The HPR record with `hpr`, current or as of this view's day. Audited only when
    /// [`RegistryOptions::audit_all_lookups`](super::RegistryOptions::audit_all_lookups).
    pub async fn personnel(
        &self,
        hpr: HprNumber,
    ) -> RegistryResult<Option<Arc<Found<HealthPersonnel>>>> {
        let subject = Subject::Personnel(hpr);
        let found = self
            .record::<HealthPersonnel>(subject.clone(), &hpr)
            .await
            .map_err(RegistryError::store(&subject))?;
        self.audit_if_configured(Register::Hpr, hpr, found_or_not(found.as_ref()), &subject)
            .await?;
        Ok(found)
    }

    /// The HPR records registered with `nin` (usually one; a merged duplicate is another).
    /// Always audited. Read from the current records, whatever this view's day.
    pub async fn personnel_by_nin(
        &self,
        nin: &NationalId,
    ) -> RegistryResult<Arc<[Arc<Found<HealthPersonnel>>]>> {
        let subject = Subject::PersonnelByNin(*nin);
        self.check_purpose(&subject)?;
        let found = self
            .matching::<HealthPersonnel, _, _>(subject.clone(), |store| async move {
                store.personnel_by_nin(nin).await
            })
            .await
            .map_err(RegistryError::store(&subject))?;
        self.audit(
            Register::Hpr,
            nin.expose(),
            found_or_not(found.first()),
            &subject,
        )
        .await?;
        Ok(found)
    }

    /// The HPR record of `who`. By NIN, the record that is not replaced by another is
    /// preferred (a merged duplicate points to the live one).
    pub async fn find_personnel(
        &self,
        who: impl Into<Practitioner>,
    ) -> RegistryResult<Option<Arc<Found<HealthPersonnel>>>> {
        match who.into() {
            Practitioner::Hpr(hpr) => self.personnel(hpr).await,
            Practitioner::Nin(nin) => {
                let records = self.personnel_by_nin(&nin).await?;
                let live = records
                    .iter()
                    .find(|found| found.record.replaced_by.is_none())
                    .or_else(|| records.first())
                    .cloned();
                match (live, self.as_of) {
                    (Some(found), Some(_)) => self.personnel(found.record.hpr_number).await,
                    (live, _) => Ok(live),
                }
            }
        }
    }

    /// Whether `who` is authorised as `category` on `on`, by the core rule
    /// ([`authz::authorised`]) applied to the record current (or as of this view's day).
    /// `None` when there is no such HPR record.
    pub async fn authorised(
        &self,
        who: impl Into<Practitioner>,
        category: &Category,
        on: NaiveDate,
    ) -> RegistryResult<Option<Authorisation>> {
        Ok(self.find_personnel(who).await?.map(|personnel| {
            let verdict = authz::authorised(&personnel.record, category, on);
            Authorisation { personnel, verdict }
        }))
    }

    /// The requisition rights (rekvisisjonsretter) of `who` in force on `on`; `None` when
    /// there is no such HPR record.
    pub async fn requisition_rights(
        &self,
        who: impl Into<Practitioner>,
        on: NaiveDate,
    ) -> RegistryResult<Option<Vec<RequisitionRight>>> {
        Ok(self.find_personnel(who).await?.map(|personnel| {
            authz::requisition_rights(&personnel.record, on)
                .into_iter()
                .cloned()
                .collect()
        }))
    }

    /// The specialist approvals (spesialistgodkjenninger) of `who` in force on `on`; `None`
    /// when there is no such HPR record.
    pub async fn specialities(
        &self,
        who: impl Into<Practitioner>,
        on: NaiveDate,
    ) -> RegistryResult<Option<Vec<Speciality>>> {
        Ok(self.find_personnel(who).await?.map(|personnel| {
            authz::specialities(&personnel.record, on)
                .into_iter()
                .cloned()
                .collect()
        }))
    }
}

/// The audit outcome of a lookup that found `found`.
pub(crate) fn found_or_not<T>(found: Option<&T>) -> Outcome {
    if found.is_some() {
        Outcome::Found
    } else {
        Outcome::NotFound
    }
}

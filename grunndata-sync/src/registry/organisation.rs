//! Organisation lookups (Brreg): a unit with its parent and sub-units.

use std::sync::Arc;

use serde::Serialize;

use super::cache::Subject;
use super::personnel::found_or_not;
use super::{Found, Registry, RegistryError, RegistryResult};
use crate::core::id::OrgNumber;
use crate::core::model::Organisation;
use crate::store::Register;

/// An organisation with the units around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationView {
    /// The unit asked about.
    pub unit: Arc<Found<Organisation>>,
    /// Its parent (overordnet enhet): the main unit of a sub-unit, or the unit an
    /// organisasjonsledd belongs to; `None` when it has none or the parent is not mirrored.
    pub parent: Option<Arc<Found<Organisation>>>,
    /// The units whose parent it is (sub-units and organisasjonsledd), current ones.
    pub sub_units: Arc<[Arc<Found<Organisation>>]>,
}

impl Registry {
    /// The unit with `orgnr` with its parent and sub-units, current or as of this view's
    /// day (the sub-units are always today's). Audited only when configured.
    pub async fn organisation(
        &self,
        orgnr: &OrgNumber,
    ) -> RegistryResult<Option<OrganisationView>> {
        let subject = Subject::Organisation(*orgnr);
        let (unit, sub_units) = self
            .record_with_children::<Organisation, _, _, _, _>(
                (subject.clone(), orgnr),
                Subject::OrganisationChildren(*orgnr),
                |store| async move { store.organisation_children(orgnr).await },
                |store| async move { store.organisation_with_children(orgnr).await },
            )
            .await
            .map_err(RegistryError::store(&subject))?;
        self.audit_if_configured(
            Register::Brreg,
            orgnr,
            found_or_not(unit.as_ref()),
            &subject,
        )
        .await?;
        let Some(unit) = unit else {
            return Ok(None);
        };
        let parent = match unit
            .record
            .parent
            .as_ref()
            .and_then(|parent| parent.valid())
        {
            Some(parent) => self
                .record::<Organisation>(Subject::Organisation(*parent), parent)
                .await
                .map_err(RegistryError::store(&subject))?,
            None => None,
        };
        Ok(Some(OrganisationView {
            unit,
            parent,
            sub_units,
        }))
    }
}

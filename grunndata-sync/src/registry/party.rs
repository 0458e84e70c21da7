//! Communication-party lookups (AR): a party with its parent and children, and the parties
//! of an HPR person — where a message to a health worker is sent.

use std::sync::Arc;

use serde::Serialize;

use super::cache::Subject;
use super::personnel::found_or_not;
use super::{Found, Registry, RegistryError, RegistryResult};
use crate::core::id::{HerId, HprNumber};
use crate::core::model::CommunicationParty;
use crate::store::Register;

/// A communication party with the parties around it. The party itself carries its EDI,
/// AMQP and FHIR addresses and certificate metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyView {
    /// The party asked about.
    pub party: Arc<Found<CommunicationParty>>,
    /// The organisation a person or service belongs to; `None` for a top-level organisation
    /// or when the parent is not mirrored.
    pub parent: Option<Arc<Found<CommunicationParty>>>,
    /// The persons and services under an organisation (one level), current ones.
    pub children: Arc<[Arc<Found<CommunicationParty>>]>,
}

impl Registry {
    /// The party with `her_id` with its parent and children, current or as of this view's
    /// day (children are always today's). Audited only when configured.
    pub async fn communication_party(&self, her_id: HerId) -> RegistryResult<Option<PartyView>> {
        let subject = Subject::Party(her_id);
        let (party, children) = self
            .record_with_children::<CommunicationParty, _, _, _, _>(
                (subject.clone(), &her_id),
                Subject::PartyChildren(her_id),
                |store| async move { store.party_children(her_id).await },
                |store| async move { store.party_with_children(her_id).await },
            )
            .await
            .map_err(RegistryError::store(&subject))?;
        self.audit_if_configured(Register::Ar, her_id, found_or_not(party.as_ref()), &subject)
            .await?;
        let Some(party) = party else {
            return Ok(None);
        };
        let parent = match party.record.parent.as_ref().map(|parent| parent.her_id) {
            Some(parent) => self
                .record::<CommunicationParty>(Subject::Party(parent), &parent)
                .await
                .map_err(RegistryError::store(&subject))?,
            None => None,
        };
        Ok(Some(PartyView {
            party,
            parent,
            children,
        }))
    }

    /// The AR person parties of the health worker with `hpr` — one per organisation they
    /// receive messages in, each with its HER-id and addresses. Current records. Audited only
    /// when configured.
    pub async fn parties_of_personnel(
        &self,
        hpr: HprNumber,
    ) -> RegistryResult<Arc<[Arc<Found<CommunicationParty>>]>> {
        let subject = Subject::PartiesOfPersonnel(hpr);
        let parties = self
            .matching::<CommunicationParty, _, _>(subject.clone(), |store| async move {
                store.parties_by_hpr_number(hpr).await
            })
            .await
            .map_err(RegistryError::store(&subject))?;
        self.audit_if_configured(Register::Ar, hpr, found_or_not(parties.first()), &subject)
            .await?;
        Ok(parties)
    }
}

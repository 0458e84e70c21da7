//! Person lookups by NIN (tracked persons only), with address protection and audit.

use std::sync::Arc;

use serde::Serialize;

use super::audit::Outcome;
use super::cache::Subject;
use super::{Found, Registry, RegistryError, RegistryResult};
use crate::core::id::NationalId;
use crate::core::model::{AddressProtection, Person};
use crate::store::Register;

/// The answer to a person lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum PersonAnswer {
    /// The person, with addresses shown or withheld.
    Found(PersonView),
    /// The NIN is not tracked: Persontjenesten is mirrored only for tracked persons
    /// (`grunndata person track NIN`).
    NotTracked,
    /// The NIN is tracked but its person has not been fetched yet (the next PREG sync will),
    /// or — as of a day — the mirror holds no version of the person from then.
    NotFetched,
}

/// A person as shown to one caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    /// The person. When [`addresses`](Self::addresses) is [`AddressAccess::Withheld`], its
    /// residential and postal addresses are removed — this copy never held them.
    pub person: Arc<Found<Person>>,
    /// The person's address protection level (adressebeskyttelse).
    pub protection: AddressProtection,
    /// Whether the addresses are shown.
    pub addresses: AddressAccess,
}

/// Whether a person's addresses are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressAccess {
    /// Not protected: shown.
    Shown,
    /// Protected (confidential or strictly confidential) and no purpose given: withheld.
    Withheld,
    /// Protected and shown for the caller's purpose; audited as such.
    Revealed,
}

impl Registry {
    /// The tracked person holding `nin`, current or as of this view's day.
    ///
    /// Always audited (actor, purpose, time, NIN, outcome). Addresses of a person with
    /// address protection are withheld unless the caller gives a purpose. Where several
    /// tracked persons have held the NIN, the one using it now is preferred.
    pub async fn person(&self, nin: &NationalId) -> RegistryResult<PersonAnswer> {
        let subject = Subject::Person(*nin);
        self.check_purpose(&subject)?;
        let persons = self
            .matching::<Person, _, _>(subject.clone(), |store| async move {
                store.unaudited().persons_by_nin(nin).await
            })
            .await
            .map_err(RegistryError::store(&subject))?;
        let chosen = persons
            .iter()
            .find(|found| found.record.current_nin() == Some(nin))
            .or_else(|| persons.first());
        let Some(chosen) = chosen else {
            let tracked = self
                .inner
                .store
                .is_tracked(nin)
                .await
                .map_err(RegistryError::store(&subject))?;
            let (answer, outcome) = if tracked {
                (PersonAnswer::NotFetched, Outcome::NotFound)
            } else {
                (PersonAnswer::NotTracked, Outcome::NotTracked)
            };
            self.audit(Register::Preg, nin.expose(), outcome, &subject)
                .await?;
            return Ok(answer);
        };
        let person = if self.as_of.is_some() {
            let version = self
                .record::<Person>(
                    Subject::PersonVersion(chosen.record.id.clone()),
                    &chosen.record.id,
                )
                .await
                .map_err(RegistryError::store(&subject))?;
            let Some(version) = version else {
                self.audit(Register::Preg, nin.expose(), Outcome::NotFound, &subject)
                    .await?;
                return Ok(PersonAnswer::NotFetched);
            };
            version
        } else {
            Arc::clone(chosen)
        };
        let view = self.protect(person);
        let outcome = match view.addresses {
            AddressAccess::Shown => Outcome::Found,
            AddressAccess::Withheld => Outcome::AddressesWithheld,
            AddressAccess::Revealed => Outcome::AddressesRevealed,
        };
        self.audit(Register::Preg, nin.expose(), outcome, &subject)
            .await?;
        Ok(PersonAnswer::Found(view))
    }

    /// Applies address protection for this view's caller.
    fn protect(&self, person: Arc<Found<Person>>) -> PersonView {
        let protection = person.record.address_protection.clone();
        if !person.record.must_withhold_addresses() {
            return PersonView {
                person,
                protection,
                addresses: AddressAccess::Shown,
            };
        }
        if self.caller.purpose.is_some() {
            return PersonView {
                person,
                protection,
                addresses: AddressAccess::Revealed,
            };
        }
        let mut withheld = (*person).clone();
        withheld.record.residential_addresses.clear();
        withheld.record.postal_addresses.clear();
        PersonView {
            person: Arc::new(withheld),
            protection,
            addresses: AddressAccess::Withheld,
        }
    }
}

//! Name search in one register. Not cached: free text rarely repeats, and the store's
//! indexed prefix search is fast enough for people typing.

use serde::Serialize;

use super::audit::Outcome;
use super::{Registry, RegistryError, RegistryResult};
use crate::core::model::{CommunicationParty, HealthPersonnel, Organisation, Person};
use crate::store::{MirrorRecord, Register, Stored};

/// One search hit: enough to tell hits apart and look one up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The register it is from.
    pub register: Register,
    /// Its key: orgnr, HER-id, HPR number, or the opaque Persontjenesten person id (never a
    /// NIN).
    pub key: String,
    /// Its name.
    pub name: String,
    /// A short description: organisational form, party type and parent, categories, or
    /// birth date.
    pub detail: String,
}

/// How a register's records become hits.
trait Hit: MirrorRecord {
    fn hit(stored: Stored<Self>) -> SearchHit;
}

impl Hit for Organisation {
    fn hit(stored: Stored<Self>) -> SearchHit {
        let unit = stored.record;
        let kind = if unit.is_main_unit() {
            "main unit"
        } else {
            "sub-unit"
        };
        let detail = match &unit.form {
            Some(form) => format!("{} {kind}", form.code),
            None => kind.to_owned(),
        };
        SearchHit {
            register: Register::Brreg,
            key: unit.org_number.to_string(),
            name: unit.name.unwrap_or_default(),
            detail,
        }
    }
}

impl Hit for CommunicationParty {
    fn hit(stored: Stored<Self>) -> SearchHit {
        let party = stored.record;
        let detail = match party
            .parent
            .as_ref()
            .and_then(|parent| parent.name.as_deref())
        {
            Some(parent) => format!("{} in {parent}", party.kind.as_str()),
            None => party.kind.as_str().to_owned(),
        };
        SearchHit {
            register: Register::Ar,
            key: party.her_id.to_string(),
            name: party.name.or(party.display_name).unwrap_or_default(),
            detail,
        }
    }
}

impl Hit for HealthPersonnel {
    fn hit(stored: Stored<Self>) -> SearchHit {
        let personnel = stored.record;
        let mut categories: Vec<&str> = personnel
            .approvals
            .iter()
            .map(|approval| approval.category.code())
            .collect();
        categories.dedup();
        SearchHit {
            register: Register::Hpr,
            key: personnel.hpr_number.to_string(),
            name: personnel.name.full(),
            detail: categories.join(", "),
        }
    }
}

impl Hit for Person {
    fn hit(stored: Stored<Self>) -> SearchHit {
        let person = stored.record;
        let detail = match (person.birth_date, person.birth_year) {
            (Some(date), _) => format!("born {date}"),
            (None, Some(year)) => format!("born {year}"),
            (None, None) => String::new(),
        };
        SearchHit {
            register: Register::Preg,
            key: person.id,
            name: person.name.map(|name| name.full()).unwrap_or_default(),
            detail,
        }
    }
}

impl Registry {
    /// Names in `register` in which every word of `text` starts a word (case-insensitive,
    /// æøå included), ordered by name, at most `limit`. Current records. A PREG search is a
    /// personal-data lookup and always audited (the text as subject); others only when
    /// configured.
    pub async fn search(
        &self,
        register: Register,
        text: &str,
        limit: u32,
    ) -> RegistryResult<Vec<SearchHit>> {
        let what = format!("names in {register}");
        if register == Register::Preg {
            self.check_purpose(&what)?;
        }
        let hits = match register {
            Register::Brreg => self.search_in::<Organisation>(text, limit).await,
            Register::Ar => self.search_in::<CommunicationParty>(text, limit).await,
            Register::Hpr => self.search_in::<HealthPersonnel>(text, limit).await,
            Register::Preg => self.search_in::<Person>(text, limit).await,
        }
        .map_err(RegistryError::store(&what))?;
        let outcome = Outcome::Hits(hits.len());
        if register == Register::Preg {
            self.audit(register, text, outcome, &what).await?;
        } else {
            self.audit_if_configured(register, text, outcome, &what)
                .await?;
        }
        Ok(hits)
    }

    async fn search_in<R: Hit>(
        &self,
        text: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, crate::store::StoreError> {
        Ok(self
            .inner
            .store
            // The registry is the audited path: search.rs audits Persontjenesten searches.
            .unaudited()
            .search::<R>(text, limit)
            .await?
            .into_iter()
            .map(R::hit)
            .collect())
    }
}

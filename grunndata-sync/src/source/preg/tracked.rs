//! Which persons the Persontjenesten client follows.
//!
//! Only tracked persons are mirrored (data minimisation). The store knows who is tracked (by
//! NIN, linked to a person id once fetched); the engine loads that into a [`TrackedSet`] and
//! hands it to the client, which asks it two things: "is this person id tracked?" for every
//! feed event (must be cheap — it runs for every event in the country), and "which NINs?" for
//! the bootstrap.

use std::collections::HashSet;
use std::fmt;
use std::sync::RwLock;

use crate::core::id::NationalId;

/// The tracked persons, as the client sees them.
pub trait TrackedPersons: Send + Sync {
    /// Whether events for this person id should be followed.
    fn is_tracked(&self, person_id: &str) -> bool;

    /// The tracked NINs (for the bootstrap's bulk-by-nin).
    fn nins(&self) -> Vec<NationalId> {
        Vec::new()
    }
}

impl<S: std::hash::BuildHasher + Send + Sync> TrackedPersons for HashSet<String, S> {
    fn is_tracked(&self, person_id: &str) -> bool {
        self.contains(person_id)
    }
}

/// A shared, updatable set of tracked person ids and NINs.
#[derive(Default)]
pub struct TrackedSet {
    person_ids: RwLock<HashSet<String>>,
    nins: RwLock<Vec<NationalId>>,
}

impl fmt::Debug for TrackedSet {
    // Counts only: the NINs are personal data (their own Debug masks them, but a list of
    // thousands helps nobody in a log).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = self.person_ids.read().map_or(0, |ids| ids.len());
        let nins = self.nins.read().map_or(0, |nins| nins.len());
        write!(f, "TrackedSet({ids} person ids, {nins} NINs)")
    }
}

impl TrackedSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of `person_ids` and `nins`.
    pub fn with(
        person_ids: impl IntoIterator<Item = String>,
        nins: impl IntoIterator<Item = NationalId>,
    ) -> Self {
        Self {
            person_ids: RwLock::new(person_ids.into_iter().collect()),
            nins: RwLock::new(nins.into_iter().collect()),
        }
    }

    /// Replaces the person ids.
    pub fn set_person_ids(&self, person_ids: impl IntoIterator<Item = String>) {
        if let Ok(mut ids) = self.person_ids.write() {
            *ids = person_ids.into_iter().collect();
        }
    }

    /// Adds a person id (a newly fetched tracked person).
    pub fn add_person_id(&self, person_id: impl Into<String>) {
        if let Ok(mut ids) = self.person_ids.write() {
            ids.insert(person_id.into());
        }
    }

    /// Removes a person id (no longer tracked).
    pub fn remove_person_id(&self, person_id: &str) {
        if let Ok(mut ids) = self.person_ids.write() {
            ids.remove(person_id);
        }
    }

    /// Replaces the NINs.
    pub fn set_nins(&self, nins: impl IntoIterator<Item = NationalId>) {
        if let Ok(mut held) = self.nins.write() {
            *held = nins.into_iter().collect();
        }
    }

    /// How many person ids are tracked.
    pub fn person_id_count(&self) -> usize {
        self.person_ids.read().map_or(0, |ids| ids.len())
    }
}

impl TrackedPersons for TrackedSet {
    fn is_tracked(&self, person_id: &str) -> bool {
        // A poisoned lock means a writer panicked; the set itself is still usable.
        match self.person_ids.read() {
            Ok(ids) => ids.contains(person_id),
            Err(poisoned) => poisoned.into_inner().contains(person_id),
        }
    }

    fn nins(&self) -> Vec<NationalId> {
        match self.nins.read() {
            Ok(nins) => nins.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

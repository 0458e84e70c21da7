//! Secondary identifiers a record holds that failed validation: stored and flagged, never
//! dropped. The sync report counts records with any; `grunndata check` reports each.

use crate::id::{IdError, MaybeValid};

use super::{CommunicationParty, HealthPersonnel, Organisation, Person};

/// One invalid identifier in a record.
///
/// Holds the field and why it failed, never the text as received: it may be a person
/// number, and this is what reports and logs show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedIdentifier {
    /// Where in the canonical record it is (`nin`, `org_number`, `parent.org_number`,
    /// `identifiers[1].number`).
    pub field: String,
    /// Why it failed validation.
    pub error: IdError,
}

/// A record whose secondary identifiers can be checked.
pub trait FlaggedIdentifiers {
    /// Every secondary identifier of the record that failed validation, in field order.
    fn flagged_identifiers(&self) -> Vec<FlaggedIdentifier>;

    /// Whether the record holds any invalid secondary identifier.
    fn is_flagged(&self) -> bool {
        !self.flagged_identifiers().is_empty()
    }
}

fn push<T>(found: &mut Vec<FlaggedIdentifier>, field: &str, id: Option<&MaybeValid<T>>) {
    if let Some(error) = id.and_then(MaybeValid::error) {
        found.push(FlaggedIdentifier {
            field: field.to_owned(),
            error: error.clone(),
        });
    }
}

impl FlaggedIdentifiers for HealthPersonnel {
    fn flagged_identifiers(&self) -> Vec<FlaggedIdentifier> {
        let mut found = Vec::new();
        push(&mut found, "nin", self.nin.as_ref());
        found
    }
}

impl FlaggedIdentifiers for CommunicationParty {
    fn flagged_identifiers(&self) -> Vec<FlaggedIdentifier> {
        let mut found = Vec::new();
        push(
            &mut found,
            "parent.org_number",
            self.parent
                .as_ref()
                .and_then(|parent| parent.org_number.as_ref()),
        );
        push(&mut found, "org_number", self.org_number.as_ref());
        push(&mut found, "hpr_number", self.hpr_number.as_ref());
        found
    }
}

impl FlaggedIdentifiers for Organisation {
    fn flagged_identifiers(&self) -> Vec<FlaggedIdentifier> {
        let mut found = Vec::new();
        push(&mut found, "parent", self.parent.as_ref());
        found
    }
}

impl FlaggedIdentifiers for Person {
    fn flagged_identifiers(&self) -> Vec<FlaggedIdentifier> {
        let mut found = Vec::new();
        for (index, identifier) in self.identifiers.iter().enumerate() {
            push(
                &mut found,
                &format!("identifiers[{index}].number"),
                Some(&identifier.number),
            );
        }
        found
    }
}

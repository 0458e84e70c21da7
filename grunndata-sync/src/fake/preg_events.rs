//! Persontjenesten event types (the spec's `EventType` enum) and which one an admin change emits.

use serde_json::Value;

/// Every `EventType` of persontjenesten/openapi.yaml.
pub(crate) const EVENT_TYPES: &[&str] = &[
    "Unknown",
    "PersonIsCreated",
    "PersonIsReactivated",
    "PersonIsUpdated",
    "PersonIsDiscontinued",
    "PersonIsContinuedAsValidUponMerger",
    "PersonIsDiscontinuedAsDuplicate",
    "PersonIsChangedBySplitting",
    "PersonIsRestoredBySplitting",
    "PersonIsDeceased",
    "PersonIsResident",
    "PersonIsEmigrated",
    "ChangeInStatus",
    "ChangeInIdentityVerification",
    "ChangeInForeignPersonIdentificationNumber",
    "ChangeInImmigrationAuthoritiesIdentificationNumber",
    "ChangeInIdentificationDocument",
    "ChangeInNorwegianIdentificationNumber",
    "ChangeInFalseIdentity",
    "ChangeInResiduaryEstateContactInformation",
    "ChangeInSharedResidence",
    "ChangeInBirth",
    "ChangeInBirthInNorway",
    "ChangeInGender",
    "ChangeInFamilyRelation",
    "ChangeInMaritalStatus",
    "ChangeInDeath",
    "ChangeInName",
    "ChangeInAddressProtection",
    "ChangeInResidentialAddress",
    "ChangeInResidentialAddressWithoutRelocation",
    "ChangeInPresentAddress",
    "ChangeInImmigrationToNorway",
    "ChangeInEmigrationFromNorway",
    "ChangeInUseOfSamiLanguage",
    "ChangeInSamiParliamentElectoralRegistryStatus",
    "ChangeInContactinformation",
    "ChangeInParentalResponsibility",
    "ChangeInCitizenship",
    "ChangeInResidency",
    "ChangeInResidencyOnSvalbard",
    "ChangeInGuardianship",
    "ChangeInPerson",
    "PersonCorrected",
    "PersonPopulated",
    "ChangeInPostalAddress",
    "ChangeInForeignPostalAddress",
    "ChangeInResidencePermit",
    "ChangeInDeprivedLegalAuthority",
    "CreatedAlternateIdentificationNumber",
    "UpdatedAlternateIdentificationNumber",
    "ChangeInLegalAuthority",
    "ChangeInCommonContactRegisterInformation",
];

/// Whether `name` is an `EventType`.
pub(crate) fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}

/// Person fields and the event a change to each emits (decision: one event per changed part,
/// in this order; a change to anything else is `PersonIsUpdated`).
const PART_EVENTS: &[(&str, &str)] = &[
    (
        "norwegianIdentificationNumber",
        "ChangeInNorwegianIdentificationNumber",
    ),
    ("name", "ChangeInName"),
    ("birth", "ChangeInBirth"),
    ("gender", "ChangeInGender"),
    ("status", "ChangeInStatus"),
    ("death", "ChangeInDeath"),
    ("addressProtection", "ChangeInAddressProtection"),
    ("residentialAddress", "ChangeInResidentialAddress"),
    ("postalAddress", "ChangeInPostalAddress"),
    ("presentAddress", "ChangeInPresentAddress"),
    ("maritalStatus", "ChangeInMaritalStatus"),
    ("citizenship", "ChangeInCitizenship"),
];

/// The events an upsert of `new` over `old` emits.
pub(crate) fn for_change(old: Option<&Value>, new: &Value) -> Vec<&'static str> {
    let Some(old) = old else {
        return vec!["PersonIsCreated"];
    };
    let mut events: Vec<&'static str> = PART_EVENTS
        .iter()
        .filter(|(field, _)| old.get(field) != new.get(field))
        .map(|&(_, event)| event)
        .collect();
    if events.is_empty() && old != new {
        events.push("PersonIsUpdated");
    }
    events
}

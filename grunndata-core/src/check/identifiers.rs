//! Rule `identifier-invalid`: secondary identifiers that fail validation, on any register.

use crate::model::FlaggedIdentifiers;

/// One line per invalid identifier of `record`: the field and why it failed
/// (`nin: check digit K1 does not match`). Never the value itself: it may be a person number.
pub fn invalid_identifiers<R: FlaggedIdentifiers>(record: &R) -> Vec<String> {
    record
        .flagged_identifiers()
        .into_iter()
        .map(|flag| format!("{}: {}", flag.field, flag.error))
        .collect()
}

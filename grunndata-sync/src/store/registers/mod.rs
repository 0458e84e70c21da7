//! The typed columns of each register: how a core model record maps onto its table.
//!
//! A secondary identifier that failed validation ([`MaybeValid::Invalid`]) is kept as received
//! in the canonical JSON, left out of its typed column (so joins only ever meet valid values),
//! and named in the record's `invalid_ids` column for `grunndata check`.

mod ar;
mod brreg;
mod hpr;
mod preg;

use crate::core::id::{CanonicalText, MaybeValid};

use super::value::Value;

/// Collects the fields holding invalid identifiers, for the `invalid_ids` column.
#[derive(Default)]
struct InvalidIds(Vec<&'static str>);

impl InvalidIds {
    /// The valid identifier's text, or `None` (noting `field`) when it is invalid or absent.
    fn valid_text<T: CanonicalText>(
        &mut self,
        field: &'static str,
        id: Option<&MaybeValid<T>>,
    ) -> Option<String> {
        match id {
            Some(MaybeValid::Valid(id)) => Some(id.canonical_text()),
            Some(MaybeValid::Invalid(_)) => {
                self.0.push(field);
                None
            }
            None => None,
        }
    }

    /// Notes `field` as holding an invalid identifier.
    fn note(&mut self, field: &'static str) {
        if !self.0.contains(&field) {
            self.0.push(field);
        }
    }

    /// The column value: comma-separated field names, or NULL.
    fn into_value(self) -> Value {
        if self.0.is_empty() {
            Value::Text(None)
        } else {
            Value::Text(Some(self.0.join(",")))
        }
    }
}

fn text(value: Option<&str>) -> Value {
    Value::Text(value.map(str::to_owned))
}

//! `preg`: Persontjenesten persons (tracked only), with every valid NIN they have held in
//! `preg_identifier`.

use crate::core::id::NationalId;
use crate::core::model::Person;

use super::super::Register;
use super::super::record::{MirrorRecord, sealed};
use super::super::schema::{self, TableSpec};
use super::super::search;
use super::super::value::Value;
use super::{InvalidIds, text};

impl sealed::Key for String {
    fn to_value(&self) -> Value {
        Value::text(self.clone())
    }
}

impl MirrorRecord for Person {
    type Key = String;
    const REGISTER: Register = Register::Preg;

    fn key(&self) -> String {
        self.id.clone()
    }
}

impl sealed::Columns for Person {
    fn spec() -> &'static TableSpec {
        &schema::PREG
    }

    fn columns(&self) -> Vec<Value> {
        let mut invalid = InvalidIds::default();
        if self
            .identifiers
            .iter()
            .any(|identifier| identifier.number.is_invalid())
        {
            invalid.note("identifiers");
        }
        let name = self.name.as_ref().map(crate::core::model::Name::full);
        let name = name.filter(|name| !name.is_empty());
        vec![
            Value::Text(self.current_nin().map(NationalId::expose)),
            Value::Text(name.clone()),
            Value::text(search::normalise(name.as_deref())),
            Value::Date(self.birth_date),
            Value::Date(self.death_date),
            text(
                self.status
                    .as_ref()
                    .map(crate::core::model::PersonStatus::as_str),
            ),
            Value::text(self.address_protection.as_str()),
            invalid.into_value(),
        ]
    }

    fn children(&self) -> Vec<Vec<Value>> {
        self.person_nins()
            .into_iter()
            .map(|nin| vec![Value::text(self.id.clone()), Value::text(nin)])
            .collect()
    }

    fn person_nins(&self) -> Vec<String> {
        let mut nins: Vec<String> = self
            .identifiers
            .iter()
            .filter_map(|identifier| identifier.number.valid())
            .map(NationalId::expose)
            .collect();
        nins.sort_unstable();
        nins.dedup();
        nins
    }
}

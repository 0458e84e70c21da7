//! `brreg`: Enhetsregisteret organisations.

use crate::core::id::OrgNumber;
use crate::core::model::{Organisation, UnitKind};

use super::super::Register;
use super::super::record::{MirrorRecord, sealed};
use super::super::schema::{self, TableSpec};
use super::super::search;
use super::super::value::Value;
use super::{InvalidIds, text};

impl sealed::Key for OrgNumber {
    fn to_value(&self) -> Value {
        Value::text(self.to_string())
    }
}

impl MirrorRecord for Organisation {
    type Key = OrgNumber;
    const REGISTER: Register = Register::Brreg;

    fn key(&self) -> OrgNumber {
        self.org_number
    }
}

impl sealed::Columns for Organisation {
    fn spec() -> &'static TableSpec {
        &schema::BRREG
    }

    fn columns(&self) -> Vec<Value> {
        let mut invalid = InvalidIds::default();
        let parent = invalid.valid_text("parent", self.parent.as_ref());
        vec![
            Value::text(match self.unit {
                UnitKind::MainUnit => "main_unit",
                UnitKind::SubUnit => "sub_unit",
            }),
            Value::Text(parent),
            text(self.name.as_deref()),
            Value::text(search::normalise(self.name.as_deref())),
            text(self.form.as_ref().map(|form| form.code.as_str())),
            Value::Date(self.registered_date),
            Value::Date(self.deleted_date),
            Value::Date(self.closed_date),
            Value::Bool(Some(self.bankrupt)),
            Value::Bool(Some(self.under_liquidation)),
            Value::Bool(Some(self.under_compulsory_liquidation)),
            invalid.into_value(),
        ]
    }
}

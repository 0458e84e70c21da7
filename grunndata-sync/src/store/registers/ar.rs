//! `ar`: Adresseregisteret communication parties.

use crate::core::id::HerId;
use crate::core::model::CommunicationParty;

use super::super::Register;
use super::super::record::{MirrorRecord, sealed};
use super::super::schema::{self, TableSpec};
use super::super::search;
use super::super::value::Value;
use super::{InvalidIds, text};

impl sealed::Key for HerId {
    fn to_value(&self) -> Value {
        Value::Int(Some(i64::from(self.get())))
    }
}

impl MirrorRecord for CommunicationParty {
    type Key = HerId;
    const REGISTER: Register = Register::Ar;

    fn key(&self) -> HerId {
        self.her_id
    }
}

impl sealed::Columns for CommunicationParty {
    fn spec() -> &'static TableSpec {
        &schema::AR
    }

    fn columns(&self) -> Vec<Value> {
        let mut invalid = InvalidIds::default();
        let org_number = invalid.valid_text("org_number", self.org_number.as_ref());
        let parent_org_number = invalid.valid_text(
            "parent.org_number",
            self.parent
                .as_ref()
                .and_then(|parent| parent.org_number.as_ref()),
        );
        let hpr_number = self.hpr_number.as_ref().and_then(|number| {
            if number.is_invalid() {
                invalid.note("hpr_number");
            }
            number.valid().map(|number| i64::from(number.get()))
        });
        // A person's or service's display name includes its organisation; search the own name,
        // and the display name only when there is no name.
        let searched = self.name.as_deref().or(self.display_name.as_deref());
        vec![
            Value::text(self.kind.as_str()),
            text(self.name.as_deref()),
            text(self.display_name.as_deref()),
            Value::text(search::normalise(searched)),
            Value::Text(org_number),
            Value::Int(
                self.parent
                    .as_ref()
                    .map(|parent| i64::from(parent.her_id.get())),
            ),
            Value::Text(parent_org_number),
            Value::Int(hpr_number),
            text(self.edi_address.as_deref()),
            text(self.business_type.as_ref().map(|code| code.value.as_str())),
            text(self.service_type.as_ref().map(|code| code.value.as_str())),
            Value::Timestamp(self.valid_from.map(super::super::value::truncate)),
            Value::Timestamp(self.valid_to.map(super::super::value::truncate)),
            invalid.into_value(),
        ]
    }
}

//! `hpr`: Helsepersonellregisteret health personnel, with one `hpr_grant` row per approval,
//! speciality, requisition right, additional competence and suspension.

use crate::core::id::HprNumber;
use crate::core::model::{HealthPersonnel, Period, Suspension};

use super::super::Register;
use super::super::record::{MirrorRecord, sealed};
use super::super::schema::{self, TableSpec};
use super::super::search;
use super::super::value::Value;
use super::{InvalidIds, text};

impl sealed::Key for HprNumber {
    fn to_value(&self) -> Value {
        Value::Int(Some(i64::from(self.get())))
    }
}

impl MirrorRecord for HealthPersonnel {
    type Key = HprNumber;
    const REGISTER: Register = Register::Hpr;

    fn key(&self) -> HprNumber {
        self.hpr_number
    }
}

/// Builds the `hpr_grant` rows of one record.
struct Grants {
    key: i64,
    rows: Vec<Vec<Value>>,
}

impl Grants {
    #[allow(clippy::too_many_arguments, reason = "one argument per column")]
    fn push(
        &mut self,
        approval: i64,
        item: i64,
        kind: &str,
        code: Option<&str>,
        authorisation: Option<&str>,
        validity: Period,
        ended: bool,
        suspends: Option<i64>,
    ) {
        self.rows.push(vec![
            Value::Int(Some(self.key)),
            Value::Int(Some(approval)),
            Value::Int(Some(item)),
            Value::text(kind),
            text(code),
            text(authorisation),
            Value::Date(validity.from),
            Value::Date(validity.to),
            Value::Bool(Some(ended)),
            Value::Int(suspends),
        ]);
    }

    fn suspensions(
        &mut self,
        approval: i64,
        next: &mut i64,
        code: &str,
        suspended: i64,
        suspensions: &[Suspension],
    ) {
        for suspension in suspensions {
            *next += 1;
            let item = *next;
            self.push(
                approval,
                item,
                "suspension",
                Some(code),
                None,
                suspension.period,
                false,
                Some(suspended),
            );
        }
    }
}

impl sealed::Columns for HealthPersonnel {
    fn spec() -> &'static TableSpec {
        &schema::HPR
    }

    fn columns(&self) -> Vec<Value> {
        let mut invalid = InvalidIds::default();
        let nin = invalid.valid_text("nin", self.nin.as_ref());
        let name = self.name.full();
        vec![
            Value::Text(nin),
            Value::Bool(Some(self.missing_nin)),
            Value::Text((!name.is_empty()).then(|| name.clone())),
            Value::text(search::normalise([name.as_str()])),
            Value::Date(self.birth_date),
            Value::Date(self.death_date),
            Value::Int(self.replaced_by.map(|number| i64::from(number.get()))),
            Value::Timestamp(self.last_updated.map(super::super::value::truncate)),
            invalid.into_value(),
        ]
    }

    fn children(&self) -> Vec<Vec<Value>> {
        let mut grants = Grants {
            key: i64::from(self.hpr_number.get()),
            rows: Vec::new(),
        };
        for (approval, entry) in (0_i64..).zip(&self.approvals) {
            let category = entry.category.code();
            grants.push(
                approval,
                0,
                "approval",
                Some(category),
                entry.authorisation.as_ref().map(|code| code.value.as_str()),
                entry.validity,
                entry.end_status.is_some(),
                None,
            );
            let mut next = 0_i64;
            grants.suspensions(approval, &mut next, category, 0, &entry.suspensions);
            for speciality in &entry.specialities {
                next += 1;
                let item = next;
                let code = speciality.kind.value.as_str();
                grants.push(
                    approval,
                    item,
                    "speciality",
                    Some(code),
                    None,
                    speciality.validity,
                    speciality.end_status.is_some(),
                    None,
                );
                grants.suspensions(approval, &mut next, code, item, &speciality.suspensions);
            }
            for right in &entry.requisition_rights {
                next += 1;
                let item = next;
                let code = right.kind.value.as_str();
                grants.push(
                    approval,
                    item,
                    "requisition_right",
                    Some(code),
                    None,
                    right.validity,
                    right.end_status.is_some(),
                    None,
                );
                grants.suspensions(approval, &mut next, code, item, &right.suspensions);
            }
            for competence in &entry.additional_competences {
                next += 1;
                grants.push(
                    approval,
                    next,
                    "additional_competence",
                    Some(competence.kind.value.as_str()),
                    None,
                    competence.validity,
                    competence.end_status.is_some(),
                    None,
                );
            }
        }
        grants.rows
    }
}

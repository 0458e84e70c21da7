//! A finding, its JSON form, and the per-rule summary.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use grunndata_core::check::{RULES, Rule, Severity};

use crate::store::Register;

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule (from the catalogue).
    pub rule: &'static Rule,
    /// The register whose record the finding is about.
    pub register: Register,
    /// The keys involved, named (`her_id`, `org_number`, `hpr_number`, `person_id`; lists
    /// comma-separated under a plural name). Never a NIN.
    pub keys: Vec<(&'static str, String)>,
    /// What is wrong, in one line for people. Never a whole NIN.
    pub message: String,
}

impl Finding {
    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// What to do about it (the rule's fix).
    pub fn fix(&self) -> &'static str {
        self.rule.fix
    }

    /// The keys as `name value` pairs for people: `her_id 8000001, org_number 974760673`.
    pub fn keys_text(&self) -> String {
        self.keys
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Order: catalogue position, register, then keys (numbers numerically).
    pub(super) fn sort_key(&self) -> (usize, Register, Vec<(usize, String)>) {
        let position = RULES
            .iter()
            .position(|rule| rule.id == self.rule.id)
            .unwrap_or(usize::MAX);
        let keys = self
            .keys
            .iter()
            .map(|(_, value)| (value.len(), value.clone()))
            .collect();
        (position, self.register, keys)
    }
}

/// The keys as a JSON object, in the order they were given.
struct Keys<'a>(&'a [(&'static str, String)]);

impl Serialize for Keys<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for Finding {
    /// `{"rule", "severity", "register", "keys": {…}, "message", "fix"}`, in that order.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Finding", 6)?;
        object.serialize_field("rule", self.rule.id)?;
        object.serialize_field("severity", &self.rule.severity)?;
        object.serialize_field("register", self.register.as_str())?;
        object.serialize_field("keys", &Keys(&self.keys))?;
        object.serialize_field("message", &self.message)?;
        object.serialize_field("fix", self.rule.fix)?;
        object.end()
    }
}

/// How many findings one rule produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The rule.
    pub rule: &'static Rule,
    /// Its findings.
    pub count: usize,
}

/// One line per rule in `rules` (catalogue order) with its number of findings, zero included.
pub fn summarise(rules: &[&'static Rule], findings: &[Finding]) -> Vec<Summary> {
    rules
        .iter()
        .map(|rule| Summary {
            rule,
            count: findings
                .iter()
                .filter(|finding| finding.rule.id == rule.id)
                .count(),
        })
        .collect()
}

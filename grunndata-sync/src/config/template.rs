//! The commented configuration template, generated from the configuration types.
//!
//! Descriptions come from the types' doc comments (through their JSON schema) and values from
//! `Config::default()`, so the template cannot drift from the code.

use std::fmt::Write as _;

use schemars::schema_for;
use serde_json::Value as Json;

use super::Config;

/// One field of a section, as the template shows it.
pub(super) struct Field {
    pub(super) name: String,
    pub(super) description: String,
}

/// The JSON schema of [`Config`].
fn schema() -> Json {
    schema_for!(Config).to_value()
}

/// The definition a property refers to (`$ref: "#/$defs/Name"`), or the property itself.
fn resolve<'a>(schema: &'a Json, property: &'a Json) -> &'a Json {
    property
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|reference| reference.strip_prefix("#/$defs/"))
        .and_then(|name| schema.get("$defs").and_then(|defs| defs.get(name)))
        .unwrap_or(property)
}

fn description(value: &Json) -> String {
    value
        .get("description")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The sections in declaration order, with their descriptions.
fn sections(schema: &Json) -> Vec<(String, String)> {
    schema
        .get("properties")
        .and_then(Json::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| (name.clone(), description(property)))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of `section`, in declaration order.
pub(super) fn fields(section: &str) -> Vec<Field> {
    let schema = schema();
    let Some(property) = schema.get("properties").and_then(|p| p.get(section)) else {
        return Vec::new();
    };
    resolve(&schema, property)
        .get("properties")
        .and_then(Json::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| Field {
                    name: name.clone(),
                    description: description(property),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Renders the template: every section and key, with its description as a comment, the
/// default value, and unset options commented out.
pub(super) fn render() -> String {
    let schema = schema();
    let defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
    let mut out = String::from(
        "# grunndata configuration.\n\
         #\n\
         # Every key is optional: what is left out keeps the default shown here. Any key can also\n\
         # be set by an environment variable GRUNNDATA_<SECTION>_<KEY> (e.g. GRUNNDATA_AR_BASE_URL);\n\
         # prefer that for secrets. GRUNNDATA_DB is short for GRUNNDATA_STORE_URL.\n",
    );
    for (section, section_description) in sections(&schema) {
        let _ = write!(out, "\n# {section_description}\n[{section}]\n");
        let section_defaults = defaults.get(&section).and_then(toml::Value::as_table);
        for field in fields(&section) {
            for line in field.description.lines() {
                let _ = writeln!(out, "# {line}");
            }
            match section_defaults.and_then(|table| table.get(&field.name)) {
                Some(value) => {
                    let _ = writeln!(out, "{} = {value}", field.name);
                }
                None => {
                    let _ = writeln!(out, "# {} = \"\"", field.name);
                }
            }
        }
    }
    out
}

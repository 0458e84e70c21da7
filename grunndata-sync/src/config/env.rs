//! `GRUNNDATA_<SECTION>_<KEY>` environment variables laid over a configuration.

use toml::{Table, Value};

use super::{Config, ConfigError};

/// Sections, longest first is not needed: no section name is a prefix of another.
const SECTIONS: [&str; 8] = [
    "store",
    "sync",
    "brreg",
    "ar",
    "preg",
    "hpr",
    "helseid",
    "maskinporten",
];

/// Applies the `GRUNNDATA_*` variables among `vars` to `config`.
///
/// Works on the TOML form of the configuration so that every field is reachable without a
/// hand-kept list of variables: the variable's value is read as the field's TOML type
/// (booleans, durations and paths as text; lists comma-separated).
pub fn apply_env(
    config: Config,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut overrides: Vec<(String, String, String, String)> = Vec::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("GRUNNDATA_") else {
            continue;
        };
        let rest = rest.to_ascii_lowercase();
        let (section, key) = if rest == "db" {
            ("store".to_owned(), "url".to_owned())
        } else {
            let Some((section, key)) = SECTIONS.iter().find_map(|section| {
                rest.strip_prefix(section)
                    .and_then(|tail| tail.strip_prefix('_'))
                    .map(|key| ((*section).to_owned(), key.to_owned()))
            }) else {
                // Not configuration (e.g. GRUNNDATA_TEST_PG).
                continue;
            };
            (section, key)
        };
        overrides.push((name, section, key, value));
    }
    if overrides.is_empty() {
        return Ok(config);
    }
    let mut table = Table::try_from(&config).map_err(|error| ConfigError::Env {
        variable: "GRUNNDATA_*".to_owned(),
        message: error.to_string(),
    })?;
    for (name, section, key, value) in overrides {
        set(&mut table, &section, &key, &value).map_err(|message| ConfigError::Env {
            variable: name.clone(),
            message,
        })?;
    }
    Value::Table(table)
        .try_into()
        .map_err(|error: toml::de::Error| ConfigError::Env {
            variable: "GRUNNDATA_*".to_owned(),
            message: error.to_string(),
        })
}

/// Sets `section.key` to `text`, typed like the default so that `deny_unknown_fields` and
/// the field's own type check the result.
fn set(table: &mut Table, section: &str, key: &str, text: &str) -> Result<(), String> {
    let known = known_keys(section);
    if !known.iter().any(|k| k == key) {
        return Err(format!(
            "[{section}] has no key {key:?}; known keys: {}",
            known.join(", ")
        ));
    }
    let entry = table
        .entry(section)
        .or_insert_with(|| Value::Table(Table::new()));
    let Value::Table(fields) = entry else {
        return Err(format!("[{section}] is not a table"));
    };
    let value = match fields.get(key) {
        Some(Value::Boolean(_)) => match text.trim() {
            "true" | "1" | "yes" => Value::Boolean(true),
            "false" | "0" | "no" => Value::Boolean(false),
            other => return Err(format!("expected true or false, got {other:?}")),
        },
        Some(Value::Integer(_)) => text
            .trim()
            .parse()
            .map(Value::Integer)
            .map_err(|_| "expected a whole number".to_owned())?,
        Some(Value::Array(_)) => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
        _ => Value::String(text.to_owned()),
    };
    fields.insert(key.to_owned(), value);
    Ok(())
}

/// Every key of `section`, including optional ones that the default leaves unset.
fn known_keys(section: &str) -> Vec<String> {
    super::template::fields(section)
        .into_iter()
        .map(|field| field.name)
        .collect()
}

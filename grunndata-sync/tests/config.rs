//! The configuration: template, file, environment variables, secrets.

use std::time::Duration;

use grunndata_sync::auth::Secret;
use grunndata_sync::config::{Config, ConfigError, apply_env};

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn template_parses_back_to_the_defaults() {
    let template = Config::template();
    assert_eq!(Config::from_toml(&template), Ok(Config::default()));
}

#[test]
fn template_documents_every_option_including_unset_ones() {
    let template = Config::template();
    // Unset options appear commented out; uncommenting all of them must still parse, which
    // proves each one names a real key.
    let uncommented: String = template
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if rest.ends_with("= \"\"") => rest.to_owned(),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = Config::from_toml(&uncommented).expect("every commented key exists");
    assert_eq!(config.helseid.client_id.as_deref(), Some(""));
    assert_eq!(config.hpr.export_url.as_deref(), Some(""));
    for needle in [
        "[store]",
        "[sync]",
        "[brreg]",
        "[ar]",
        "[preg]",
        "[hpr]",
        "[helseid]",
        "[maskinporten]",
        "interval = \"5m\"",
        "base_url = \"https://data.brreg.no/enhetsregisteret/api\"",
        "# Password of the SOAP service.",
        "# soap_password = \"\"",
        "GRUNNDATA_DB",
    ] {
        assert!(
            template.contains(needle),
            "template lacks {needle:?}:\n{template}"
        );
    }
}

#[test]
fn a_partial_file_keeps_the_other_defaults() {
    let config = Config::from_toml(
        "[ar]\nbase_url = \"http://127.0.0.1:9/ar\"\n[sync]\ninterval = \"90s\"\n",
    )
    .expect("valid");
    assert_eq!(config.ar.base_url, "http://127.0.0.1:9/ar");
    assert_eq!(config.sync.interval, Duration::from_secs(90));
    assert_eq!(config.brreg, Config::default().brreg);
}

#[test]
fn unknown_keys_and_bad_values_are_errors_with_a_position() {
    let error = Config::from_toml("[ar]\nbase_ur = \"x\"\n").expect_err("typo");
    assert!(error.contains("base_ur"), "{error}");
    assert!(error.contains("line 2"), "{error}");
    assert!(Config::from_toml("[sync]\ninterval = \"soon\"\n").is_err());
}

#[test]
fn environment_variables_override_every_kind_of_field() {
    let config = apply_env(
        Config::default(),
        vars(&[
            ("GRUNNDATA_DB", "sqlite:///tmp/x.db"),
            ("GRUNNDATA_AR_BASE_URL", "http://127.0.0.1:1/ar"),
            ("GRUNNDATA_AR_INCLUDE_DEACTIVATED", "true"),
            ("GRUNNDATA_SYNC_SOURCES", "brreg, hpr"),
            ("GRUNNDATA_SYNC_INTERVAL", "10m"),
            ("GRUNNDATA_HELSEID_CLIENT_ID", "my-client"),
            ("GRUNNDATA_HPR_SOAP_PASSWORD", "hunter2"),
            // Not configuration: ignored.
            ("GRUNNDATA_TEST_PG", "postgres://x"),
            ("PATH", "/bin"),
        ]),
    )
    .expect("valid overrides");
    assert_eq!(config.store.url.as_deref(), Some("sqlite:///tmp/x.db"));
    assert_eq!(config.ar.base_url, "http://127.0.0.1:1/ar");
    assert!(config.ar.include_deactivated);
    assert_eq!(config.sync.sources, ["brreg", "hpr"]);
    assert_eq!(config.sync.interval, Duration::from_mins(10));
    assert_eq!(config.helseid.client_id.as_deref(), Some("my-client"));
    assert_eq!(
        config.hpr.soap_password,
        Some(Secret::new("hunter2".to_owned()))
    );
}

#[test]
fn a_mistyped_variable_is_an_error_that_does_not_echo_its_value() {
    let error = apply_env(
        Config::default(),
        vars(&[("GRUNNDATA_HPR_SOAP_PASWORD", "hunter2")]),
    )
    .expect_err("unknown key");
    let message = error.to_string();
    assert!(message.contains("GRUNNDATA_HPR_SOAP_PASWORD"), "{message}");
    assert!(
        message.contains("soap_password"),
        "lists the known keys: {message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(matches!(
        apply_env(
            Config::default(),
            vars(&[("GRUNNDATA_AR_INCLUDE_DEACTIVATED", "maybe")])
        ),
        Err(ConfigError::Env { .. })
    ));
}

#[test]
fn secrets_never_print_themselves() {
    let mut config = Config::default();
    config.hpr.soap_password = Some(Secret::new("hunter2".to_owned()));
    assert!(!format!("{config:?}").contains("hunter2"));
    let shown = config.redacted().to_toml().expect("serialise");
    assert!(shown.contains("soap_password = \"[redacted]\""), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(Secret::new("hunter2".to_owned()).to_string(), "[redacted]");
    assert_eq!(Secret::new("hunter2".to_owned()).expose(), "hunter2");
}

#[test]
fn a_missing_file_names_the_path() {
    let error = Config::from_file(std::path::Path::new("/nonexistent/grunndata.toml"))
        .expect_err("missing");
    assert!(error.to_string().contains("/nonexistent/grunndata.toml"));
}

/// `[store] audit_retention`: "keep" (the default) or a duration; anything else says what it
/// takes.
#[test]
fn audit_retention_is_keep_or_a_duration() {
    use grunndata_sync::config::AuditRetention;

    let read = |value: &str| Config::from_toml(&format!("[store]\naudit_retention = {value:?}"));
    assert_eq!(
        Config::default().store.audit_retention,
        AuditRetention::Keep
    );
    assert_eq!(
        read("keep").map(|c| c.store.audit_retention),
        Ok(AuditRetention::Keep)
    );
    assert_eq!(
        read("400d").map(|c| c.store.audit_retention),
        Ok(AuditRetention::For(std::time::Duration::from_hours(
            400 * 24
        )))
    );
    let error = read("for ever").err().unwrap_or_default();
    assert!(error.contains("\"keep\" or a duration"), "{error}");
}

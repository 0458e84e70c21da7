//! `grunndata config`: the template admins start from, and the configuration in effect.

use assert_cmd::Command;

fn grunndata() -> Command {
    let mut command = Command::cargo_bin("grunndata").expect("the grunndata binary is built");
    // The configuration in effect must not depend on the environment of the test runner.
    for (name, _) in std::env::vars() {
        if name.starts_with("GRUNNDATA_") {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn init_prints_the_commented_template() {
    let output = grunndata().args(["config", "init"]).output().expect("runs");
    assert!(output.status.success());
    insta::assert_snapshot!(String::from_utf8(output.stdout).expect("utf-8"));
}

#[test]
fn show_applies_file_then_environment_and_redacts_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("grunndata.toml");
    std::fs::write(
        &file,
        "[ar]\nbase_url = \"http://127.0.0.1:1/ar\"\n[hpr]\nsoap_password = \"hunter2\"\n",
    )
    .expect("write config");
    let output = grunndata()
        .args(["config", "show", "--config"])
        .arg(&file)
        .env("GRUNNDATA_SYNC_INTERVAL", "90s")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let shown = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        shown.contains("base_url = \"http://127.0.0.1:1/ar\""),
        "{shown}"
    );
    assert!(shown.contains("interval = \"1m 30s\""), "{shown}");
    assert!(shown.contains("soap_password = \"[redacted]\""), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_broken_file_is_an_operational_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, "[ar\n").expect("write config");
    let output = grunndata()
        .args(["config", "show", "--config"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.toml"), "{stderr}");
}

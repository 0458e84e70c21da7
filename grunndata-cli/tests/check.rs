//! `grunndata check`: human and JSON output on a mirror with one anomaly of every kind, exit
//! statuses, and `--list`.

#[path = "../../grunndata-sync/tests/common/world.rs"]
mod world;

use assert_cmd::Command;
use grunndata_sync::store::Store;
use grunndata_sync::synth::{AnomalyOptions, Synth, SynthConfig};
use serde_json::Value;

fn grunndata() -> Command {
    Command::cargo_bin("grunndata").unwrap_or_else(|e| panic!("the grunndata binary: {e}"))
}

/// A synthetic mirror with planted anomalies, every register synced.
async fn mirror(url: &str) {
    let synth = Synth::new(SynthConfig {
        seed: 7,
        scale: 0.001,
        anomalies: AnomalyOptions { enabled: true },
    })
    .unwrap_or_else(|e| panic!("synth: {e}"));
    let store = Store::open(url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    world::load(&store, &synth).await;
    store.close().await;
}

fn run(url: &str, args: &[&str]) -> (String, i32) {
    let output = grunndata()
        .args(["check", "--db", url, "--at", "2025-06-01"])
        .args(args)
        .env_remove("GRUNNDATA_DB")
        .output()
        .unwrap_or_else(|e| panic!("runs: {e}"));
    let stdout = String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("utf-8: {e}"));
    (stdout, output.status.code().unwrap_or(-1))
}

fn with_mirror(test: impl FnOnce(&str)) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
    tokio::runtime::Runtime::new()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(mirror(&url));
    test(&url);
}

#[test]
fn human_and_json_output() {
    with_mirror(|url| {
        let (stdout, code) = run(url, &[]);
        assert_eq!(code, 1, "errors were found");
        insta::assert_snapshot!("human", stdout);

        let (stdout, code) = run(url, &["--json"]);
        assert_eq!(code, 1);
        for line in stdout.lines() {
            let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
            assert!(object["rule"].is_string() && object["keys"].is_object());
        }
        insta::assert_snapshot!("json", stdout);

        // Only warnings of one rule: below the default threshold, so success.
        let (stdout, code) = run(url, &["--rule", "ar-certificate-expiring", "--json"]);
        assert_eq!((stdout.lines().count(), code), (1, 0), "{stdout}");
        let (_, code) = run(
            url,
            &["--rule", "ar-certificate-expiring", "--severity", "warning"],
        );
        assert_eq!(code, 1);
        let (stdout, _) = run(url, &["--limit", "1", "--rule", "identifier-invalid"]);
        assert!(stdout.contains("… and 2 more (--limit)"), "{stdout}");
    });
}

#[test]
fn list_and_exit_statuses() {
    let output = grunndata()
        .args(["check", "--list"])
        .output()
        .unwrap_or_else(|e| panic!("runs: {e}"));
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("list", String::from_utf8_lossy(&output.stdout));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let missing = format!("sqlite://{}", dir.path().join("none.db").display());
    assert_eq!(run(&missing, &[]).1, 3, "no mirror is an operational error");
    assert!(
        !dir.path().join("none.db").exists(),
        "check never creates a mirror"
    );
    assert_eq!(
        run(&missing, &["--rule", "no-such-rule"]).1,
        2,
        "usage error"
    );
}

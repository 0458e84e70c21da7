//! `grunndata demo`, the README's first command: syncs a fake upstream into a mirror, shows
//! lookups, may be run again, and never touches a mirror with other data in it.

use std::process::Command;

fn demo(db: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["demo", "--db", db])
        .env_remove("GRUNNDATA_DB")
        .env_remove("GRUNNDATA_CONFIG")
        .output()
        .unwrap_or_else(|error| panic!("demo ran: {error}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_syncs_shows_lookups_and_runs_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    for run in 0..2 {
        let output = demo(&db);
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {}\n{stdout}",
            text(&output.stderr)
        );
        for register in ["brreg", "ar", "hpr", "preg"] {
            assert!(
                stdout.contains(&format!("{register}: mirror holds")),
                "run {run}: {register} reconciled\n{stdout}"
            );
        }
        assert!(
            stdout.contains("bootstrap"),
            "a fresh demo mirror each run\n{stdout}"
        );
        assert!(stdout.contains("organisation "), "{stdout}");
        assert!(stdout.contains("health personnel HPR"), "{stdout}");
        assert!(stdout.contains("EDI address"), "{stdout}");
        assert!(stdout.contains("Try next:"), "{stdout}");
        assert!(!stdout.contains("FAILED"), "{stdout}");
    }

    // What it suggests works against the mirror it made.
    let check = Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["check", "--db", &db, "--json"])
        .output()
        .unwrap_or_else(|error| panic!("check ran: {error}"));
    assert_eq!(check.status.code(), Some(1), "planted anomalies are found");
    assert!(text(&check.stdout).contains("\"rule\""));
}

#[test]
fn demo_refuses_a_mirror_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let db = format!("sqlite://{}", dir.path().join("real.db").display());
    let tracked = Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args([
            "person",
            "track",
            "01818000010",
            "--note",
            "a real deployment",
            "--db",
            &db,
        ])
        .output()
        .unwrap_or_else(|error| panic!("track ran: {error}"));
    assert!(tracked.status.success(), "{}", text(&tracked.stderr));

    let output = demo(&db);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        text(&output.stderr).contains("did not make"),
        "{}",
        text(&output.stderr)
    );
    let listed = Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["person", "tracked", "--db", &db])
        .output()
        .unwrap_or_else(|error| panic!("tracked ran: {error}"));
    assert!(
        text(&listed.stdout).contains("a real deployment"),
        "left untouched"
    );
}

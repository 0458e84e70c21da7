//! Operational errors: one line on stderr, exit status 3, every cause said once.

use assert_cmd::Command;

/// Runs `grunndata ARGS` and returns stderr and the exit code.
fn run(args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("grunndata")
        .expect("the grunndata binary is built")
        .args(args)
        .env_remove("GRUNNDATA_DB")
        .output()
        .expect("runs");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    (stderr, output.status.code().expect("exited"))
}

/// Regression (issue 14): causes were printed two or three times (`{source}` in a message
/// plus `#[source]`, then anyhow's `{:#}`).
#[test]
fn each_cause_is_printed_once() {
    let cases = [
        (
            vec!["status", "--db", "postgres://nobody@127.0.0.1:1/mirror"],
            "Connection refused",
        ),
        (
            vec![
                "person",
                "track",
                "01818000010",
                "--db",
                "sqlite:///dev/null/below-a-file/mirror.db",
            ],
            "Not a directory",
        ),
    ];
    for (args, cause) in cases {
        let (stderr, code) = run(&args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert_eq!(stderr.matches(cause).count(), 1, "{cause} once: {stderr}");
        assert!(
            stderr.starts_with("grunndata: opening the mirror"),
            "{stderr}"
        );
    }
}

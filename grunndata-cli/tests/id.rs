//! `grunndata id`: table and JSON output, stdin mode and exit statuses.

use assert_cmd::Command;
use serde_json::Value;

fn grunndata() -> Command {
    Command::cargo_bin("grunndata").expect("the grunndata binary is built")
}

/// Runs `grunndata id ARGS` with `stdin`, returning stdout and the exit code.
fn run(args: &[&str], stdin: &str) -> (String, i32) {
    let output = grunndata()
        .arg("id")
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    (stdout, output.status.code().expect("exited"))
}

#[test]
fn table_output() {
    let (stdout, code) = run(
        &[
            "30108299920",
            "30108299939",
            "01818000010",
            "41018000049",
            "81234567802",
            "974 760 673",
            "02013299997",
            "30108299921",
            "9144889",
        ],
        "",
    );
    assert_eq!(code, 1, "one or more are invalid");
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_output_has_one_object_per_input_in_order() {
    let (stdout, code) = run(&["--json"], "30108299939\n974760673\n\n15108695077\n");
    assert_eq!(code, 1);
    for line in stdout.lines() {
        serde_json::from_str::<Value>(line).expect("one JSON object per line");
    }
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_fields_and_types_are_stable() {
    let (stdout, code) = run(&["--json", "01818000010"], "");
    assert_eq!(code, 0);
    let object: Value = serde_json::from_str(stdout.trim()).expect("JSON");
    // Scripts may rely on the field order too, so check it in the text itself.
    let positions: Vec<usize> = [
        "input",
        "valid",
        "kind",
        "synthetic",
        "birth_date",
        "gender",
        "error",
    ]
    .iter()
    .map(|key| stdout.find(&format!("\"{key}\":")).expect("field present"))
    .collect();
    assert!(positions.is_sorted(), "{stdout}");
    assert_eq!(object["kind"], "fodselsnummer");
    assert_eq!(object["synthetic"], true);
    assert_eq!(object["birth_date"], "1980-01-01");
    assert_eq!(object["gender"], "female");
    assert_eq!(object["error"], Value::Null);
}

#[test]
fn kind_forces_the_family() {
    let cases = [
        ("hpr", "9144889", 0, Some("hpr-nummer")),
        ("her", "8093240", 0, Some("her-id")),
        ("resh", "4001031", 0, Some("resh-id")),
        ("org", "974760673", 0, Some("organisasjonsnummer")),
        ("person", "974760673", 1, None),
        ("hpr", "0", 1, None),
    ];
    for (kind, value, expected_code, expected_kind) in cases {
        let (stdout, code) = run(&["--json", "--kind", kind, value], "");
        assert_eq!(code, expected_code, "{kind} {value}");
        let object: Value = serde_json::from_str(stdout.trim()).expect("JSON");
        assert_eq!(object["kind"].as_str(), expected_kind, "{kind} {value}");
    }
}

#[test]
fn exit_status_zero_when_all_valid_from_stdin() {
    let (stdout, code) = run(&[], "30108299920\r\n988077917\n");
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 3, "header and two rows:\n{stdout}");
}

#[test]
fn usage_errors_exit_2() {
    let output = grunndata()
        .args(["id", "--kind", "passport", "1"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("passport"), "{stderr}");
}

#[test]
fn streams_many_lines_in_order() {
    // Not a timing test: a large input must come back complete and in order.
    let inputs: Vec<String> = (0..20_000)
        .map(|i| {
            if i % 2 == 0 {
                "974760673".to_owned()
            } else {
                format!("{i}")
            }
        })
        .collect();
    let (stdout, code) = run(&["--json"], &(inputs.join("\n") + "\n"));
    assert_eq!(code, 1);
    let echoed: Vec<String> = stdout
        .lines()
        .map(|line| {
            let object: Value = serde_json::from_str(line).expect("JSON");
            object["input"].as_str().expect("input").to_owned()
        })
        .collect();
    assert_eq!(echoed, inputs);
}

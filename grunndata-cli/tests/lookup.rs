//! The lookup subcommands over the fixture mirror (an SQLite file): cards and JSON pinned
//! by snapshots, and every exit status — 0 found/authorised, 1 not found/not authorised,
//! 2 malformed input (explained before any lookup), 3 no mirror, an empty one, or an
//! unreachable database.

// The fixture of the grunndata-sync tests, shared by path: `mirror` reaches `synth` as
// `super::synth`, so both sit at the crate root.
#[allow(dead_code, reason = "the CLI tests use part of the fixture")]
#[path = "../../grunndata-sync/tests/common/mirror.rs"]
mod mirror;
#[allow(dead_code, reason = "the CLI tests use part of the generator")]
#[path = "../../grunndata-sync/tests/common/synth.rs"]
mod synth;

use assert_cmd::Command;
use grunndata_sync::store::Store;
use serde_json::Value;
use tempfile::TempDir;

/// Runs `future` to completion on a one-thread runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(future)
}

/// A populated mirror in a temp directory, and its URL.
fn fixture() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
    block_on(async {
        let store = Store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        mirror::populate(&store).await;
        store.close().await;
    });
    (dir, url)
}

/// The output of one run.
struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs `grunndata ARGS --db URL` as actor `helpdesk`, with no configuration from the
/// environment.
fn run(url: &str, args: &[&str]) -> Run {
    let output = Command::cargo_bin("grunndata")
        .unwrap_or_else(|e| panic!("binary: {e}"))
        .args(args)
        .args(["--db", url])
        .env("USER", "helpdesk")
        .env_remove("GRUNNDATA_CONFIG")
        .env_remove("GRUNNDATA_DB")
        .output()
        .unwrap_or_else(|e| panic!("runs: {e}"));
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

fn nin(index: u32) -> String {
    synth::nin(index).expose()
}

#[test]
fn personnel_card_and_json() {
    let (_dir, url) = fixture();
    let card = run(&url, &["personnel", "9144889", "--at", "2026-11-25"]);
    assert_eq!(card.code, 0, "{}", card.stderr);
    insta::assert_snapshot!("personnel_card", card.stdout);

    let json = run(
        &url,
        &["personnel", &nin(2), "--json", "--at", "2026-11-25"],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["found"], true);
    assert_eq!(value["personnel"]["record"]["hpr_number"], "9144890");
    insta::assert_snapshot!("personnel_json", json.stdout);
}

#[test]
fn authz_says_why() {
    let (_dir, url) = fixture();
    let table = [
        (vec!["authz", "9144889", "LE", "--at", "2026-09-30"], 0),
        (vec!["authz", "9144889", "le", "--at", "2026-10-15"], 1),
        (vec!["authz", "9144889", "SP", "--at", "2026-09-30"], 1),
        (vec!["authz", "9144890", "LE", "--at", "2026-11-25"], 1),
    ];
    let mut lines = String::new();
    for (args, code) in table {
        let out = run(&url, &args);
        assert_eq!(out.code, code, "{args:?}: {}{}", out.stdout, out.stderr);
        lines.push_str(&out.stdout);
    }
    insta::assert_snapshot!("authz_sentences", lines);
    // Without --at the day is today; Ola's approval expired 2026-03-31, so whatever today
    // is, the answer is no.
    assert_eq!(run(&url, &["authz", "9144890", "LE"]).code, 1);

    let json = run(
        &url,
        &["authz", &nin(1), "LE", "--json", "--at", "2026-10-15"],
    );
    assert_eq!(json.code, 1);
    insta::assert_snapshot!("authz_json", json.stdout);
}

#[test]
fn org_and_her_cards() {
    let (_dir, url) = fixture();
    let main = mirror::main_unit().to_string();
    let org = run(&url, &["org", &main, "--at", "2026-11-25"]);
    assert_eq!(org.code, 0, "{}", org.stderr);
    insta::assert_snapshot!("org_card", org.stdout);
    let org_json = run(&url, &["org", &synth::orgnr(2).to_string(), "--json"]);
    assert_eq!(org_json.code, 0);
    insta::assert_snapshot!("org_json", org_json.stdout);

    let her = run(&url, &["her", "81000001", "--tree"]);
    assert_eq!(her.code, 0, "{}", her.stderr);
    insta::assert_snapshot!("her_tree", her.stdout);
    let her_json = run(&url, &["her", "81000002", "--json"]);
    assert_eq!(her_json.code, 0);
    insta::assert_snapshot!("her_json", her_json.stdout);
}

#[test]
fn search_by_name() {
    let (_dir, url) = fixture();
    let all = run(&url, &["search", "ås"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    insta::assert_snapshot!("search_table", all.stdout);
    let hpr = run(&url, &["search", "nordmann", "--register", "hpr", "--json"]);
    assert_eq!(hpr.code, 0);
    insta::assert_snapshot!("search_json", hpr.stdout);
    assert_eq!(run(&url, &["search", "ingen slik"]).code, 1);
    assert_eq!(run(&url, &["search", " "]).code, 2);
}

#[test]
fn person_protection_and_audit() {
    let (_dir, url) = fixture();
    let open = run(&url, &["person", &nin(10)]);
    assert_eq!(open.code, 0, "{}", open.stderr);
    insta::assert_snapshot!("person_open", open.stdout);

    let withheld = run(&url, &["person", &nin(11)]);
    assert_eq!(withheld.code, 0, "{}", withheld.stderr);
    assert!(!withheld.stdout.contains("Skjultveien"));
    insta::assert_snapshot!("person_withheld", withheld.stdout);

    let revealed = run(
        &url,
        &[
            "person",
            &nin(11),
            "--purpose",
            "treatment",
            "--actor",
            "dr.lege",
        ],
    );
    assert_eq!(revealed.code, 0, "{}", revealed.stderr);
    assert!(revealed.stdout.contains("Skjultveien"));

    let json = run(&url, &["person", &nin(11), "--json"]);
    let value: Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["answer"], "found");
    assert_eq!(value["addresses"], "withheld");
    assert_eq!(value["protection"], "strictly_confidential");
    assert_eq!(
        value["person"]["record"]["residential_addresses"],
        Value::Array(vec![])
    );

    let not_tracked = run(&url, &["person", &nin(13)]);
    assert_eq!(not_tracked.code, 1);
    assert!(
        not_tracked.stdout.starts_with("not tracked"),
        "{}",
        not_tracked.stdout
    );
    assert!(
        !not_tracked.stdout.contains(&nin(13)),
        "the NIN is shown masked"
    );
    let not_fetched = run(&url, &["person", &nin(12)]);
    assert_eq!(not_fetched.code, 1);
    assert!(
        not_fetched.stdout.starts_with("not fetched"),
        "{}",
        not_fetched.stdout
    );

    let audit = run(&url, &["audit", "--json"]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    let entries: Vec<Value> = audit
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["purpose"].as_str().unwrap_or_default().to_owned(),
                e["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = |actor: &str, purpose: &str, result: &str| {
        (actor.to_owned(), purpose.to_owned(), result.to_owned())
    };
    assert_eq!(
        seen,
        [
            expect("helpdesk", "", "found"),
            expect("helpdesk", "", "found, addresses withheld"),
            expect(
                "dr.lege",
                "treatment",
                "found, protected addresses revealed"
            ),
            expect("helpdesk", "", "found, addresses withheld"),
            expect("helpdesk", "", "not_tracked"),
            expect("helpdesk", "", "not_found"),
        ]
    );
    assert!(entries.iter().all(|e| e["register"] == "preg"));
    let human = run(&url, &["audit", "--since", "2000-01-01"]);
    assert_eq!(human.code, 0);
    assert_eq!(human.stdout.lines().count(), 6);
}

#[test]
fn malformed_identifiers_exit_2_before_any_lookup() {
    // No mirror at all: a lookup would exit 3, so 2 proves nothing was looked up.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("none.db").display());
    let table: [(&[&str], &str); 7] = [
        (&["personnel", "01818000011"], "check digit"),
        (&["personnel", "abc"], "HPR number or NIN"),
        (
            &["authz", "9144889", "ZZ"],
            "not a health-personnel category",
        ),
        (&["org", "974760674"], "organisasjonsnummer"),
        (&["her", "0"], "HER-id"),
        (&["person", "01818000011"], "NIN"),
        (&["person"], "give the NIN"),
    ];
    for (args, says) in table {
        let out = run(&url, args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("01818000011"),
            "a NIN is never repeated"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(
        !dir.path().join("none.db").exists(),
        "no mirror was created"
    );
}

#[test]
fn not_found_exits_1() {
    let (_dir, url) = fixture();
    let table: [&[&str]; 4] = [
        &["personnel", "1234567"],
        &["authz", "1234567", "LE"],
        &["org", "974760673"],
        &["her", "1234"],
    ];
    for args in table {
        let out = run(&url, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.starts_with("not found"),
            "{args:?}: {}",
            out.stdout
        );
    }
    let json = run(&url, &["org", "974760673", "--json"]);
    assert_eq!(json.code, 1);
    assert_eq!(json.stdout.trim(), r#"{"found":false}"#);
}

#[test]
fn operational_errors_exit_3_and_say_how_to_populate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = format!("sqlite://{}", dir.path().join("missing.db").display());
    let out = run(&missing, &["personnel", "9144889"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("no mirror at"), "{}", out.stderr);
    assert!(out.stderr.contains("grunndata sync"), "{}", out.stderr);

    // An empty mirror: the lookup cannot tell "no such record" from "nothing synced".
    let empty = format!("sqlite://{}", dir.path().join("empty.db").display());
    block_on(async {
        Store::open(&empty)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"))
            .close()
            .await;
    });
    for args in [
        &["personnel", "9144889"][..],
        &["org", "974760673"],
        &["her", "1234"],
    ] {
        let out = run(&empty, args);
        assert_eq!(out.code, 3, "{args:?}");
        assert!(out.stderr.contains("is empty"), "{}", out.stderr);
        assert!(out.stderr.contains("grunndata demo"), "{}", out.stderr);
    }

    let unreachable = run(
        "postgres://grunndata@127.0.0.1:1/nothing",
        &["org", "974760673"],
    );
    assert_eq!(unreachable.code, 3, "{}", unreachable.stderr);
    assert!(unreachable.stderr.starts_with("grunndata: "));
}

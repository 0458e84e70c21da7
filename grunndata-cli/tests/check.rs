//! `grunndata check`: human and JSON output on a mirror with one anomaly of every kind, exit
//! statuses, and `--list`.

use assert_cmd::Command;
use grunndata_sync::core::model::{Person, UnitKind};
use grunndata_sync::source::{Parsed, ar, brreg, hpr, preg};
use grunndata_sync::store::{Batch, MirrorRecord, Register, Store};
use grunndata_sync::synth::{AnomalyOptions, Synth, SynthConfig, produced_at};
use serde_json::Value;

fn grunndata() -> Command {
    Command::cargo_bin("grunndata").unwrap_or_else(|e| panic!("the grunndata binary: {e}"))
}

fn parsed<R>(parsed: Parsed<R>) -> R {
    match parsed {
        Parsed::Record(record) => record,
        Parsed::Malformed(bad) => panic!("synthetic record does not parse: {bad}"),
    }
}

async fn apply<R: MirrorRecord>(store: &Store, records: Vec<R>) {
    let at = produced_at();
    let mut batch = Batch::new(at);
    for record in records {
        batch = batch.upsert(record, None, at);
    }
    store
        .apply(batch)
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));
}

fn json<T: serde::Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_else(|e| panic!("serialise: {e}"))
}

/// A synthetic mirror with planted anomalies, every register synced.
async fn mirror(url: &str) {
    let synth = Synth::new(SynthConfig {
        seed: 7,
        scale: 0.001,
        anomalies: AnomalyOptions { enabled: true },
    })
    .unwrap_or_else(|e| panic!("synth: {e}"));
    let c = synth.counts();
    let store = Store::open(url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let mut units: Vec<_> = (0..c.enheter)
        .map(|i| {
            parsed(brreg::parse_unit(
                &json(&synth.enhet(i)),
                UnitKind::MainUnit,
            ))
        })
        .collect();
    units.extend((0..c.underenheter).map(|i| {
        parsed(brreg::parse_unit(
            &json(&synth.underenhet(i)),
            UnitKind::SubUnit,
        ))
    }));
    apply(&store, units).await;
    let parties = (0..c.ar_total())
        .map(|i| parsed(ar::parse_party(&json(&synth.communication_party(i)))))
        .collect();
    apply(&store, parties).await;
    let personnel = (0..c.hpr_persons)
        .map(|i| parsed(hpr::parse_helseperson(&json(&synth.hpr_person(i)))))
        .collect();
    apply(&store, personnel).await;
    let persons: Vec<Person> = (0..c.hpr_persons)
        .map(|i| parsed(preg::parse_person(&json(&synth.preg_person(i)))))
        .collect();
    for nin in persons.iter().filter_map(Person::current_nin) {
        store
            .track_person(nin, None)
            .await
            .unwrap_or_else(|e| panic!("track: {e}"));
    }
    apply(&store, persons).await;
    for register in Register::ALL {
        store
            .record_success(register, produced_at())
            .await
            .unwrap_or_else(|e| panic!("record success: {e}"));
    }
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

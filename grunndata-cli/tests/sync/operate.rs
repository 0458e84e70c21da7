//! Operating a mirror: one writer at a time, SIGTERM in watch mode, status for monitoring,
//! tracked persons and cursors.

use std::time::Duration;

use grunndata_sync::store::{Register, Store};
use serde_json::{Value, json};

use crate::db::TestDb;
use crate::harness::{Upstream, backends, content, run, spawn, stderr, stdout, synth, track};

/// Waits until the sync running against `url` has committed its first batch (probing the
/// writer lock itself would race the sync for it).
async fn wait_for_first_batch(url: &str) {
    let store = Store::open(url).await.expect("store");
    for _ in 0..400 {
        let mut records = 0;
        for register in Register::ALL {
            records += store.counts(register).await.expect("counts").records;
        }
        if records > 0 {
            store.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sync committed nothing within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_is_refused_and_sigterm_stops_watch_mode_cleanly() {
    for db in backends().await {
        let upstream = Upstream::start().await;
        // Slow enough that the first sync is still running while the others try.
        upstream
            .faults(&json!({ "stall": { "probability": 1.0, "millis": 300 } }))
            .await;
        let mut watcher = spawn(&upstream, &db, &["sync", "--watch", "--interval", "1h"]);
        wait_for_first_batch(&db.url).await;

        let second = run(&upstream, &db, &["sync", "--source", "ar"]).await;
        assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
        assert!(stderr(&second).contains("writer"), "{}", stderr(&second));
        let cursor = run(&upstream, &db, &["cursor", "set", "ar", "1"]).await;
        assert_eq!(cursor.status.code(), Some(3), "{}", stderr(&cursor));

        // SIGTERM: the watcher finishes its current batch and exits 0.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pid = watcher.id().expect("pid").to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_mins(1), watcher.wait())
            .await
            .expect("watch mode stopped within a minute")
            .expect("wait");
        assert!(status.success(), "watch mode exit status {status}");

        // What it committed is whole: a normal sync finishes from there to the clean state.
        upstream.faults(&json!({})).await;
        let done = run(&upstream, &db, &["sync"]).await;
        assert!(done.status.success(), "{}", stderr(&done));
        let reference = TestDb::sqlite();
        let clean = run(&upstream, &reference, &["sync"]).await;
        assert!(clean.status.success(), "{}", stderr(&clean));
        assert_eq!(
            content(&db.url).await.digests,
            content(&reference.url).await.digests
        );
        upstream.fake.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_each_register_and_fails_when_stale() {
    let upstream = Upstream::start().await;
    let db = TestDb::sqlite();

    let missing = run(&upstream, &db, &["status", "--offline"]).await;
    assert_eq!(missing.status.code(), Some(3));
    assert!(
        stderr(&missing).contains("grunndata sync"),
        "{}",
        stderr(&missing)
    );

    track(&upstream, &db).await;
    let synced = run(&upstream, &db, &["sync", "--json"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    let report: Value = serde_json::from_str(&stdout(&synced)).expect("JSON report");
    assert_eq!(report["registers"].as_array().unwrap().len(), 4);
    assert_eq!(report["registers"][0]["mode"], "bootstrap");

    let status = run(&upstream, &db, &["status", "--json"]).await;
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let parsed: Value = serde_json::from_str(&stdout(&status)).expect("JSON status");
    assert_eq!(parsed["stale"], false);
    assert_eq!(
        parsed["registers"][1]["lag"],
        json!({"unit": "events", "value": 0})
    );
    insta::assert_json_snapshot!("status_json", parsed, {
        ".mirror" => "[mirror]",
        ".registers[].last_success_at" => "[time]",
        ".registers[].snapshot_at" => "[time]",
        ".registers[].snapshot_id" => "[snapshot]",
        ".registers[].cursor" => "[cursor]",
        ".registers[].lag" => "[lag]",
    });

    // A register that must sync every millisecond is stale at once: exit 1, for monitoring.
    let stale = run(&upstream, &db, &["status", "--offline", "--source", "ar"]).await;
    assert_eq!(stale.status.code(), Some(0));
    let mut command = crate::harness::grunndata(&upstream, &db, &["status", "--offline"]);
    command.env("GRUNNDATA_AR_STALE_AFTER", "1ms");
    let stale = command.output().await.expect("status ran");
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
    assert!(stdout(&stale).contains("ar: STALE"), "{}", stdout(&stale));
    upstream.fake.shutdown().await;
}

/// Regression (#13): sequence numbers a feed skipped are applied, not taken for an expired
/// cursor, and shown in the sync report and in `status` (text and JSON), kept across runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_gaps_show_in_the_sync_report_and_in_status() {
    let upstream = Upstream::start().await;
    let db = TestDb::sqlite();
    let first = run(&upstream, &db, &["sync", "--source", "ar"]).await;
    assert!(first.status.success(), "{}", stderr(&first));

    let s = synth();
    let renamed: Vec<Value> = (0..3)
        .map(|index| {
            let mut party = serde_json::to_value(s.communication_party(index)).expect("JSON");
            party["name"] = json!(format!("Hull i rekken {index}"));
            party
        })
        .collect();
    upstream.upsert("ar", &json!(renamed)).await;
    upstream
        .faults(&json!({ "sequence_gaps": { "count": 1, "path_prefix": "/ar/api/v1/event" } }))
        .await;
    let synced = run(&upstream, &db, &["sync", "--source", "ar"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert!(
        stdout(&synced)
            .contains("ar: 1 sequence numbers missing from the feed; the pages were applied"),
        "{}",
        stdout(&synced)
    );
    upstream.faults(&json!({})).await;

    let text = run(&upstream, &db, &["status", "--offline", "--source", "ar"]).await;
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(
        stdout(&text).contains("ar: 1 sequence numbers missing from the feed so far"),
        "{}",
        stdout(&text)
    );
    let json = run(
        &upstream,
        &db,
        &["status", "--offline", "--source", "ar", "--json"],
    )
    .await;
    let parsed: Value = serde_json::from_str(&stdout(&json)).expect("JSON status");
    assert_eq!(parsed["registers"][0]["sequence_gaps"], 1);
    upstream.fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracked_persons_and_cursors_are_managed_from_the_command_line() {
    let upstream = Upstream::start().await;
    let db = TestDb::sqlite();
    let s = synth();

    let bad = run(&upstream, &db, &["person", "track", "12345678901"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        !stderr(&bad).contains("12345678901"),
        "the number is not echoed"
    );

    track(&upstream, &db).await;
    let listed = run(&upstream, &db, &["person", "tracked", "--json"]).await;
    assert!(listed.status.success());
    assert_eq!(stdout(&listed).lines().count(), 4);
    assert!(stdout(&listed).contains("\"fetched\":false"));

    let synced = run(&upstream, &db, &["sync", "--source", "preg"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    let store = Store::open(&db.url).await.unwrap();
    assert_eq!(store.counts(Register::Preg).await.unwrap().records, 4);
    store.close().await;

    // Tracked after the snapshot: the next incremental sync fetches the person by number.
    let late = s.preg_nin(10);
    let added = run(&upstream, &db, &["person", "track", &late]).await;
    assert!(added.status.success());
    let synced = run(&upstream, &db, &["sync", "--source", "preg"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    let store = Store::open(&db.url).await.unwrap();
    assert_eq!(store.counts(Register::Preg).await.unwrap().records, 5);
    store.close().await;

    let untracked = run(&upstream, &db, &["person", "untrack", &late]).await;
    assert!(untracked.status.success(), "{}", stderr(&untracked));
    assert!(stdout(&untracked).contains("1 mirrored person(s) removed"));
    let again = run(&upstream, &db, &["person", "untrack", &late]).await;
    assert_eq!(again.status.code(), Some(1));

    let shown = run(&upstream, &db, &["cursor", "show"]).await;
    assert!(stdout(&shown).contains("preg "), "{}", stdout(&shown));
    let set = run(&upstream, &db, &["cursor", "set", "preg", "1"]).await;
    assert!(set.status.success(), "{}", stderr(&set));
    let not_a_cursor = run(&upstream, &db, &["cursor", "set", "ar", "soon"]).await;
    assert_eq!(not_a_cursor.status.code(), Some(2));
    let by_date = run(
        &upstream,
        &db,
        &["cursor", "set", "ar", "--from-date", "2026-01-01"],
    )
    .await;
    assert_eq!(by_date.status.code(), Some(2), "AR cannot start at a date");
    let by_date = run(
        &upstream,
        &db,
        &["cursor", "set", "brreg", "--from-date", "2026-01-01"],
    )
    .await;
    assert!(by_date.status.success(), "{}", stderr(&by_date));
    assert!(
        stdout(&by_date).contains("2026-01-01"),
        "{}",
        stdout(&by_date)
    );
    upstream.fake.shutdown().await;
}

/// Regression (issue 14): a short but well-formed snapshot answer fails the register with
/// exit status 3 and a plain message, removes nothing, and the next run recovers;
/// `--accept-shrink` takes a genuine shrink.
#[tokio::test]
async fn a_short_snapshot_fails_with_status_3_and_removes_nothing() {
    for db in backends().await {
        let upstream = Upstream::start().await;
        let first = run(&upstream, &db, &["sync", "--source", "brreg"]).await;
        assert!(first.status.success(), "{}", stderr(&first));
        let before = content(&db.url).await;

        upstream
            .faults(&json!({ "short_snapshot": { "probability": 1.0, "keep_fraction": 0.25 } }))
            .await;
        let short = run(
            &upstream,
            &db,
            &["sync", "--source", "brreg", "--resnapshot"],
        )
        .await;
        assert_eq!(short.status.code(), Some(3), "{}", stderr(&short));
        let message = format!("{}{}", stdout(&short), stderr(&short));
        assert!(
            message.contains("nothing was removed") && message.contains("--accept-shrink"),
            "{message}"
        );
        assert_eq!(
            content(&db.url).await.digests,
            before.digests,
            "not one record lost"
        );

        upstream.faults(&json!({})).await;
        let next = run(&upstream, &db, &["sync", "--source", "brreg"]).await;
        assert!(next.status.success(), "{}", stderr(&next));
        assert_eq!(content(&db.url).await.digests, before.digests);

        upstream
            .faults(&json!({ "short_snapshot": { "probability": 1.0, "keep_fraction": 0.25 } }))
            .await;
        let accepted = run(
            &upstream,
            &db,
            &[
                "sync",
                "--source",
                "brreg",
                "--resnapshot",
                "--accept-shrink",
            ],
        )
        .await;
        assert!(accepted.status.success(), "{}", stderr(&accepted));
        assert_ne!(
            content(&db.url).await.digests,
            before.digests,
            "the shrink was taken"
        );
    }
}

/// Issue 14: lookups open the mirror read-only. Run as an unprivileged user (the test process
/// is root in CI, for whom mode bits mean nothing) against a mirror file and directory that
/// user cannot write, a lookup answers, and nothing in the directory changes.
#[tokio::test]
async fn lookups_work_on_a_mirror_the_user_cannot_write() {
    use std::os::unix::fs::PermissionsExt as _;

    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mirror_dir = dir.path().join("mirror");
    std::fs::create_dir(&mirror_dir).expect("mirror dir");
    let db = TestDb::sqlite_at(&mirror_dir.join("grunndata.db"));
    let synced = run(&upstream, &db, &["sync", "--source", "brreg"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    let orgnr = {
        let store = Store::open(&db.url).await.expect("store");
        let units = store
            .search::<grunndata_sync::core::model::Organisation>("a", 1)
            .await
            .expect("search");
        store.close().await;
        units.first().expect("a unit").record.org_number.to_string()
    };

    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    // The binary where the unprivileged user can run it (CI's checkout may not be).
    let binary = dir.path().join("grunndata");
    std::fs::copy(env!("CARGO_BIN_EXE_grunndata"), &binary).expect("copy the binary");
    mode(&binary, 0o755);
    mode(dir.path(), 0o755);
    let mirror_file = mirror_dir.join("grunndata.db");
    mode(&mirror_file, 0o444);
    mode(&mirror_dir, 0o555);
    let before: Vec<_> = std::fs::read_dir(&mirror_dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    let bytes = std::fs::read(&mirror_file).expect("read");

    // Root ignores mode bits: drop to `nobody` for the lookup.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let mut command = if root {
        let mut command = tokio::process::Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&binary);
        command
    } else {
        tokio::process::Command::new(&binary)
    };
    let output = command
        .args(["org", &orgnr, "--json", "--db", &db.url])
        .env_remove("GRUNNDATA_DB")
        .env("HOME", dir.path())
        .output()
        .await
        .expect("the lookup ran (setpriv is in util-linux)");
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).contains(&orgnr), "{}", stdout(&output));
    let after: Vec<_> = std::fs::read_dir(&mirror_dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(after, before, "nothing created beside the mirror");
    assert_eq!(std::fs::read(&mirror_file).expect("read"), bytes);
    mode(&mirror_dir, 0o755);
}

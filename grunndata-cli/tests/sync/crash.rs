//! `kill -9` at random instants, then a restart: the mirror ends exactly where a clean run
//! does — nothing lost, nothing duplicated — also with upstream changes between the runs.

use std::time::{Duration, Instant};

use grunndata_sync::store::Register;
use serde_json::json;

use crate::db::TestDb;
use crate::harness::{
    Delays, Upstream, backends, content, has_cursor, run, spawn, stderr, synth, track,
};

/// Starts `grunndata sync` and kills it with SIGKILL after a random delay shorter than
/// `clean` (what the same work took a run that was not killed); returns whether it finished
/// on its own first.
async fn sync_and_kill(
    upstream: &Upstream,
    db: &TestDb,
    delays: &mut Delays,
    clean: Duration,
) -> bool {
    let mut child = spawn(upstream, db, &["sync"]);
    let delay = delays.next(10, clean_millis(clean));
    tokio::select! {
        status = child.wait() => {
            let status = status.expect("wait");
            assert!(status.success(), "sync failed on its own: {status}");
            true
        }
        () = tokio::time::sleep(delay) => {
            child.start_kill().expect("SIGKILL");
            let _ = child.wait().await;
            false
        }
    }
}

/// The upper bound of the kill delays, in milliseconds: the clean run's duration, so the
/// kills land inside the work however fast this machine and build run it.
fn clean_millis(clean: Duration) -> u64 {
    u64::try_from(clean.as_millis()).unwrap_or(u64::MAX).max(20)
}

/// Runs `grunndata sync` to the end on `db` and returns how long it took.
async fn timed_sync(upstream: &Upstream, db: &TestDb) -> Duration {
    let started = Instant::now();
    let output = run(upstream, db, &["sync"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    started.elapsed()
}

/// Makes a few hundred upstream changes (Brreg renames, AR and Persontjenesten updates), so
/// that the incremental run spans many batches.
pub async fn change_upstream(upstream: &Upstream, round: usize) {
    let s = synth();
    let renamed: Vec<serde_json::Value> = (0..150)
        .map(|index| {
            let mut unit = serde_json::to_value(s.enhet(index)).unwrap();
            unit["navn"] = json!(format!("ENDRET {round} AS"));
            unit
        })
        .collect();
    upstream
        .upsert("brreg/enheter", &serde_json::Value::Array(renamed))
        .await;
    let parties: Vec<serde_json::Value> = (0..20)
        .map(|index| {
            let mut party = serde_json::to_value(s.communication_party(index)).unwrap();
            party["name"] = json!(format!("Endret {round}"));
            party
        })
        .collect();
    upstream
        .upsert("ar", &serde_json::Value::Array(parties))
        .await;
    let mut person = serde_json::to_value(s.preg_person(1)).unwrap();
    person["name"][0]["familyName"] = json!(format!("ENDRET{round}"));
    upstream.upsert("preg", &json!([person])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_instants_converges_to_a_clean_run() {
    let upstream = Upstream::start().await;
    // A little latency on some requests spreads the run out, so kills land everywhere.
    upstream
        .faults(&json!({ "seed": 5, "stall": { "probability": 0.2, "millis": 15 } }))
        .await;
    let reference = TestDb::sqlite();
    track(&upstream, &reference).await;
    let mut victims = Vec::new();
    for db in backends().await {
        track(&upstream, &db).await;
        victims.push(db);
    }
    let mut delays = Delays::new(20_261_125);

    // Phase 1: the first sync (bootstraps and feed replay), killed again and again. The
    // reference's clean bootstrap, of the same upstream, says how long that work takes.
    let bootstrap = timed_sync(&upstream, &reference).await;
    eprintln!("a clean bootstrap took {bootstrap:?}");
    let clean = content(&reference.url).await;
    let mut kills = 0;
    for db in &victims {
        for _ in 0..6 {
            if !sync_and_kill(&upstream, db, &mut delays, bootstrap).await {
                kills += 1;
            }
        }
        let output = run(&upstream, db, &["sync"]).await;
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(has_cursor(&db.url, Register::Brreg).await);
        assert_eq!(content(&db.url).await, clean, "{:?} after phase 1", db.kind);
    }

    // Phase 2: upstream changes between runs, and the incremental syncs killed too; the
    // reference's clean incremental run of each round times that round's kills.
    for round in 0..3 {
        change_upstream(&upstream, round).await;
        let incremental = timed_sync(&upstream, &reference).await;
        eprintln!("round {round}: a clean incremental sync took {incremental:?}");
        for db in &victims {
            for _ in 0..2 {
                if !sync_and_kill(&upstream, db, &mut delays, incremental).await {
                    kills += 1;
                }
            }
        }
    }
    for db in &victims {
        let output = run(&upstream, db, &["sync"]).await;
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // Record content must agree. History need not: a victim whose runs of a round were all
    // killed before they stored its changes never saw that round's versions.
    let clean = content(&reference.url).await.digests;
    for db in &victims {
        assert_eq!(
            content(&db.url).await.digests,
            clean,
            "{:?} after phase 2",
            db.kind
        );
    }
    assert!(
        kills >= 6,
        "only {kills} runs were killed; the test did not test much"
    );
    eprintln!("{kills} runs killed");
    upstream.fake.shutdown().await;
}

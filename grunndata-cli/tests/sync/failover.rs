//! Active/standby sync nodes on one PostgreSQL mirror (#16): three `sync --watch` nodes, the
//! active one killed with SIGKILL at random moments during the bootstrap and during
//! incremental rounds; a standby takes over each time and continues from the committed
//! cursors. The mirror ends equal to a clean single-node run's, and the writes, in commit
//! order, never go back to a node once another has written (two writers would interleave).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::{Connection as _, PgConnection};
use tokio::process::Child;

use crate::crash::change_upstream;
use crate::db::TestDb;
use crate::harness::{Delays, Upstream, content, run, stderr, track};

/// How often a standby tries the lock in this test.
const POLL: &str = "100ms";

/// A `sync --watch` node whose connections carry `name` as PostgreSQL `application_name`;
/// its log goes to `<logs>/<name>.log`.
fn node(upstream: &Upstream, db: &TestDb, name: &str, logs: &Path) -> Child {
    let log = std::fs::File::create(logs.join(format!("{name}.log"))).expect("log file");
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={name}", db.url);
    tokio::process::Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["sync", "--watch", "--interval", "200ms", "--config"])
        .arg(&upstream.config)
        .args(["--db", &url])
        .env_remove("GRUNNDATA_DB")
        .env("GRUNNDATA_SYNC_STANDBY_POLL", POLL)
        .kill_on_drop(true)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("node started")
}

async fn connect(db: &TestDb) -> PgConnection {
    PgConnection::connect(&db.url).await.expect("connect")
}

/// The `application_name` of the node holding the writer lock, if one does.
async fn active(conn: &mut PgConnection) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.application_name::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
         (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
    )
    .fetch_optional(conn)
    .await
    .expect("pg_locks")
}

/// Waits until some node other than `gone` holds the lock (the session of a killed node may
/// linger for a moment after its process died); returns its name.
async fn wait_for_active(conn: &mut PgConnection, gone: Option<&str>) -> String {
    let started = Instant::now();
    loop {
        if let Some(name) = active(conn).await
            && Some(name.as_str()) != gone
        {
            return name;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no standby took over within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_when_the_active_node_is_killed() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let upstream = Upstream::start().await;
    upstream
        .faults(&json!({ "seed": 7, "stall": { "probability": 0.3, "millis": 20 } }))
        .await;
    track(&upstream, &db).await;

    // Every write transaction of a lock holder touches sync_state (its cursor, its version)
    // or applies records; record which node made each, in commit order of the row locks.
    let mut conn = connect(&db).await;
    // The schema exists after the first open (`track` did it).
    for statement in [
        "CREATE TABLE test_writes (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL)",
        "CREATE FUNCTION test_record_writer() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN INSERT INTO test_writes (node) VALUES (current_setting('application_name')); \
         RETURN NEW; END $$",
        "CREATE TRIGGER test_record_writer AFTER UPDATE ON sync_state \
         FOR EACH ROW EXECUTE FUNCTION test_record_writer()",
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .expect(statement);
    }

    // The clean single-node run goes through the same history: a bootstrap of the initial
    // state, then each round of upstream changes.
    let reference = TestDb::sqlite();
    track(&upstream, &reference).await;
    let clean = run(&upstream, &reference, &["sync"]).await;
    assert!(clean.status.success(), "{}", stderr(&clean));

    let logs = tempfile::tempdir().expect("log dir");
    let mut delays = Delays::new(20_261_205);
    let mut nodes: Vec<(String, Child)> = (0..3)
        .map(|index| {
            let name = format!("node{index}");
            (name.clone(), node(&upstream, &db, &name, logs.path()))
        })
        .collect();
    let mut takeovers = Vec::new();
    for (spawned, round) in (nodes.len()..).zip(0..6) {
        // Rounds 0–2 land in the bootstrap (or just after); later ones in incremental rounds
        // with upstream changes arriving.
        if round >= 3 {
            change_upstream(&upstream, round).await;
            let clean = run(&upstream, &reference, &["sync"]).await;
            assert!(clean.status.success(), "{}", stderr(&clean));
        }
        let victim = wait_for_active(&mut conn, None).await;
        tokio::time::sleep(delays.next(50, 1500)).await;
        let victim = active(&mut conn).await.unwrap_or(victim);
        let position = nodes
            .iter()
            .position(|(name, _)| *name == victim)
            .unwrap_or_else(|| panic!("the lock holder {victim} is not one of ours"));
        let (_, mut child) = nodes.remove(position);
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        let killed_at = Instant::now();
        wait_for_active(&mut conn, Some(&victim)).await;
        takeovers.push(killed_at.elapsed());
        let name = format!("node{spawned}");
        nodes.push((name.clone(), node(&upstream, &db, &name, logs.path())));
    }

    // Quiet now: the surviving nodes catch up; the mirror must reach a clean run's content.
    upstream.faults(&json!({})).await;
    let clean = run(&upstream, &reference, &["sync"]).await;
    assert!(clean.status.success(), "{}", stderr(&clean));
    let expected = content(&reference.url).await.digests;
    let started = Instant::now();
    while content(&db.url).await.digests != expected {
        if started.elapsed() > Duration::from_secs(90) {
            for (name, _) in &nodes {
                let log = std::fs::read_to_string(logs.path().join(format!("{name}.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                eprintln!("--- {name} (last lines, newest first)\n{}", tail.join("\n"));
            }
            let found = content(&db.url).await.digests;
            panic!(
                "the mirror did not converge to the clean run's content:\n{found:?}\n{expected:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for (_, mut child) in nodes {
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
    }

    // One writer at a time: in the order they wrote, each node's writes form one run.
    let writers: Vec<String> = sqlx::query_scalar("SELECT node FROM test_writes ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("writes");
    let mut runs: Vec<&str> = Vec::new();
    for writer in &writers {
        if runs.last() != Some(&writer.as_str()) {
            assert!(
                !runs.contains(&writer.as_str()),
                "{writer} wrote again after another node had: {runs:?}"
            );
            runs.push(writer);
        }
    }
    assert!(runs.len() >= 2, "takeovers wrote: {runs:?}");
    let slowest = takeovers.iter().max().copied().unwrap_or_default();
    eprintln!("takeovers after SIGKILL: {takeovers:?} (slowest {slowest:?})");
    assert!(
        slowest < Duration::from_secs(10),
        "a standby took {slowest:?} to take over"
    );
    let _ = conn.close().await;
    upstream.fake.shutdown().await;
}

/// A `sync --watch --metrics-listen 127.0.0.1:0` node; returns it with its metrics base URL
/// (read from its stderr, which is then drained in the background).
async fn metrics_node(upstream: &Upstream, db: &TestDb) -> (Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(["sync", "--watch", "--interval", "200ms"])
        .args(["--metrics-listen", "127.0.0.1:0", "--config"])
        .arg(&upstream.config)
        .args(["--db", &db.url])
        .env_remove("GRUNNDATA_DB")
        .env("GRUNNDATA_SYNC_STANDBY_POLL", POLL)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node started");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the metrics address within 30 s")
            .expect("stderr")
            .expect("the node said where its metrics are");
        if let Some(url) = line
            .strip_prefix("metrics on ")
            .and_then(|url| url.strip_suffix("/metrics"))
        {
            break url.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

async fn get_text(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("GET");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

/// Polls `url` until its body contains `wanted`.
async fn wait_for(url: &str, wanted: &str) -> String {
    let started = Instant::now();
    loop {
        let (_, body) = get_text(url).await;
        if body.contains(wanted) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "{url} never showed {wanted:?}; last:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `--metrics-listen` (#16): the active node says it is active, a standby that it stands by,
/// and the standby says it took over once the active node is killed. SQLite: a file lock on
/// one host stands in for the advisory lock; the metrics are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_say_who_is_active() {
    let upstream = Upstream::start().await;
    let db = TestDb::sqlite();
    let (mut first, first_url) = metrics_node(&upstream, &db).await;
    let metrics = wait_for(&format!("{first_url}/metrics"), "grunndata_sync_active 1").await;
    assert!(metrics.contains("# TYPE grunndata_sync_records_applied_total counter"));
    let lagging = wait_for(
        &format!("{first_url}/metrics"),
        "grunndata_register_lag_seconds{register=\"ar\"}",
    )
    .await;
    assert!(lagging.contains("grunndata_mirror_up 1"), "{lagging}");
    assert!(
        lagging.contains("grunndata_register_last_success_timestamp_seconds{register=\"ar\"}"),
        "{lagging}"
    );
    let (status, health) = get_text(&format!("{first_url}/health")).await;
    assert_eq!(status, 200, "{health}");
    let health: serde_json::Value = serde_json::from_str(&health).expect("JSON");
    assert_eq!(health["role"], "active");
    assert_eq!(health["registers"].as_array().map(Vec::len), Some(4));

    let (mut second, second_url) = metrics_node(&upstream, &db).await;
    wait_for(&format!("{second_url}/metrics"), "grunndata_sync_active 0").await;
    let (status, health) = get_text(&format!("{second_url}/health")).await;
    assert_eq!(status, 200, "a standby is healthy: {health}");
    assert!(health.contains("\"role\":\"standby\""), "{health}");

    first.start_kill().expect("SIGKILL");
    let _ = first.wait().await;
    wait_for(&format!("{second_url}/metrics"), "grunndata_sync_active 1").await;
    let (_, health) = get_text(&format!("{second_url}/health")).await;
    assert!(health.contains("\"role\":\"active\""), "{health}");
    second.start_kill().expect("SIGKILL");
    let _ = second.wait().await;
    upstream.fake.shutdown().await;
}

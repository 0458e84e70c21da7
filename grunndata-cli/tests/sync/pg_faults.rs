//! Database faults (#16): PostgreSQL restarted, and a sync's connections dropped mid-batch,
//! while `grunndata serve` and `grunndata sync --watch` run. Serve answers from its cache or
//! 503 with a reason — never a 500 — both recover without a restart, and the mirror ends equal
//! to a clean run's, history included: nothing lost, nothing written twice.
//!
//! The test runs its own PostgreSQL cluster (`initdb` into a temporary directory, on a free
//! port) so that stopping it disturbs no one; as root it runs the server as `postgres`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Child;

use crate::crash::change_upstream;
use crate::db::TestDb;
use crate::harness::{Upstream, content, run, stderr, synth, track};

/// A PostgreSQL cluster of the test's own; stopped (immediately) when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Creates and starts a cluster, or `None` (skipped, said why) when the server binaries
    /// are missing and `CI` is not `true`.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|version| version.path().join("bin"))
                    .find(|bin| bin.join("initdb").exists())
            });
        let Some(bin) = bin else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "initdb not found under /usr/lib/postgresql"
            );
            eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        let as_postgres = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
        let dir = tempfile::tempdir().expect("cluster dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        if as_postgres {
            for path in [dir.path(), data.as_path()] {
                let status = std::process::Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(path)
                    .status()
                    .expect("chown");
                assert!(status.success());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let cluster = Self {
            bin,
            data,
            port,
            as_postgres,
            _dir: dir,
        };
        cluster.pg(
            "initdb",
            &["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"],
            &[cluster.data.as_path()],
        );
        cluster.ctl("start");
        Some(cluster)
    }

    /// A server binary, to run as `postgres` when we are root (the server refuses root).
    fn command(&self, program: &str) -> std::process::Command {
        let binary = self.bin.join(program);
        if self.as_postgres {
            let mut command = std::process::Command::new("setpriv");
            command
                .args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--",
                ])
                .arg(&binary);
            command
        } else {
            std::process::Command::new(&binary)
        }
    }

    /// Runs a server binary and requires success.
    fn pg(&self, program: &str, args: &[&str], paths: &[&Path]) {
        let output = self
            .command(program)
            .args(args)
            .args(paths)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("{program}: {error}"));
        assert!(
            output.status.success(),
            "{program} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `pg_ctl start|stop|restart`, waiting for it.
    fn ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
            self.port
        );
        let log = self.data.join("server.log");
        let log = log.to_string_lossy().into_owned();
        let args = if action == "stop" {
            vec![action, "-w", "-m", "fast", "-D"]
        } else {
            vec![action, "-w", "-l", &log, "-o", &options, "-D"]
        };
        self.pg("pg_ctl", &args, &[self.data.as_path()]);
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
    }
}

/// `grunndata ARGS --config … --db URL` in the background; its log goes to the file named by
/// `GRUNNDATA_TEST_LOG_DIR`/`<first two args>.log` when that is set, else nowhere.
fn background(upstream: &Upstream, url: &str, args: &[&str]) -> Child {
    let log = std::env::var_os("GRUNNDATA_TEST_LOG_DIR").map_or_else(Stdio::null, |dir| {
        let name = format!(
            "{}.log",
            args.iter().take(2).copied().collect::<Vec<_>>().join("-")
        );
        std::fs::File::create(Path::new(&dir).join(name))
            .map_or_else(|_| Stdio::null(), Stdio::from)
    });
    tokio::process::Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .args(args)
        .arg("--config")
        .arg(&upstream.config)
        .args(["--db", url])
        .env_remove("GRUNNDATA_DB")
        .env("GRUNNDATA_SYNC_STANDBY_POLL", "100ms")
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("started")
}

/// `grunndata serve --no-auth` on loopback; returns it and its base URL.
async fn serve(upstream: &Upstream, url: &str) -> (Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = background(
        upstream,
        url,
        &["serve", "--no-auth", "--listen", "127.0.0.1:0"],
    );
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve started within 30 s")
        .expect("stdout")
        .expect("serve said where it listens");
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve said {line:?}"))
        .to_owned();
    (child, base)
}

/// GET `url`: the status and body, or `None` when the server did not answer at all.
async fn get(url: &str) -> Option<(u16, String)> {
    let response = reqwest::get(url).await.ok()?;
    Some((response.status().as_u16(), response.text().await.ok()?))
}

/// Every answer while the database is away is the cached one (200) or 503 with a reason.
fn acceptable(answer: Option<&(u16, String)>) {
    let (status, body) = answer.expect("serve kept answering");
    assert!(
        *status == 200 || (*status == 503 && !body.is_empty()),
        "serve answered {status}: {body}"
    );
}

/// Polls `url` until the body contains `wanted`.
async fn wait_for(url: &str, wanted: &str, what: &str) {
    let started = Instant::now();
    loop {
        if let Some((200, body)) = get(url).await
            && body.contains(wanted)
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{what}: {url} never showed {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_and_sync_ride_out_a_database_restart_and_dropped_connections() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url("postgres");
    let upstream = Upstream::start().await;
    // The same history, run cleanly by one process on SQLite.
    let reference = TestDb::sqlite();
    track(&upstream, &reference).await;
    let clean = run(&upstream, &reference, &["sync"]).await;
    assert!(clean.status.success(), "{}", stderr(&clean));

    let mut track_args = vec!["person", "track"];
    let nins: Vec<String> = (0..4).map(|index| synth().preg_nin(index)).collect();
    track_args.extend(nins.iter().map(String::as_str));
    let mut tracked = background(&upstream, &url, &track_args);
    assert!(tracked.wait().await.expect("track").success());
    let mut first = background(&upstream, &url, &["sync"]);
    assert!(first.wait().await.expect("sync").success());

    let (_serve, base) = serve(&upstream, &url).await;
    let hpr = synth().hpr_number(0);
    let personnel = format!("{base}/v1/personnel/{hpr}");
    let parties = format!("{base}/v1/parties/{}", synth().ar_her_id(0));
    assert_eq!(get(&personnel).await.map(|(status, _)| status), Some(200));
    let _watch = background(&upstream, &url, &["sync", "--watch", "--interval", "300ms"]);
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("admin connection");
    let started = Instant::now();
    while sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
    )
    .fetch_one(&mut admin)
    .await
    .expect("pg_locks")
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sync --watch never took the writer lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(admin);

    // 1. A restart of the database (fast shutdown: connections are cut). A second node
    //    started while it is down waits for it instead of exiting, then stands by.
    cluster.ctl("stop");
    let mut late = background(&upstream, &url, &["sync", "--watch", "--interval", "300ms"]);
    for _ in 0..10 {
        acceptable(get(&personnel).await.as_ref());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster.ctl("start");
    change_upstream(&upstream, 1).await;
    let clean = run(&upstream, &reference, &["sync"]).await;
    assert!(clean.status.success(), "{}", stderr(&clean));
    // The sync node recovered (it applied the change) and serve sees it.
    wait_for(&parties, "Endret 1", "after the restart").await;
    assert!(
        late.try_wait().expect("try_wait").is_none(),
        "a node started while the database was down exited instead of waiting"
    );

    // 2. The sync's connections dropped in the middle of applying a round of changes.
    change_upstream(&upstream, 2).await;
    let clean = run(&upstream, &reference, &["sync"]).await;
    assert!(clean.status.success(), "{}", stderr(&clean));
    let admin = cluster.url("postgres");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("admin connection");
    for _ in 0..5 {
        // Every grunndata session but serve's readers: the syncer's pool and its lock.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'grunndata' AND pid <> pg_backend_pid() \
             AND state <> 'idle'",
        )
        .execute(&mut conn)
        .await
        .expect("terminate");
        acceptable(get(&personnel).await.as_ref());
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    wait_for(&parties, "Endret 2", "after dropped connections").await;

    // Nothing lost, nothing written twice.
    let expected = content(&reference.url).await;
    let started = Instant::now();
    loop {
        let found = content(&url).await;
        if found == expected {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "the mirror did not converge:\n{found:?}\n{expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, _) = get(&format!("{base}/health/ready")).await.expect("ready");
    assert_eq!(status, 200, "serve is ready again without a restart");
    upstream.fake.shutdown().await;
}

/// Cross-process invalidation (#16): two `serve` processes, running under a lookup role that
/// may only read the mirror and insert audit rows, answer a party from their caches; after a
/// `grunndata sync` that changed it returns, both answer the new value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_nodes_see_a_sync_commit() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let upstream = Upstream::start().await;
    track(&upstream, &db).await;
    let synced = run(&upstream, &db, &["sync"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));

    // The least-privileged role of docs/deploy.md.
    let mut url = reqwest::Url::parse(&db.url).expect("url");
    let database = url.path().trim_start_matches('/').to_owned();
    let role = format!("{database}_lookup");
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .expect("admin connection");
    for statement in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT CONNECT ON DATABASE {database} TO {role}"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT INSERT ON audit_log TO {role}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    url.set_username(&role).expect("username");
    let lookup_url = url.to_string();

    let (mut one, first) = serve(&upstream, &lookup_url).await;
    let (mut two, second) = serve(&upstream, &lookup_url).await;
    let her_id = synth().ar_her_id(0);
    let paths = [
        format!("{first}/v1/parties/{her_id}"),
        format!("{second}/v1/parties/{her_id}"),
    ];
    for path in &paths {
        let (status, body) = get(path).await.expect("answer");
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("Endret 7"));
    }
    change_upstream(&upstream, 7).await;
    let synced = run(&upstream, &db, &["sync"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    for path in &paths {
        wait_for(path, "Endret 7", "after the sync returned").await;
    }
    for child in [&mut one, &mut two] {
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
    }
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP OWNED BY {role}")))
        .execute(&mut admin)
        .await;
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE {role}")))
        .execute(&mut admin)
        .await;
    upstream.fake.shutdown().await;
}

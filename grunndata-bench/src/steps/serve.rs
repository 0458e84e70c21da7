//! `grunndata serve` under load: `wrk` (64 connections) against cached FHIR Practitioner
//! reads and REST authz answers — bearer JWTs checked as in production — beside an axum
//! handler returning a fixed body of the same size, on the same machine in the same run.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use grunndata_sync::auth::Algorithm;
use grunndata_sync::auth::testkeys::GeneratedKey;
use serde_json::json;

use crate::report::LatencyRow;
use crate::run::Bench;
use crate::stats::median;

/// Connections `wrk` keeps open.
pub const CONNECTIONS: usize = 64;
/// How long each `wrk` measurement runs.
const DURATION: Duration = Duration::from_secs(10);
/// Issuer, audience and `kid` of the bench's own token issuer.
const ISSUER: &str = "https://helseid-sts.bench.invalid";
const AUDIENCE: &str = "grunndata-serve";
const KID: &str = "bench-1";

/// Row subjects, for the targets.
pub mod names {
    /// Cached FHIR Practitioner reads through `grunndata serve`.
    pub const FHIR: &str = "serve: FHIR Practitioner read (cached)";
    /// The fixed body of the FHIR read's size.
    pub const FHIR_FIXED: &str = "axum fixed body, FHIR read's size";
    /// REST authz answers through `grunndata serve`.
    pub const AUTHZ: &str = "serve: REST authz (cached)";
    /// The fixed body of the authz answer's size.
    pub const AUTHZ_FIXED: &str = "axum fixed body, authz answer's size";
}

/// A child process killed when dropped.
pub(crate) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `grunndata serve --listen 127.0.0.1:0 --db URL ARGS` (the binary beside the
/// bench); returns it and its base URL, once it listens.
pub(crate) fn start_serve(url: &str, args: &[&str]) -> anyhow::Result<(Killed, String)> {
    let binary = std::env::current_exe()?.with_file_name("grunndata");
    let mut child = Command::new(&binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", url])
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("GRUNNDATA_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {} (build it beside the bench)", binary.display()))?;
    let stdout = child.stdout.take().context("the server's stdout")?;
    let server = Killed(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("grunndata serve said {line:?}"))?
        .to_owned();
    Ok((server, base))
}

/// Runs the step against the SQLite mirror at `url`.
pub async fn run_step(bench: &Bench, url: &str) -> anyhow::Result<Vec<LatencyRow>> {
    bench.progress("serve under wrk");
    if Command::new("wrk").output().is_err() {
        crate::anchors::tools::ensure("wrk", "wrk").ok();
        if Command::new("wrk").output().is_err() {
            bail!("wrk is missing: install the Debian package wrk");
        }
    }
    let key = GeneratedKey::es256();
    let signing = key.signing_key(Some(Algorithm::ES256), Some(KID))?;
    let jwk = serde_json::to_value(signing.verifying_key()?.jwk())?;
    let jwks = bench.dir.join("serve-jwks.json");
    std::fs::write(&jwks, json!({ "keys": [jwk] }).to_string())?;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "exp": now + 3600, "iat": now,
        "client_id": "bench", "scope": "grunndata:lookup",
    });
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.kid = Some(KID.to_owned());
    let encoding = jsonwebtoken::EncodingKey::from_ec_pem(key.pkcs8_pem()?.expose().as_bytes())?;
    let token = jsonwebtoken::encode(&header, &claims, &encoding)?;

    let jwks = jwks.to_string_lossy();
    let (server, base) = start_serve(
        url,
        &["--issuer", ISSUER, "--audience", AUDIENCE, "--jwks", &jwks],
    )?;

    let hpr = bench.synth.hpr_number(0);
    let fhir = format!("{base}/fhir/Practitioner/{hpr}");
    let authz = format!("{base}/v1/authz/{hpr}/LE");
    let client = reqwest::Client::builder().no_gzip().build()?;
    let mut sizes = Vec::new();
    for url in [&fhir, &authz] {
        let body = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("warming {url}"))?
            .bytes()
            .await?;
        sizes.push(body.len());
    }
    let fixed = FixedBodies::start(&sizes)?;
    let auth = format!("Authorization: Bearer {token}");
    let mut rows = Vec::new();
    for (subject, url, header) in [
        (names::FHIR, fhir.clone(), Some(auth.as_str())),
        (names::FHIR_FIXED, format!("{}/0", fixed.base), None),
        (names::AUTHZ, authz.clone(), Some(auth.as_str())),
        (names::AUTHZ_FIXED, format!("{}/1", fixed.base), None),
    ] {
        let runs: Vec<Wrk> = (0..bench.settings.runs.max(1))
            .map(|_| wrk(&url, header))
            .collect::<anyhow::Result<_>>()?;
        rows.push(LatencyRow {
            subject: subject.to_owned(),
            threads: CONNECTIONS,
            p50_ns: median(&runs.iter().map(|run| run.p50_ns).collect::<Vec<_>>()),
            p99_ns: median(&runs.iter().map(|run| run.p99_ns).collect::<Vec<_>>()),
            per_second: median(&runs.iter().map(|run| run.per_second).collect::<Vec<_>>()),
            peak_rss_mib: None,
        });
    }
    drop(server);
    Ok(rows)
}

/// One `wrk` measurement.
pub(crate) struct Wrk {
    pub(crate) per_second: f64,
    pub(crate) p50_ns: f64,
    pub(crate) p99_ns: f64,
}

fn wrk(url: &str, header: Option<&str>) -> anyhow::Result<Wrk> {
    wrk_with(url, header, CONNECTIONS, DURATION)
}

/// `wrk -t2 -c<connections> -d<duration> --latency`; fails on any non-2xx answer or error.
pub(crate) fn wrk_with(
    url: &str,
    header: Option<&str>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Wrk> {
    let mut command = Command::new("wrk");
    command
        .args(["-t", "2", "-c", &connections.to_string(), "--latency"])
        .args(["-d", &format!("{}s", duration.as_secs())]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Non-2xx") || text.contains("Socket errors") {
        bail!("wrk against {url} failed or saw errors:\n{text}");
    }
    parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Wrk> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    };
    Some(Wrk {
        per_second: field("Requests/sec:")?.parse().ok()?,
        p50_ns: duration_ns(field("50%")?)?,
        p99_ns: duration_ns(field("99%")?)?,
    })
}

/// `812.00us`, `1.23ms`, `2.00s` in nanoseconds.
fn duration_ns(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e9)
    } else {
        return None;
    };
    number.trim().parse::<f64>().ok().map(|n| n * scale)
}

/// The anchor: an axum server (own runtime, two worker threads like the bench machine's
/// cores) answering `GET /{i}` with `sizes[i]` fixed bytes.
struct FixedBodies {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FixedBodies {
    fn start(sizes: &[usize]) -> anyhow::Result<Self> {
        let bodies: Vec<bytes::Bytes> = sizes
            .iter()
            .map(|&size| bytes::Bytes::from(vec![b'x'; size]))
            .collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = axum::Router::new().route(
                    "/{index}",
                    axum::routing::get(
                        move |axum::extract::Path(index): axum::extract::Path<usize>| {
                            let body = bodies.get(index).cloned().unwrap_or_default();
                            async move { ([("content-type", "application/json")], body) }
                        },
                    ),
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Self { base, _stop: stop })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n  Latency Distribution\n     50%  812.00us\n     75%    1.10ms\n     90%    1.50ms\n     99%    3.25ms\n  100000 requests in 10.00s, 1.00MB read\nRequests/sec:  10000.50\nTransfer/sec:    1.00MB\n";
        let wrk = parse_wrk(text).unwrap_or_else(|| panic!("parses"));
        assert!((wrk.per_second - 10_000.5).abs() < 1e-6);
        assert!((wrk.p50_ns - 812_000.0).abs() < 1e-3);
        assert!((wrk.p99_ns - 3_250_000.0).abs() < 1e-3);
    }
}

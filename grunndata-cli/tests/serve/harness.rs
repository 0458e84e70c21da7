//! The `grunndata serve` test kit: a fixture mirror, a generated issuer key with its JWKS
//! file, tokens signed like HelseID's (valid, expired, forged, …), and the server started on
//! port 0 as a child process, killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use grunndata_sync::auth::testkeys::GeneratedKey;
use grunndata_sync::store::Store;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::mirror;

/// The issuer the server is configured with.
pub const ISSUER: &str = "https://helseid-sts.test.nhn.no";
/// The audience the server is configured with.
pub const AUDIENCE: &str = "grunndata-serve";
/// The lookup scope (the default).
pub const LOOKUP: &str = "grunndata:lookup";
/// The person scope (the default).
pub const PERSON: &str = "grunndata:person";
/// The `kid` of the issuer's key.
pub const KID: &str = "issuer-1";

/// A signing key: PEM and public JWK.
pub struct Key {
    pem: String,
    jwk: Value,
}

impl Key {
    /// A new key and its public JWK under `kid`.
    pub fn generate_public(kid: &str) -> (Self, Value) {
        let key = Self::generate(kid);
        let jwk = key.jwk.clone();
        (key, jwk)
    }

    fn generate(kid: &str) -> Self {
        let key = GeneratedKey::es256();
        let pem = key
            .pkcs8_pem()
            .unwrap_or_else(|e| panic!("pem: {e}"))
            .expose()
            .clone();
        let signing = key
            .signing_key(Some(Algorithm::ES256), Some(kid))
            .unwrap_or_else(|e| panic!("signing key: {e}"));
        let verifying = signing
            .verifying_key()
            .unwrap_or_else(|e| panic!("verifying key: {e}"));
        let jwk = serde_json::to_value(verifying.jwk()).unwrap_or_else(|e| panic!("jwk: {e}"));
        Self { pem, jwk }
    }

    /// A JWT with `claims`, signed by this key under `kid`.
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        let key = EncodingKey::from_ec_pem(self.pem.as_bytes())
            .unwrap_or_else(|e| panic!("encoding key: {e}"));
        jsonwebtoken::encode(&header, claims, &key).unwrap_or_else(|e| panic!("sign: {e}"))
    }
}

/// The issuer's key (generated once per test process).
pub fn issuer() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| Key::generate(KID))
}

/// The issuer's public key as a JWK.
pub fn issuer_jwk() -> Value {
    issuer().jwk.clone()
}

/// Another key with the same `kid`: tokens it signs are forgeries.
pub fn forger() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| Key::generate(KID))
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims as HelseID issues them to a client, with `scope` and `overrides` applied.
pub fn claims(scope: &[&str], overrides: &Value) -> Value {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now() + 300,
        "iat": now(),
        "nbf": now(),
        "client_id": "journal-svc",
        "sub": "journal-svc",
        "scope": scope,
    });
    if let (Some(claims), Some(overrides)) = (claims.as_object_mut(), overrides.as_object()) {
        for (name, value) in overrides {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
    }
    claims
}

/// A valid token with `scope`.
pub fn token(scope: &[&str]) -> String {
    issuer().sign(KID, &claims(scope, &json!({})))
}

/// Runs `future` on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(future)
}

/// A populated fixture mirror in a temp directory, and its URL.
pub fn fixture() -> (TempDir, String) {
    fixture_synced(false)
}

/// The fixture; with `synced`, every register's last sync run succeeded just now (so the
/// server is ready).
pub fn fixture_synced(synced: bool) -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
    block_on(async {
        let store = Store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        mirror::populate(&store).await;
        if synced {
            for register in grunndata_sync::store::Register::ALL {
                store
                    .record_success(register, chrono::Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("record success: {e}"));
            }
        }
        store.close().await;
    });
    (dir, url)
}

/// A running `grunndata serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The mirror's URL.
    pub db: String,
    dir: Option<TempDir>,
}

impl Server {
    /// Serves the fixture mirror with token checks.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Serves the fixture mirror, synced just now (ready), with token checks.
    pub fn start_ready() -> Self {
        Self::start_from(fixture_synced(true), &[])
    }

    /// Serves the fixture, populated into the (empty) mirror at `db` (e.g. PostgreSQL),
    /// with token checks.
    pub fn start_on(db: &str) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        block_on(async {
            let store = Store::open(db)
                .await
                .unwrap_or_else(|e| panic!("open: {e}"));
            mirror::populate(&store).await;
            store.close().await;
        });
        Self::start_from((dir, db.to_owned()), &[])
    }

    /// Serves the fixture mirror with token checks and `extra` arguments.
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_from(fixture(), extra)
    }

    fn start_from((dir, db): (TempDir, String), extra: &[&str]) -> Self {
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&jwks, json!({ "keys": [issuer().jwk] }).to_string())
            .unwrap_or_else(|e| panic!("jwks: {e}"));
        let jwks = jwks.display().to_string();
        let mut args = vec!["--issuer", ISSUER, "--audience", AUDIENCE, "--jwks", &jwks];
        args.extend_from_slice(extra);
        Self::spawn(dir, db, &args)
    }

    /// Serves the fixture mirror with `args` only (e.g. `--no-auth`).
    pub fn start_bare(args: &[&str]) -> Self {
        let (dir, db) = fixture();
        Self::spawn(dir, db, args)
    }

    fn spawn(dir: TempDir, db: String, args: &[&str]) -> Self {
        // A file, not a pipe: nobody reads a pipe while the server runs, and a full one
        // would block the server's logging.
        let log = dir.path().join("serve.log");
        let stderr = std::fs::File::create(&log).unwrap_or_else(|e| panic!("log file: {e}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_grunndata"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", &db])
            .args(args)
            .env_remove("GRUNNDATA_CONFIG")
            .env_remove("GRUNNDATA_DB")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("read: {e}"));
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            child,
            base,
            db,
            dir: Some(dir),
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and returns the exit code, everything the server wrote on stderr, and
    /// the directory of the mirror (deleted when dropped).
    pub fn terminate(mut self) -> (Option<i32>, String, Option<TempDir>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let stderr = self
            .dir
            .as_ref()
            .and_then(|dir| std::fs::read_to_string(dir.path().join("serve.log")).ok())
            .unwrap_or_default();
        (status.code(), stderr, self.dir.take())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not decompress by itself (so gzip can be checked).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

/// A response, read.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

/// Sends `request` and reads the reply.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap_or_else(|e| panic!("send: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("body: {e}"));
    Reply {
        status,
        headers,
        text,
    }
}

/// `GET path` with a bearer `token`.
pub async fn get(server: &Server, path: &str, token: &str) -> Reply {
    send(client().get(server.url(path)).bearer_auth(token)).await
}

/// `POST path` with JSON `body` and a bearer `token`.
pub async fn post(server: &Server, path: &str, token: &str, body: &Value) -> Reply {
    send(
        client()
            .post(server.url(path))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

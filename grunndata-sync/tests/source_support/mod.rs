//! Helpers for the upstream-client tests: a fake upstream on port 0 (optionally with HelseID
//! token checks in front of AR and Persontjenesten), its admin API, and fast HTTP settings.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use grunndata_sync::auth::testkeys::GeneratedKey;
use grunndata_sync::auth::{HelseIdClient, SigningKey, TokenProvider, TokenType, scopes};
use grunndata_sync::fake::token::{
    RegisteredClient, TokenServer, TokenServerConfig, require_bearer, require_dpop,
};
use grunndata_sync::fake::{DataSource, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::source::http::TokenAuth;
use grunndata_sync::source::{Authorise, HttpConfig};
use grunndata_sync::synth::{Synth, SynthConfig};
use serde_json::{Value, json};

/// The data the fakes serve: small, fixed.
pub fn synth_config() -> SynthConfig {
    SynthConfig {
        seed: 42,
        scale: 0.001,
        ..SynthConfig::default()
    }
}

/// The generator behind the fake, for expected values.
pub fn synth() -> Synth {
    Synth::new(synth_config()).unwrap_or_else(|error| panic!("synth: {error}"))
}

/// A fake upstream with every API open.
pub async fn start() -> FakeHandle {
    let config = FakeConfig {
        data: DataSource::Synth(synth_config()),
        ..FakeConfig::default()
    };
    FakeUpstream::start(config)
        .await
        .unwrap_or_else(|error| panic!("fake upstream: {error}"))
}

/// Short timeouts and backoff so that fault tests run in seconds.
pub fn fast_http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(1500),
        read_timeout: Duration::from_millis(1500),
        max_attempts: 4,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        concurrency: 4,
        ..HttpConfig::default()
    }
}

/// The fake's admin API.
pub struct Admin {
    base: String,
    http: reqwest::Client,
}

impl Admin {
    /// For the fake at `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("admin: {e}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "admin answered {status}: {body}");
        body
    }

    /// `PUT /_admin/faults`.
    pub async fn faults(&self, config: Value) {
        let url = format!("{}/_admin/faults", self.base);
        let response = self.http.put(url).json(&config).send().await;
        let status = response.map(|r| r.status()).unwrap_or_default();
        assert!(status.is_success(), "PUT faults answered {status}");
    }

    /// `GET /_admin/faults`: the config and how often each fault fired.
    pub async fn fired(&self) -> Value {
        let url = format!("{}/_admin/faults", self.base);
        self.send(self.http.get(url)).await["fired"].clone()
    }

    /// `DELETE /_admin/faults`.
    pub async fn clear_faults(&self) {
        let url = format!("{}/_admin/faults", self.base);
        let _ = self.http.delete(url).send().await;
    }

    /// `GET /_admin/status`.
    pub async fn status(&self) -> Value {
        self.send(self.http.get(format!("{}/_admin/status", self.base)))
            .await
    }

    /// `POST /_admin/{register}/records`; returns the new event ids.
    pub async fn upsert(&self, register: &str, records: Value) -> Vec<u64> {
        let url = format!("{}/_admin/{register}/records", self.base);
        let body = self.send(self.http.post(url).json(&records)).await;
        event_ids(&body)
    }

    /// `DELETE /_admin/{register}/records/{id}{query}`; returns the new event ids.
    pub async fn delete(&self, register: &str, id: &str, query: &str) -> Vec<u64> {
        let url = format!("{}/_admin/{register}/records/{id}{query}", self.base);
        let body = self.send(self.http.delete(url)).await;
        event_ids(&body)
    }
}

fn event_ids(body: &Value) -> Vec<u64> {
    body["events"]
        .as_array()
        .map(|events| events.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// A fault rule that fires for the next `count` requests under `path_prefix`.
pub fn next(count: u64, path_prefix: &str) -> Value {
    json!({ "count": count, "path_prefix": path_prefix })
}

// --- HelseID ------------------------------------------------------------------------------

pub const HELSEID_CLIENT: &str = "source-tests-helseid";

fn keys() -> &'static (GeneratedKey, GeneratedKey) {
    static KEYS: OnceLock<(GeneratedKey, GeneratedKey)> = OnceLock::new();
    KEYS.get_or_init(|| (GeneratedKey::es256(), GeneratedKey::es256()))
}

/// The registered client's key.
pub fn client_key() -> SigningKey {
    keys()
        .0
        .signing_key(None, Some("k1"))
        .unwrap_or_else(|error| panic!("key: {error}"))
}

/// A key the token server does not know.
pub fn stranger_key() -> SigningKey {
    keys()
        .1
        .signing_key(None, Some("k1"))
        .unwrap_or_else(|error| panic!("key: {error}"))
}

/// A fake whose AR API demands HelseID DPoP tokens (AR scope) and whose Persontjenesten API
/// demands HelseID Bearer tokens (legal-basis scope), as their contracts declare, with a token server that knows one client allowed `granted` scopes.
pub struct SecuredFake {
    pub base: String,
    pub tokens: TokenServerConfig,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl SecuredFake {
    pub async fn start(granted: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|error| panic!("bind: {error}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("address: {error}"));
        let base = format!("http://{address}");
        let mut tokens = TokenServerConfig::new(&base);
        tokens.helseid_clients.push(RegisteredClient {
            client_id: HELSEID_CLIENT.to_owned(),
            keys: vec![
                client_key()
                    .verifying_key()
                    .unwrap_or_else(|error| panic!("public key: {error}")),
            ],
            scopes: granted.iter().map(|&scope| scope.to_owned()).collect(),
        });
        let server = TokenServer::new(tokens.clone());
        let config = FakeConfig {
            data: DataSource::Synth(synth_config()),
            ..FakeConfig::default()
        };
        let mut routers =
            FakeUpstream::routers(&config).unwrap_or_else(|error| panic!("routers: {error}"));
        routers.ar = require_dpop(routers.ar, &server, &[scopes::AR]);
        routers.preg = require_bearer(routers.preg, &server, &[scopes::PREG_LEGAL_BASIS]);
        let app = routers.into_app().merge(server.router());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self { base, tokens, stop }
    }

    /// A HelseID DPoP client asking for `scope` with `key`.
    pub fn helseid(&self, key: SigningKey, scope: &str) -> HelseIdClient {
        self.helseid_with(key, scope, TokenType::Dpop)
    }

    /// A HelseID client asking for `scope` with `key`, presenting tokens with `scheme`.
    pub fn helseid_with(&self, key: SigningKey, scope: &str, scheme: TokenType) -> HelseIdClient {
        HelseIdClient::builder(
            self.tokens.helseid_token_endpoint(),
            self.tokens.helseid_issuer(),
            HELSEID_CLIENT,
            key,
        )
        .scopes([scope])
        .scheme(scheme)
        .build()
        .unwrap_or_else(|error| panic!("HelseID client: {error}"))
    }

    /// The auth hook for a HelseID Bearer client (Persontjenesten's scheme).
    pub fn bearer_hook(&self, key: SigningKey, scope: &str) -> Arc<dyn Authorise> {
        Arc::new(TokenAuth::new(TokenProvider::HelseId(self.helseid_with(
            key,
            scope,
            TokenType::Bearer,
        ))))
    }

    /// The auth hook for a HelseID DPoP client.
    pub fn hook(&self, key: SigningKey, scope: &str) -> Arc<dyn Authorise> {
        Arc::new(TokenAuth::new(TokenProvider::HelseId(
            self.helseid(key, scope),
        )))
    }

    pub fn ar_url(&self) -> String {
        format!("{}/ar", self.base)
    }

    pub fn preg_url(&self) -> String {
        format!("{}/preg", self.base)
    }

    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

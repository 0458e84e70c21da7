//! A token server on 127.0.0.1:0 with a few protected routes, and the test keys.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::get;
use grunndata_sync::auth::testkeys::GeneratedKey;
use grunndata_sync::auth::{
    Algorithm, HelseIdClient, ManualClock, MaskinportenClient, SigningKey, scopes,
};
use grunndata_sync::fake::token::{
    RegisteredClient, TokenServer, TokenServerConfig, require_bearer, require_dpop,
};

pub const HELSEID_CLIENT: &str = "test-helseid-client";
pub const MASKINPORTEN_CLIENT: &str = "test-maskinporten-client";
pub const MASKINPORTEN_KID: &str = "mp-key-1";

/// Keys generated once per test process (RSA generation takes seconds in debug builds).
pub struct Keys {
    /// Registered for the HelseID client (ES256).
    pub helseid: GeneratedKey,
    /// Registered nowhere.
    pub stranger: GeneratedKey,
    /// Registered for the Maskinporten client (RSA 2048) and, as PS256, for the HelseID RSA
    /// client.
    pub rsa: GeneratedKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        helseid: GeneratedKey::es256(),
        stranger: GeneratedKey::es256(),
        rsa: GeneratedKey::rsa(2048).expect("RSA generation works"),
    })
}

pub fn helseid_key() -> SigningKey {
    keys()
        .helseid
        .signing_key(None, Some("helseid-1"))
        .expect("ES256 key")
}

pub fn stranger_key() -> SigningKey {
    keys()
        .stranger
        .signing_key(None, Some("helseid-1"))
        .expect("ES256 key")
}

pub fn maskinporten_key() -> SigningKey {
    keys()
        .rsa
        .signing_key(Some(Algorithm::RS256), Some(MASKINPORTEN_KID))
        .expect("RS256 key")
}

/// A running fake: token endpoints plus
/// - `GET /ar/api/v1/communicationparty/{id}`: DPoP, scope AR;
/// - `GET /preg/api/legal-basis/person/{id}`: DPoP, scope PREG legal basis;
/// - `GET /hpr/v1/personer/{n}`: Bearer, scope HPR basic.
pub struct Fake {
    pub base: String,
    pub server: TokenServer,
    pub clock: Arc<ManualClock>,
    pub config: TokenServerConfig,
}

pub async fn start() -> Fake {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut TokenServerConfig)) -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let clock = ManualClock::starting_now();
    let mut config = TokenServerConfig::new(&base);
    config.clock = clock.clone();
    config.helseid_clients.push(RegisteredClient {
        client_id: HELSEID_CLIENT.to_owned(),
        keys: vec![
            helseid_key().verifying_key().expect("public key"),
            keys()
                .rsa
                .signing_key(Some(Algorithm::PS256), Some("rsa-1"))
                .and_then(|k| k.verifying_key())
                .expect("public key"),
        ],
        scopes: vec![
            scopes::AR.to_owned(),
            scopes::PREG_NO_LEGAL_BASIS.to_owned(),
        ],
    });
    config.maskinporten_clients.push(RegisteredClient {
        client_id: MASKINPORTEN_CLIENT.to_owned(),
        keys: vec![maskinporten_key().verifying_key().expect("public key")],
        scopes: vec![scopes::HPR_BASIC.to_owned()],
    });
    adjust(&mut config);
    let server = TokenServer::new(config.clone());

    let ok = || get(|| async { "ok" });
    let ar = Router::new().route("/ar/api/v1/communicationparty/{id}", ok());
    let preg = Router::new().route("/api/legal-basis/person/{id}", ok());
    let hpr = Router::new().route("/v1/personer/{n}", ok());
    let app = Router::new()
        .merge(server.router())
        .merge(require_dpop(ar, &server, &[scopes::AR]))
        // Nested, so the guard must see the original path for `htu`.
        .nest(
            "/preg",
            require_dpop(preg, &server, &[scopes::PREG_LEGAL_BASIS]),
        )
        .nest("/hpr", require_bearer(hpr, &server, &[scopes::HPR_BASIC]));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake serves");
    });
    Fake {
        base,
        server,
        clock,
        config,
    }
}

impl Fake {
    pub fn url(&self, path: &str) -> reqwest::Url {
        reqwest::Url::parse(&format!("{}{path}", self.base)).expect("valid URL")
    }

    pub fn helseid(&self, key: SigningKey, scope: &str) -> HelseIdClient {
        HelseIdClient::builder(
            self.config.helseid_token_endpoint(),
            self.config.helseid_issuer(),
            HELSEID_CLIENT,
            key,
        )
        .scopes([scope])
        .clock(self.clock.clone())
        .build()
        .expect("HelseID client")
    }

    pub fn maskinporten(&self) -> MaskinportenClient {
        MaskinportenClient::builder(
            self.config.maskinporten_token_endpoint(),
            self.config.maskinporten_audience(),
            MASKINPORTEN_CLIENT,
            maskinporten_key(),
        )
        .scopes([scopes::HPR_BASIC])
        .clock(self.clock.clone())
        .build()
        .expect("Maskinporten client")
    }

    pub fn now(&self) -> i64 {
        use grunndata_sync::auth::Clock;
        self.clock.now()
    }
}

/// Status and JSON body of a response.
pub async fn status_json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

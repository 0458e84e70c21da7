//! The fake upstream's HelseID-like and Maskinporten-like token endpoints, and the token checks
//! in front of its APIs.
//!
//! Mounting (one [`TokenServer`] per fake, built once its listener's address is known). Guard
//! each API's router *after* its routes are added and *before* nesting it; the guard sees the
//! original path through `OriginalUri`, so nesting is fine. Keep HPR's SOAP routes (HTTP Basic)
//! outside [`require_bearer`].
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use grunndata_sync::auth::scopes;
//! use grunndata_sync::fake::token::{TokenServer, TokenServerConfig, require_bearer, require_dpop};
//!
//! # fn f(keys: &grunndata_sync::auth::testkeys::TestKeys) {
//! let config = TokenServerConfig::with_test_keys("http://127.0.0.1:8080", keys);
//! let tokens = TokenServer::new(config.clone());
//! let ar = Router::new().route("/api/v1/communicationparty/{her_id}", get(|| async { "…" }));
//! let legal = Router::new().route("/api/legal-basis/person/{id}", get(|| async { "…" }));
//! let hpr_rest = Router::new().route("/v1/personer/{n}", get(|| async { "…" }));
//! let app = Router::new()
//!     .merge(tokens.router()) // POST /helseid/connect/token, POST /maskinporten/token
//!     .nest("/ar", require_dpop(ar, &tokens, &[scopes::AR]))
//!     .nest("/preg", require_dpop(legal, &tokens, &[scopes::PREG_LEGAL_BASIS]))
//!     .nest("/hpr", require_bearer(hpr_rest, &tokens, &[scopes::HPR_BASIC]));
//!
//! // `--write-config`: point the client sections at this server and the generated keys.
//! let mut grunndata = grunndata_sync::config::Config::default();
//! config.configure_clients(keys, &mut grunndata);
//! # let _: Router = app; }
//! ```
//!
//! Behaviour, as the real services (UPSTREAMS.md §5) as far as known:
//! - `POST /helseid/connect/token`: `grant_type=client_credentials` with a `private_key_jwt`
//!   client assertion and a `DPoP` proof. A proof without a valid nonce gets 400
//!   `use_dpop_nonce` and a `DPoP-Nonce` header. Refusals are 400 with `invalid_client`,
//!   `invalid_dpop_proof`, `invalid_scope`, `invalid_request` or `unsupported_grant_type`.
//! - `POST /maskinporten/token`: the JWT-bearer grant; refusals 400 `invalid_grant`,
//!   `invalid_client` (unknown client or key), `invalid_scope`.
//! - Tokens are opaque random strings, remembered (as SHA-256 hashes) with client, scopes,
//!   expiry and, for HelseID, the DPoP key thumbprint they are bound to.
//! - APIs: no credentials → 401 with a `WWW-Authenticate` challenge; unknown, expired, unbound
//!   or wrongly presented token → 401 `invalid_token`; bad proof → 401 `invalid_dpop_proof`;
//!   token without the scope → 403 `insufficient_scope`.
//!
//! Decision (UNVERIFIED whether NHN's APIs demand DPoP nonces): APIs do not; only the token
//! endpoint does. Decision: `htu` is checked against `<scheme of base_url>://<Host header><path>`,
//! so the fake works whatever address a client uses to reach it.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::auth::testkeys::TestKeys;
use crate::auth::verify::{
    AssertionVerifier, DpopExpectation, DpopVerifier, GrantVerifier, VerifyError,
};
use crate::auth::{
    CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT_TYPE, SharedClock, SystemClock, TokenType,
    VerifyingKey, scopes,
};
use crate::config::Config;

/// Path of the HelseID-like token endpoint.
pub const HELSEID_TOKEN_PATH: &str = "/helseid/connect/token";
/// Path of the HelseID-like issuer (the client assertion's `aud`).
pub const HELSEID_ISSUER_PATH: &str = "/helseid";
/// Path of the Maskinporten-like token endpoint.
pub const MASKINPORTEN_TOKEN_PATH: &str = "/maskinporten/token";
/// Path of the Maskinporten-like issuer (the grant's `aud`).
pub const MASKINPORTEN_AUDIENCE_PATH: &str = "/maskinporten/";

/// Algorithms named in `WWW-Authenticate: DPoP algs=…`.
const DPOP_ALGS: &str = "ES256 RS256 RS384 RS512 PS256 PS384 PS512";

/// A client the fake's token server knows.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// The client id.
    pub client_id: String,
    /// Its public keys (Maskinporten keys need a `kid`).
    pub keys: Vec<VerifyingKey>,
    /// The scopes it may be granted.
    pub scopes: Vec<String>,
}

/// How the fake's token server is set up.
#[derive(Clone, Debug)]
pub struct TokenServerConfig {
    /// Where clients reach the fake, e.g. `http://127.0.0.1:8080` (no trailing slash needed).
    /// The issuer and Maskinporten audience are derived from it.
    pub base_url: String,
    /// Clients of the HelseID-like endpoint.
    pub helseid_clients: Vec<RegisteredClient>,
    /// Clients of the Maskinporten-like endpoint.
    pub maskinporten_clients: Vec<RegisteredClient>,
    /// Lifetime of issued access tokens, in seconds (short values for expiry tests).
    pub token_lifetime: i64,
    /// Whether the HelseID-like endpoint demands a DPoP nonce (as HelseID does).
    pub require_dpop_nonce: bool,
    /// Fault: DPoP-guarded APIs demand a nonce in the proof, answering a proof without a
    /// valid one with 401, `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce`
    /// header (RFC 9449 §9). Off by default (whether NHN's APIs do this is not documented).
    pub api_requires_dpop_nonce: bool,
    /// The clock every time check uses.
    pub clock: SharedClock,
}

impl TokenServerConfig {
    /// Default access-token lifetime: 10 minutes.
    ///
    /// Decision (HelseID's and Maskinporten's lifetimes are per-client settings, not
    /// documented in the stored sources): long enough for a sync run to reuse a token, short
    /// enough that refresh happens in longer runs.
    pub const DEFAULT_TOKEN_LIFETIME: i64 = 600;

    /// A server at `base_url` with no clients, default lifetimes, nonces demanded, system clock.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            helseid_clients: Vec::new(),
            maskinporten_clients: Vec::new(),
            token_lifetime: Self::DEFAULT_TOKEN_LIFETIME,
            require_dpop_nonce: true,
            api_requires_dpop_nonce: false,
            clock: SystemClock::shared(),
        }
    }

    /// A server at `base_url` knowing the generated test clients: the HelseID client with the
    /// Adresseregisteret and both Persontjenesten scopes, the Maskinporten client with all HPR
    /// scopes.
    pub fn with_test_keys(base_url: impl Into<String>, keys: &TestKeys) -> Self {
        let mut config = Self::new(base_url);
        config.helseid_clients.push(RegisteredClient {
            client_id: keys.helseid.client_id.clone(),
            keys: vec![keys.helseid.public.clone()],
            scopes: [
                scopes::AR,
                scopes::PREG_LEGAL_BASIS,
                scopes::PREG_NO_LEGAL_BASIS,
            ]
            .map(str::to_owned)
            .to_vec(),
        });
        config.maskinporten_clients.push(RegisteredClient {
            client_id: keys.maskinporten.client_id.clone(),
            keys: vec![keys.maskinporten.public.clone()],
            scopes: [scopes::HPR_BASIC, scopes::HPR_EXTENDED, scopes::HPR_EXPORT]
                .map(str::to_owned)
                .to_vec(),
        });
        config
    }

    /// The HelseID-like issuer URL (client assertions' `aud`).
    pub fn helseid_issuer(&self) -> String {
        format!("{}{HELSEID_ISSUER_PATH}", self.base_url)
    }

    /// The HelseID-like token endpoint URL.
    pub fn helseid_token_endpoint(&self) -> String {
        format!("{}{HELSEID_TOKEN_PATH}", self.base_url)
    }

    /// The Maskinporten-like token endpoint URL.
    pub fn maskinporten_token_endpoint(&self) -> String {
        format!("{}{MASKINPORTEN_TOKEN_PATH}", self.base_url)
    }

    /// The Maskinporten-like audience (grants' `aud`).
    pub fn maskinporten_audience(&self) -> String {
        format!("{}{MASKINPORTEN_AUDIENCE_PATH}", self.base_url)
    }

    /// Points `config`'s `[helseid]` and `[maskinporten]` sections at this server and the
    /// generated test clients in `keys` (endpoints, issuer/audience, client ids, key files,
    /// algorithms, `kid`) and the HPR SOAP service user, for `grunndata fake-upstream
    /// --write-config`. Upstream base URLs and scopes are left to the caller.
    pub fn configure_clients(&self, keys: &TestKeys, config: &mut Config) {
        let helseid = &keys.helseid;
        config.helseid.token_endpoint = self.helseid_token_endpoint();
        config.helseid.issuer = self.helseid_issuer();
        config.helseid.client_id = Some(helseid.client_id.clone());
        config.helseid.key_path = Some(helseid.key.path.clone());
        config.helseid.algorithm = helseid.key.alg.map(|alg| format!("{alg:?}"));
        config.helseid.dpop_key_path = None;
        let maskinporten = &keys.maskinporten;
        config.maskinporten.token_endpoint = self.maskinporten_token_endpoint();
        config.maskinporten.audience = self.maskinporten_audience();
        config.maskinporten.client_id = Some(maskinporten.client_id.clone());
        config.maskinporten.key_path = Some(maskinporten.key.path.clone());
        config.maskinporten.kid.clone_from(&maskinporten.key.kid);
        config.hpr.soap_username = Some(super::hpr_soap::HPR_SOAP_USERNAME.to_owned());
        config.hpr.soap_password = Some(crate::Secret::new(
            super::hpr_soap::HPR_SOAP_PASSWORD.to_owned(),
        ));
    }
}

/// The fake's token server: token endpoints ([`router`](Self::router)) and the token store the
/// API guards ([`require_dpop`], [`require_bearer`]) consult. Cheap to clone (shared state).
#[derive(Clone)]
pub struct TokenServer {
    state: Arc<ServerState>,
}

struct ServerState {
    scheme: String,
    clock: SharedClock,
    token_lifetime: i64,
    require_dpop_nonce: bool,
    api_requires_dpop_nonce: bool,
    /// API requests refused for a missing DPoP nonce.
    api_nonce_refusals: AtomicU64,
    helseid_scopes: HashMap<String, Vec<String>>,
    maskinporten_scopes: HashMap<String, Vec<String>>,
    assertions: AssertionVerifier,
    grants: GrantVerifier,
    dpop: DpopVerifier,
    /// Issued tokens by base64url(SHA-256(token)).
    tokens: Mutex<HashMap<String, Issued>>,
    token_requests: AtomicU64,
}

/// What the server remembers about an access token it issued.
#[derive(Clone, Debug)]
struct Issued {
    kind: TokenType,
    scopes: Vec<String>,
    expires_at: i64,
    /// DPoP key thumbprint the token is bound to (HelseID only).
    jkt: Option<String>,
}

/// Issued tokens kept at most; expired ones are dropped first.
const MAX_TOKENS: usize = 100_000;

impl TokenServer {
    /// A token server as configured.
    pub fn new(config: TokenServerConfig) -> Self {
        let scheme = config
            .base_url
            .split_once("://")
            .map_or("http", |(scheme, _)| scheme)
            .to_owned();
        let mut assertions = AssertionVerifier::new(vec![
            config.helseid_issuer(),
            config.helseid_token_endpoint(),
        ]);
        let mut grants = GrantVerifier::new(config.maskinporten_audience());
        let mut helseid_scopes = HashMap::new();
        for client in config.helseid_clients {
            for key in client.keys {
                assertions.register(client.client_id.clone(), key);
            }
            helseid_scopes.insert(client.client_id, client.scopes);
        }
        let mut maskinporten_scopes = HashMap::new();
        for client in config.maskinporten_clients {
            for key in client.keys {
                grants.register(client.client_id.clone(), key);
            }
            maskinporten_scopes.insert(client.client_id, client.scopes);
        }
        Self {
            state: Arc::new(ServerState {
                scheme,
                clock: config.clock,
                token_lifetime: config.token_lifetime,
                require_dpop_nonce: config.require_dpop_nonce,
                api_requires_dpop_nonce: config.api_requires_dpop_nonce,
                api_nonce_refusals: AtomicU64::new(0),
                helseid_scopes,
                maskinporten_scopes,
                assertions,
                grants,
                dpop: DpopVerifier::default(),
                tokens: Mutex::new(HashMap::new()),
                token_requests: AtomicU64::new(0),
            }),
        }
    }

    /// The token endpoints: `POST` [`HELSEID_TOKEN_PATH`] and `POST`
    /// [`MASKINPORTEN_TOKEN_PATH`]. Merge it into the fake's router.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route(HELSEID_TOKEN_PATH, post(helseid_token))
            .route(MASKINPORTEN_TOKEN_PATH, post(maskinporten_token))
            .with_state(self.clone())
    }

    /// API requests refused with `use_dpop_nonce` (the resource-server nonce fault).
    pub fn api_nonce_refusals(&self) -> u64 {
        self.state.api_nonce_refusals.load(Ordering::Relaxed)
    }

    /// Token requests answered so far (both endpoints, refusals included).
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.load(Ordering::Relaxed)
    }

    fn now(&self) -> i64 {
        self.state.clock.now()
    }

    /// Remembers a new token and returns it.
    fn issue(
        &self,
        kind: TokenType,
        scopes: Vec<String>,
        jkt: Option<String>,
    ) -> Result<String, Refusal> {
        let token =
            crate::auth::random::opaque_token().map_err(|_| Refusal::server("no randomness"))?;
        let now = self.now();
        let mut tokens = self
            .state
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= MAX_TOKENS {
            tokens.retain(|_, t| t.expires_at > now);
            if tokens.len() >= MAX_TOKENS {
                return Err(Refusal::server("too many live tokens"));
            }
        }
        tokens.insert(
            token_hash(&token),
            Issued {
                kind,
                scopes,
                expires_at: now + self.state.token_lifetime,
                jkt,
            },
        );
        Ok(token)
    }

    /// The live token `token`, if issued and unexpired.
    fn lookup(&self, token: &str) -> Option<Issued> {
        let tokens = self
            .state
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(&token_hash(token))
            .filter(|t| t.expires_at > self.now())
            .cloned()
    }

    /// The URL a request was addressed to, as a client's `htu` names it.
    fn request_url(&self, headers: &HeaderMap, path: &str) -> Option<String> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        Some(format!("{}://{host}{path}", self.state.scheme))
    }
}

impl fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenServer")
            .field("helseid_clients", &self.state.helseid_scopes.keys())
            .field(
                "maskinporten_clients",
                &self.state.maskinporten_scopes.keys(),
            )
            .field("token_lifetime", &self.state.token_lifetime)
            .field("token_requests", &self.token_requests())
            .finish_non_exhaustive()
    }
}

fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

type FormResult = Result<Form<HashMap<String, String>>, FormRejection>;

async fn helseid_token(
    State(server): State<TokenServer>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    form: FormResult,
) -> Response {
    server.state.token_requests.fetch_add(1, Ordering::Relaxed);
    helseid_grant(&server, uri.path(), &headers, form)
        .unwrap_or_else(|refusal| refusal.into_response_with(&server))
}

fn helseid_grant(
    server: &TokenServer,
    path: &str,
    headers: &HeaderMap,
    form: FormResult,
) -> Result<Response, Refusal> {
    let Form(form) =
        form.map_err(|_| Refusal::token("invalid_request", "the body is not a form"))?;
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return Err(Refusal::token(
            "unsupported_grant_type",
            "only client_credentials is supported",
        ));
    }
    let (Some(CLIENT_ASSERTION_TYPE), Some(assertion)) =
        (field("client_assertion_type"), field("client_assertion"))
    else {
        return Err(Refusal::token(
            "invalid_client",
            "client authentication with a private_key_jwt client assertion is required",
        ));
    };

    // DPoP first: a missing nonce is answered before the client is authenticated, so that the
    // nonce round trip costs the client nothing but a new proof and assertion.
    let now = server.now();
    let url = server
        .request_url(headers, path)
        .ok_or_else(|| Refusal::token("invalid_request", "no Host header"))?;
    // No DPoP header at all: a plain Bearer token, as HelseID issues to clients that do not
    // use DPoP (Persontjenesten v2 declares HTTP bearer).
    let bearer = headers.get_all("dpop").iter().next().is_none();
    let verified = if bearer {
        None
    } else {
        let proof = single_dpop_header(headers)
            .map_err(|reason| Refusal::token("invalid_dpop_proof", reason))?;
        Some(verify_token_proof(server, proof, &url, now)?)
    };

    let client_id = server
        .state
        .assertions
        .verify(assertion, field("client_id"), now)
        .map_err(|e| Refusal::token("invalid_client", &e.to_string()))?;
    let allowed = server
        .state
        .helseid_scopes
        .get(&client_id)
        .map_or(&[][..], Vec::as_slice);
    let scopes = granted_scopes(field("scope").unwrap_or(""), allowed, true)?;
    let kind = if bearer {
        TokenType::Bearer
    } else {
        TokenType::Dpop
    };
    let token = server.issue(kind, scopes.clone(), verified.map(|v| v.jkt))?;
    Ok(token_response(
        &token,
        kind,
        server.state.token_lifetime,
        &scopes,
    ))
}

async fn maskinporten_token(State(server): State<TokenServer>, form: FormResult) -> Response {
    server.state.token_requests.fetch_add(1, Ordering::Relaxed);
    maskinporten_grant(&server, form).unwrap_or_else(|refusal| refusal.into_response_with(&server))
}

fn maskinporten_grant(server: &TokenServer, form: FormResult) -> Result<Response, Refusal> {
    let Form(form) =
        form.map_err(|_| Refusal::token("invalid_request", "the body is not a form"))?;
    if form.get("grant_type").map(String::as_str) != Some(JWT_BEARER_GRANT_TYPE) {
        return Err(Refusal::token(
            "unsupported_grant_type",
            "only the JWT-bearer grant is supported",
        ));
    }
    let assertion = form
        .get("assertion")
        .ok_or_else(|| Refusal::token("invalid_request", "assertion is missing"))?;
    let grant = server
        .state
        .grants
        .verify(assertion, server.now())
        .map_err(|e| {
            let code = match e {
                VerifyError::UnknownClient { .. } | VerifyError::UnknownKey { .. } => {
                    "invalid_client"
                }
                _ => "invalid_grant",
            };
            Refusal::token(code, &e.to_string())
        })?;
    let allowed = server
        .state
        .maskinporten_scopes
        .get(&grant.client_id)
        .map_or(&[][..], Vec::as_slice);
    let scopes = granted_scopes(&grant.scopes.join(" "), allowed, false)?;
    let token = server.issue(TokenType::Bearer, scopes.clone(), None)?;
    Ok(token_response(
        &token,
        TokenType::Bearer,
        server.state.token_lifetime,
        &scopes,
    ))
}

/// The scopes to grant: all requested ones when each is allowed. An empty request gets every
/// allowed scope when `empty_means_all` (decision for HelseID, whose behaviour without `scope`
/// is not documented in the stored sources), else is refused.
fn granted_scopes(
    requested: &str,
    allowed: &[String],
    empty_means_all: bool,
) -> Result<Vec<String>, Refusal> {
    let requested: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    if requested.is_empty() {
        return if empty_means_all && !allowed.is_empty() {
            Ok(allowed.to_vec())
        } else {
            Err(Refusal::token("invalid_scope", "no scope requested"))
        };
    }
    if let Some(missing) = requested.iter().find(|s| !allowed.contains(s)) {
        return Err(Refusal::token(
            "invalid_scope",
            &format!("scope {missing} is not granted to this client"),
        ));
    }
    Ok(requested)
}

fn token_response(token: &str, kind: TokenType, lifetime: i64, scopes: &[String]) -> Response {
    let body = serde_json::json!({
        "access_token": token,
        "token_type": kind.scheme(),
        "expires_in": lifetime,
        "scope": scopes.join(" "),
    });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// Verifies the DPoP proof of a HelseID token request.
fn verify_token_proof(
    server: &TokenServer,
    proof: &str,
    url: &str,
    now: i64,
) -> Result<crate::auth::verify::VerifiedProof, Refusal> {
    server
        .state
        .dpop
        .verify(
            proof,
            &DpopExpectation {
                method: "POST",
                url,
                access_token: None,
                require_nonce: server.state.require_dpop_nonce,
            },
            now,
        )
        .map_err(|e| match e {
            VerifyError::UseDpopNonce => Refusal::UseDpopNonce,
            other => Refusal::token("invalid_dpop_proof", &other.to_string()),
        })
}

/// The one `DPoP` header of a request.
fn single_dpop_header(headers: &HeaderMap) -> Result<&str, &'static str> {
    let mut values = headers.get_all("dpop").iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().map_err(|_| "the DPoP header is not text"),
        (None, _) => Err("a DPoP proof is required"),
        (Some(_), Some(_)) => Err("more than one DPoP header"),
    }
}

/// Why a token request or API call is refused.
enum Refusal {
    /// Token endpoint: 400 with an OAuth error.
    Token {
        error: &'static str,
        description: String,
    },
    /// Token endpoint: 400 `use_dpop_nonce` with a fresh `DPoP-Nonce`.
    UseDpopNonce,
    /// API: 401/403 with a `WWW-Authenticate` challenge.
    Api {
        status: StatusCode,
        scheme: TokenType,
        error: Option<&'static str>,
        description: String,
    },
    /// API: 401 `use_dpop_nonce` with a fresh `DPoP-Nonce` (RFC 9449 §9).
    ApiUseDpopNonce,
    /// 500: the fake itself failed.
    Server(&'static str),
}

impl Refusal {
    fn token(error: &'static str, description: &str) -> Self {
        Self::Token {
            error,
            description: description.to_owned(),
        }
    }

    fn server(reason: &'static str) -> Self {
        Self::Server(reason)
    }

    fn api(
        status: StatusCode,
        scheme: TokenType,
        error: Option<&'static str>,
        description: &str,
    ) -> Self {
        Self::Api {
            status,
            scheme,
            error,
            description: description.to_owned(),
        }
    }

    fn into_response_with(self, server: &TokenServer) -> Response {
        match self {
            Self::Token { error, description } => {
                oauth_error(StatusCode::BAD_REQUEST, error, &description)
            }
            Self::UseDpopNonce => {
                let mut response = oauth_error(
                    StatusCode::BAD_REQUEST,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof",
                );
                match server.state.dpop.issue_nonce(server.now()) {
                    Ok(nonce) => {
                        if let Ok(value) = HeaderValue::from_str(&nonce) {
                            response.headers_mut().insert("dpop-nonce", value);
                        }
                        response
                    }
                    Err(e) => oauth_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "temporarily_unavailable",
                        &e.to_string(),
                    ),
                }
            }
            Self::Api {
                status,
                scheme,
                error,
                description,
            } => {
                let mut params = Vec::new();
                if let Some(error) = error {
                    // A quoted-string may not hold `"` or `\`.
                    let description = description.replace(['"', '\\'], "'");
                    params.push(format!("error=\"{error}\""));
                    params.push(format!("error_description=\"{description}\""));
                }
                if scheme == TokenType::Dpop {
                    params.push(format!("algs=\"{DPOP_ALGS}\""));
                }
                let challenge = if params.is_empty() {
                    scheme.scheme().to_owned()
                } else {
                    format!("{} {}", scheme.scheme(), params.join(", "))
                };
                let mut response =
                    oauth_error(status, error.unwrap_or("unauthorized"), &description);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::ApiUseDpopNonce => {
                let mut response = oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "use_dpop_nonce",
                    "Resource server requires nonce in DPoP proof",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"",
                    ),
                );
                if let Ok(nonce) = server.state.dpop.issue_nonce(server.now())
                    && let Ok(value) = HeaderValue::from_str(&nonce)
                {
                    response.headers_mut().insert("dpop-nonce", value);
                }
                response
            }
            Self::Server(reason) => {
                oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", reason)
            }
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// Protects every route of `router` (add the routes first) with HelseID DPoP-bound tokens: a
/// request needs `Authorization: DPoP <token>` for a live token issued by this server with at
/// least one of `scopes`, and a valid `DPoP` proof for this request, signed with the key the
/// token is bound to and carrying `ath`.
pub fn require_dpop<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    server: &TokenServer,
    scopes: &[&str],
) -> Router<S> {
    guard(router, server, scopes, TokenType::Dpop)
}

/// Protects every route of `router` (add the routes first) with Maskinporten Bearer tokens: a
/// request needs `Authorization: Bearer <token>` for a live token issued by this server's
/// Maskinporten endpoint with at least one of `scopes`.
pub fn require_bearer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    server: &TokenServer,
    scopes: &[&str],
) -> Router<S> {
    guard(router, server, scopes, TokenType::Bearer)
}

fn guard<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    server: &TokenServer,
    scopes: &[&str],
    kind: TokenType,
) -> Router<S> {
    let guard = Guard {
        server: server.clone(),
        kind,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    };
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let guard = guard.clone();
            async move {
                match guard.check(&request) {
                    Ok(()) => next.run(request).await,
                    Err(refusal) => refusal.into_response_with(&guard.server),
                }
            }
        },
    ))
}

#[derive(Clone)]
struct Guard {
    server: TokenServer,
    kind: TokenType,
    scopes: Arc<[String]>,
}

impl Guard {
    fn check(&self, request: &Request) -> Result<(), Refusal> {
        let kind = self.kind;
        let unauthorized = |error: &'static str, description: &str| {
            Refusal::api(StatusCode::UNAUTHORIZED, kind, Some(error), description)
        };
        let Some(authorization) = request.headers().get(header::AUTHORIZATION) else {
            return Err(Refusal::api(
                StatusCode::UNAUTHORIZED,
                kind,
                None,
                "no access token",
            ));
        };
        let authorization = authorization
            .to_str()
            .map_err(|_| unauthorized("invalid_request", "the Authorization header is not text"))?;
        let (scheme, token) = authorization.split_once(' ').ok_or_else(|| {
            unauthorized("invalid_request", "the Authorization header has no scheme")
        })?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case(kind.scheme()) {
            return Err(unauthorized(
                "invalid_token",
                &format!("this API expects the {} scheme", kind.scheme()),
            ));
        }
        let issued = self
            .server
            .lookup(token)
            .filter(|issued| issued.kind == kind)
            .ok_or_else(|| {
                unauthorized("invalid_token", "the access token is unknown or expired")
            })?;

        if kind == TokenType::Dpop {
            self.check_proof(request, token, &issued)?;
        }
        if !self.scopes.iter().any(|s| issued.scopes.contains(s)) {
            return Err(Refusal::api(
                StatusCode::FORBIDDEN,
                kind,
                Some("insufficient_scope"),
                &format!("requires scope {}", self.scopes.join(" or ")),
            ));
        }
        Ok(())
    }

    fn check_proof(&self, request: &Request, token: &str, issued: &Issued) -> Result<(), Refusal> {
        let bad_proof = |description: &str| {
            Refusal::api(
                StatusCode::UNAUTHORIZED,
                TokenType::Dpop,
                Some("invalid_dpop_proof"),
                description,
            )
        };
        let path = request
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| request.uri().path(), |original| original.0.path());
        let url = self
            .server
            .request_url(request.headers(), path)
            .ok_or_else(|| bad_proof("no Host header"))?;
        let proof = single_dpop_header(request.headers()).map_err(bad_proof)?;
        let method: &Method = request.method();
        let verified = self
            .server
            .state
            .dpop
            .verify(
                proof,
                &DpopExpectation {
                    method: method.as_str(),
                    url: &url,
                    access_token: Some(token),
                    require_nonce: self.server.state.api_requires_dpop_nonce,
                },
                self.server.now(),
            )
            .map_err(|e| match e {
                VerifyError::UseDpopNonce => {
                    self.server
                        .state
                        .api_nonce_refusals
                        .fetch_add(1, Ordering::Relaxed);
                    Refusal::ApiUseDpopNonce
                }
                other => bad_proof(&other.to_string()),
            })?;
        if issued.jkt.as_deref() != Some(verified.jkt.as_str()) {
            return Err(Refusal::api(
                StatusCode::UNAUTHORIZED,
                TokenType::Dpop,
                Some("invalid_token"),
                "the access token is bound to another key",
            ));
        }
        Ok(())
    }
}

//! HelseID: client credentials with `private_key_jwt` and DPoP-bound or Bearer tokens
//! (UPSTREAMS.md §5.1, §5.2), for Adresseregisteret (DPoP, scope `nhn:cp-api/access-v2-dpop`) and
//! Persontjenesten (Bearer: its v2 contract declares `securitySchemes.HelseID` as HTTP bearer).
//! The scheme is per API; see docs/upstream-decisions.md.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::config::HelseIdConfig;

use super::cache::TokenCache;
use super::token::Exchange;
use super::transport::{self, authorization, host_of, parse_algorithm};
use super::{
    AccessToken, AuthError, CLIENT_ASSERTION_TYPE, ClientAssertion, DpopProof, SharedClock,
    SigningKey, SystemClock, TokenType,
};

const UPSTREAM: &str = "HelseID";
const DPOP: HeaderName = HeaderName::from_static("dpop");

/// Gets, caches and presents HelseID access tokens, DPoP-bound or Bearer. Cheap to clone
/// (shared state).
#[derive(Clone)]
pub struct HelseIdClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    token_endpoint: Url,
    issuer: String,
    client_id: String,
    scope: String,
    key: SigningKey,
    dpop_key: Option<SigningKey>,
    /// How tokens are requested and presented: DPoP-bound (proofs) or plain Bearer.
    scheme: TokenType,
    clock: SharedClock,
    cache: TokenCache,
    /// The last `DPoP-Nonce` the token endpoint sent; reused until it is refused.
    nonce: Mutex<Option<String>>,
    /// The last `DPoP-Nonce` each resource server (by origin) demanded (RFC 9449 §9).
    api_nonces: Mutex<HashMap<String, String>>,
}

/// Builds a [`HelseIdClient`] from keys already loaded.
#[must_use]
pub struct HelseIdClientBuilder {
    token_endpoint: String,
    issuer: String,
    client_id: String,
    key: SigningKey,
    scopes: Vec<String>,
    dpop_key: Option<SigningKey>,
    scheme: TokenType,
    clock: Option<SharedClock>,
    http: Option<reqwest::Client>,
}

impl HelseIdClient {
    /// Starts a client for `token_endpoint`, asserting `client_id` to `issuer` with `key`.
    pub fn builder(
        token_endpoint: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        key: SigningKey,
    ) -> HelseIdClientBuilder {
        HelseIdClientBuilder {
            token_endpoint: token_endpoint.into(),
            issuer: issuer.into(),
            client_id: client_id.into(),
            key,
            scopes: Vec::new(),
            dpop_key: None,
            scheme: TokenType::Dpop,
            clock: None,
            http: None,
        }
    }

    /// A client from the `[helseid]` configuration section, asking for `scope` (the
    /// API's: `ar.scope` or `preg.scope`). Loads the key files. `http` is used for token
    /// requests (`None`: a client with grunndata's timeouts).
    ///
    /// HelseID issues one token per API audience, so build one client per API; they may share
    /// client id and key.
    pub fn from_config(
        config: &HelseIdConfig,
        scope: &str,
        http: Option<reqwest::Client>,
    ) -> Result<Self, AuthError> {
        Self::from_config_with_scheme(config, scope, TokenType::Dpop, http)
    }

    /// [`from_config`](Self::from_config) for an API that takes tokens presented with
    /// `scheme` (`ar.auth_scheme`, `preg.auth_scheme`).
    pub fn from_config_with_scheme(
        config: &HelseIdConfig,
        scope: &str,
        scheme: TokenType,
        http: Option<reqwest::Client>,
    ) -> Result<Self, AuthError> {
        let unset = |key: &str, variable: &str| AuthError::Config {
            upstream: UPSTREAM,
            reason: format!("helseid.{key} is not set (or {variable})"),
        };
        let client_id = config
            .client_id
            .as_deref()
            .ok_or_else(|| unset("client_id", "GRUNNDATA_HELSEID_CLIENT_ID"))?;
        let key_path = config
            .key_path
            .as_deref()
            .ok_or_else(|| unset("key_path", "GRUNNDATA_HELSEID_KEY_PATH"))?;
        let alg = parse_algorithm(UPSTREAM, config.algorithm.as_deref())?;
        let mut builder = Self::builder(
            &config.token_endpoint,
            &config.issuer,
            client_id,
            SigningKey::from_file(key_path, alg, None)?,
        )
        .scopes([scope])
        .scheme(scheme);
        if let Some(dpop_key_path) = &config.dpop_key_path {
            builder = builder.dpop_key(SigningKey::from_file(dpop_key_path, None, None)?);
        }
        if let Some(http) = http {
            builder = builder.http(http);
        }
        builder.build()
    }

    /// An access token: the cached one while it has more than 30 s left, else a new one.
    ///
    /// A new token is requested with a client assertion and a DPoP proof; when the server asks
    /// for a nonce (`use_dpop_nonce` with a `DPoP-Nonce` header) the request is repeated once
    /// with it.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        let inner = &self.inner;
        inner
            .cache
            .get_or_fetch(inner.clock.as_ref(), async || inner.fetch().await)
            .await
    }

    /// Adds `Authorization: DPoP <token>` and a fresh `DPoP` proof (with `ath`) for this
    /// request's method and URL; for a Bearer client only `Authorization: Bearer <token>`.
    pub async fn authorize(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Request, AuthError> {
        let token = self.token().await?;
        let inner = &self.inner;
        let refuse = |reason: &str| AuthError::Request {
            method: request.method().to_string(),
            host: host_of(request.url()),
            reason: reason.to_owned(),
        };
        if inner.scheme == TokenType::Bearer {
            let auth = authorization(TokenType::Bearer.scheme(), token.secret())
                .ok_or_else(|| refuse("the access token is not a valid header value"))?;
            request.headers_mut().insert(AUTHORIZATION, auth);
            return Ok(request);
        }
        let origin = request.url().origin().ascii_serialization();
        let nonce = inner
            .api_nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&origin)
            .cloned();
        let proof = DpopProof {
            method: request.method().as_str(),
            url: request.url(),
            nonce: nonce.as_deref(),
            access_token: Some(token.secret()),
        }
        .sign(inner.dpop_key(), inner.clock.now())?;
        let auth = authorization(TokenType::Dpop.scheme(), token.secret())
            .ok_or_else(|| refuse("the access token is not a valid header value"))?;
        let proof =
            HeaderValue::from_str(&proof).map_err(|_| refuse("invalid DPoP proof header"))?;
        request.headers_mut().insert(AUTHORIZATION, auth);
        request.headers_mut().insert(DPOP, proof);
        Ok(request)
    }

    /// Remembers the `DPoP-Nonce` a resource server at `url`'s origin demanded (401 with
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"`, RFC 9449 §9); later proofs to that
    /// origin carry it until it demands another.
    pub fn remember_api_nonce(&self, url: &Url, nonce: &str) {
        self.inner
            .api_nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.origin().ascii_serialization(), nonce.to_owned());
    }

    /// Forgets the cached token, e.g. after an API answered 401.
    pub async fn invalidate(&self) {
        self.inner.cache.clear().await;
    }

    /// How this client's tokens are presented.
    pub fn scheme(&self) -> TokenType {
        self.inner.scheme
    }

    /// The RFC 7638 thumbprint of the DPoP key, which tokens are bound to (`cnf.jkt`).
    pub fn dpop_thumbprint(&self) -> &str {
        self.inner.dpop_key().thumbprint()
    }
}

impl Inner {
    fn dpop_key(&self) -> &SigningKey {
        self.dpop_key.as_ref().unwrap_or(&self.key)
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let nonce = self
            .nonce
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let (mut exchange, mut new_nonce) = self.request(nonce.as_deref()).await?;
        if let Some(challenge) = new_nonce.take().filter(|_| asks_for_nonce(&exchange)) {
            tracing::debug!(endpoint = %self.token_endpoint, "HelseID asked for a DPoP nonce; retrying");
            self.remember_nonce(Some(challenge.clone()));
            (exchange, new_nonce) = self.request(Some(&challenge)).await?;
        }
        if new_nonce.is_some() {
            self.remember_nonce(new_nonce);
        }
        let token = exchange.into_token(self.scheme, self.clock.now())?;
        tracing::debug!(
            endpoint = %self.token_endpoint,
            client_id = %self.client_id,
            scope = token.scope().unwrap_or_default(),
            expires_at = token.expires_at(),
            "got a HelseID access token"
        );
        Ok(token)
    }

    async fn request(&self, nonce: Option<&str>) -> Result<(Exchange, Option<String>), AuthError> {
        let now = self.clock.now();
        let assertion = zeroize::Zeroizing::new(
            ClientAssertion {
                client_id: &self.client_id,
                audience: &self.issuer,
                lifetime: ClientAssertion::DEFAULT_LIFETIME,
            }
            .sign(&self.key, now)?,
        );
        let mut headers = Vec::new();
        if self.scheme == TokenType::Dpop {
            let proof = DpopProof {
                method: "POST",
                url: &self.token_endpoint,
                nonce,
                access_token: None,
            }
            .sign(self.dpop_key(), now)?;
            let proof = HeaderValue::from_str(&proof).map_err(|_| AuthError::Sign {
                what: "DPoP proof",
                reason: "not a valid header value".to_owned(),
            })?;
            headers.push((DPOP, proof));
        }
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        if !self.scope.is_empty() {
            form.push(("scope", self.scope.as_str()));
        }
        transport::post_form(&self.http, UPSTREAM, &self.token_endpoint, &form, &headers).await
    }

    fn remember_nonce(&self, nonce: Option<String>) {
        *self.nonce.lock().unwrap_or_else(PoisonError::into_inner) = nonce;
    }
}

/// True when a refusal is the server asking for a DPoP nonce.
///
/// RFC 9449 §8 says `error=use_dpop_nonce`; NHN's sample only checks "an error and a
/// `DPoP-Nonce` header". We accept both: any error answer without another OAuth error code.
fn asks_for_nonce(exchange: &Exchange) -> bool {
    if exchange.status.is_success() {
        return false;
    }
    exchange
        .oauth_error()
        .is_none_or(|e| e.error == "use_dpop_nonce")
}

impl HelseIdClientBuilder {
    /// Adds scopes to ask for.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Uses a separate key for DPoP proofs (default: the client key).
    pub fn dpop_key(mut self, key: SigningKey) -> Self {
        self.dpop_key = Some(key);
        self
    }

    /// Requests and presents tokens with `scheme` (default [`TokenType::Dpop`]).
    pub fn scheme(mut self, scheme: TokenType) -> Self {
        self.scheme = scheme;
        self
    }

    /// Uses this clock for JWT times and token expiry (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses this HTTP client for token requests (default: rustls, 10 s connect, 30 s request
    /// timeout, no redirects).
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<HelseIdClient, AuthError> {
        let token_endpoint =
            transport::endpoint_url(UPSTREAM, "token_endpoint", &self.token_endpoint)?;
        for (what, value) in [("client_id", &self.client_id), ("issuer", &self.issuer)] {
            if value.trim().is_empty() {
                return Err(AuthError::Config {
                    upstream: UPSTREAM,
                    reason: format!("{what} is empty"),
                });
            }
        }
        let http = match self.http {
            Some(http) => http,
            None => transport::default_client(UPSTREAM)?,
        };
        Ok(HelseIdClient {
            inner: Arc::new(Inner {
                http,
                token_endpoint,
                issuer: self.issuer,
                client_id: self.client_id,
                scope: self.scopes.join(" "),
                key: self.key,
                dpop_key: self.dpop_key,
                scheme: self.scheme,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                cache: TokenCache::default(),
                nonce: Mutex::new(None),
                api_nonces: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl fmt::Debug for HelseIdClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("HelseIdClient")
            .field("token_endpoint", &inner.token_endpoint.as_str())
            .field("issuer", &inner.issuer)
            .field("client_id", &inner.client_id)
            .field("scope", &inner.scope)
            .field("key", &inner.key)
            .field("dpop_key", &inner.dpop_key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for HelseIdClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HelseIdClientBuilder")
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

//! Maskinporten: the JWT-bearer grant for HPR REST (UPSTREAMS.md §5.3).

use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use reqwest::header::AUTHORIZATION;

use crate::config::MaskinportenConfig;

use super::cache::TokenCache;
use super::keyformat::RSA_PKCS1_ALGORITHMS;
use super::transport::{self, authorization, host_of};
use super::{
    AccessToken, AuthError, JWT_BEARER_GRANT_TYPE, JwtGrant, SharedClock, SigningKey, SystemClock,
    TokenType,
};

const UPSTREAM: &str = "Maskinporten";

/// Gets, caches and presents Maskinporten Bearer tokens. Cheap to clone (shared state).
#[derive(Clone)]
pub struct MaskinportenClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    token_endpoint: Url,
    audience: String,
    client_id: String,
    scope: String,
    resource: Option<String>,
    key: SigningKey,
    clock: SharedClock,
    cache: TokenCache,
}

/// Builds a [`MaskinportenClient`] from a key already loaded.
#[must_use]
pub struct MaskinportenClientBuilder {
    token_endpoint: String,
    audience: String,
    client_id: String,
    key: SigningKey,
    scopes: Vec<String>,
    resource: Option<String>,
    clock: Option<SharedClock>,
    http: Option<reqwest::Client>,
}

impl MaskinportenClient {
    /// Starts a client for `token_endpoint`, granting as `client_id` to `audience` with `key`.
    pub fn builder(
        token_endpoint: impl Into<String>,
        audience: impl Into<String>,
        client_id: impl Into<String>,
        key: SigningKey,
    ) -> MaskinportenClientBuilder {
        MaskinportenClientBuilder {
            token_endpoint: token_endpoint.into(),
            audience: audience.into(),
            client_id: client_id.into(),
            key,
            scopes: Vec::new(),
            resource: None,
            clock: None,
            http: None,
        }
    }

    /// A client from the `[maskinporten]` configuration section, asking for `scopes` (HPR's:
    /// `hpr.scopes`). Loads the key file. `http` is used for token requests (`None`: a client
    /// with grunndata's timeouts).
    pub fn from_config(
        config: &MaskinportenConfig,
        scopes: &[String],
        http: Option<reqwest::Client>,
    ) -> Result<Self, AuthError> {
        let unset = |key: &str, variable: &str| AuthError::Config {
            upstream: UPSTREAM,
            reason: format!("maskinporten.{key} is not set (or {variable})"),
        };
        let client_id = config
            .client_id
            .as_deref()
            .ok_or_else(|| unset("client_id", "GRUNNDATA_MASKINPORTEN_CLIENT_ID"))?;
        let key_path = config
            .key_path
            .as_deref()
            .ok_or_else(|| unset("key_path", "GRUNNDATA_MASKINPORTEN_KEY_PATH"))?;
        let key = SigningKey::from_file(key_path, None, config.kid.clone())?;
        let mut builder = Self::builder(&config.token_endpoint, &config.audience, client_id, key)
            .scopes(scopes.iter().cloned());
        if let Some(http) = http {
            builder = builder.http(http);
        }
        builder.build()
    }

    /// An access token: the cached one while it has more than 30 s left, else a new one.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        let inner = &self.inner;
        inner
            .cache
            .get_or_fetch(inner.clock.as_ref(), async || inner.fetch().await)
            .await
    }

    /// Adds `Authorization: Bearer <token>`.
    pub async fn authorize(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Request, AuthError> {
        let token = self.token().await?;
        let auth = authorization(TokenType::Bearer.scheme(), token.secret()).ok_or_else(|| {
            AuthError::Request {
                method: request.method().to_string(),
                host: host_of(request.url()),
                reason: "the access token is not a valid header value".to_owned(),
            }
        })?;
        request.headers_mut().insert(AUTHORIZATION, auth);
        Ok(request)
    }

    /// Forgets the cached token, e.g. after an API answered 401.
    pub async fn invalidate(&self) {
        self.inner.cache.clear().await;
    }
}

impl Inner {
    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let grant = zeroize::Zeroizing::new(
            JwtGrant {
                client_id: &self.client_id,
                audience: &self.audience,
                scope: &self.scope,
                resource: self.resource.as_deref(),
                lifetime: JwtGrant::DEFAULT_LIFETIME,
            }
            .sign(&self.key, self.clock.now())?,
        );
        let form = [
            ("grant_type", JWT_BEARER_GRANT_TYPE),
            ("assertion", grant.as_str()),
        ];
        let (exchange, _) =
            transport::post_form(&self.http, UPSTREAM, &self.token_endpoint, &form, &[]).await?;
        let token = exchange.into_token(TokenType::Bearer, self.clock.now())?;
        tracing::debug!(
            endpoint = %self.token_endpoint,
            client_id = %self.client_id,
            scope = token.scope().unwrap_or_default(),
            expires_at = token.expires_at(),
            "got a Maskinporten access token"
        );
        Ok(token)
    }
}

impl MaskinportenClientBuilder {
    /// Adds scopes to ask for.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Sets the `resource` claim.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
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
    ///
    /// Maskinporten accepts only RS256/RS384/RS512 and needs the key's `kid` (grunndata does
    /// not send an `x5c` certificate chain).
    pub fn build(self) -> Result<MaskinportenClient, AuthError> {
        let config_error = |reason: String| AuthError::Config {
            upstream: UPSTREAM,
            reason,
        };
        let token_endpoint =
            transport::endpoint_url(UPSTREAM, "token_endpoint", &self.token_endpoint)?;
        let alg = self.key.algorithm();
        if !RSA_PKCS1_ALGORITHMS.contains(&alg) {
            return Err(config_error(format!(
                "Maskinporten grants must be signed with RS256, RS384 or RS512, not {alg:?}"
            )));
        }
        if self.key.kid().is_none_or(str::is_empty) {
            return Err(config_error(
                "the key needs a kid (as registered in Maskinporten)".to_owned(),
            ));
        }
        for (what, value) in [("client_id", &self.client_id), ("audience", &self.audience)] {
            if value.trim().is_empty() {
                return Err(config_error(format!("{what} is empty")));
            }
        }
        if self.scopes.is_empty() {
            return Err(config_error("no scopes configured".to_owned()));
        }
        let http = match self.http {
            Some(http) => http,
            None => transport::default_client(UPSTREAM)?,
        };
        Ok(MaskinportenClient {
            inner: Arc::new(Inner {
                http,
                token_endpoint,
                audience: self.audience,
                client_id: self.client_id,
                scope: self.scopes.join(" "),
                resource: self.resource,
                key: self.key,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                cache: TokenCache::default(),
            }),
        })
    }
}

impl fmt::Debug for MaskinportenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("MaskinportenClient")
            .field("token_endpoint", &inner.token_endpoint.as_str())
            .field("audience", &inner.audience)
            .field("client_id", &inner.client_id)
            .field("scope", &inner.scope)
            .field("key", &inner.key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MaskinportenClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskinportenClientBuilder")
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

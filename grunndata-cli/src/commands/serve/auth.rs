//! Bearer JWTs: who may ask what.
//!
//! Every request except health, metrics and the OpenAPI document carries `Authorization:
//! Bearer <JWT>`, validated against the configured issuer's keys (JWKS), issuer, audience and
//! expiry (30 s leeway). Organisation, personnel and address lookups need the lookup scope;
//! person lookups (by NIN) the person scope. HelseID issues such tokens in production; the
//! `scope` claim may be a space-separated string or an array.
//!
//! A refused request gets 401 (no, malformed, forged, expired or wrongly addressed token) or
//! 403 (valid token without the scope) with a `WWW-Authenticate: Bearer …` challenge and an
//! empty body: nothing about the keys or the claims is given away.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clap::Args;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

use super::jwks::{self, Keys};

/// Default scope for organisation, personnel and address lookups.
pub const DEFAULT_LOOKUP_SCOPE: &str = "grunndata:lookup";
/// Default scope for person lookups (by fødselsnummer / D-nummer).
pub const DEFAULT_PERSON_SCOPE: &str = "grunndata:person";

/// Leeway for `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

/// The least time between two JWKS refetches triggered by an unknown `kid` (key rotation).
const JWKS_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_mins(1);

/// How many verified tokens are remembered, and for how long at most (never past `exp`).
const VERIFIED_CAPACITY: usize = 10_000;
const VERIFIED_TTL_SECONDS: i64 = 5 * 60;

/// The token options of `grunndata serve`.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// The token issuer (`iss`), e.g. `https://helseid-sts.nhn.no`.
    #[arg(long, env = "GRUNNDATA_SERVE_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,

    /// The audience tokens must name (`aud`).
    #[arg(long, env = "GRUNNDATA_SERVE_AUDIENCE", value_name = "AUD")]
    pub audience: Option<String>,

    /// The issuer's signing keys: a JWKS file, or an `https://` URL (read at start, and again
    /// when a token names a key it lacks).
    #[arg(long, env = "GRUNNDATA_SERVE_JWKS", value_name = "FILE|URL")]
    pub jwks: Option<String>,

    /// The scope for organisation, personnel and address lookups.
    #[arg(long, env = "GRUNNDATA_SERVE_LOOKUP_SCOPE", default_value = DEFAULT_LOOKUP_SCOPE)]
    pub lookup_scope: String,

    /// The scope for person lookups.
    #[arg(long, env = "GRUNNDATA_SERVE_PERSON_SCOPE", default_value = DEFAULT_PERSON_SCOPE)]
    pub person_scope: String,

    /// Answer without any token. Only allowed when listening on loopback; for development.
    #[arg(long, conflicts_with_all = ["issuer", "audience", "jwks"])]
    pub no_auth: bool,
}

impl AuthArgs {
    /// The token checks these options describe; keys are read now.
    pub async fn load(&self) -> anyhow::Result<Auth> {
        if self.no_auth {
            return Ok(Auth::Disabled);
        }
        let (Some(issuer), Some(audience), Some(jwks)) = (&self.issuer, &self.audience, &self.jwks)
        else {
            return Err(crate::exit::InvalidInput(
                "serve needs --issuer, --audience and --jwks (or --no-auth on loopback)".to_owned(),
            )
            .into());
        };
        let keys = jwks::load(jwks).await?;
        Ok(Auth::Jwt(Box::new(Jwt {
            keys: std::sync::RwLock::new(std::sync::Arc::new(keys)),
            source: jwks.clone(),
            // The first unknown `kid` may read the JWKS again at once.
            refreshed: tokio::sync::Mutex::new(
                std::time::Instant::now()
                    .checked_sub(JWKS_REFRESH_INTERVAL)
                    .unwrap_or_else(std::time::Instant::now),
            ),
            verified: quick_cache::sync::Cache::new(VERIFIED_CAPACITY),
            issuer: issuer.clone(),
            audience: audience.clone(),
            lookup_scope: self.lookup_scope.clone(),
            person_scope: self.person_scope.clone(),
        })))
    }
}

/// What a route demands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Nothing: health, metrics, the OpenAPI document, FHIR metadata.
    Public,
    /// The lookup scope: organisations, personnel, communication parties.
    Lookup,
    /// The person scope: persons by NIN (and personnel by NIN).
    Person,
}

/// The token checks in effect.
#[derive(Debug)]
pub enum Auth {
    /// `--no-auth`: everyone is [`Principal::anonymous`].
    Disabled,
    /// Bearer JWTs.
    Jwt(Box<Jwt>),
}

/// Validation of bearer JWTs.
pub struct Jwt {
    /// The issuer's keys; replaced when a token names a `kid` they lack and the JWKS, read
    /// again (at most once per `JWKS_REFRESH_INTERVAL`), has it — HelseID rotates its keys.
    keys: std::sync::RwLock<std::sync::Arc<Keys>>,
    /// Where the JWKS is read from.
    source: String,
    /// When the JWKS was last read.
    refreshed: tokio::sync::Mutex<std::time::Instant>,
    /// Tokens whose signature and claims were verified, by the exact token text, so a
    /// client's repeated token costs a hash lookup instead of a signature check. Entries are
    /// used only until the token's `exp` (plus leeway) and at most `VERIFIED_TTL_SECONDS`
    /// after the check ([`Verified::trusted_until`]).
    verified: quick_cache::sync::Cache<String, std::sync::Arc<Verified>>,
    issuer: String,
    audience: String,
    lookup_scope: String,
    person_scope: String,
}

/// Who is calling, from the token: recorded in the audit log of person lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The client (`client_id`, else `azp`, else `sub`).
    pub client_id: String,
    /// The end user, where the token carries one (`sub` when it is not the client).
    pub user: Option<String>,
}

impl Principal {
    /// The caller under `--no-auth`.
    pub fn anonymous() -> Self {
        Self {
            client_id: "anonymous (--no-auth)".to_owned(),
            user: None,
        }
    }

    /// The actor recorded in the audit log: `client` or `client user`.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(user) => format!("{} user={user}", self.client_id),
            None => self.client_id.clone(),
        }
    }
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("source", &self.source)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// A verified token: who it names, what it grants, until when.
#[derive(Debug)]
struct Verified {
    principal: Option<Principal>,
    scope: Option<ScopeClaim>,
    /// The Unix second after which the check is made again: the token's `exp` plus the
    /// leeway, or `VERIFIED_TTL_SECONDS` after this check if that comes first (a key dropped
    /// from the JWKS stops vouching for its tokens within that).
    trusted_until: i64,
}

/// Until when (Unix seconds) a token with `exp`, verified at `now`, is taken on trust:
/// its expiry plus the leeway, but never more than `VERIFIED_TTL_SECONDS` after the check.
fn trusted_until(exp: i64, now: i64, leeway: i64) -> i64 {
    exp.saturating_add(leeway)
        .min(now.saturating_add(VERIFIED_TTL_SECONDS))
}

/// The claims read from a token.
#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<ScopeClaim>,
    exp: i64,
}

/// `scope`: `"a b"` or `["a", "b"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ScopeClaim {
    Text(String),
    List(Vec<String>),
}

impl ScopeClaim {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::Text(text) => text.split_ascii_whitespace().any(|scope| scope == wanted),
            Self::List(list) => list.iter().any(|scope| scope == wanted),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No bearer token at all.
    Missing,
    /// A token that is not valid here.
    Invalid,
    /// A valid token without the scope.
    Scope(Scope),
    /// A token signed with a key the JWKS does not hold (yet: keys rotate).
    UnknownKey,
}

impl Jwt {
    /// Checks `token` and that it grants `scope`.
    fn check(&self, token: &str, scope: Scope) -> Result<Principal, Refusal> {
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        let verified = match self.verified.get(token) {
            Some(verified) if now <= verified.trusted_until => verified,
            _ => {
                let verified = std::sync::Arc::new(self.verify(token, now, leeway)?);
                self.verified
                    .insert(token.to_owned(), std::sync::Arc::clone(&verified));
                verified
            }
        };
        let wanted = match scope {
            Scope::Public => None,
            Scope::Lookup => Some(&self.lookup_scope),
            Scope::Person => Some(&self.person_scope),
        };
        if let Some(wanted) = wanted
            && !verified.scope.as_ref().is_some_and(|s| s.contains(wanted))
        {
            return Err(Refusal::Scope(scope));
        }
        verified.principal.clone().ok_or(Refusal::Invalid)
    }

    /// Verifies `token`'s signature and claims (not its scope) at `now` (Unix seconds).
    fn verify(&self, token: &str, now: i64, leeway: i64) -> Result<Verified, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid)?;
        let keys = std::sync::Arc::clone(
            &self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let key: &DecodingKey = keys
            .find(header.kid.as_deref(), header.alg)
            .ok_or(Refusal::UnknownKey)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|_| Refusal::Invalid)?
            .claims;
        let principal = claims
            .client_id
            .or(claims.azp)
            .or_else(|| claims.sub.clone())
            .map(|client_id| {
                let user = claims.sub.filter(|sub| *sub != client_id);
                Principal { client_id, user }
            });
        Ok(Verified {
            principal,
            scope: claims.scope,
            trusted_until: trusted_until(claims.exp, now, leeway),
        })
    }

    /// Reads the JWKS again, unless that was done less than `JWKS_REFRESH_INTERVAL` ago;
    /// whether the keys were replaced.
    async fn refresh(&self) -> bool {
        let mut refreshed = self.refreshed.lock().await;
        if refreshed.elapsed() < JWKS_REFRESH_INTERVAL {
            return false;
        }
        *refreshed = std::time::Instant::now();
        match jwks::load(&self.source).await {
            Ok(keys) => {
                *self
                    .keys
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(keys);
                tracing::info!(source = %self.source, "read the issuer's keys again");
                true
            }
            Err(error) => {
                tracing::warn!(source = %self.source, error = %format!("{error:#}"), "reading the issuer's keys again failed");
                false
            }
        }
    }

    fn scope_name(&self, scope: Scope) -> &str {
        match scope {
            Scope::Person => &self.person_scope,
            Scope::Lookup | Scope::Public => &self.lookup_scope,
        }
    }
}

impl Auth {
    /// After a token with an unknown `kid`: reads the JWKS again (rate-limited); whether it
    /// changed, so the request is worth checking again.
    pub async fn refresh_keys(&self) -> bool {
        match self {
            Self::Disabled => false,
            Self::Jwt(jwt) => jwt.refresh().await,
        }
    }

    /// Who sent `request`, if it may be answered under `scope`.
    pub fn authorise(&self, request: &Request, scope: Scope) -> Result<Principal, Refusal> {
        let jwt = match self {
            Self::Disabled => return Ok(Principal::anonymous()),
            Self::Jwt(jwt) => jwt,
        };
        let value = request
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(Refusal::Missing)?;
        let text = value.to_str().map_err(|_| Refusal::Invalid)?;
        let (kind, token) = text.split_once(' ').ok_or(Refusal::Invalid)?;
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(Refusal::Missing);
        }
        jwt.check(token.trim(), scope)
    }

    /// The 401/403 answer for `refusal`: a challenge and an empty body.
    pub fn refuse(&self, refusal: Refusal) -> Response {
        let realm = r#"Bearer realm="grunndata""#;
        let (status, challenge) = match refusal {
            Refusal::Missing => (StatusCode::UNAUTHORIZED, realm.to_owned()),
            Refusal::Invalid | Refusal::UnknownKey => (
                StatusCode::UNAUTHORIZED,
                format!(r#"{realm}, error="invalid_token""#),
            ),
            Refusal::Scope(scope) => {
                let name = match self {
                    Self::Jwt(jwt) => jwt.scope_name(scope),
                    Self::Disabled => "",
                };
                (
                    StatusCode::FORBIDDEN,
                    format!(r#"{realm}, error="insufficient_scope", scope="{name}""#),
                )
            }
        };
        let mut response = status.into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Middleware: refuses requests without a token granting the route's scope, else puts the
/// [`Principal`] into the request (and the response, for the access log).
pub async fn require(
    State((state, scope)): State<(super::state::AppState, Scope)>,
    mut request: Request,
    next: Next,
) -> Response {
    if scope == Scope::Public {
        return next.run(request).await;
    }
    let mut outcome = state.auth().authorise(&request, scope);
    if outcome == Err(Refusal::UnknownKey) && state.auth().refresh_keys().await {
        outcome = state.auth().authorise(&request, scope);
    }
    match outcome {
        Ok(principal) => {
            request.extensions_mut().insert(principal.clone());
            let mut response = next.run(request).await;
            response.extensions_mut().insert(principal);
            response
        }
        Err(refusal) => state.auth().refuse(refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_tokens_are_trusted_until_expiry_or_five_minutes() {
        let now = 1_800_000_000;
        assert_eq!(trusted_until(now + 30, now, 60), now + 90, "expiry first");
        assert_eq!(
            trusted_until(now + 3600, now, 60),
            now + VERIFIED_TTL_SECONDS,
            "the time to live first"
        );
        assert_eq!(trusted_until(i64::MAX, now, 60), now + VERIFIED_TTL_SECONDS);
    }

    #[test]
    fn scope_claims_as_text_or_list() {
        let text = ScopeClaim::Text("openid grunndata:lookup".to_owned());
        assert!(text.contains("grunndata:lookup"));
        assert!(!text.contains("grunndata:look"));
        let list = ScopeClaim::List(vec!["grunndata:person".to_owned()]);
        assert!(list.contains("grunndata:person"));
        assert!(!list.contains("grunndata:lookup"));
    }

    #[test]
    fn actor_names_client_and_user() {
        let principal = Principal {
            client_id: "journal".to_owned(),
            user: Some("u-1".to_owned()),
        };
        assert_eq!(principal.actor(), "journal user=u-1");
        assert_eq!(Principal::anonymous().actor(), "anonymous (--no-auth)");
    }
}

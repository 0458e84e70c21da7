//! The one typed configuration of grunndata, with its defaults in one place.
//!
//! Values come, later ones winning, from: the defaults below, a TOML file
//! (`grunndata sync --config FILE`), `GRUNNDATA_*` environment variables, and command-line
//! flags (applied by the CLI). `grunndata config init` prints a commented template generated
//! from these types ([`Config::template`]).
//!
//! Environment variables name a section and a key: `GRUNNDATA_<SECTION>_<KEY>`, e.g.
//! `GRUNNDATA_AR_BASE_URL`, `GRUNNDATA_HELSEID_CLIENT_ID`, `GRUNNDATA_HPR_SOAP_PASSWORD`.
//! `GRUNNDATA_DB` is short for `GRUNNDATA_STORE_URL`. Lists are comma-separated. Variables
//! whose section is unknown (e.g. `GRUNNDATA_TEST_PG`) are not configuration and are ignored;
//! an unknown key in a known section is an error, so that a typo is not silently ignored.
//!
//! The default upstream URLs are those of NHN's **test** environments where the production
//! address is not documented in the sources we have (Brønnøysund has only production). Set
//! the production URLs you were given when you set up a production mirror.

mod env;
mod template;

use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use env::apply_env;

use crate::secret::Secret;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What and where (line and column), from the TOML parser.
        message: String,
    },
    /// An environment variable could not be applied.
    #[error("environment variable {variable}: {message}")]
    Env {
        /// The variable's name (never its value: it may be a secret).
        variable: String,
        /// What is wrong.
        message: String,
    },
}

/// All configuration. Every section and field has a default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the mirror lives.
    pub store: StoreConfig,
    /// How sync jobs run.
    pub sync: SyncConfig,
    /// Brønnøysund Enhetsregisteret.
    pub brreg: BrregConfig,
    /// NHN Adresseregisteret (CommunicationParty API).
    pub ar: ArConfig,
    /// NHN Persontjenesten.
    pub preg: PregConfig,
    /// Helsepersonellregisteret.
    pub hpr: HprConfig,
    /// HelseID client (for Adresseregisteret and Persontjenesten).
    pub helseid: HelseIdConfig,
    /// Maskinporten client (for HPR REST).
    pub maskinporten: MaskinportenConfig,
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://…`. Unset: `$XDG_DATA_HOME/grunndata/grunndata.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// SQLite only: the audit log's own file (it never shares the mirror's writer, so audited
    /// lookups never wait for a sync). Unset: `grunndata-audit.db` beside the mirror. Set it
    /// when lookups run where the mirror's directory is read-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_path: Option<std::path::PathBuf>,
    /// How long audit entries are kept: `"keep"` (for ever, the default) or a duration
    /// (`"400d"`, `"10y"`), after which `grunndata sync` removes them. Mind the law that
    /// applies to you: the audit log is the record of who looked up whom, and it cannot be
    /// rebuilt.
    pub audit_retention: AuditRetention,
}

/// How long audit entries are kept (`[store] audit_retention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, JsonSchema)]
#[schemars(with = "String")]
pub enum AuditRetention {
    /// For ever (`"keep"`).
    #[default]
    Keep,
    /// This long, then removed (`"5y"`).
    For(Duration),
}

impl Serialize for AuditRetention {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Keep => serializer.serialize_str("keep"),
            Self::For(duration) => serializer.collect_str(&humantime::format_duration(*duration)),
        }
    }
}

impl<'de> Deserialize<'de> for AuditRetention {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim().eq_ignore_ascii_case("keep") {
            return Ok(Self::Keep);
        }
        humantime::parse_duration(text.trim())
            .map(Self::For)
            .map_err(|error| {
                serde::de::Error::custom(format!(
                    "audit_retention: \"keep\" or a duration such as \"5y\": {error}"
                ))
            })
    }
}

/// `[sync]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Registers to sync when `--source` is not given.
    pub sources: Vec<String>,
    /// Pause between runs in `--watch` mode (a random jitter of up to 10 % is added).
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub interval: Duration,
    /// A run that has not finished after this long is stopped and reported as failed; what
    /// it committed stays.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub deadline: Duration,
    /// A snapshot that brings fewer records than this percentage of what the mirror holds
    /// (or fewer than upstream's own count) is refused before it removes anything: the run
    /// fails for that register and the mirror is left as it was. `grunndata sync
    /// --resnapshot --accept-shrink` accepts a genuine shrink once.
    pub snapshot_floor_percent: u8,
    /// The largest upstream response read whole, in MiB (feed pages, records, SOAP pages); a
    /// larger one fails the request instead of growing memory without bound. The Brreg bulk
    /// files and the HPR export are streamed and not limited by it.
    pub max_response_mib: u64,
    /// How often a standby `sync --watch` node (another node holds the writer lock) tries to
    /// take over. With PostgreSQL noticing a dead node's session, this bounds failover.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub standby_poll: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            sources: ["brreg", "ar", "hpr", "preg"].map(str::to_owned).to_vec(),
            interval: Duration::from_mins(5),
            deadline: Duration::from_hours(1),
            snapshot_floor_percent: 90,
            max_response_mib: 64,
            standby_poll: Duration::from_secs(2),
        }
    }
}

/// `[brreg]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BrregConfig {
    /// Enhetsregisteret's open API (no authentication).
    pub base_url: String,
    /// `grunndata status` fails when the last successful sync is older than this.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub stale_after: Duration,
}

impl Default for BrregConfig {
    fn default() -> Self {
        Self {
            base_url: "https://data.brreg.no/enhetsregisteret/api".to_owned(),
            stale_after: Duration::from_hours(26),
        }
    }
}

/// How an API wants its HelseID access token presented.
///
/// Each upstream's default is what its stored contract declares (docs/upstream-decisions.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (Persontjenesten v2: `securitySchemes.HelseID`, HTTP
    /// bearer).
    Bearer,
    /// `Authorization: DPoP <token>` plus a `DPoP` proof per request (Adresseregisteret:
    /// scope `nhn:cp-api/access-v2-dpop`).
    Dpop,
}

#[cfg(feature = "sync")]
impl AuthScheme {
    /// The token type the HelseID client asks for and presents.
    pub fn token_type(self) -> crate::auth::TokenType {
        match self {
            Self::Bearer => crate::auth::TokenType::Bearer,
            Self::Dpop => crate::auth::TokenType::Dpop,
        }
    }
}

/// `[ar]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArConfig {
    /// The CommunicationParty API (test environment by default; the production URL is not
    /// documented in our sources).
    pub base_url: String,
    /// HelseID scope for the API.
    pub scope: String,
    /// How the HelseID token is presented: `dpop` (the scope's contract) or `bearer`.
    pub auth_scheme: AuthScheme,
    /// Also mirror deactivated communication parties at bootstrap.
    pub include_deactivated: bool,
    /// `grunndata status` fails when the last successful sync is older than this.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub stale_after: Duration,
}

impl Default for ArConfig {
    fn default() -> Self {
        Self {
            base_url: "https://cpapi.test.grunndata.nhn.no".to_owned(),
            scope: "nhn:cp-api/access-v2-dpop".to_owned(),
            auth_scheme: AuthScheme::Dpop,
            include_deactivated: false,
            stale_after: Duration::from_hours(1),
        }
    }
}

/// `[preg]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PregConfig {
    /// Persontjenesten (test environment by default).
    pub base_url: String,
    /// Use the legal-basis paths (`/api/legal-basis/…`) rather than `/api/no-legal-basis/…`.
    pub legal_basis: bool,
    /// The `api-version` header sent with every request.
    pub api_version: String,
    /// HelseID scope for the API.
    pub scope: String,
    /// How the HelseID token is presented: `bearer` (the v2 contract's
    /// `securitySchemes.HelseID`) or `dpop`.
    pub auth_scheme: AuthScheme,
    /// A file of person numbers to track, one per line, added to those tracked with
    /// `grunndata person track`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracked_persons_file: Option<PathBuf>,
    /// `grunndata status` fails when the last successful sync is older than this.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub stale_after: Duration,
}

impl Default for PregConfig {
    fn default() -> Self {
        Self {
            base_url: "https://et.persontjenesten.test.nhn.no".to_owned(),
            legal_basis: true,
            api_version: "2".to_owned(),
            scope: "nhn:hgd-persontjenesten-api/read-with-legal-basis".to_owned(),
            auth_scheme: AuthScheme::Bearer,
            tracked_persons_file: None,
            stale_after: Duration::from_hours(1),
        }
    }
}

/// `[hpr]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HprConfig {
    /// HPR Offentlig API, REST (Maskinporten).
    pub rest_base_url: String,
    /// The SOAP service (HTTP Basic auth) for the change feed and, without export rights,
    /// the bootstrap listing.
    pub soap_url: String,
    /// User of the SOAP service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soap_username: Option<String>,
    /// Password of the SOAP service. Prefer `GRUNNDATA_HPR_SOAP_PASSWORD` to writing it here.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub soap_password: Option<Secret<String>>,
    /// URL of the bulk export (scope `nhn:hpr/export`). Not documented publicly: ask NHN.
    /// Unset: bootstrap pages through the SOAP listing instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_url: Option<String>,
    /// Maskinporten scopes to ask for.
    pub scopes: Vec<String>,
    /// `grunndata status` fails when the last successful sync is older than this.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub stale_after: Duration,
}

impl Default for HprConfig {
    fn default() -> Self {
        Self {
            rest_base_url: "https://api.offentlig.test.hpr.nhn.no".to_owned(),
            soap_url: "https://ws.test.nhn.no/v2/HPR/Basic".to_owned(),
            soap_username: None,
            soap_password: None,
            export_url: None,
            scopes: vec!["nhn:hpr/basic".to_owned(), "nhn:hpr/extended".to_owned()],
            stale_after: Duration::from_hours(26),
        }
    }
}

/// `[helseid]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HelseIdConfig {
    /// The token endpoint (test environment by default).
    pub token_endpoint: String,
    /// HelseID's issuer: the `aud` of client assertions.
    pub issuer: String,
    /// The client id HelseID gave you.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client's private key (PEM or JWK file) for `private_key_jwt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_path: Option<PathBuf>,
    /// Signing algorithm (RS256, PS256, ES256, …). Unset: from the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// A separate key for DPoP proofs. Unset: the client key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_key_path: Option<PathBuf>,
}

impl Default for HelseIdConfig {
    fn default() -> Self {
        Self {
            token_endpoint: "https://helseid-sts.test.nhn.no/connect/token".to_owned(),
            issuer: "https://helseid-sts.test.nhn.no/".to_owned(),
            client_id: None,
            key_path: None,
            algorithm: None,
            dpop_key_path: None,
        }
    }
}

/// `[maskinporten]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MaskinportenConfig {
    /// The token endpoint (test environment by default).
    pub token_endpoint: String,
    /// The `aud` of the JWT grant.
    pub audience: String,
    /// The client id (integration id) from Samarbeidsportalen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client's private RSA key (PEM or JWK file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_path: Option<PathBuf>,
    /// The key id registered with Maskinporten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

impl Default for MaskinportenConfig {
    fn default() -> Self {
        Self {
            token_endpoint: "https://test.maskinporten.no/token".to_owned(),
            audience: "https://test.maskinporten.no/".to_owned(),
            client_id: None,
            key_path: None,
            kid: None,
        }
    }
}

impl Config {
    /// Defaults, then `file` (if given), then the process's `GRUNNDATA_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        apply_env(config, std::env::vars())
    }

    /// Reads a TOML file; missing sections and keys keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses TOML text; the error is the parser's message with line and column.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|error| error.to_string())
    }

    /// The configuration as TOML (without comments; see [`Config::template`] for those).
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|error| error.to_string())
    }

    /// A copy fit to show: every secret replaced by `[redacted]` (secrets serialise as their
    /// value so that they can be read from a file; this is the one place that hides them).
    #[must_use]
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        if shown.hpr.soap_password.is_some() {
            shown.hpr.soap_password = Some(Secret::new("[redacted]".to_owned()));
        }
        shown
    }

    /// How long `register` may go without a successful sync before `grunndata status` and
    /// `grunndata check` call it stale (`[<register>] stale_after`).
    pub fn stale_after(&self, register: crate::store::Register) -> Duration {
        use crate::store::Register;
        match register {
            Register::Brreg => self.brreg.stale_after,
            Register::Ar => self.ar.stale_after,
            Register::Hpr => self.hpr.stale_after,
            Register::Preg => self.preg.stale_after,
        }
    }

    /// The registers this deployment mirrors (`[sync] sources`, names as `grunndata sync
    /// --source` takes them, comma lists allowed), in [`Register::ALL`] order; unknown names
    /// are left out (`grunndata sync` reports them).
    ///
    /// [`Register::ALL`]: crate::store::Register::ALL
    pub fn mirrored_registers(&self) -> Vec<crate::store::Register> {
        crate::store::Register::ALL
            .into_iter()
            .filter(|register| {
                self.sync
                    .sources
                    .iter()
                    .flat_map(|names| names.split(','))
                    .any(|name| name.parse() == Ok(*register))
            })
            .collect()
    }

    /// A commented template of every option with its default, for `grunndata config init`.
    pub fn template() -> String {
        template::render()
    }
}

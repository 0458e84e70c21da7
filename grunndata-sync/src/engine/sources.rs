//! The four upstream clients, built from the configuration for the registers a run syncs.

use std::sync::Arc;

use crate::auth::{HelseIdClient, MaskinportenClient, TokenProvider, scopes};
use crate::config::{AuthScheme, Config};
use crate::source::ar::{self, ArClient};
use crate::source::brreg::{self, BrregClient};
use crate::source::hpr::{HprSource, HprSourceBuilder};
use crate::source::http::{Authorise, HttpConfig, TokenAuth};
use crate::source::preg::{self, LegalBasis, PregClient, TrackedSet};
use crate::store::Register;

use super::EngineError;

/// The clients of one run; a register without a client is not synced.
///
/// Build with [`Sources::from_config`], or set the clients yourself (tests, embedding).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Enhetsregisteret.
    pub brreg: Option<BrregClient>,
    /// Adresseregisteret.
    pub ar: Option<ArClient>,
    /// HPR.
    pub hpr: Option<HprSource>,
    /// Persontjenesten, following [`tracked`](Self::tracked).
    pub preg: Option<PregClient>,
    /// The persons the Persontjenesten client follows; the engine refreshes it from the
    /// store at the start of each run.
    pub tracked: Arc<TrackedSet>,
}

impl Sources {
    /// Clients for `registers` from `config`.
    ///
    /// Adresseregisteret and Persontjenesten get a HelseID client (`ar.auth_scheme`,
    /// `preg.auth_scheme`: DPoP and Bearer by default, as their contracts declare) when
    /// `[helseid] client_id` is set, HPR REST a Maskinporten client when
    /// `[maskinporten] client_id` is set; without them requests go out unauthenticated, which
    /// only a fake upstream started with `--no-auth` accepts (a warning says so).
    pub fn from_config(config: &Config, registers: &[Register]) -> Result<Self, EngineError> {
        let mut sources = Self::default();
        for register in registers {
            match register {
                Register::Brreg => sources.brreg = Some(brreg_client(config)?),
                Register::Ar => sources.ar = Some(ar_client(config)?),
                Register::Hpr => sources.hpr = Some(hpr_source(config)?),
                Register::Preg => {
                    sources.preg = Some(preg_client(config, Arc::clone(&sources.tracked))?);
                }
            }
        }
        Ok(sources)
    }

    /// Whether a client for `register` is set.
    pub fn has(&self, register: Register) -> bool {
        match register {
            Register::Brreg => self.brreg.is_some(),
            Register::Ar => self.ar.is_some(),
            Register::Hpr => self.hpr.is_some(),
            Register::Preg => self.preg.is_some(),
        }
    }
}

fn config_error(register: Register) -> impl Fn(String) -> EngineError {
    move |message| EngineError::Config { register, message }
}

/// The HTTP settings every client shares, from `[sync]`.
fn http(config: &Config) -> HttpConfig {
    HttpConfig {
        max_body_bytes: usize::try_from(config.sync.max_response_mib.saturating_mul(1024 * 1024))
            .unwrap_or(usize::MAX),
        ..HttpConfig::default()
    }
}

fn brreg_client(config: &Config) -> Result<BrregClient, EngineError> {
    let mut settings = brreg::BrregConfig::new(config.brreg.base_url.clone());
    settings.http = http(config);
    BrregClient::new(settings).map_err(Into::into)
}

fn ar_client(config: &Config) -> Result<ArClient, EngineError> {
    let auth = helseid(
        config,
        Register::Ar,
        &config.ar.scope,
        config.ar.auth_scheme,
    )?;
    let mut settings = ar::ArConfig::new(config.ar.base_url.clone());
    settings.http = http(config);
    settings.include_deactivated = config.ar.include_deactivated;
    ArClient::new(settings, auth).map_err(Into::into)
}

fn preg_client(config: &Config, tracked: Arc<TrackedSet>) -> Result<PregClient, EngineError> {
    let auth = helseid(
        config,
        Register::Preg,
        &config.preg.scope,
        config.preg.auth_scheme,
    )?;
    let mut settings = preg::PregConfig::new(config.preg.base_url.clone());
    settings.http = http(config);
    settings.api_version.clone_from(&config.preg.api_version);
    settings.legal_basis = if config.preg.legal_basis {
        LegalBasis::With
    } else {
        LegalBasis::Without
    };
    PregClient::new(settings, auth, tracked).map_err(Into::into)
}

fn hpr_source(config: &Config) -> Result<HprSource, EngineError> {
    let (rest, export) = if config.maskinporten.client_id.is_some() {
        let rest = maskinporten(config, &config.hpr.scopes)?;
        // The export needs its own token: scope `nhn:hpr/export` (UPSTREAMS.md §4).
        let export = match &config.hpr.export_url {
            Some(_) => Some(maskinporten(config, &[scopes::HPR_EXPORT.to_owned()])?),
            None => None,
        };
        (Some(rest), export)
    } else {
        tracing::warn!(register = %Register::Hpr, "no Maskinporten client configured; HPR REST is called without a token");
        (None, None)
    };
    HprSourceBuilder::from_config(&config.hpr, rest, export)
        .http(http(config))
        .build()
        .map_err(Into::into)
}

/// A Maskinporten hook asking for `scopes`.
fn maskinporten(config: &Config, scopes: &[String]) -> Result<Arc<dyn Authorise>, EngineError> {
    let client = MaskinportenClient::from_config(&config.maskinporten, scopes, None)
        .map_err(|error| config_error(Register::Hpr)(error.to_string()))?;
    Ok(Arc::new(TokenAuth::new(TokenProvider::Maskinporten(
        client,
    ))))
}

/// A HelseID hook for `register` with `scope` and `scheme`, when a HelseID client is
/// configured.
fn helseid(
    config: &Config,
    register: Register,
    scope: &str,
    scheme: AuthScheme,
) -> Result<Option<Arc<dyn Authorise>>, EngineError> {
    if config.helseid.client_id.is_none() {
        tracing::warn!(%register, "no HelseID client configured; calling the API without a token");
        return Ok(None);
    }
    let client =
        HelseIdClient::from_config_with_scheme(&config.helseid, scope, scheme.token_type(), None)
            .map_err(|error| config_error(register)(error.to_string()))?;
    Ok(Some(Arc::new(TokenAuth::new(TokenProvider::HelseId(
        client,
    )))))
}

//! `grunndata serve`: the mirror as a read-only HTTP service — REST JSON under `/v1`, FHIR R4
//! (HL7 Norway no-basis) under `/fhir`, health, metrics and the OpenAPI document.
//!
//! Handlers are thin: they parse, call one [`Registry`] method and map the answer. The
//! registry is the only way to the mirror (cache included); the server never calls an
//! upstream and never writes the mirror (the audit log of person lookups aside).
//!
//! One module per concern: `auth` (bearer JWTs), `routes` (the table the router *and* the
//! OpenAPI document are built from), `layers` (limits, timeouts, gzip, ETag, access log and
//! metrics), `rest/` and `fhir/` (one module per resource), `health`, `metrics`, `openapi`.

mod auth;
mod error;
mod fhir;
mod health;
mod jwks;
mod layers;
mod metrics;
mod openapi;
mod rendered;
mod rest;
mod routes;
mod state;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use grunndata_sync::config::Config;
use grunndata_sync::registry::{Registry, RegistryOptions};
use grunndata_sync::store::Store;

use super::common::{self, MirrorArgs};
use crate::exit::{InvalidInput, Outcome};

pub use auth::AuthArgs;

/// Serve the mirror over HTTP: REST JSON (`/v1/…`, the same answers as `--json`), FHIR R4
/// with the HL7 Norway no-basis profiles (`/fhir/…`), `/openapi.json`, `/health/live`,
/// `/health/ready` and `/metrics`.
///
/// Every request but health and metrics needs a bearer JWT from the configured issuer
/// (`--issuer`, `--audience`, `--jwks`) with the lookup scope, and person lookups the person
/// scope. `--no-auth` turns that off, and is refused unless the address is loopback.
///
/// Prints `listening on http://ADDR` on stdout once it accepts connections; stops on SIGTERM
/// or Ctrl-C after the requests in flight.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free one).
    #[arg(
        long,
        env = "GRUNNDATA_SERVE_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    listen: SocketAddr,

    #[command(flatten)]
    mirror: MirrorArgs,

    #[command(flatten)]
    auth: AuthArgs,

    /// How long one request may take before it is answered 503.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    request_timeout: Duration,

    /// How many requests are worked on at once; more wait.
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_concurrency: usize,
}

impl ServeArgs {
    /// Serves until SIGTERM / Ctrl-C.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<Outcome> {
        let config = self.mirror.load()?;
        if self.auth.no_auth && !self.listen.ip().is_loopback() {
            return Err(InvalidInput(format!(
                "--no-auth is only allowed on a loopback address, not {}",
                self.listen
            ))
            .into());
        }
        let auth = self.auth.load().await?;
        if self.auth.no_auth {
            eprintln!(
                "grunndata serve: WARNING: --no-auth: every request is answered without a token, \
                 person lookups are audited as `anonymous (--no-auth)`. Never use this outside a \
                 developer machine."
            );
            tracing::warn!("authentication is OFF (--no-auth), loopback only");
        }
        let (store, registry) = open_mirror(&config).await?;
        let state = state::AppState::new(store, registry, auth, &config);
        let limits = layers::Limits {
            request_timeout: self.request_timeout,
            max_concurrency: self.max_concurrency.max(1),
        };
        let app = routes::router(state, &limits);
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("listening on {}", self.listen))?;
        let address = listener.local_addr().context("the bound address")?;
        println!("listening on http://{address}");
        tracing::info!(%address, "serving the mirror");
        axum::serve(listener, app)
            .with_graceful_shutdown(common::shutdown_signal())
            .await
            .context("serving HTTP")?;
        Ok(Outcome::Success)
    }
}

/// The one place `serve` opens the mirror: read-only (never creating, locking or migrating
/// it; audit rows go to the audit log's own place), and a registry over it in which person
/// lookups require a purpose.
async fn open_mirror(config: &Config) -> anyhow::Result<(Store, Registry)> {
    let store = MirrorArgs::open_read_only(config).await?;
    let options = RegistryOptions {
        purpose_required: true,
        actor: "grunndata-serve".to_owned(),
        ..RegistryOptions::default()
    };
    let registry = Registry::from_store(store.clone(), options);
    Ok((store, registry))
}

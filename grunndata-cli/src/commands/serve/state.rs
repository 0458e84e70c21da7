//! The state every handler shares: the registry, the token checks, the metrics, and the
//! staleness bounds readiness judges by. One `Arc` inside, cheap to clone.

use std::sync::Arc;
use std::time::Duration;

use grunndata_sync::config::Config;
use grunndata_sync::registry::{Found, Registry};
use grunndata_sync::store::{PublicRecord, Register, Store, StoreError};

use super::auth::Auth;
use super::metrics::Metrics;
use super::rendered::RenderCache;

/// Shared state of the server.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The mirror, opened read-only: sync state and the history of non-person records.
    store: Store,
    registry: Registry,
    auth: Auth,
    metrics: Metrics,
    rendered: RenderCache,
    /// The mirrored registers (`[sync] sources`) with their staleness bounds.
    registers: Vec<(Register, Duration)>,
}

impl AppState {
    /// State over `store` and the `registry` over it, checking tokens with `auth`; the
    /// registers and their bounds come from `config`.
    pub fn new(store: Store, registry: Registry, auth: Auth, config: &Config) -> Self {
        let registers = config
            .mirrored_registers()
            .into_iter()
            .map(|register| (register, config.stale_after(register)))
            .collect();
        Self {
            inner: Arc::new(Inner {
                store,
                registry,
                auth,
                metrics: Metrics::default(),
                rendered: RenderCache::default(),
                registers,
            }),
        }
    }

    /// The registry (current records, the service's own caller).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The store under the registry, for sync state only (status, readiness, metrics) —
    /// never for records, and never for persons: those go through the audited registry.
    pub fn sync_state_store(&self) -> &Store {
        &self.inner.store
    }

    /// Every version of the record `key` of a *non-person* register (HPR, Brreg, AR),
    /// newest first, for FHIR `vread` and `_history`. The registry has no history lookup, so
    /// this reads the store, whose generic reads take no person record (`PublicRecord`).
    pub async fn history<R: PublicRecord>(
        &self,
        key: &R::Key,
    ) -> Result<Vec<Found<R>>, StoreError> {
        let versions = self.inner.store.versions::<R>(key).await?;
        Ok(versions.into_iter().map(Found::from).collect())
    }

    /// The token checks.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Rendered answers by mirror version.
    pub fn rendered(&self) -> &RenderCache {
        &self.inner.rendered
    }

    /// The mirrored registers with their staleness bounds.
    pub fn registers(&self) -> &[(Register, Duration)] {
        &self.inner.registers
    }
}

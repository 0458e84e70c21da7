//! Child side: one sync run through the engine, from the upstream in a configuration file,
//! timed from the engine's start to its report.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use grunndata_sync::config::Config;
use grunndata_sync::engine::{Engine, Request, Sources, SyncMode, SyncOptions};
use grunndata_sync::store::{Register, Store};
use serde::{Deserialize, Serialize};

/// What one sync run did.
#[derive(Debug, Serialize, Deserialize)]
pub struct Synced {
    /// Wall time of the whole run (registers run concurrently).
    pub seconds: f64,
    /// Per register.
    pub registers: Vec<RegisterSynced>,
}

/// What one register's sync did.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisterSynced {
    /// The register.
    pub register: String,
    /// Whether it took a snapshot (`true`) or followed its feed.
    pub bootstrap: bool,
    /// Records the store holds afterwards.
    pub records: u64,
    /// Records fetched from upstream.
    pub fetched: u64,
    /// Records written (new or changed).
    pub applied: u64,
    /// The register's own duration.
    pub seconds: f64,
}

impl Synced {
    /// The result for `register`.
    pub fn register(&self, register: Register) -> anyhow::Result<&RegisterSynced> {
        self.registers
            .iter()
            .find(|synced| synced.register == register.as_str())
            .with_context(|| format!("no result for {register}"))
    }
}

/// Parent side: syncs `registers` of the mirror at `url` from the run's fake, in a child.
pub fn in_child(
    bench: &crate::run::Bench,
    url: &str,
    registers: &[Register],
) -> anyhow::Result<crate::child::Answer<Synced>> {
    crate::child::run(&super::Request::Sync {
        url: url.to_owned(),
        config: bench.config.clone(),
        registers: registers.iter().map(|r| r.as_str().to_owned()).collect(),
        batch_size: bench.settings.batch_size,
        resnapshot: false,
    })
}

/// Child side: syncs `registers` of the mirror at `url`.
pub async fn run(
    url: &str,
    config: &Path,
    registers: &[String],
    batch_size: Option<usize>,
    resnapshot: bool,
) -> anyhow::Result<Synced> {
    let registers = registers
        .iter()
        .map(|name| name.parse::<Register>())
        .collect::<Result<Vec<_>, _>>()?;
    let store = Store::open(url).await?;
    let config = Config::from_file(config)?;
    let sources = Sources::from_config(&config, &registers)?;
    let started = Instant::now();
    let mut options = SyncOptions::default();
    if let Some(batch_size) = batch_size {
        options.batch_size = batch_size;
    }
    let report = Engine::new(store.clone(), sources)
        .options(options)
        .run(
            &registers,
            if resnapshot {
                &Request::Resnapshot
            } else {
                &Request::Sync
            },
        )
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut synced = Vec::new();
    for register in &report.registers {
        if let Some(error) = &register.error {
            bail!("sync of {} failed: {error}", register.register);
        }
        let counts = store.counts(register.register).await?;
        synced.push(RegisterSynced {
            register: register.register.as_str().to_owned(),
            bootstrap: register.mode != SyncMode::Incremental,
            records: u64::try_from(counts.records).unwrap_or(0),
            fetched: register.counts.fetched,
            applied: register.counts.applied,
            seconds: register.duration.as_secs_f64(),
        });
    }
    store.close().await;
    Ok(Synced {
        seconds,
        registers: synced,
    })
}

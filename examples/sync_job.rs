//! A minimal scheduled sync: keep a mirror current from the upstreams in the configuration,
//! every few minutes, as a journal system's own background job would.
//!
//! ```text
//! cargo run --example sync_job -- grunndata.toml          # forever, every [sync] interval
//! cargo run --example sync_job -- grunndata.toml 1        # once
//! ```
//!
//! The configuration names the upstreams, credentials and the mirror (`[store] url`, or
//! `GRUNNDATA_DB`); `grunndata config init` writes a template, and
//! `grunndata fake-upstream --write-config demo.toml` one for a local fake upstream.
//! `cargo test --example sync_job` runs it against the fake upstream.

use std::path::Path;

use grunndata::sync::config::Config;
use grunndata::sync::engine::{Engine, Request, RunReport, Sources, SyncOptions};
use grunndata::sync::store::{Register, Store, default_url};

/// Runs `runs` syncs (`None`: forever) of every register with the configuration at `path`.
async fn sync_job(path: &Path, runs: Option<u32>) -> Result<RunReport, Box<dyn std::error::Error>> {
    let config = Config::load(Some(path))?;
    let url = match &config.store.url {
        Some(url) => url.clone(),
        None => default_url()?,
    };
    let store = Store::open(&url).await?;
    // One writer per mirror: a second job (another node, a manual run) is refused here.
    let _lock = store.writer_lock().await?;
    let registers: Vec<Register> = config
        .sync
        .sources
        .iter()
        .map(|name| name.parse())
        .collect::<Result<_, _>>()?;
    let sources = Sources::from_config(&config, &registers)?;
    let engine = Engine::new(store.clone(), sources).options(SyncOptions {
        deadline: Some(config.sync.deadline),
        snapshot_floor_percent: config.sync.snapshot_floor_percent,
        ..SyncOptions::default()
    });
    let mut run = 0;
    loop {
        let report = engine.run(&registers, &Request::Sync).await;
        for register in &report.registers {
            match &register.error {
                None => println!(
                    "{}: {} ({} applied, {} deleted)",
                    register.register,
                    register.mode.as_str(),
                    register.counts.applied,
                    register.counts.deleted
                ),
                // The failure is also kept in the mirror's sync state; the next run retries.
                Some(error) => eprintln!("{}: failed: {error}", register.register),
            }
        }
        run += 1;
        if runs.is_some_and(|runs| run >= runs) {
            store.close().await;
            return Ok(report);
        }
        tokio::time::sleep(config.sync.interval).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().ok_or("usage: sync_job CONFIG [RUNS]")?;
    let runs = args.next().map(|runs| runs.parse()).transpose()?;
    let report = sync_job(Path::new(&config), runs).await?;
    if report.succeeded() {
        Ok(())
    } else {
        Err(format!("sync failed for {:?}", report.failed()).into())
    }
}

#[cfg(test)]
mod tests {
    use grunndata::sync::fake::{DataSource, FakeConfig, FakeUpstream};
    use grunndata::sync::synth::SynthConfig;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn syncs_every_register_from_the_fake_upstream() {
        let fake = FakeUpstream::start(FakeConfig {
            data: DataSource::Synth(SynthConfig {
                seed: 9,
                scale: 0.001,
                ..SynthConfig::default()
            }),
            ..FakeConfig::default()
        })
        .await
        .unwrap_or_else(|error| panic!("fake upstream: {error}"));
        let dir = std::env::temp_dir().join(format!("grunndata-sync-job-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{error}"));
        let mut config = fake.config();
        config.store.url = Some(format!("sqlite://{}", dir.join("mirror.db").display()));
        config.sync.interval = std::time::Duration::from_millis(10);
        let path = dir.join("grunndata.toml");
        let toml = config.to_toml().unwrap_or_else(|error| panic!("{error}"));
        std::fs::write(&path, toml).unwrap_or_else(|error| panic!("{error}"));

        let report = sync_job(&path, Some(2))
            .await
            .unwrap_or_else(|error| panic!("sync job: {error}"));
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(report.registers.len(), 4);
        // The second run only followed the feeds: nothing new upstream, nothing applied.
        assert!(
            report
                .registers
                .iter()
                .all(|register| register.counts.applied == 0)
        );
        fake.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `grunndata fake-upstream`: serve all four upstream APIs from synthetic or NDJSON data.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use grunndata_sync::auth::scopes;
use grunndata_sync::auth::testkeys::{self, TestKeys};
use grunndata_sync::config::Config;
use grunndata_sync::fake::{DataSource, FakeAuth, FakeConfig, FakeHandle, FakeUpstream, prefix};
use grunndata_sync::synth::{AnomalyOptions, SynthConfig};

use crate::exit::Outcome;

/// Serve Brreg, Adresseregisteret, Persontjenesten and HPR (REST, export and SOAP) with their
/// real paths beneath /brreg/enhetsregisteret/api, /ar, /preg and /hpr, plus /_admin for
/// upserts, deletes and fault injection.
///
/// By default the APIs demand tokens as the real ones do: HelseID-like and Maskinporten-like
/// token endpoints (/helseid/connect/token, /maskinporten/token) verify client assertions and
/// DPoP proofs made with test keys generated into --keys-dir. --no-auth serves without tokens.
///
/// Prints its base URL on the first line of stdout once it accepts connections, then serves
/// until interrupted (Ctrl-C or SIGTERM).
#[derive(Debug, Args)]
pub struct FakeUpstreamArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// Size of the synthetic data relative to the national registers (0 < F ≤ 2).
    #[arg(long, value_name = "F", conflicts_with = "data", value_parser = super::synth::parse_scale)]
    scale: Option<f64>,

    /// Seed of the synthetic data.
    #[arg(long, value_name = "N", conflicts_with = "data")]
    seed: Option<u64>,

    /// Plant a known number of anomalies of every `grunndata check` rule's kind.
    #[arg(long, conflicts_with = "data")]
    anomalies: bool,

    /// Serve NDJSON files from DIR (as written by `grunndata synth`) instead of generating.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,

    /// Also write a grunndata config file (TOML) pointing every upstream, token endpoint and
    /// key file at this server, usable as is by `grunndata sync --config FILE`.
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,

    /// Where to generate the test keys (mode 0600). Default: `<FILE stem>-keys` next to the
    /// --write-config FILE, else a temporary directory removed on exit.
    #[arg(long, value_name = "DIR", conflicts_with = "no_auth")]
    keys_dir: Option<PathBuf>,

    /// Serve every API without tokens (no token endpoints, no keys).
    #[arg(long)]
    no_auth: bool,

    /// Path of the HPR export below /hpr (the real URL is not documented).
    #[arg(long, value_name = "PATH", default_value = prefix::HPR_EXPORT)]
    hpr_export_path: String,
}

impl FakeUpstreamArgs {
    /// Starts the server and serves until a shutdown signal.
    pub fn run(self) -> anyhow::Result<Outcome> {
        super::common::runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<Outcome> {
        let data = if let Some(dir) = self.data {
            DataSource::Directory(dir)
        } else {
            let defaults = SynthConfig::default();
            DataSource::Synth(SynthConfig {
                seed: self.seed.unwrap_or(defaults.seed),
                scale: self.scale.unwrap_or(defaults.scale),
                anomalies: AnomalyOptions {
                    enabled: self.anomalies,
                },
            })
        };
        let (keys, _temporary) = if self.no_auth {
            (None, None)
        } else {
            let (dir, temporary) = keys_dir(self.keys_dir, self.write_config.as_deref());
            // Absolute, so that the written config works from any working directory.
            let dir = std::path::absolute(&dir)
                .with_context(|| format!("resolving {}", dir.display()))?;
            let keys = generate_keys(dir).await?;
            (Some(keys), temporary)
        };
        let config = FakeConfig {
            listen: self.listen,
            data,
            hpr_export_path: self.hpr_export_path,
            produced_at: None,
            auth: keys.clone().map(FakeAuth::new),
        };
        let fake = FakeUpstream::start(config)
            .await
            .context("starting the fake upstream")?;
        if let Some(path) = &self.write_config {
            let toml = config_toml(&fake, keys.as_ref())?;
            std::fs::write(path, toml).with_context(|| format!("writing {}", path.display()))?;
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", fake.base_url())?;
        out.flush()?;
        drop(out);
        super::common::shutdown_signal().await;
        fake.shutdown().await;
        Ok(Outcome::Success)
    }
}

/// A directory removed when dropped (the keys of a run without `--write-config`).
pub struct TemporaryDir(pub PathBuf);

impl Drop for TemporaryDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where the keys go: `--keys-dir`, else `<stem>-keys` next to the config file, else a fresh
/// temporary directory (returned also as a guard that removes it).
fn keys_dir(
    keys_dir: Option<PathBuf>,
    write_config: Option<&Path>,
) -> (PathBuf, Option<TemporaryDir>) {
    if let Some(dir) = keys_dir {
        return (dir, None);
    }
    if let Some(file) = write_config {
        let stem = file
            .file_stem()
            .map_or_else(|| "grunndata".into(), |stem| stem.to_string_lossy());
        let parent = file.parent().unwrap_or_else(|| Path::new(""));
        return (parent.join(format!("{stem}-keys")), None);
    }
    let dir = std::env::temp_dir().join(format!(
        "grunndata-fake-upstream-keys-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    (dir.clone(), Some(TemporaryDir(dir)))
}

pub async fn generate_keys(dir: PathBuf) -> anyhow::Result<TestKeys> {
    let shown = dir.display().to_string();
    tokio::task::spawn_blocking(move || testkeys::generate(&dir))
        .await
        .context("generating test keys")?
        .with_context(|| format!("generating test keys in {shown}"))
}

/// A grunndata config that `grunndata sync --config FILE` can use as is: every upstream at the
/// fake and, with auth, the HelseID and Maskinporten clients at its token endpoints with the
/// generated keys.
fn config_toml(fake: &FakeHandle, keys: Option<&TestKeys>) -> anyhow::Result<String> {
    let config = fake_config(fake, keys);
    let body = config
        .to_toml()
        .map_err(|error| anyhow::anyhow!("serialising the config: {error}"))?;
    let auth = if keys.is_some() {
        "its token endpoints and the generated test keys"
    } else {
        "no auth (--no-auth)"
    };
    Ok(format!(
        "# Written by `grunndata fake-upstream`: every upstream points at the fake on {}, with\n\
         # {auth}.\n\n{body}",
        fake.base_url()
    ))
}

/// A config with every upstream at `fake` and, with `keys`, the HelseID and Maskinporten
/// clients at its token endpoints.
pub fn fake_config(fake: &FakeHandle, keys: Option<&TestKeys>) -> Config {
    let mut config = fake.config();
    // The export is configured, so ask for its scope too (the test client is allowed it).
    config.hpr.scopes = [scopes::HPR_BASIC, scopes::HPR_EXTENDED, scopes::HPR_EXPORT]
        .map(str::to_owned)
        .to_vec();
    if let (Some(tokens), Some(keys)) = (fake.tokens(), keys) {
        tokens.configure_clients(keys, &mut config);
    }
    config
}

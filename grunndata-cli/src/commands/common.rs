//! What the mirror-using subcommands share: `--config` / `--db`, the async runtime, and the
//! `--source` list.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use grunndata_sync::config::Config;
use grunndata_sync::core::id::NationalId;
use grunndata_sync::store::{Location, Register, Store, StoreOptions, default_url};

use crate::exit::InvalidInput;

/// How to fill a mirror, for messages about a missing or empty one.
pub const POPULATE: &str =
    "populate it with `grunndata sync` (or `grunndata demo` for synthetic data)";

/// Where the configuration and the mirror are.
#[derive(Debug, Clone, Args)]
pub struct MirrorArgs {
    /// The configuration file (TOML; `grunndata config init` writes a template).
    #[arg(long, env = "GRUNNDATA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The mirror: `sqlite://PATH` or `postgres://…`. Default: `[store] url`, then
    /// GRUNNDATA_DB, then the SQLite file in the user's data directory.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

impl MirrorArgs {
    /// The configuration in effect, with `--db` applied.
    pub fn load(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(db) = &self.db {
            config.store.url = Some(db.clone());
        }
        Ok(config)
    }

    /// The mirror's URL from `config`.
    pub fn url(config: &Config) -> anyhow::Result<String> {
        match &config.store.url {
            Some(url) => Ok(url.clone()),
            None => Ok(default_url()?),
        }
    }

    /// Opens the existing mirror of `config` to write it (untrack, cursor set): an SQLite file
    /// that does not exist is an error saying how to create one, never an empty mirror.
    pub async fn open_existing(config: &Config) -> anyhow::Result<Store> {
        let url = Self::existing_url(config)?;
        Store::open_with(&url, &Self::store_options(config, false))
            .await
            .context("opening the mirror")
    }

    /// The mirror's URL, if it exists (SQLite; a PostgreSQL mirror is checked on opening).
    fn existing_url(config: &Config) -> anyhow::Result<String> {
        let url = Self::url(config)?;
        if let Location::Sqlite(path) = Location::parse(&url)?
            && !path.exists()
        {
            anyhow::bail!("no mirror at {}: {POPULATE}", path.display());
        }
        Ok(url)
    }

    /// Opens (creating if needed) the mirror of `config`.
    pub async fn open(config: &Config) -> anyhow::Result<Store> {
        let url = Self::url(config)?;
        Store::open_with(&url, &Self::store_options(config, false))
            .await
            .context("opening the mirror")
    }

    /// Opens the existing mirror of `config` read-only, as every command that only reads
    /// does: it never creates a file, takes a lock or migrates (the sync job does), and works
    /// on a read-only file or with a read-only PostgreSQL role.
    pub async fn open_read_only(config: &Config) -> anyhow::Result<Store> {
        let url = Self::existing_url(config)?;
        Store::open_with(&url, &Self::store_options(config, true))
            .await
            .context("opening the mirror")
    }

    fn store_options(config: &Config, read_only: bool) -> StoreOptions {
        StoreOptions {
            read_only,
            audit_path: config.store.audit_path.clone(),
            ..StoreOptions::default()
        }
    }
}

/// A multi-threaded runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The registers named by `--source`, else those of `[sync] sources`.
pub fn chosen_registers(source: &[String], config: &Config) -> anyhow::Result<Vec<Register>> {
    if source.is_empty() {
        registers(&config.sync.sources)
    } else {
        registers(source)
    }
}

/// Parses `brreg,ar` into registers, in [`Register::ALL`] order, each once.
pub fn registers(names: &[String]) -> anyhow::Result<Vec<Register>> {
    let mut chosen = Vec::new();
    for name in names.iter().flat_map(|name| name.split(',')) {
        if name.trim().is_empty() {
            continue;
        }
        let register: Register = name
            .parse()
            .map_err(|error| InvalidInput(format!("--source: {error}")))?;
        chosen.push(register);
    }
    Ok(Register::ALL
        .into_iter()
        .filter(|register| chosen.contains(register))
        .collect())
}

/// Resolves when SIGINT (Ctrl-C) or SIGTERM arrives.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    // Without SIGTERM handling (or off Unix), Ctrl-C alone.
    let _ = tokio::signal::ctrl_c().await;
}

/// Reads person numbers, one per line (blank lines and `#` comments skipped). A line that
/// is not a valid fødselsnummer or D-nummer is an error naming the line, never its digits.
pub fn read_nin_file(path: &std::path::Path) -> anyhow::Result<Vec<NationalId>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading person numbers from {}", path.display()))?;
    parse_nins(
        text.lines()
            .enumerate()
            .map(|(index, line)| (format!("{}:{}", path.display(), index + 1), line.to_owned())),
    )
}

/// Parses `(where, text)` pairs into NINs, skipping blanks and `#` comments.
pub fn parse_nins(
    lines: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Vec<NationalId>> {
    let mut nins = Vec::new();
    for (place, line) in lines {
        let text = line.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let nin: NationalId = text
            .parse()
            .map_err(|error| InvalidInput(format!("{place}: not a person number: {error}")))?;
        nins.push(nin);
    }
    Ok(nins)
}

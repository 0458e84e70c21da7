//! What the lookup subcommands share: where the mirror is, the output format, the day, who
//! is asking and why, and the answers for bad input and an empty mirror.

use std::fmt;

use chrono::NaiveDate;
use clap::Args;
use grunndata_sync::registry::{Caller, Registry, RegistryOptions};
use grunndata_sync::store::Register;

use super::common::{MirrorArgs, POPULATE};
use crate::exit::Outcome;

/// The options of every lookup subcommand.
#[derive(Debug, Args)]
pub struct LookupArgs {
    #[command(flatten)]
    pub db: MirrorArgs,

    /// Print JSON (stable field names, documented in the command's help) instead of a card.
    #[arg(long)]
    pub json: bool,

    /// Answer as of this day (YYYY-MM-DD), from the mirror's history. Default: today.
    #[arg(long, value_name = "DATE")]
    pub at: Option<NaiveDate>,

    /// Why you look this up. Recorded in the audit log with person and NIN lookups, and
    /// needed to see the addresses of persons with address protection.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,

    /// Who is asking, for the audit log.
    #[arg(long, env = "USER", default_value = "unknown", value_name = "NAME")]
    pub actor: String,
}

impl LookupArgs {
    /// Opens a registry over the mirror, for this caller, as of `--at` if given.
    pub async fn open(&self) -> anyhow::Result<Registry> {
        let store = MirrorArgs::open_read_only(&self.db.load()?).await?;
        let options = RegistryOptions {
            actor: self.actor.clone(),
            ..RegistryOptions::default()
        };
        let mut caller = Caller::new(self.actor.clone());
        if let Some(purpose) = &self.purpose {
            caller = caller.with_purpose(purpose.clone());
        }
        let registry = Registry::from_store(store, options).for_caller(caller);
        Ok(match self.at {
            Some(day) => registry.as_of(day),
            None => registry,
        })
    }

    /// The day asked about: `--at`, else today (local time).
    pub fn day(&self) -> NaiveDate {
        self.at.unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// Runs a lookup to the end on the shared runtime.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(super::common::runtime()?.block_on(future))
}

/// Says what is wrong with an identifier (never repeating it: it may be a NIN) and answers
/// exit status 2, before any lookup.
pub fn invalid(what: &str, error: impl fmt::Display) -> Outcome {
    eprintln!("grunndata: invalid {what}: {error}");
    Outcome::Invalid
}

/// The answer when nothing was found: an error saying how to populate the mirror when the
/// register was never synced, else `message` (or `{"found": false}`) and exit status 1.
pub async fn not_found(
    registry: &Registry,
    register: Register,
    json: bool,
    message: impl fmt::Display,
) -> anyhow::Result<Outcome> {
    if registry.is_empty(register).await? {
        anyhow::bail!(
            "the {register} register of the mirror at {} is empty: {POPULATE}",
            registry.location()
        );
    }
    if json {
        println!("{}", serde_json::json!({ "found": false }));
    } else {
        println!("{message}");
    }
    Ok(Outcome::Negative)
}

/// Prints `value` as one line of JSON.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

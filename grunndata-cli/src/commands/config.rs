//! `grunndata config`: write the commented template, or show the configuration in effect.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use grunndata_sync::config::Config;

use crate::exit::Outcome;

/// Configuration: `init` prints a commented template, `show` the configuration in effect.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print a commented template of every option with its default
    /// (`grunndata config init > /etc/grunndata/grunndata.toml`).
    Init,
    /// Print the configuration in effect: defaults, then FILE, then GRUNNDATA_* variables.
    /// Secrets are shown as [redacted].
    Show {
        /// The configuration file.
        #[arg(long, env = "GRUNNDATA_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

impl ConfigArgs {
    /// Runs the chosen action.
    pub fn run(self) -> anyhow::Result<Outcome> {
        match self.action {
            Action::Init => print!("{}", Config::template()),
            Action::Show { config } => {
                let effective = Config::load(config.as_deref())?.redacted();
                print!(
                    "{}",
                    effective
                        .to_toml()
                        .map_err(|message| anyhow::anyhow!(message))?
                );
            }
        }
        Ok(Outcome::Success)
    }
}

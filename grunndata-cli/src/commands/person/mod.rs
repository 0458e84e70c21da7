//! `grunndata person`: the persons mirrored from Persontjenesten.

mod tracking;

use clap::{Args, Subcommand};

use crate::exit::Outcome;

/// Persons from Persontjenesten: manage which persons are tracked (only tracked persons are
/// mirrored).
#[derive(Debug, Args)]
pub struct PersonArgs {
    #[command(subcommand)]
    action: PersonAction,
}

#[derive(Debug, Subcommand)]
enum PersonAction {
    /// Start tracking persons; the next `grunndata sync` fetches them.
    Track(tracking::TrackArgs),
    /// Stop tracking persons; their mirrored records and history are removed at once.
    Untrack(tracking::UntrackArgs),
    /// List the tracked persons.
    Tracked(tracking::TrackedArgs),
}

impl PersonArgs {
    /// Runs the chosen action.
    pub fn run(self) -> anyhow::Result<Outcome> {
        match self.action {
            PersonAction::Track(args) => args.run(),
            PersonAction::Untrack(args) => args.run(),
            PersonAction::Tracked(args) => args.run(),
        }
    }
}

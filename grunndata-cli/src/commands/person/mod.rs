//! `grunndata person`: persons in the mirror of Persontjenesten (tracked persons only).
//!
//! `grunndata person NIN` looks a person up ([`lookup`]); `track`, `untrack` and `tracked`
//! manage which persons are mirrored ([`tracking`]). A NIN and a subcommand exclude each
//! other.

mod lookup;
mod tracking;

use clap::{Args, Subcommand};

use super::mirror::LookupArgs;
use crate::exit::Outcome;

/// Look up a tracked person by fødselsnummer or D-nummer: name, birth, status, address
/// protection and — unless protected — addresses. Always recorded in the audit log. Or manage
/// the tracked persons: `track`, `untrack`, `tracked`.
///
/// Persons with address protection (confidential, strictly confidential) have their
/// addresses withheld unless `--purpose` is given; that access is audited as such.
///
/// `--json` prints one object: `answer` (`found`, `not_tracked`, `not_fetched`) and when
/// found `person` (`record` in grunndata's canonical PREG JSON, `valid_from`, `valid_to`,
/// `fetched_at`), `protection` (e.g. `strictly_confidential`) and `addresses` (`shown`,
/// `withheld`, `revealed`).
///
/// Exit status: 0 found, 1 not tracked or not yet fetched, 2 malformed NIN, 3 no mirror or
/// database error.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PersonArgs {
    /// Fødselsnummer or D-nummer of a tracked person.
    #[arg(value_name = "NIN")]
    nin: Option<String>,

    #[command(flatten)]
    lookup: LookupArgs,

    #[command(subcommand)]
    action: Option<PersonAction>,
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
    /// Runs the lookup or the chosen action.
    pub fn run(self) -> anyhow::Result<Outcome> {
        match (self.action, self.nin) {
            (Some(PersonAction::Track(args)), _) => args.run(),
            (Some(PersonAction::Untrack(args)), _) => args.run(),
            (Some(PersonAction::Tracked(args)), _) => args.run(),
            (None, Some(nin)) => lookup::run(&nin, &self.lookup),
            (None, None) => Ok(super::mirror::invalid(
                "arguments",
                "give the NIN of a tracked person, or track / untrack / tracked",
            )),
        }
    }
}

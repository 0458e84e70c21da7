//! The `grunndata` command: identifier checks, lookups, sync jobs, status, consistency checks.
//!
//! `main` only parses arguments and dispatches; each subcommand lives in `commands/<name>.rs`.
//! Exit status: 0 success, 1 a negative answer (invalid, not found, not authorised), 2 usage or
//! invalid input, 3 operational error.

mod commands;
mod exit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Norwegian health master data, mirrored locally.
#[derive(Debug, Parser)]
#[command(name = "grunndata", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate identifiers: fødselsnummer, D-/H-/FH-nummer, orgnr, HPR-nummer, HER-id, RESH-id.
    Id(commands::id::IdArgs),
    /// Write a commented configuration template, or show the configuration in effect.
    Config(commands::config::ConfigArgs),
    /// Write deterministic synthetic master data as NDJSON files.
    Synth(commands::synth::SynthArgs),
    /// Serve all four upstream APIs from synthetic or NDJSON data, for tests and demos.
    FakeUpstream(commands::fake_upstream::FakeUpstreamArgs),
    /// Look up a tracked person by NIN (audited; protected addresses withheld).
    Person(commands::person::PersonArgs),
    /// Look up a health worker in HPR by HPR number or NIN.
    Personnel(commands::personnel::PersonnelArgs),
    /// Is a health worker authorised as a category (LE, SP, …) on a day, and if not, why?
    Authz(commands::authz::AuthzArgs),
    /// Look up an organisation in Enhetsregisteret with its parent and sub-units.
    Org(commands::org::OrgArgs),
    /// Look up a communication party in Adresseregisteret by HER-id.
    Her(commands::her::HerArgs),
    /// Find records by name.
    Search(commands::search::SearchArgs),
    /// Show the audit log of personal-data lookups.
    Audit(commands::audit::AuditArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Id(args) => args.run(),
        Command::Config(args) => args.run(),
        Command::Synth(args) => args.run(),
        Command::FakeUpstream(args) => args.run(),
        Command::Person(args) => args.run(),
        Command::Personnel(args) => args.run(),
        Command::Authz(args) => args.run(),
        Command::Org(args) => args.run(),
        Command::Her(args) => args.run(),
        Command::Search(args) => args.run(),
        Command::Audit(args) => args.run(),
    };
    exit::report(result)
}

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Id(args) => args.run(),
    };
    exit::report(result)
}

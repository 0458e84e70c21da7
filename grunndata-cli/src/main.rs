//! The `grunndata` command: identifier checks, lookups, sync jobs, status, consistency checks.
//!
//! `main` only parses arguments and dispatches; each subcommand lives in `commands/<name>.rs`.
//! Exit status: 0 success, 1 a negative answer (invalid, not found, not authorised), 2 usage or
//! invalid input, 3 operational error.

mod commands;
mod exit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: a sync parses and drops millions of small strings on
/// several threads, and a lookup decodes into a handful of them (BENCHMARKS.md, issue 17).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Bring the mirror up to date from the upstream registers, once or on an interval.
    Sync(commands::sync::SyncArgs),
    /// Show where each register's mirror stands; exit 1 when one is stale.
    Status(commands::status::StatusArgs),
    /// Look up a tracked person (audited), or track, untrack and list tracked persons.
    Person(commands::person::PersonArgs),
    /// Show or set the feed cursors (operators).
    Cursor(commands::cursor::CursorArgs),
    /// Try it all: a fake upstream synced into the mirror, with status and sample lookups.
    Demo(commands::demo::DemoArgs),
    /// Check the mirror for disagreements between the registers (--list shows the rules).
    Check(commands::check::CheckArgs),
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
    /// Serve the mirror over HTTP: REST JSON and FHIR R4, behind bearer JWTs.
    Serve(commands::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    let result = match cli.command {
        Command::Id(args) => args.run(),
        Command::Config(args) => args.run(),
        Command::Synth(args) => args.run(),
        Command::FakeUpstream(args) => args.run(),
        Command::Sync(args) => args.run(),
        Command::Status(args) => args.run(),
        Command::Person(args) => args.run(),
        Command::Cursor(args) => args.run(),
        Command::Demo(args) => args.run(),
        Command::Check(args) => args.run(),
        Command::Personnel(args) => args.run(),
        Command::Authz(args) => args.run(),
        Command::Org(args) => args.run(),
        Command::Her(args) => args.run(),
        Command::Search(args) => args.run(),
        Command::Audit(args) => args.run(),
        Command::Serve(args) => args.run(),
    };
    exit::report(result)
}

/// Logs go to stderr, filtered by `RUST_LOG`. Without it: progress of a sync job that no
/// terminal watches (cron, systemd) at `info`, everything else only at `warn`.
fn init_logging(command: &Command) {
    use std::io::IsTerminal as _;
    let unattended_sync = matches!(command, Command::Sync(_)) && !std::io::stderr().is_terminal();
    let default = if unattended_sync || matches!(command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

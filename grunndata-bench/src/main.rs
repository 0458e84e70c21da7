//! `grunndata-bench`: one reproducible benchmark run that puts grunndata beside its anchors on
//! the same machine in the same run — `sqlite3 .import`, a raw prepared-statement insert loop
//! and `psql \copy` of the same rows; a raw prepared point query, a raw moka `get` and a raw
//! quick_cache `get` — and writes the medians, ratios and peak RSS as Markdown and JSON.
//!
//! ```text
//! cargo run --release -p grunndata-bench -- --scale 0.1
//! cargo run --release -p grunndata-bench -- --scale 1.0 --runs 3
//! cargo run --release -p grunndata-bench -- --scale 0.01 --runs 1 --backends sqlite
//! ```
//!
//! Every grunndata step runs in a child process of this binary, so its peak RSS is its own.
//! BENCHMARKS.md explains the steps and quotes the latest results.

mod anchors;
mod child;
mod databases;
mod machine;
mod report;
mod run;
mod stats;
mod steps;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;

use crate::databases::{Backend, Databases};
use crate::run::{Settings, Step};

/// The allocator the `grunndata` binary uses, so that the steps measure what it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmark grunndata beside sqlite3, psql, a raw query and a raw moka get.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Size of the synthetic data set: 1.0 is national size (1.9 M Brreg units, 600 k
    /// health personnel).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// Repetitions of every measurement; the report gives medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Upstream changes per incremental round.
    #[arg(long, default_value_t = 20_000)]
    changes: u64,
    /// Distinct keys per lookup measurement.
    #[arg(long, default_value_t = 20_000)]
    lookups: usize,
    /// Backends to measure.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    backends: Vec<Backend>,
    /// Steps to run.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "bulk,incremental,lookup,check,audit"
    )]
    steps: Vec<Step>,
    /// PostgreSQL server to create the benchmark's databases on.
    #[arg(
        long,
        env = "GRUNNDATA_TEST_PG",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// Records per snapshot batch (one transaction each); default: the engine's.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Where results.md and results.json go.
    #[arg(long, default_value = "target/grunndata-bench")]
    out: PathBuf,
    /// Where the databases and CSV files go while the run lasts (default: the system's
    /// temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let mut arguments = std::env::args().skip(1);
    if arguments.next().as_deref() == Some(child::STEP_ARG) {
        let request = arguments.next().context("a step without its request")?;
        let request: steps::Request = serde_json::from_str(&request)?;
        return runtime()?.block_on(steps::serve(request));
    }
    let args = Args::parse();
    anyhow::ensure!(
        args.scale > 0.0 && args.scale <= grunndata_sync::synth::MAX_SCALE,
        "--scale must be greater than 0 and at most {}",
        grunndata_sync::synth::MAX_SCALE
    );
    runtime()?.block_on(bench(args))
}

/// Two worker threads: the machines we measure on have two cores, and the lookup step
/// measures with one and two threads.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    if args.steps.contains(&Step::Bulk) {
        if args.backends.contains(&Backend::Sqlite) {
            anchors::tools::ensure("sqlite3", "sqlite3")?;
        }
        if args.backends.contains(&Backend::Postgres) {
            anchors::tools::ensure("psql", "postgresql-client")?;
        }
    }
    let work = match &args.work_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("grunndata-bench-")
            .tempdir_in(dir),
        None => tempfile::Builder::new()
            .prefix("grunndata-bench-")
            .tempdir(),
    }
    .context("creating the work directory")?;
    let postgres_version = if args.backends.contains(&Backend::Postgres) {
        Some(
            Databases::new(work.path(), &args.postgres)
                .postgres_version()
                .await?,
        )
    } else {
        None
    };
    let settings = Settings {
        scale: args.scale,
        runs: args.runs.max(1),
        changes: args.changes,
        lookups: args.lookups,
        backends: args.backends.clone(),
        steps: args.steps.clone(),
        postgres: args.postgres.clone(),
        batch_size: args.batch_size,
    };
    let measured = run::run(&settings, work.path().to_owned()).await?;
    let targets = run::targets(&measured, args.scale);
    let counts = grunndata_sync::synth::Synth::new(grunndata_sync::synth::SynthConfig {
        scale: args.scale,
        ..Default::default()
    })?
    .counts();
    let meta = report::Meta {
        command: command_line(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        seconds: started.elapsed().as_secs_f64(),
        scale: args.scale,
        runs: settings.runs,
        world: vec![
            ("Brreg".into(), counts.enheter + counts.underenheter),
            ("AR".into(), counts.ar_total()),
            ("HPR".into(), counts.hpr_persons),
            ("Persontjenesten".into(), counts.preg_persons),
        ],
        machine: machine::Machine::read(postgres_version.as_deref()),
    };
    let report = run::report(measured, targets, meta);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let markdown = report.markdown();
    std::fs::write(args.out.join("results.md"), &markdown)?;
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    println!("{markdown}");
    eprintln!(
        "wrote {} and results.json",
        args.out.join("results.md").display()
    );
    Ok(())
}

/// The command as a person would retype it.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("grunndata-bench {}", args.join(" "))
}

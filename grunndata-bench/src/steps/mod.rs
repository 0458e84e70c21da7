//! The benchmark's steps. Each module holds the parent's side (running the step, in child
//! processes where grunndata does the work, and turning answers into report rows) and the
//! child's side (the work itself).

pub mod audit;
pub mod bulk;
pub mod check;
pub mod incremental;
pub mod lookup;
pub mod propagation;
pub mod scaleout;
pub mod serve;
pub mod sync;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One step for a child process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Request {
    /// Sync `registers` of the mirror at `url` from the upstream in the config file.
    Sync {
        /// The mirror.
        url: String,
        /// A grunndata configuration pointing at the fake upstream.
        config: PathBuf,
        /// Registers by name.
        registers: Vec<String>,
        /// Records per snapshot batch; `None` is the engine's default.
        batch_size: Option<usize>,
        /// Take a new snapshot (`grunndata sync --resnapshot`) instead of following the feed.
        #[serde(default)]
        resnapshot: bool,
    },
    /// Apply one content change to each of the Brreg units `keys` (distinct), in pages of
    /// 1000 with cursors, to the store directly.
    StoreChanges {
        /// The mirror.
        url: String,
        /// A file of the organisation numbers to change, one per line, each once (too many
        /// for a command line).
        keys: std::path::PathBuf,
        /// Which round this is (the changed names differ per round).
        round: u64,
    },
    /// Lookup latencies and throughput of one kind on the SQLite mirror at `url`.
    Lookup {
        /// The mirror.
        url: String,
        /// Which lookup.
        kind: lookup::Kind,
        /// Distinct keys looked up.
        lookups: usize,
        /// Repetitions of each measurement.
        runs: usize,
    },
    /// Audited person lookups on the SQLite mirror at `url`, idle or beside a re-snapshot.
    Audit {
        /// The mirror.
        url: String,
        /// A grunndata configuration pointing at the fake upstream (for the re-snapshot).
        config: PathBuf,
        /// What writes meanwhile.
        load: audit::Load,
    },
    /// Full consistency checks of the mirror at `url`, `runs` times.
    Check {
        /// The mirror.
        url: String,
        /// Repetitions.
        runs: usize,
    },
}

/// Runs `request` in this (child) process and prints its answer.
pub async fn serve(request: Request) -> anyhow::Result<()> {
    match request {
        Request::Sync {
            url,
            config,
            registers,
            batch_size,
            resnapshot,
        } => crate::child::answer(
            sync::run(&url, &config, &registers, batch_size, resnapshot).await?,
        ),
        Request::Audit { url, config, load } => {
            crate::child::answer(audit::run(&url, &config, load).await?)
        }
        Request::StoreChanges { url, keys, round } => {
            crate::child::answer(incremental::store_changes(&url, &keys, round).await?)
        }
        Request::Lookup {
            url,
            kind,
            lookups,
            runs,
        } => crate::child::answer(lookup::run(&url, kind, lookups, runs).await?),
        Request::Check { url, runs } => crate::child::answer(check::run(&url, runs).await?),
    }
}

//! `grunndata person track | untrack | tracked`: the tracked set of Persontjenesten.

use std::io::Write as _;
use std::path::PathBuf;

use chrono::SecondsFormat;
use clap::Args;
use grunndata_sync::core::id::NationalId;
use serde::Serialize;

use crate::commands::common::{self, MirrorArgs};
use crate::exit::{InvalidInput, Outcome};

/// The person numbers to act on: arguments and/or a file.
#[derive(Debug, Args)]
pub struct NinArgs {
    /// Fødselsnummer or D-nummer (synthetic Tenor numbers included).
    #[arg(value_name = "NIN")]
    nins: Vec<String>,

    /// Also read person numbers from FILE, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

impl NinArgs {
    /// Every number given, validated before anything is changed.
    fn collect(&self) -> anyhow::Result<Vec<NationalId>> {
        let mut nins = common::parse_nins(
            self.nins
                .iter()
                .enumerate()
                .map(|(index, nin)| (format!("argument {}", index + 1), nin.clone())),
        )?;
        if let Some(file) = &self.file {
            nins.extend(common::read_nin_file(file)?);
        }
        if nins.is_empty() {
            return Err(InvalidInput("give person numbers or --file".to_owned()).into());
        }
        Ok(nins)
    }
}

/// Start tracking persons.
#[derive(Debug, Args)]
pub struct TrackArgs {
    #[command(flatten)]
    mirror: MirrorArgs,
    #[command(flatten)]
    nins: NinArgs,
    /// Why, or for whom (free text; never a person number).
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

impl TrackArgs {
    /// Tracks the numbers.
    pub fn run(self) -> anyhow::Result<Outcome> {
        let nins = self.nins.collect()?;
        common::runtime()?.block_on(async {
            let config = self.mirror.load()?;
            let store = MirrorArgs::open(&config).await?;
            let mut added = 0;
            for nin in &nins {
                if store.track_person(nin, self.note.as_deref()).await? {
                    added += 1;
                }
            }
            store.close().await;
            println!(
                "tracking {added} more person(s) ({} already tracked); `grunndata sync` fetches them",
                nins.len() - added
            );
            Ok(Outcome::Success)
        })
    }
}

/// Stop tracking persons.
#[derive(Debug, Args)]
pub struct UntrackArgs {
    #[command(flatten)]
    mirror: MirrorArgs,
    #[command(flatten)]
    nins: NinArgs,
}

impl UntrackArgs {
    /// Untracks the numbers. Exit 1 when none of them was tracked.
    pub fn run(self) -> anyhow::Result<Outcome> {
        let nins = self.nins.collect()?;
        common::runtime()?.block_on(async {
            let config = self.mirror.load()?;
            let store = MirrorArgs::open_existing(&config).await?;
            let (mut was_tracked, mut purged) = (0, 0);
            for nin in &nins {
                let outcome = store.untrack_person(nin).await?;
                was_tracked += u64::from(outcome.was_tracked);
                purged += outcome.persons_purged;
            }
            store.close().await;
            println!(
                "untracked {was_tracked} of {} number(s); {purged} mirrored person(s) removed with their history",
                nins.len()
            );
            Ok(if was_tracked > 0 {
                Outcome::Success
            } else {
                Outcome::Negative
            })
        })
    }
}

/// List the tracked persons.
#[derive(Debug, Args)]
pub struct TrackedArgs {
    #[command(flatten)]
    mirror: MirrorArgs,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

/// One tracked person as printed by `--json`.
#[derive(Debug, Serialize)]
struct Tracked {
    nin: String,
    added_at: String,
    note: Option<String>,
    fetched: bool,
}

impl TrackedArgs {
    /// Lists them, oldest first.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(async {
            let config = self.mirror.load()?;
            let store = MirrorArgs::open_read_only(&config).await?;
            let tracked = store.tracked_persons().await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            for person in &tracked {
                let row = Tracked {
                    nin: person.nin.expose(),
                    added_at: person.added_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    note: person.note.clone(),
                    fetched: person.person_id.is_some(),
                };
                if self.json {
                    serde_json::to_writer(&mut out, &row)?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "{}  {}  {:<11}  {}",
                        row.nin,
                        row.added_at,
                        if row.fetched {
                            "mirrored"
                        } else {
                            "not yet synced"
                        },
                        row.note.as_deref().unwrap_or("")
                    )?;
                }
            }
            if !self.json && tracked.is_empty() {
                writeln!(
                    out,
                    "no tracked persons; add some with `grunndata person track`"
                )?;
            }
            out.flush()?;
            Ok(Outcome::Success)
        })
    }
}

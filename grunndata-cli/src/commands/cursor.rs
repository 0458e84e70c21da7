//! `grunndata cursor`: show or move the feed positions (operators only).

use std::io::Write as _;

use chrono::{NaiveDate, TimeZone as _, Utc};
use clap::{Args, Subcommand};
use grunndata_sync::engine::{cursor_from_date, parse_cursor};
use grunndata_sync::store::Register;

use super::common::{self, MirrorArgs};
use crate::exit::{InvalidInput, Outcome};

/// Show the feed cursors, or set one by hand (e.g. to replay changes from a date).
#[derive(Debug, Args)]
pub struct CursorArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print each register's cursor.
    Show {
        #[command(flatten)]
        mirror: MirrorArgs,
    },
    /// Set a register's cursor. Refused while a sync holds the writer lock.
    Set {
        #[command(flatten)]
        mirror: MirrorArgs,
        /// The register (brreg, ar, hpr, preg).
        register: Register,
        /// The cursor as `cursor show` prints it (AR, Persontjenesten: the next sequence
        /// number).
        #[arg(required_unless_present = "from_date", conflicts_with = "from_date")]
        value: Option<String>,
        /// Start the feed at this date (YYYY-MM-DD, UTC midnight) instead: Brreg and HPR only.
        #[arg(long, value_name = "DATE")]
        from_date: Option<NaiveDate>,
    },
}

impl CursorArgs {
    /// Runs the chosen action.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(async {
            match self.action {
                Action::Show { mirror } => show(&mirror).await,
                Action::Set {
                    mirror,
                    register,
                    value,
                    from_date,
                } => set(&mirror, register, value.as_deref(), from_date).await,
            }
        })
    }
}

async fn show(mirror: &MirrorArgs) -> anyhow::Result<Outcome> {
    let config = mirror.load()?;
    let store = MirrorArgs::open_read_only(&config).await?;
    let states = store.sync_states().await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    for state in states {
        writeln!(
            out,
            "{:<5} {}",
            state.register,
            state.cursor.as_deref().unwrap_or("(none)")
        )?;
    }
    out.flush()?;
    Ok(Outcome::Success)
}

async fn set(
    mirror: &MirrorArgs,
    register: Register,
    value: Option<&str>,
    from_date: Option<NaiveDate>,
) -> anyhow::Result<Outcome> {
    let cursor = match (value, from_date) {
        (Some(value), _) => parse_cursor(register, value)
            .map_err(|error| InvalidInput(format!("not a {register} cursor: {error}")))?,
        (None, Some(date)) => {
            let midnight = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
            cursor_from_date(register, midnight).map_err(|error| InvalidInput(error.to_string()))?
        }
        (None, None) => return Err(InvalidInput("give a cursor or --from-date".to_owned()).into()),
    };
    let config = mirror.load()?;
    let store = MirrorArgs::open_existing(&config).await?;
    let _lock = store.writer_lock().await?;
    let before = store.sync_state(register).await?.cursor;
    store.set_cursor(register, Some(&cursor)).await?;
    store.close().await;
    println!(
        "{register}: cursor {} -> {cursor}",
        before.as_deref().unwrap_or("(none)")
    );
    Ok(Outcome::Success)
}

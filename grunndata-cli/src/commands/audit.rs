//! `grunndata audit [--since DATE]`: read the audit log of personal-data lookups.

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use grunndata_sync::store::{AuditQuery, AuditRecord};
use serde::Serialize;

use super::card::instant;
use super::common::MirrorArgs;
use super::mirror;
use crate::exit::Outcome;

/// Show the audit log, newest first: who looked up which person or NIN, when, why
/// (purpose) and with what outcome. The log is append-only; it lives in its own file beside
/// an SQLite mirror (`grunndata-audit.db`, or `[store] audit_path`) and in the mirror's schema
/// on PostgreSQL, and keeps everything unless `[store] audit_retention` is set.
///
/// `--json` prints one object per entry and line: `id`, `at` (RFC 3339), `actor`, `purpose`
/// (empty when none was given), `register`, `subject` (the key as looked up), `result`.
///
/// Exit status: 0 (also when there are no entries), 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries from this day (YYYY-MM-DD, UTC) on.
    #[arg(long, value_name = "DATE")]
    since: Option<NaiveDate>,

    /// Only entries by this actor.
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,

    /// At most this many entries.
    #[arg(long, default_value_t = 100)]
    limit: u32,

    /// One JSON object per entry and line.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    db: MirrorArgs,
}

/// `--json` output.
#[derive(Debug, Serialize)]
struct Json<'a> {
    id: i64,
    at: DateTime<Utc>,
    actor: &'a str,
    purpose: &'a str,
    register: Option<&'a str>,
    subject: &'a str,
    result: &'a str,
}

impl<'a> From<&'a AuditRecord> for Json<'a> {
    fn from(record: &'a AuditRecord) -> Self {
        let entry = &record.entry;
        Self {
            id: record.id,
            at: entry.at,
            actor: &entry.actor,
            purpose: &entry.purpose,
            register: entry.register.map(grunndata_sync::store::Register::as_str),
            subject: &entry.subject,
            result: &entry.result,
        }
    }
}

impl AuditArgs {
    /// Reads and prints the entries.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.list())?
    }

    async fn list(self) -> anyhow::Result<Outcome> {
        let store = MirrorArgs::open_read_only(&self.db.load()?).await?;
        let query = AuditQuery {
            since: self
                .since
                .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc()),
            actor: self.actor.clone(),
            limit: self.limit,
            ..AuditQuery::default()
        };
        let records = store.audit_log(&query).await?;
        for record in &records {
            if self.json {
                mirror::print_json(&Json::from(record))?;
            } else {
                let entry = &record.entry;
                let purpose = if entry.purpose.is_empty() {
                    "(no purpose)"
                } else {
                    &entry.purpose
                };
                println!(
                    "{}  {}  {}  {}  {}  {purpose}",
                    instant(entry.at),
                    entry.actor,
                    entry.register.map_or("-", |register| register.as_str()),
                    entry.subject,
                    entry.result,
                );
            }
        }
        if records.is_empty() && !self.json {
            println!("no audit entries");
        }
        Ok(Outcome::Success)
    }
}

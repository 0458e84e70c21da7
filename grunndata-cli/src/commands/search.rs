//! `grunndata search TEXT [--register …]`: find records by name.

use clap::{Args, ValueEnum};
use grunndata_sync::registry::SearchHit;
use grunndata_sync::store::Register;

use super::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// Hits per register unless `--limit` says otherwise.
const DEFAULT_LIMIT: u32 = 20;

/// Find records by name: every word of TEXT must start a word of the name
/// (case-insensitive, æøå included). Without `--register`, searches Brreg, AR and HPR;
/// persons (PREG) only when asked for, as that search is audited.
///
/// `--json` prints one object per hit and line: `register`, `key` (orgnr, HER-id, HPR
/// number, or the opaque person id), `name`, `detail`.
///
/// Exit status: 0 hits, 1 none, 2 empty text, 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The name or its beginning (`nordm`, `ås helse`).
    #[arg(value_name = "TEXT")]
    text: String,

    /// Search only this register.
    #[arg(long, value_enum)]
    register: Option<RegisterArg>,

    /// At most this many hits per register.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: u32,

    #[command(flatten)]
    lookup: LookupArgs,
}

/// `--register` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RegisterArg {
    /// Enhetsregisteret (organisations).
    Brreg,
    /// Adresseregisteret (communication parties).
    Ar,
    /// Helsepersonellregisteret (health personnel).
    Hpr,
    /// Persontjenesten (tracked persons; audited).
    Preg,
}

impl From<RegisterArg> for Register {
    fn from(register: RegisterArg) -> Self {
        match register {
            RegisterArg::Brreg => Self::Brreg,
            RegisterArg::Ar => Self::Ar,
            RegisterArg::Hpr => Self::Hpr,
            RegisterArg::Preg => Self::Preg,
        }
    }
}

impl SearchArgs {
    /// Searches and prints the hits.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.search())?
    }

    async fn search(self) -> anyhow::Result<Outcome> {
        if self.text.trim().is_empty() {
            return Ok(mirror::invalid("search", "the text is empty"));
        }
        if self.limit == 0 {
            return Ok(mirror::invalid("--limit", "must be at least 1"));
        }
        let registers = match self.register {
            Some(register) => vec![Register::from(register)],
            None => vec![Register::Brreg, Register::Ar, Register::Hpr],
        };
        let registry = self.lookup.open().await?.current();
        let mut hits: Vec<SearchHit> = Vec::new();
        for register in registers {
            hits.extend(registry.search(register, &self.text, self.limit).await?);
        }
        if self.lookup.json {
            for hit in &hits {
                mirror::print_json(hit)?;
            }
        } else if hits.is_empty() {
            println!("no names match {:?}", self.text);
        } else {
            let width = hits.iter().map(|hit| hit.key.len()).max().unwrap_or(0);
            for hit in &hits {
                let line = format!(
                    "{:<5} {:<width$}  {}  {}",
                    hit.register.as_str(),
                    hit.key,
                    hit.name,
                    hit.detail
                );
                println!("{}", line.trim_end());
            }
        }
        Ok(if hits.is_empty() {
            Outcome::Negative
        } else {
            Outcome::Success
        })
    }
}

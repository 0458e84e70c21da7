//! `grunndata id`: validate identifiers given as arguments or one per line on stdin.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufWriter, Write};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use grunndata_core::id::{AnyId, IdError, IdFamily};
use serde::Serialize;

use crate::exit::Outcome;

/// Validate identifiers: fødselsnummer, D-/H-/FH-nummer, organisasjonsnummer, HPR-nummer,
/// HER-id, RESH-id.
///
/// 11 digits are taken as a person number and 9 as an organisasjonsnummer; name the kind for
/// the others. Spaces, `-` and `:` between digits are ignored. Without VALUE, reads one value
/// per line from stdin and answers one line per input line, in order.
///
/// Exit status: 0 when all are valid, 1 when any is invalid, 2 on usage errors.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// What the values are, when their shape cannot tell.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,

    /// One JSON object per value: input, valid, kind, synthetic, birth_date, gender, error.
    #[arg(long)]
    json: bool,

    /// Values to check; read from stdin when none are given.
    #[arg(value_name = "VALUE")]
    values: Vec<String>,
}

/// `--kind` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// Fødselsnummer, D-, H- or FH-nummer (11 digits).
    Person,
    /// Organisasjonsnummer (9 digits).
    Org,
    /// HPR-nummer.
    Hpr,
    /// HER-id.
    Her,
    /// RESH-id.
    Resh,
}

impl From<KindArg> for IdFamily {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Person => Self::Person,
            KindArg::Org => Self::Org,
            KindArg::Hpr => Self::Hpr,
            KindArg::Her => Self::Her,
            KindArg::Resh => Self::Resh,
        }
    }
}

/// One answer, as printed by `--json`. Field names are a stable interface for scripts.
#[derive(Debug, Serialize)]
struct Verdict<'a> {
    input: &'a str,
    valid: bool,
    kind: Option<&'static str>,
    synthetic: bool,
    birth_date: Option<String>,
    gender: Option<&'static str>,
    error: Option<String>,
}

impl<'a> Verdict<'a> {
    fn of(input: &'a str, family: Option<IdFamily>, today: NaiveDate) -> Self {
        let parsed = match family {
            Some(family) => AnyId::parse_as_on(input, family, today),
            None => AnyId::detect_on(input, today),
        };
        match parsed {
            Ok(id) => Self {
                input,
                valid: true,
                kind: Some(id.kind().as_str()),
                synthetic: id.is_synthetic(),
                birth_date: id.birth_date().map(|d| d.format("%Y-%m-%d").to_string()),
                gender: id.gender().map(grunndata_core::id::Gender::as_str),
                error: None,
            },
            Err(error) => Self::invalid(input, &error),
        }
    }

    /// An invalid value has no kind: the digits cannot be trusted to tell it.
    fn invalid(input: &'a str, error: &IdError) -> Self {
        Self {
            input,
            valid: false,
            kind: None,
            synthetic: false,
            birth_date: None,
            gender: None,
            error: Some(error.to_string()),
        }
    }
}

/// Column widths of the human table; wide enough for 11 digits with separators.
const INPUT_WIDTH: usize = 14;
const KIND_WIDTH: usize = 19;

impl IdArgs {
    /// Checks every value and prints the answers.
    pub fn run(self) -> anyhow::Result<Outcome> {
        let family = self.kind.map(IdFamily::from);
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        let mut printer = Printer {
            json: self.json,
            family,
            today: chrono::Local::now().date_naive(),
            all_valid: true,
            row: String::new(),
        };
        printer.header(&mut out)?;
        if self.values.is_empty() {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            let mut line = Vec::with_capacity(64);
            loop {
                line.clear();
                if input
                    .read_until(b'\n', &mut line)
                    .context("reading stdin")?
                    == 0
                {
                    break;
                }
                let text = String::from_utf8_lossy(&line);
                printer.check(&mut out, text.trim_end_matches(['\n', '\r']))?;
            }
        } else {
            for value in &self.values {
                printer.check(&mut out, value)?;
            }
        }
        out.flush()?;
        Ok(if printer.all_valid {
            Outcome::Success
        } else {
            Outcome::Negative
        })
    }
}

/// Streams answers in the chosen format, remembering whether all were valid.
struct Printer {
    json: bool,
    family: Option<IdFamily>,
    /// Read once: the clock is the same for every line of one run.
    today: NaiveDate,
    all_valid: bool,
    /// Reused for each table row, so that trailing padding can be trimmed without allocating.
    row: String,
}

impl Printer {
    fn header(&self, out: &mut impl Write) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(
            out,
            "{:<INPUT_WIDTH$} {:<5} {:<KIND_WIDTH$} {:<9} {:<10} {:<6} ERROR",
            "INPUT", "VALID", "KIND", "SYNTHETIC", "BIRTH DATE", "GENDER"
        )
    }

    fn check(&mut self, out: &mut impl Write, input: &str) -> anyhow::Result<()> {
        let verdict = Verdict::of(input, self.family, self.today);
        self.all_valid &= verdict.valid;
        if self.json {
            serde_json::to_writer(&mut *out, &verdict)?;
            writeln!(out)?;
        } else {
            self.row.clear();
            write!(
                self.row,
                "{:<INPUT_WIDTH$} {:<5} {:<KIND_WIDTH$} {:<9} {:<10} {:<6} {}",
                verdict.input,
                if verdict.valid { "yes" } else { "no" },
                verdict.kind.unwrap_or("-"),
                if verdict.synthetic { "yes" } else { "no" },
                verdict.birth_date.as_deref().unwrap_or("-"),
                verdict.gender.unwrap_or("-"),
                verdict.error.as_deref().unwrap_or(""),
            )?;
            writeln!(out, "{}", self.row.trim_end())?;
        }
        Ok(())
    }
}

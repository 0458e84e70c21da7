//! `grunndata synth`: write a deterministic synthetic data set as NDJSON files.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use grunndata_sync::synth::{AnomalyOptions, MAX_SCALE, Synth, SynthConfig, write_ndjson};

use crate::exit::Outcome;

/// Write deterministic synthetic master data as NDJSON, one record a line in each upstream's own
/// shape: brreg/enheter.ndjson, brreg/underenheter.ndjson, ar/communicationparties.ndjson,
/// preg/persons.ndjson, hpr/persons.ndjson.
///
/// The same seed and scale give byte-identical files. Scale 1.0 is national size (about 8.5 M
/// records in all); identifiers are synthetic (Tenor person numbers, orgnr ranges of our own).
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Size relative to the national registers (0 < F ≤ 2).
    #[arg(long, value_name = "F", default_value_t = 0.01, value_parser = parse_scale)]
    scale: f64,

    /// Seed of the generator.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,

    /// Plant a known number of anomalies of every `grunndata check` rule's kind.
    #[arg(long)]
    anomalies: bool,
}

impl SynthArgs {
    /// Generates and writes the files, then reports counts and time.
    pub fn run(self) -> anyhow::Result<Outcome> {
        let config = SynthConfig {
            seed: self.seed,
            scale: self.scale,
            anomalies: AnomalyOptions {
                enabled: self.anomalies,
            },
        };
        let synth = Synth::new(config)?;
        let report = write_ndjson(&synth, &self.out)
            .with_context(|| format!("writing {}", self.out.display()))?;
        for (file, count) in &report.files {
            println!("{count:>10}  {}", self.out.join(file).display());
        }
        let seconds = report.elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = report.records() as f64 / seconds.max(f64::EPSILON);
        println!(
            "{:>10}  records in {seconds:.2} s ({rate:.0} records/s)",
            report.records()
        );
        Ok(Outcome::Success)
    }
}

/// Parses `--scale`, rejecting values outside `0 < F ≤ MAX_SCALE` as a usage error.
pub(crate) fn parse_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text.parse().map_err(|_| format!("not a number: {text}"))?;
    if scale > 0.0 && scale <= MAX_SCALE {
        Ok(scale)
    } else {
        Err(format!("must be greater than 0 and at most {MAX_SCALE}"))
    }
}

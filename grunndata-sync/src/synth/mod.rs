//! Deterministic synthetic master data, in each upstream's own record shape.
//!
//! One [`Synth`] describes a whole synthetic world for a `(seed, scale)`: Brreg enheter and
//! underenheter, Adresseregisteret communication parties, Persontjenesten persons and HPR health
//! personnel. Record `i` of each register is a pure function of `(seed, scale, i)` — its fields
//! come from a random stream seeded by `(seed, register, i)` and every cross-register reference is
//! index arithmetic — so each register can be generated alone, in any order, in O(1) memory, and
//! the fake upstream can serve any record on demand without holding the data set.
//!
//! Scale 1.0 is national size: 1.2 M enheter, 0.7 M underenheter, 50 k communication parties,
//! 600 k health personnel and 6 M persons. Only synthetic identifiers are produced: Tenor person
//! numbers (month + 80) with valid check digits, valid organisasjonsnumre in ranges of our own.
//!
//! Cross-register consistency (without anomalies):
//! - every underenhet's `overordnetEnhet` is a generated, non-deleted enhet;
//! - every AR organisation's `organizationNumber` is a generated, active enhet;
//! - every AR person's `hprNumber` is a generated HPR person with an active authorisation, and
//!   every AR person and service sits beneath a generated AR organisation that lists it;
//! - every HPR person's `nin` is the Tenor number of a generated Persontjenesten person with the
//!   same name and birth date (HPR person `i` is Persontjenesten person `i`).
//!
//! ```
//! use grunndata_sync::synth::{Synth, SynthConfig};
//!
//! let synth = Synth::new(SynthConfig { seed: 7, scale: 0.0001, ..SynthConfig::default() })?;
//! let enhet = serde_json::to_value(synth.enhet(0))?;
//! assert_eq!(enhet["organisasjonsnummer"], synth.enhet_orgnr(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod anomalies;
mod ar;
mod brreg;
pub(crate) mod fmt;
mod gen_rng;
mod hpr;
pub(crate) mod ids;
mod names;
mod people;
mod preg;
mod seed;
mod write;

use chrono::{DateTime, NaiveDate, Utc};

pub use ar::CommunicationParty;
pub use brreg::{Enhet, Underenhet};
pub use hpr::HelsepersonUtvidet;
pub use preg::PregPerson;
pub use write::{FILES, WriteReport, write_ndjson};

use ids::NinScheme;

pub(crate) use brreg::slug as brreg_slug;
pub(crate) use hpr::SUSPENSION;

/// National-size record counts, multiplied by the scale.
const NATIONAL: Counts = Counts {
    enheter: 1_200_000,
    underenheter: 700_000,
    ar_organizations: 12_500,
    ar_services: 7_500,
    ar_persons: 30_000,
    hpr_persons: 600_000,
    preg_persons: 6_000_000,
};

/// The largest scale the identifier schemes have room for.
pub const MAX_SCALE: f64 = 2.0;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Seed of every random stream; the same seed and scale give byte-identical output.
    pub seed: u64,
    /// Size relative to the national registers (1.0 = national size; at most [`MAX_SCALE`]).
    pub scale: f64,
    /// Planted consistency anomalies (off by default).
    pub anomalies: AnomalyOptions,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            scale: 0.01,
            anomalies: AnomalyOptions::default(),
        }
    }
}

/// Planting a known number of anomalies of every consistency rule's kind.
///
/// With `enabled` false (the default) the generator produces consistent data only. With it
/// true, a few records chosen from the seed are changed so that `grunndata check` has one
/// finding of each rule's kind to report; [`Synth::planted_anomalies`] gives the exact counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnomalyOptions {
    /// Whether to plant anomalies.
    pub enabled: bool,
}

/// How many records each register has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Brreg main units.
    pub enheter: u64,
    /// Brreg sub-units.
    pub underenheter: u64,
    /// AR organisations.
    pub ar_organizations: u64,
    /// AR services (beneath organisations).
    pub ar_services: u64,
    /// AR persons (beneath organisations).
    pub ar_persons: u64,
    /// HPR health personnel.
    pub hpr_persons: u64,
    /// Persontjenesten persons.
    pub preg_persons: u64,
}

impl Counts {
    /// The counts at `scale`; every register has at least one record.
    fn at(scale: f64) -> Self {
        let of = |national: u64| -> u64 {
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let scaled = (national as f64 * scale).round() as u64;
            scaled.max(1)
        };
        Self {
            enheter: of(NATIONAL.enheter),
            underenheter: of(NATIONAL.underenheter),
            ar_organizations: of(NATIONAL.ar_organizations),
            ar_services: of(NATIONAL.ar_services),
            ar_persons: of(NATIONAL.ar_persons),
            hpr_persons: of(NATIONAL.hpr_persons),
            preg_persons: of(NATIONAL.preg_persons),
        }
    }

    /// All AR communication parties.
    pub fn ar_total(&self) -> u64 {
        self.ar_organizations + self.ar_services + self.ar_persons
    }

    /// All records of all registers.
    pub fn total(&self) -> u64 {
        self.enheter + self.underenheter + self.ar_total() + self.hpr_persons + self.preg_persons
    }
}

/// Why a synthetic world could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The scale is not a positive number up to [`MAX_SCALE`].
    #[error("scale must be greater than 0 and at most {MAX_SCALE}, got {0}")]
    InvalidScale(f64),
    /// The person-number schemes have no room for this many persons.
    #[error("scale too large: the synthetic person-number range has no room for {0} persons")]
    NinCapacity(u64),
    /// Writing an output file failed.
    #[error("cannot write {path}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A deterministic synthetic world. Cheap to clone; generating a record allocates only the
/// record itself.
#[derive(Debug, Clone)]
pub struct Synth {
    config: SynthConfig,
    counts: Counts,
    /// Enheter per AR organisation (AR organisation `k` is enhet `k * health_stride`).
    health_stride: u64,
    /// HPR persons per AR person (AR person `k` is HPR person `k * hpr_stride`).
    hpr_stride: u64,
    /// Person numbers of health personnel (Persontjenesten persons `0..hpr_persons`).
    hpr_nins: NinScheme,
    /// Person numbers of everybody else.
    general_nins: NinScheme,
    /// The records that carry planted anomalies, when they are on.
    plan: Option<anomalies::Plan>,
}

/// The time the synthetic data set was "produced" (the bulk files' production time): fixed, so
/// that output does not depend on the clock. Every generated timestamp is before it.
pub fn produced_at() -> DateTime<Utc> {
    fmt::reference_time()
}

impl Synth {
    /// Checks the configuration and prepares the index arithmetic.
    pub fn new(config: SynthConfig) -> Result<Self, SynthError> {
        if !(config.scale > 0.0 && config.scale <= MAX_SCALE) {
            return Err(SynthError::InvalidScale(config.scale));
        }
        let counts = Counts::at(config.scale);
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        // Health personnel are born 1950–1999 and use individual numbers 400–499; everybody else
        // is born 1925–2024 with 000–399 (before 2000) or 500–999 (from 2000). The ranges are
        // disjoint, so the two schemes never produce the same number.
        let hpr_nins = NinScheme::new(date(1950, 1, 1), date(1999, 12, 31), (400, 499), (400, 499));
        let general_nins =
            NinScheme::new(date(1925, 1, 1), date(2024, 12, 31), (0, 399), (500, 999));
        let general = counts.preg_persons - counts.hpr_persons;
        if counts.hpr_persons.div_ceil(hpr_nins.days()) > ids::HPR_MIN_CAPACITY {
            return Err(SynthError::NinCapacity(counts.hpr_persons));
        }
        if general.div_ceil(general_nins.days()) > ids::GENERAL_MIN_CAPACITY {
            return Err(SynthError::NinCapacity(general));
        }
        let mut synth = Self {
            health_stride: (counts.enheter / counts.ar_organizations).max(1),
            hpr_stride: (counts.hpr_persons / counts.ar_persons).max(1),
            config,
            counts,
            hpr_nins,
            general_nins,
            plan: None,
        };
        // Planned on the consistent world, which the generators give while `plan` is unset.
        if synth.config.anomalies.enabled {
            synth.plan = Some(synth.plan_anomalies());
        }
        Ok(synth)
    }

    /// The configuration.
    pub fn config(&self) -> &SynthConfig {
        &self.config
    }

    /// How many records each register has.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The AR organisation linked to enhet `index`, if any.
    fn health_org_of_enhet(&self, index: u64) -> Option<u64> {
        index
            .is_multiple_of(self.health_stride)
            .then_some(index / self.health_stride)
            .filter(|&k| k < self.counts.ar_organizations)
    }

    /// The AR person linked to HPR person `index`, if any.
    fn ar_person_of_hpr(&self, index: u64) -> Option<u64> {
        index
            .is_multiple_of(self.hpr_stride)
            .then_some(index / self.hpr_stride)
            .filter(|&k| k < self.counts.ar_persons)
    }
}

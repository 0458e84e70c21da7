//! The fake upstream's base data: either the deterministic generator (records made on demand by
//! index, nothing held in memory) or NDJSON files loaded from a directory. Admin changes live in
//! `state`, on top of this.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};
use serde_json::Value;

use super::FakeError;
use crate::synth::Synth;

/// Which Brreg unit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Main units (`enheter`).
    Enheter,
    /// Sub-units (`underenheter`).
    Underenheter,
}

impl Unit {
    /// The path segment: `enheter` or `underenheter`.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Enheter => "enheter",
            Self::Underenheter => "underenheter",
        }
    }
}

/// Base data by index. Record `i` of a register and its key are stable for the server's lifetime.
pub(crate) trait Dataset: Send + Sync {
    fn brreg_len(&self, unit: Unit) -> u64;
    fn brreg_orgnr(&self, unit: Unit, index: u64) -> String;
    fn brreg_index(&self, unit: Unit, orgnr: &str) -> Option<u64>;
    /// Writes record `index` as JSON unless it is deleted (the streaming path of the bulk
    /// download, which leaves deleted units out); tells whether it wrote.
    fn brreg_write_live(
        &self,
        unit: Unit,
        index: u64,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<bool>;
    fn brreg_record(&self, unit: Unit, index: u64) -> Value;
    /// Whether the base record has `slettedato`.
    fn brreg_deleted(&self, unit: Unit, index: u64) -> bool;

    fn ar_len(&self) -> u64;
    fn ar_her_id(&self, index: u64) -> u64;
    fn ar_index(&self, her_id: u64) -> Option<u64>;
    fn ar_record(&self, index: u64) -> Value;
    fn ar_deactivated(&self, index: u64) -> bool;

    fn preg_len(&self) -> u64;
    fn preg_id(&self, index: u64) -> String;
    fn preg_index(&self, id: &str) -> Option<u64>;
    fn preg_index_by_nin(&self, nin: &str) -> Option<u64>;
    fn preg_record(&self, index: u64) -> Value;

    fn hpr_len(&self) -> u64;
    fn hpr_number(&self, index: u64) -> u64;
    fn hpr_index(&self, number: u64) -> Option<u64>;
    fn hpr_index_by_nin(&self, nin: &str) -> Option<u64>;
    fn hpr_record(&self, index: u64) -> Value;
    fn hpr_write(&self, index: u64, out: &mut Vec<u8>) -> serde_json::Result<()>;
    /// `sistOppdatert` of base record `index`; non-decreasing in the index.
    fn hpr_updated(&self, index: u64) -> NaiveDateTime;
}

fn to_value<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

impl Dataset for Synth {
    fn brreg_len(&self, unit: Unit) -> u64 {
        match unit {
            Unit::Enheter => self.counts().enheter,
            Unit::Underenheter => self.counts().underenheter,
        }
    }
    fn brreg_orgnr(&self, unit: Unit, index: u64) -> String {
        match unit {
            Unit::Enheter => self.enhet_orgnr(index),
            Unit::Underenheter => self.underenhet_orgnr(index),
        }
    }
    fn brreg_index(&self, unit: Unit, orgnr: &str) -> Option<u64> {
        match unit {
            Unit::Enheter => self.enhet_index(orgnr),
            Unit::Underenheter => self.underenhet_index(orgnr),
        }
    }
    fn brreg_write_live(
        &self,
        unit: Unit,
        index: u64,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<bool> {
        match unit {
            Unit::Enheter => {
                let record = self.enhet(index);
                if record.slettedato.is_some() {
                    return Ok(false);
                }
                serde_json::to_writer(out, &record)?;
            }
            Unit::Underenheter => {
                let record = self.underenhet(index);
                if record.slettedato.is_some() {
                    return Ok(false);
                }
                serde_json::to_writer(out, &record)?;
            }
        }
        Ok(true)
    }
    fn brreg_record(&self, unit: Unit, index: u64) -> Value {
        match unit {
            Unit::Enheter => to_value(&self.enhet(index)),
            Unit::Underenheter => to_value(&self.underenhet(index)),
        }
    }
    fn brreg_deleted(&self, unit: Unit, index: u64) -> bool {
        match unit {
            Unit::Enheter => self.enhet_is_deleted(index),
            Unit::Underenheter => self.underenhet(index).slettedato.is_some(),
        }
    }

    fn ar_len(&self) -> u64 {
        self.counts().ar_total()
    }
    fn ar_her_id(&self, index: u64) -> u64 {
        Synth::ar_her_id(self, index)
    }
    fn ar_index(&self, her_id: u64) -> Option<u64> {
        Synth::ar_index(self, her_id)
    }
    fn ar_record(&self, index: u64) -> Value {
        to_value(&self.communication_party(index))
    }
    fn ar_deactivated(&self, index: u64) -> bool {
        self.ar_is_deactivated(index)
    }

    fn preg_len(&self) -> u64 {
        self.counts().preg_persons
    }
    fn preg_id(&self, index: u64) -> String {
        self.preg_person_id(index)
    }
    fn preg_index(&self, id: &str) -> Option<u64> {
        self.preg_index_by_id(id)
    }
    fn preg_index_by_nin(&self, nin: &str) -> Option<u64> {
        Synth::preg_index_by_nin(self, nin)
    }
    fn preg_record(&self, index: u64) -> Value {
        to_value(&self.preg_person(index))
    }

    fn hpr_len(&self) -> u64 {
        self.counts().hpr_persons
    }
    fn hpr_number(&self, index: u64) -> u64 {
        Synth::hpr_number(self, index)
    }
    fn hpr_index(&self, number: u64) -> Option<u64> {
        Synth::hpr_index(self, number)
    }
    fn hpr_index_by_nin(&self, nin: &str) -> Option<u64> {
        // HPR person i is Persontjenesten person i; merged-away records carry no NIN.
        let index =
            Synth::preg_index_by_nin(self, nin).filter(|&p| p < self.counts().hpr_persons)?;
        (self.hpr_person(index).person.nin.as_deref() == Some(nin)).then_some(index)
    }
    fn hpr_record(&self, index: u64) -> Value {
        to_value(&self.hpr_person(index))
    }
    fn hpr_write(&self, index: u64, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &self.hpr_person(index))
    }
    fn hpr_updated(&self, index: u64) -> NaiveDateTime {
        self.hpr_last_updated(index)
    }
}

/// One register's records loaded from NDJSON, with a key index.
#[derive(Debug, Default)]
struct Loaded<K> {
    records: Vec<Value>,
    keys: Vec<K>,
    index: HashMap<K, u64>,
}

impl<K: Clone + Eq + std::hash::Hash> Loaded<K> {
    fn push(&mut self, key: K, record: Value) {
        let at = self.records.len() as u64;
        if let Some(&existing) = self.index.get(&key) {
            // A later line for the same key replaces the earlier one.
            if let Some(slot) = usize::try_from(existing)
                .ok()
                .and_then(|i| self.records.get_mut(i))
            {
                *slot = record;
            }
            return;
        }
        self.index.insert(key.clone(), at);
        self.keys.push(key);
        self.records.push(record);
    }

    fn get(&self, index: u64) -> Value {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.records.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn len(&self) -> u64 {
        self.records.len() as u64
    }
}

/// Base data from a directory of NDJSON files (missing files are empty registers).
#[derive(Debug, Default)]
pub(crate) struct DirData {
    enheter: Loaded<String>,
    underenheter: Loaded<String>,
    ar: Loaded<u64>,
    preg: Loaded<String>,
    preg_nins: HashMap<String, u64>,
    hpr: Loaded<u64>,
    hpr_nins: HashMap<String, u64>,
    hpr_times: Vec<NaiveDateTime>,
}

/// The key of a record, by JSON pointer and kind.
fn key_str(record: &Value, field: &str) -> Option<String> {
    record.get(field)?.as_str().map(str::to_owned)
}

fn key_u64(record: &Value, field: &str) -> Option<u64> {
    record.get(field)?.as_u64()
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm]` as UTC (zone-less values are taken as UTC).
pub(crate) fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

impl DirData {
    /// Loads `brreg/enheter.ndjson`, `brreg/underenheter.ndjson`, `ar/communicationparties.ndjson`,
    /// `preg/persons.ndjson` and `hpr/persons.ndjson` from `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Self, FakeError> {
        let mut data = Self::default();
        for_each_line(&dir.join("brreg/enheter.ndjson"), |path, line, record| {
            let key = key_str(&record, "organisasjonsnummer")
                .ok_or_else(|| missing(path, line, "organisasjonsnummer"))?;
            data.enheter.push(key, record);
            Ok(())
        })?;
        for_each_line(
            &dir.join("brreg/underenheter.ndjson"),
            |path, line, record| {
                let key = key_str(&record, "organisasjonsnummer")
                    .ok_or_else(|| missing(path, line, "organisasjonsnummer"))?;
                data.underenheter.push(key, record);
                Ok(())
            },
        )?;
        for_each_line(
            &dir.join("ar/communicationparties.ndjson"),
            |path, line, record| {
                let key = key_u64(&record, "herId").ok_or_else(|| missing(path, line, "herId"))?;
                data.ar.push(key, record);
                Ok(())
            },
        )?;
        for_each_line(&dir.join("preg/persons.ndjson"), |path, line, record| {
            let key = key_str(&record, "id").ok_or_else(|| missing(path, line, "id"))?;
            data.preg.push(key, record);
            Ok(())
        })?;
        let mut hpr: Vec<(NaiveDateTime, u64, Value)> = Vec::new();
        for_each_line(&dir.join("hpr/persons.ndjson"), |path, line, record| {
            let key =
                key_u64(&record, "hprNummer").ok_or_else(|| missing(path, line, "hprNummer"))?;
            let updated = record
                .get("sistOppdatert")
                .and_then(Value::as_str)
                .and_then(parse_datetime)
                .unwrap_or_default();
            hpr.push((updated, key, record));
            Ok(())
        })?;
        // Change windows need the base ordered by sistOppdatert.
        hpr.sort_by_key(|(updated, number, _)| (*updated, *number));
        for (updated, key, record) in hpr {
            data.hpr_times.push(updated);
            data.hpr.push(key, record);
        }
        for (i, record) in data.preg.records.iter().enumerate() {
            for nin in preg_nins(record) {
                data.preg_nins.insert(nin, i as u64);
            }
        }
        for (i, record) in data.hpr.records.iter().enumerate() {
            if let Some(nin) = record.pointer("/person/nin").and_then(Value::as_str) {
                data.hpr_nins.insert(nin.to_owned(), i as u64);
            }
        }
        Ok(data)
    }

    fn brreg(&self, unit: Unit) -> &Loaded<String> {
        match unit {
            Unit::Enheter => &self.enheter,
            Unit::Underenheter => &self.underenheter,
        }
    }
}

/// The person numbers of a Persontjenesten record.
pub(crate) fn preg_nins(record: &Value) -> Vec<String> {
    record
        .get("norwegianIdentificationNumber")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    item.get("identificationNumber")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn missing(path: &Path, line: usize, field: &str) -> FakeError {
    FakeError::Data {
        path: PathBuf::from(path),
        line,
        message: format!("record has no {field}"),
    }
}

fn for_each_line(
    path: &Path,
    mut each: impl FnMut(&Path, usize, Value) -> Result<(), FakeError>,
) -> Result<(), FakeError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(FakeError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| FakeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = serde_json::from_str(&line).map_err(|e| FakeError::Data {
            path: path.to_path_buf(),
            line: number + 1,
            message: e.to_string(),
        })?;
        each(path, number + 1, record)?;
    }
    Ok(())
}

impl Dataset for DirData {
    fn brreg_len(&self, unit: Unit) -> u64 {
        self.brreg(unit).len()
    }
    fn brreg_orgnr(&self, unit: Unit, index: u64) -> String {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.brreg(unit).keys.get(i))
            .cloned()
            .unwrap_or_default()
    }
    fn brreg_index(&self, unit: Unit, orgnr: &str) -> Option<u64> {
        self.brreg(unit).index.get(orgnr).copied()
    }
    fn brreg_write_live(
        &self,
        unit: Unit,
        index: u64,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<bool> {
        if self.brreg_deleted(unit, index) {
            return Ok(false);
        }
        serde_json::to_writer(out, &self.brreg(unit).get(index))?;
        Ok(true)
    }
    fn brreg_record(&self, unit: Unit, index: u64) -> Value {
        self.brreg(unit).get(index)
    }
    fn brreg_deleted(&self, unit: Unit, index: u64) -> bool {
        self.brreg(unit)
            .get(index)
            .get("slettedato")
            .is_some_and(|v| !v.is_null())
    }

    fn ar_len(&self) -> u64 {
        self.ar.len()
    }
    fn ar_her_id(&self, index: u64) -> u64 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.ar.keys.get(i))
            .copied()
            .unwrap_or_default()
    }
    fn ar_index(&self, her_id: u64) -> Option<u64> {
        self.ar.index.get(&her_id).copied()
    }
    fn ar_record(&self, index: u64) -> Value {
        self.ar.get(index)
    }
    fn ar_deactivated(&self, index: u64) -> bool {
        is_deactivated(&self.ar.get(index))
    }

    fn preg_len(&self) -> u64 {
        self.preg.len()
    }
    fn preg_id(&self, index: u64) -> String {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.preg.keys.get(i))
            .cloned()
            .unwrap_or_default()
    }
    fn preg_index(&self, id: &str) -> Option<u64> {
        self.preg.index.get(id).copied()
    }
    fn preg_index_by_nin(&self, nin: &str) -> Option<u64> {
        self.preg_nins.get(nin).copied()
    }
    fn preg_record(&self, index: u64) -> Value {
        self.preg.get(index)
    }

    fn hpr_len(&self) -> u64 {
        self.hpr.len()
    }
    fn hpr_number(&self, index: u64) -> u64 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.hpr.keys.get(i))
            .copied()
            .unwrap_or_default()
    }
    fn hpr_index(&self, number: u64) -> Option<u64> {
        self.hpr.index.get(&number).copied()
    }
    fn hpr_index_by_nin(&self, nin: &str) -> Option<u64> {
        self.hpr_nins.get(nin).copied()
    }
    fn hpr_record(&self, index: u64) -> Value {
        self.hpr.get(index)
    }
    fn hpr_write(&self, index: u64, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &self.hpr.get(index))
    }
    fn hpr_updated(&self, index: u64) -> NaiveDateTime {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.hpr_times.get(i))
            .copied()
            .unwrap_or_default()
    }
}

/// Whether an AR record's `validTo` is in the past.
pub(crate) fn is_deactivated(record: &Value) -> bool {
    record
        .get("validTo")
        .and_then(Value::as_str)
        .and_then(parse_datetime)
        .is_some_and(|to| to < Utc::now().naive_utc())
}

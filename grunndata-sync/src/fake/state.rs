//! In-memory state of the fake upstream: the base data set (regenerated on demand), the admin
//! overrides on top of it, and the event logs.
//!
//! Every base record has one initial event (Brreg `Ny`, AR `CommunicationPartyCreated`,
//! Persontjenesten `PersonPopulated`) whose id is its index + 1, so base events cost no memory;
//! admin changes append real events after them. Only overrides and admin events are held.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::Value;
use tokio::sync::watch;

use super::dataset::{Dataset, Unit};
use super::faults::Faults;

/// The stretch of time over which the base data's initial Brreg events (their `dato`) are
/// spread, ending at `produced_at`. Thirty days, so that a client resuming the feed a few
/// hours before the bulk file's time replays a small tail of it, as against the real register
/// (where a day holds a few thousand of over a million units' events), not the whole register.
const BRREG_BASE_SPAN_MS: i64 = 30 * 24 * 3600 * 1000;
/// Spacing of the base data's initial AR events.
const AR_BASE_SPACING_MS: i64 = 1000;

/// A Brreg unit as admin changes left it.
#[derive(Debug, Clone)]
pub(crate) enum BrregEntry {
    /// Upserted record.
    Live(Value),
    /// Deleted (`Sletting`): served as 200 with `slettedato` and few fields.
    Deleted(Value),
    /// Removed from open data (`Fjernet`): served as 410.
    Removed,
}

/// One Brreg change event.
#[derive(Debug, Clone)]
pub(crate) struct BrregEvent {
    pub(crate) id: u64,
    pub(crate) dato: DateTime<Utc>,
    pub(crate) orgnr: String,
    pub(crate) endringstype: &'static str,
}

/// One Brreg feed (enheter or underenheter) with its overrides.
#[derive(Debug, Default)]
pub(crate) struct BrregOverlay {
    pub(crate) entries: HashMap<String, BrregEntry>,
    /// Units not in the base data, in creation order.
    pub(crate) created: Vec<String>,
    pub(crate) events: Vec<BrregEvent>,
}

/// One AR event.
#[derive(Debug, Clone)]
pub(crate) struct ArEvent {
    pub(crate) sequence_number: u64,
    pub(crate) her_id: u64,
    pub(crate) event_type: &'static str,
    pub(crate) timestamp: DateTime<Utc>,
}

/// AR overrides and admin events.
#[derive(Debug, Default)]
pub(crate) struct ArOverlay {
    pub(crate) entries: HashMap<u64, Value>,
    pub(crate) created: Vec<u64>,
    pub(crate) events: Vec<ArEvent>,
}

/// One Persontjenesten event.
#[derive(Debug, Clone)]
pub(crate) struct PregEvent {
    pub(crate) sequence_number: u64,
    pub(crate) person_id: String,
    pub(crate) event_type: &'static str,
}

/// Persontjenesten overrides and admin events.
#[derive(Debug, Default)]
pub(crate) struct PregOverlay {
    pub(crate) entries: HashMap<String, Value>,
    pub(crate) created: Vec<String>,
    /// Person number → person id, for overridden and created persons.
    pub(crate) nins: HashMap<String, String>,
    pub(crate) events: Vec<PregEvent>,
}

/// HPR overrides.
#[derive(Debug, Default)]
pub(crate) struct HprOverlay {
    /// Latest upserted record by HPR-nummer.
    pub(crate) entries: HashMap<u64, Value>,
    /// Deleted HPR-numbers.
    pub(crate) removed: HashSet<u64>,
    /// Base indices whose base record is no longer served (overridden or removed).
    pub(crate) skipped: BTreeSet<u64>,
    /// Admin changes by (sistOppdatert, HPR-nummer), latest change only.
    pub(crate) changes: BTreeSet<(NaiveDateTime, u64)>,
    pub(crate) change_time: HashMap<u64, NaiveDateTime>,
    /// HPR-numbers not in the base data, in creation order.
    pub(crate) created: Vec<u64>,
    /// Person number → HPR-nummer for upserted records.
    pub(crate) nins: HashMap<String, u64>,
}

/// Everything admin changes touch.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    pub(crate) enheter: BrregOverlay,
    pub(crate) underenheter: BrregOverlay,
    pub(crate) ar: ArOverlay,
    pub(crate) preg: PregOverlay,
    pub(crate) hpr: HprOverlay,
    /// Time of the last admin event; admin event times are strictly increasing.
    last_time: Option<DateTime<Utc>>,
}

impl Overlay {
    /// The Brreg overlay of a unit list.
    pub(crate) fn brreg(&self, unit: Unit) -> &BrregOverlay {
        match unit {
            Unit::Enheter => &self.enheter,
            Unit::Underenheter => &self.underenheter,
        }
    }

    /// The Brreg overlay of a unit list, for change.
    pub(crate) fn brreg_mut(&mut self, unit: Unit) -> &mut BrregOverlay {
        match unit {
            Unit::Enheter => &mut self.enheter,
            Unit::Underenheter => &mut self.underenheter,
        }
    }

    /// The time of a new admin event: now, but strictly after every earlier event and after the
    /// base data's production time, at millisecond resolution.
    pub(crate) fn next_time(&mut self, produced_at: DateTime<Utc>) -> DateTime<Utc> {
        let now = Utc::now();
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let floor = self.last_time.unwrap_or(produced_at) + Duration::milliseconds(1);
        let t = now.max(floor);
        self.last_time = Some(t);
        t
    }
}

/// A kept bulk file: its `ETag` and its body's chunks.
type KeptFile = (String, Arc<[Bytes]>);

/// Shared state of a running fake upstream.
pub(crate) struct State {
    pub(crate) data: Box<dyn Dataset>,
    pub(crate) produced_at: DateTime<Utc>,
    pub(crate) hpr_export_path: String,
    pub(crate) faults: Mutex<Faults>,
    /// The last complete Brreg bulk file of each unit list, by its `ETag`: served again as it
    /// is until the data changes, as a file server serves Brreg's nightly file, so repeated
    /// downloads (benchmarks, many clients) do not regenerate and recompress it.
    bulk_files: Mutex<HashMap<Unit, KeptFile>>,
    /// Requests served per route (`GET /brreg/enhetsregisteret/api/enheter/{orgnr}`), faulted
    /// or not, for tests that count what a client asked.
    requests: Mutex<BTreeMap<String, u64>>,
    /// Becomes true when the server shuts down (ends stalls early).
    pub(crate) shutdown: watch::Receiver<bool>,
    overlay: RwLock<Overlay>,
}

impl State {
    pub(crate) fn new(
        data: Box<dyn Dataset>,
        produced_at: DateTime<Utc>,
        hpr_export_path: String,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            data,
            produced_at,
            hpr_export_path,
            faults: Mutex::new(Faults::default()),
            bulk_files: Mutex::new(HashMap::new()),
            requests: Mutex::new(BTreeMap::new()),
            shutdown,
            overlay: RwLock::new(Overlay::default()),
        }
    }

    /// Reads the overlay (a poisoned lock is still usable: the overlay is plain data).
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the overlay.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Overlay> {
        self.overlay.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one request to `route`.
    pub(crate) fn count_request(&self, route: String) {
        *self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route)
            .or_insert(0) += 1;
    }

    /// Requests served so far, per route.
    pub(crate) fn requests(&self) -> BTreeMap<String, u64> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The fault injector.
    pub(crate) fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept bulk file of `unit` if it is the one with `etag`.
    pub(crate) fn bulk_file(&self, unit: Unit, etag: &str) -> Option<Arc<[Bytes]>> {
        let files = self
            .bulk_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        files
            .get(&unit)
            .filter(|(kept, _)| kept == etag)
            .map(|(_, chunks)| Arc::clone(chunks))
    }

    /// Keeps the complete bulk file of `unit` with `etag`.
    pub(crate) fn keep_bulk_file(&self, unit: Unit, etag: String, chunks: Vec<Bytes>) {
        let mut files = self
            .bulk_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        files.insert(unit, (etag, chunks.into()));
    }

    // --- Brreg feed arithmetic -------------------------------------------------------------

    /// The `dato` of base event `index + 1`.
    pub(crate) fn brreg_base_dato(&self, unit: Unit, index: u64) -> DateTime<Utc> {
        let n = i64::try_from(self.data.brreg_len(unit))
            .unwrap_or(i64::MAX)
            .max(1);
        let i = i64::try_from(index).unwrap_or(0);
        // At least 1 ms apart, so that every event has its own instant.
        let spacing = (BRREG_BASE_SPAN_MS / n).max(1);
        self.produced_at - Duration::milliseconds((n - i) * spacing)
    }

    /// The id of the newest Brreg event (0 when there is none).
    pub(crate) fn brreg_head(&self, overlay: &Overlay, unit: Unit) -> u64 {
        self.data.brreg_len(unit) + overlay.brreg(unit).events.len() as u64
    }

    /// Brreg event `id` (1-based).
    pub(crate) fn brreg_event(&self, overlay: &Overlay, unit: Unit, id: u64) -> Option<BrregEvent> {
        let base = self.data.brreg_len(unit);
        if id == 0 {
            return None;
        }
        if id <= base {
            return Some(BrregEvent {
                id,
                dato: self.brreg_base_dato(unit, id - 1),
                orgnr: self.data.brreg_orgnr(unit, id - 1),
                endringstype: "Ny",
            });
        }
        usize::try_from(id - base - 1)
            .ok()
            .and_then(|i| overlay.brreg(unit).events.get(i))
            .cloned()
    }

    /// The first event id whose `dato` is at or after `t` (head + 1 when none is).
    pub(crate) fn brreg_first_at_or_after(
        &self,
        overlay: &Overlay,
        unit: Unit,
        t: DateTime<Utc>,
    ) -> u64 {
        let (mut lo, mut hi) = (1, self.brreg_head(overlay, unit) + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let dato = self.brreg_event(overlay, unit, mid).map_or(t, |e| e.dato);
            if dato < t { lo = mid + 1 } else { hi = mid }
        }
        lo
    }

    // --- AR -------------------------------------------------------------------------------------

    /// The sequence number of the newest AR event (0 when there is none).
    pub(crate) fn ar_head(&self, overlay: &Overlay) -> u64 {
        self.data.ar_len() + overlay.ar.events.len() as u64
    }

    /// AR event `seq` (1-based).
    pub(crate) fn ar_event(&self, overlay: &Overlay, seq: u64) -> Option<ArEvent> {
        let base = self.data.ar_len();
        if seq == 0 {
            return None;
        }
        if seq <= base {
            let n = i64::try_from(base).unwrap_or(i64::MAX);
            let i = i64::try_from(seq - 1).unwrap_or(0);
            return Some(ArEvent {
                sequence_number: seq,
                her_id: self.data.ar_her_id(seq - 1),
                event_type: "CommunicationPartyCreated",
                timestamp: self.produced_at - Duration::milliseconds((n - i) * AR_BASE_SPACING_MS),
            });
        }
        usize::try_from(seq - base - 1)
            .ok()
            .and_then(|i| overlay.ar.events.get(i))
            .cloned()
    }

    /// The current AR record of a HER-id, if it exists.
    ///
    /// Properties whose value is `null` are left out: the AR contract declares its nested
    /// objects (`personDetails`, `amqpAddress`, certificates, …) non-nullable, so a service
    /// held to it omits them (checked through Prism's proxy, `tests/contract.rs`).
    pub(crate) fn ar_record(&self, overlay: &Overlay, her_id: u64) -> Option<Value> {
        let mut record = match overlay.ar.entries.get(&her_id) {
            Some(record) => record.clone(),
            None => self.data.ar_record(self.data.ar_index(her_id)?),
        };
        drop_nulls(&mut record);
        Some(record)
    }

    // --- Persontjenesten ------------------------------------------------------------------------

    /// The sequence number of the newest Persontjenesten event.
    pub(crate) fn preg_head(&self, overlay: &Overlay) -> u64 {
        self.data.preg_len() + overlay.preg.events.len() as u64
    }

    /// Persontjenesten event `seq` (1-based).
    pub(crate) fn preg_event(&self, overlay: &Overlay, seq: u64) -> Option<PregEvent> {
        let base = self.data.preg_len();
        if seq == 0 {
            return None;
        }
        if seq <= base {
            return Some(PregEvent {
                sequence_number: seq,
                person_id: self.data.preg_id(seq - 1),
                event_type: "PersonPopulated",
            });
        }
        usize::try_from(seq - base - 1)
            .ok()
            .and_then(|i| overlay.preg.events.get(i))
            .cloned()
    }

    /// The current Persontjenesten record of a person id.
    pub(crate) fn preg_record(&self, overlay: &Overlay, id: &str) -> Option<Value> {
        if let Some(record) = overlay.preg.entries.get(id) {
            return Some(record.clone());
        }
        self.data.preg_index(id).map(|i| self.data.preg_record(i))
    }

    /// The person id for a person number (overrides first, then the base data).
    pub(crate) fn preg_id_by_nin(&self, overlay: &Overlay, nin: &str) -> Option<String> {
        if let Some(id) = overlay.preg.nins.get(nin) {
            return Some(id.clone());
        }
        let id = self.data.preg_id(self.data.preg_index_by_nin(nin)?);
        // An override may have changed this person's number.
        match overlay.preg.entries.get(&id) {
            Some(record) => super::dataset::preg_nins(record)
                .iter()
                .any(|n| n == nin)
                .then_some(id),
            None => Some(id),
        }
    }

    // --- HPR ------------------------------------------------------------------------------------

    /// The current HPR record of an HPR-nummer.
    pub(crate) fn hpr_record(&self, overlay: &Overlay, number: u64) -> Option<Value> {
        if overlay.hpr.removed.contains(&number) {
            return None;
        }
        if let Some(record) = overlay.hpr.entries.get(&number) {
            return Some(record.clone());
        }
        self.data.hpr_index(number).map(|i| self.data.hpr_record(i))
    }

    /// The HPR-nummer for a person number.
    pub(crate) fn hpr_number_by_nin(&self, overlay: &Overlay, nin: &str) -> Option<u64> {
        if let Some(&number) = overlay.hpr.nins.get(nin) {
            return Some(number);
        }
        let number = self.data.hpr_number(self.data.hpr_index_by_nin(nin)?);
        let replaced =
            overlay.hpr.entries.contains_key(&number) || overlay.hpr.removed.contains(&number);
        (!replaced).then_some(number)
    }
}

/// The `k`-th index of `lo..` that is not in `skipped` (sorted set), for paging past holes.
pub(crate) fn nth_not_skipped(skipped: &BTreeSet<u64>, lo: u64, k: u64) -> u64 {
    let mut candidate = lo + k;
    for &s in skipped.range(lo..) {
        if s <= candidate {
            candidate += 1;
        } else {
            break;
        }
    }
    candidate
}

/// Removes every object property whose value is `null`, at any depth.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|_, value| !value.is_null());
            object.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

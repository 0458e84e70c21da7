//! Encoding ahead of the transaction writes what encoding inside it writes.

use chrono::{DateTime, TimeZone as _, Utc};

use crate::core::id::OrgNumber;
use crate::core::model::{Organisation, UnitKind};
use crate::source::Parsed;
use crate::store::{Batch, BatchOutcome, Register, RegisterDigest, Store};
use crate::synth;

/// The synthetic world's organisasjonsnummer of main unit `index` (valid check digit).
fn orgnr(index: u64) -> OrgNumber {
    let number = synth::ids::orgnr(synth::ids::ENHET_BLOCK, index);
    OrgNumber::parse(&number.to_string()).unwrap_or_else(|e| panic!("orgnr {number}: {e}"))
}

fn unit(index: u64, name: &str) -> Organisation {
    let json = serde_json::json!({
        "organisasjonsnummer": orgnr(index).to_string(),
        "navn": name,
    });
    match crate::source::brreg::parse_unit(json.to_string().as_bytes(), UnitKind::MainUnit) {
        Parsed::Record(unit) => unit,
        Parsed::Malformed(malformed) => panic!("unit {index}: {}", malformed.error),
    }
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("day {day}"))
}

/// A batch with every kind of step: runs longer than a chunk, a key given twice (the later
/// wins), a delete between two runs, and a record the store cannot hold (quarantined).
fn mixed_batch() -> Batch<Organisation> {
    let t = at(2);
    let mut batch = Batch::new(t);
    for index in 0..600 {
        batch = batch.upsert(unit(index, &format!("Enhet {index} AS")), None, t);
    }
    batch = batch
        .upsert(unit(7, "Enhet 7 igjen AS"), Some(at(1)), t)
        .delete(orgnr(9), None)
        .upsert(unit(600, "Null\u{0}tegn AS"), None, t);
    for index in 601..900 {
        batch = batch.upsert(unit(index, &format!("Enhet {index} AS")), None, t);
    }
    batch
}

/// Applies `batch` to a fresh SQLite mirror in a fresh bulk load, encoded ahead or not.
async fn applied(batch: Batch<Organisation>, ahead: bool) -> (BatchOutcome, RegisterDigest) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
    let store = Store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let bulk = store
        .begin_bulk_load(Register::Brreg)
        .await
        .unwrap_or_else(|e| panic!("bulk: {e}"));
    assert!(bulk, "an empty register loads in bulk");
    let outcome = if ahead {
        store.start_bulk_apply(batch).await
    } else {
        store.start_apply(batch).await
    }
    .unwrap_or_else(|e| panic!("apply: {e}"));
    store
        .finish_bulk_load(Register::Brreg)
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    let digest = store
        .digest(Register::Brreg)
        .await
        .unwrap_or_else(|e| panic!("digest: {e}"));
    store.close().await;
    (outcome, digest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoding_ahead_writes_what_encoding_inside_writes() {
    let (inside, inside_digest) = applied(mixed_batch(), false).await;
    let (ahead, ahead_digest) = applied(mixed_batch(), true).await;
    assert_eq!(ahead, inside);
    assert_eq!(ahead_digest, inside_digest);
    // 901 upserts of 900 units: unit 7 twice (stored once), unit 600 unstorable, unit 9
    // written by the first run and deleted before the second.
    assert_eq!(inside.inserted, 899, "{inside:?}");
    assert_eq!(inside.deleted, 1, "{inside:?}");
    assert_eq!(inside.quarantined, 1, "{inside:?}");
    assert_eq!(inside_digest.records, 898);
}

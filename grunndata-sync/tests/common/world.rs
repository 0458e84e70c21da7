//! The whole synthetic world loaded into a store through the sources' own parsers, without
//! HTTP: what the check tests judge. (The sync engine's tests load it over HTTP instead.)

use grunndata_sync::core::model::{Person, UnitKind};
use grunndata_sync::source::{Parsed, ar, brreg, hpr, preg};
use grunndata_sync::store::{Batch, MirrorRecord, Register, Store};
use grunndata_sync::synth::{Synth, produced_at};

fn json<T: serde::Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_else(|e| panic!("serialise: {e}"))
}

fn parsed<R>(parsed: Parsed<R>) -> R {
    match parsed {
        Parsed::Record(record) => record,
        Parsed::Malformed(bad) => panic!("synthetic record does not parse: {bad}"),
    }
}

/// Applies `records` in batches of 500, as fetched at the data's production time.
async fn apply_all<R: MirrorRecord>(store: &Store, records: Vec<R>) {
    let at = produced_at();
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        let mut batch = Batch::new(at);
        for record in records.by_ref().take(500) {
            batch = batch.upsert(record, None, at);
        }
        store
            .apply(batch)
            .await
            .unwrap_or_else(|e| panic!("apply: {e}"));
    }
}

/// Loads every register of `synth`, tracking every health worker's Persontjenesten person,
/// and marks every register synced at the data's production time.
pub async fn load(store: &Store, synth: &Synth) {
    let c = synth.counts();
    let mut units: Vec<_> = (0..c.enheter)
        .map(|i| {
            parsed(brreg::parse_unit(
                &json(&synth.enhet(i)),
                UnitKind::MainUnit,
            ))
        })
        .collect();
    units.extend((0..c.underenheter).map(|i| {
        parsed(brreg::parse_unit(
            &json(&synth.underenhet(i)),
            UnitKind::SubUnit,
        ))
    }));
    apply_all(store, units).await;
    let parties = (0..c.ar_total())
        .map(|i| parsed(ar::parse_party(&json(&synth.communication_party(i)))))
        .collect();
    apply_all(store, parties).await;
    let personnel = (0..c.hpr_persons)
        .map(|i| parsed(hpr::parse_helseperson(&json(&synth.hpr_person(i)))))
        .collect();
    apply_all(store, personnel).await;
    let persons: Vec<Person> = (0..c.hpr_persons)
        .map(|i| parsed(preg::parse_person(&json(&synth.preg_person(i)))))
        .collect();
    for nin in persons.iter().filter_map(Person::current_nin) {
        store
            .track_person(nin, None)
            .await
            .unwrap_or_else(|e| panic!("track: {e}"));
    }
    apply_all(store, persons).await;
    for register in Register::ALL {
        store
            .record_success(register, produced_at())
            .await
            .unwrap_or_else(|e| panic!("record success: {e}"));
    }
}

//! The store story, run on SQLite and on PostgreSQL (`GRUNNDATA_TEST_PG`): insert, update,
//! delete, history as of an instant, idempotent re-apply, cursor atomicity, search with æøå,
//! digests, audit append-only, quarantine, tracked persons, sweep and bulk load. Plus the
//! refusals (foreign or newer database) and the writer lock on both backends.

mod common;

use chrono::Duration;
use common::db::{Kind, TestDb};
use common::synth::{
    at, nin, organisation, orgnr, party, person, person_party, personnel, sub_unit,
};
use grunndata_sync::core::id::{HerId, HprNumber, MaybeValid, OrgNumber};
use grunndata_sync::core::model::{
    CommunicationParty, HealthPersonnel, Organisation, PartyType, Person,
};
use grunndata_sync::store::{
    AuditEntry, AuditQuery, Batch, QuarantineEntry, Register, Snapshot, Store, StoreError,
    VersionEnd,
};

/// Runs `story` on a fresh SQLite file.
async fn on_sqlite<F, Fut>(story: F)
where
    F: FnOnce(TestDb, Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.expect("open SQLite store");
    story(db, store).await;
}

/// Runs `story` on a fresh PostgreSQL database (skipped locally without `GRUNNDATA_TEST_PG`).
async fn on_postgres<F, Fut>(story: F)
where
    F: FnOnce(TestDb, Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = Store::open(&db.url).await.expect("open PostgreSQL store");
    story(db, store).await;
}

// ----- the story ----------------------------------------------------------------------------

async fn story(db: TestDb, store: Store) {
    fresh_store(&store).await;
    organisations(&db, &store).await;
    indexed_columns_follow_changes(&store).await;
    cursor_atomicity(&db, &store).await;
    communication_parties(&store).await;
    health_personnel(&store).await;
    tracked_persons(&store).await;
    audit_log(&db, &store).await;
    quarantine(&store).await;
    sweep(&store).await;
    bulk_load(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_sqlite() {
    on_sqlite(story).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_postgres() {
    on_postgres(story).await;
}

async fn fresh_store(store: &Store) {
    let states = store.sync_states().await.expect("sync states");
    assert_eq!(
        states
            .iter()
            .map(|state| state.register)
            .collect::<Vec<_>>(),
        Register::ALL
    );
    for state in states {
        assert_eq!(state.cursor, None);
        assert_eq!(state.version, 0);
    }
    for register in Register::ALL {
        assert_eq!(store.counts(register).await.expect("counts").records, 0);
    }
}

/// Insert, idempotent re-apply, update with history, delete, purge, as-of and search.
async fn organisations(db: &TestDb, store: &Store) {
    let (a, b, c) = (orgnr(1), orgnr(2), orgnr(3));
    let t0 = at(2026, 1, 1);
    let first = Batch::new(t0)
        .upsert(organisation(a, "Nordre Ås Legekontor AS"), None, t0)
        .upsert(
            sub_unit(b, a, "Nordre Ås Legekontor avd. Sentrum"),
            None,
            t0,
        )
        .upsert(organisation(c, "ØSTRE ÆRØ HELSE AS"), None, t0)
        .cursor("100")
        .snapshot(Snapshot {
            id: "bulk-2026-01-01".to_owned(),
            at: t0,
        });
    let outcome = store.apply(first.clone()).await.expect("first batch");
    assert_eq!((outcome.inserted, outcome.version), (3, 1));

    let found = store
        .get::<Organisation>(&a)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(
        found.record.name.as_deref(),
        Some("Nordre Ås Legekontor AS")
    );
    assert_eq!((found.changed_at, found.fetched_at), (t0, t0));
    let children = store.organisation_children(&a).await.expect("children");
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].record.org_number, b);
    let state = store.sync_state(Register::Brreg).await.expect("state");
    assert_eq!(state.cursor.as_deref(), Some("100"));
    assert_eq!(
        state.snapshot.as_ref().map(|s| s.id.as_str()),
        Some("bulk-2026-01-01")
    );
    assert_eq!(state.version, 1);

    // Applying the same batch again changes nothing.
    let digest = store.digest(Register::Brreg).await.expect("digest");
    let counts = store.counts(Register::Brreg).await.expect("counts");
    let again = store.apply(first).await.expect("re-apply");
    assert_eq!((again.inserted, again.changed, again.unchanged), (0, 0, 3));
    assert!(!again.changed_data());
    assert_eq!(again.version, 1);
    assert_eq!(store.digest(Register::Brreg).await.expect("digest"), digest);
    assert_eq!(store.counts(Register::Brreg).await.expect("counts"), counts);
    assert_eq!(
        store
            .get::<Organisation>(&a)
            .await
            .expect("get")
            .expect("present"),
        found
    );

    // Seen again later with the same content: only fetched_at moves, no history.
    let t1 = at(2026, 2, 1);
    let refreshed = store
        .apply(Batch::new(t1).upsert(organisation(c, "ØSTRE ÆRØ HELSE AS"), None, t1))
        .await
        .expect("refresh");
    assert_eq!((refreshed.refreshed, refreshed.version), (1, 2));
    let c_now = store
        .get::<Organisation>(&c)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((c_now.changed_at, c_now.fetched_at), (t0, t1));
    assert_eq!(store.digest(Register::Brreg).await.expect("digest"), digest);

    // Update: the old version goes to history, valid until the upstream change time.
    let t2 = at(2026, 3, 1);
    let renamed = store
        .apply(
            Batch::new(at(2026, 3, 2))
                .upsert(organisation(a, "Nordre Ås Legesenter AS"), Some(t2), t2)
                .cursor("101"),
        )
        .await
        .expect("update");
    assert_eq!((renamed.changed, renamed.version), (1, 3));
    assert_ne!(store.digest(Register::Brreg).await.expect("digest"), digest);
    let before = store
        .get_as_of::<Organisation>(&a, t2 - Duration::seconds(1))
        .await
        .expect("as of")
        .expect("version");
    assert_eq!(
        before.record.name.as_deref(),
        Some("Nordre Ås Legekontor AS")
    );
    assert_eq!((before.valid_from, before.valid_to), (t0, Some(t2)));
    assert_eq!(before.ended, Some(VersionEnd::Changed));
    let after = store
        .get_as_of::<Organisation>(&a, t2)
        .await
        .expect("as of")
        .expect("version");
    assert_eq!(
        after.record.name.as_deref(),
        Some("Nordre Ås Legesenter AS")
    );
    assert_eq!(after.valid_to, None);
    assert!(
        store
            .get_as_of::<Organisation>(&a, t0 - Duration::days(1))
            .await
            .expect("as of")
            .is_none()
    );
    assert_eq!(
        store
            .versions::<Organisation>(&a)
            .await
            .expect("versions")
            .len(),
        2
    );

    // Delete keeps the last version in history; as-of before the delete still finds it.
    let t3 = at(2026, 4, 1);
    let deleted = store
        .apply(Batch::<Organisation>::new(t3).delete(b, None))
        .await
        .expect("delete");
    assert_eq!((deleted.deleted, deleted.version), (1, 4));
    assert!(store.get::<Organisation>(&b).await.expect("get").is_none());
    let last = store
        .get_as_of::<Organisation>(&b, t3 - Duration::days(1))
        .await
        .expect("as of")
        .expect("version");
    assert_eq!(last.ended, Some(VersionEnd::Deleted));
    assert_eq!(last.valid_to, Some(t3));
    assert!(
        store
            .get_as_of::<Organisation>(&b, t3)
            .await
            .expect("as of")
            .is_none()
    );
    // Deleting again is a no-op.
    let again = store
        .apply(Batch::<Organisation>::new(t3).delete(b, None))
        .await
        .expect("delete");
    assert_eq!((again.deleted, again.version), (0, 4));

    // Purge removes the record and its history (Brreg `Fjernet`).
    let purged = store
        .apply(Batch::<Organisation>::new(t3).purge(c, None))
        .await
        .expect("purge");
    assert_eq!(purged.purged, 1);
    assert!(
        store
            .versions::<Organisation>(&c)
            .await
            .expect("versions")
            .is_empty()
    );
    let counts = store.counts(Register::Brreg).await.expect("counts");
    assert_eq!((counts.records, counts.history), (1, 2));

    // Search: case-insensitive, æ ø å included, every word a word prefix.
    let batch = Batch::new(t3)
        .upsert(organisation(c, "ØSTRE ÆRØ HELSE AS"), None, t3)
        .upsert(organisation(orgnr(4), "Lien-Hansen Fysioterapi"), None, t3);
    store.apply(batch).await.expect("search data");
    let names = |found: Vec<grunndata_sync::store::Stored<Organisation>>| {
        found
            .into_iter()
            .filter_map(|stored| stored.record.name)
            .collect::<Vec<_>>()
    };
    let search = |query: &'static str| {
        let store = store.clone();
        async move {
            names(
                store
                    .search::<Organisation>(query, 10)
                    .await
                    .expect("search"),
            )
        }
    };
    assert_eq!(search("østre").await, ["ØSTRE ÆRØ HELSE AS"]);
    assert_eq!(search("ÆRØ helse").await, ["ØSTRE ÆRØ HELSE AS"]);
    assert_eq!(search("ås").await, ["Nordre Ås Legesenter AS"]);
    assert_eq!(search("nordre ÅS lege").await, ["Nordre Ås Legesenter AS"]);
    assert_eq!(search("hansen").await, ["Lien-Hansen Fysioterapi"]);
    assert!(search("a%s").await.is_empty());
    assert!(search("a_s").await.is_empty());
    assert!(search("stre").await.is_empty());
    assert_eq!(search("as").await.len(), 2);
    assert!(matches!(
        store.search::<Organisation>(" - ", 10).await,
        Err(StoreError::InvalidArgument(_))
    ));

    // Invalid secondary identifiers are kept in the JSON and flagged.
    let mut odd = sub_unit(orgnr(5), a, "Feil Forelder");
    odd.parent = Some(MaybeValid::from_raw("123456789"));
    store
        .apply(Batch::new(t3).upsert(odd, None, t3))
        .await
        .expect("invalid parent");
    let stored = store
        .get::<Organisation>(&orgnr(5))
        .await
        .expect("get")
        .expect("present");
    assert!(
        stored
            .record
            .parent
            .as_ref()
            .is_some_and(MaybeValid::is_invalid)
    );
    assert!(
        store
            .organisation_children(&a)
            .await
            .expect("children")
            .is_empty()
    );
    let _ = db;
}

/// A change rewrites only the typed columns that differ (SQLite): every index must still answer
/// with the new values, for the columns a change moved and the ones it left alone.
async fn indexed_columns_follow_changes(store: &Store) {
    let (old_parent, new_parent, unit) = (orgnr(40), orgnr(41), orgnr(42));
    let t0 = at(2026, 4, 1);
    store
        .apply(
            Batch::new(t0)
                .upsert(organisation(old_parent, "Gamle Forelder AS"), None, t0)
                .upsert(organisation(new_parent, "Nye Forelder AS"), None, t0)
                .upsert(sub_unit(unit, old_parent, "Alfa Avdeling"), None, t0),
        )
        .await
        .expect("insert");
    let children = |parent| async move {
        store
            .organisation_children(&parent)
            .await
            .expect("children")
            .iter()
            .map(|found| found.record.org_number)
            .collect::<Vec<_>>()
    };
    let named = |query: &'static str| async move {
        store
            .search::<Organisation>(query, 10)
            .await
            .expect("search")
            .iter()
            .map(|found| found.record.org_number)
            .collect::<Vec<_>>()
    };

    // Renamed, same parent: the name index moves, the parent index still answers.
    let t1 = at(2026, 4, 2);
    let renamed = store
        .apply(Batch::new(t1).upsert(sub_unit(unit, old_parent, "Beta Avdeling"), Some(t1), t1))
        .await
        .expect("rename");
    assert_eq!(renamed.changed, 1);
    assert_eq!(children(old_parent).await, [unit]);
    assert_eq!(named("beta avd").await, [unit]);
    assert!(named("alfa avd").await.is_empty());

    // Moved, same name: the parent index moves, the name index still answers.
    let t2 = at(2026, 4, 3);
    store
        .apply(Batch::new(t2).upsert(sub_unit(unit, new_parent, "Beta Avdeling"), Some(t2), t2))
        .await
        .expect("move");
    assert!(children(old_parent).await.is_empty());
    assert_eq!(children(new_parent).await, [unit]);
    assert_eq!(named("beta avd").await, [unit]);
    let stored = store
        .get::<Organisation>(&unit)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.changed_at, stored.fetched_at), (t2, t2));

    // One batch changing different columns of different units: each change sets its own
    // columns (SQLite holds one `UPDATE` per set of changed columns through a run).
    let (second, third) = (orgnr(43), orgnr(44));
    store
        .apply(
            Batch::new(t2)
                .upsert(sub_unit(second, old_parent, "Gamma Avdeling"), None, t2)
                .upsert(sub_unit(third, old_parent, "Delta Avdeling"), None, t2),
        )
        .await
        .expect("insert two more");
    let t3 = at(2026, 4, 4);
    let mixed = store
        .apply(
            Batch::new(t3)
                .upsert(
                    sub_unit(second, old_parent, "Epsilon Avdeling"),
                    Some(t3),
                    t3,
                )
                .upsert(sub_unit(third, new_parent, "Delta Avdeling"), Some(t3), t3)
                .upsert(sub_unit(unit, new_parent, "Zeta Avdeling"), Some(t3), t3),
        )
        .await
        .expect("renames and a move in one batch");
    assert_eq!(mixed.changed, 3);
    assert_eq!(children(old_parent).await, [second]);
    assert_eq!(children(new_parent).await, [unit, third]);
    assert_eq!(named("epsilon avd").await, [second]);
    assert_eq!(named("zeta avd").await, [unit]);
    assert_eq!(named("delta avd").await, [third]);
    assert!(named("gamma avd").await.is_empty());
    assert!(named("beta avd").await.is_empty());

    // Out of the way of the later steps, which count the register.
    store
        .apply(
            Batch::<Organisation>::new(t3)
                .purge(unit, None)
                .purge(second, None)
                .purge(third, None)
                .purge(old_parent, None)
                .purge(new_parent, None),
        )
        .await
        .expect("clean up");
}

/// A batch that fails midway leaves neither its rows nor its cursor.
async fn cursor_atomicity(db: &TestDb, store: &Store) {
    let before = store.sync_state(Register::Brreg).await.expect("state");
    let digest = store.digest(Register::Brreg).await.expect("digest");
    // An outside trigger makes the final sync-state update fail after the rows were written.
    let poison = match db.kind {
        Kind::Sqlite => {
            "CREATE TRIGGER poison BEFORE UPDATE ON sync_state WHEN NEW.cursor = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned cursor'); END;"
        }
        Kind::Postgres => {
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.cursor = 'poison' THEN RAISE EXCEPTION 'poisoned cursor'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE UPDATE ON sync_state \
             FOR EACH ROW EXECUTE FUNCTION poison();"
        }
    };
    db.execute(poison).await.expect("install trigger");
    let t = at(2026, 5, 1);
    let mut batch = Batch::new(t).cursor("poison");
    for index in 100..450 {
        batch = batch.upsert(organisation(orgnr(index), "Giftig Batch AS"), None, t);
    }
    batch = batch.delete(orgnr(1), None).quarantine(QuarantineEntry {
        upstream_id: Some("999999999".to_owned()),
        error: "bad".to_owned(),
        payload: b"{}".to_vec(),
        received_at: t,
    });
    let error = store.apply(batch).await.expect_err("poisoned batch fails");
    assert!(matches!(error, StoreError::Database { .. }), "{error}");
    assert!(
        store
            .get::<Organisation>(&orgnr(100))
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get::<Organisation>(&orgnr(1))
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        store.sync_state(Register::Brreg).await.expect("state"),
        before
    );
    assert_eq!(store.digest(Register::Brreg).await.expect("digest"), digest);
    assert!(
        store
            .quarantine(Some(Register::Brreg), 10)
            .await
            .expect("quarantine")
            .is_empty()
    );
    let drop = match db.kind {
        Kind::Sqlite => "DROP TRIGGER poison;",
        Kind::Postgres => "DROP TRIGGER poison ON sync_state; DROP FUNCTION poison();",
    };
    db.execute(drop).await.expect("drop trigger");
}

/// AR: the tree, lookups by orgnr, HPR number and EDI address.
async fn communication_parties(store: &Store) {
    let t = at(2026, 1, 1);
    let mut clinic = party(81_000_001, PartyType::Organisation, "Legekontoret i Ås");
    clinic.org_number = Some(MaybeValid::Valid(orgnr(1)));
    let doctor = person_party(81_000_002, &clinic, 9_144_889, "Kari Nordmann");
    let mut service = party(81_000_003, PartyType::Service, "Timebestilling");
    service.parent = doctor.parent.clone();
    let mut broken = party(81_000_004, PartyType::Organisation, "Feil Nummer AS");
    broken.org_number = Some(MaybeValid::from_raw("974760674"));
    let batch = Batch::<CommunicationParty>::new(t)
        .upsert(clinic.clone(), None, t)
        .upsert(doctor, None, t)
        .upsert(service, None, t)
        .upsert(broken, None, t)
        .cursor("5001");
    assert_eq!(store.apply(batch).await.expect("ar batch").inserted, 4);

    let her = |id| HerId::new(id).expect("HER-id");
    let children = store
        .party_children(her(81_000_001))
        .await
        .expect("children");
    assert_eq!(
        children
            .iter()
            .map(|p| p.record.her_id.get())
            .collect::<Vec<_>>(),
        [81_000_002, 81_000_003]
    );
    let by_org = store
        .parties_by_org_number(&orgnr(1))
        .await
        .expect("by orgnr");
    assert_eq!(by_org.len(), 1);
    assert_eq!(by_org[0].record.her_id, her(81_000_001));
    let hpr = HprNumber::new(9_144_889).expect("HPR");
    let by_hpr = store.parties_by_hpr_number(hpr).await.expect("by hpr");
    assert_eq!(by_hpr.len(), 1);
    let by_edi = store
        .parties_by_edi_address("party81000003@edi.example.invalid")
        .await
        .expect("by edi");
    assert_eq!(by_edi.len(), 1);
    let invalid: OrgNumber = "974760673".parse().expect("valid orgnr");
    assert!(
        store
            .parties_by_org_number(&invalid)
            .await
            .expect("by orgnr")
            .is_empty()
    );
    let found = store
        .get::<CommunicationParty>(&her(81_000_004))
        .await
        .expect("get")
        .expect("present");
    assert_eq!(
        found
            .record
            .org_number
            .as_ref()
            .map(MaybeValid::text)
            .as_deref(),
        Some("974760674")
    );
    assert_eq!(
        store
            .search::<CommunicationParty>("nordmann", 5)
            .await
            .expect("search")
            .len(),
        1
    );
}

/// HPR: get by number and by NIN, search, as-of.
async fn health_personnel(store: &Store) {
    let t = at(2026, 1, 1);
    let kari = personnel(9_144_889, Some(nin(1)), "Kari", "Nordmann");
    let ola = personnel(9_144_890, Some(nin(2)), "Ola", "Ødegård");
    let outcome = store
        .apply(
            Batch::new(t)
                .upsert(kari.clone(), None, t)
                .upsert(ola, None, t),
        )
        .await
        .expect("hpr batch");
    assert_eq!(outcome.inserted, 2);
    let number = HprNumber::new(9_144_889).expect("HPR");
    let found = store
        .get::<HealthPersonnel>(&number)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(found.record, kari);
    let by_nin = store.personnel_by_nin(&nin(2)).await.expect("by nin");
    assert_eq!(by_nin.len(), 1);
    assert_eq!(by_nin[0].record.hpr_number.get(), 9_144_890);
    let search = store
        .search::<HealthPersonnel>("ØDEGÅRD", 5)
        .await
        .expect("search");
    assert_eq!(search.len(), 1);

    // A change rewrites the grant rows; re-applying changes nothing.
    let mut changed = kari.clone();
    changed.approvals[0].specialities.clear();
    let later = at(2026, 2, 1);
    let batch = Batch::new(later).upsert(changed.clone(), Some(later), later);
    assert_eq!(store.apply(batch.clone()).await.expect("change").changed, 1);
    assert_eq!(store.apply(batch).await.expect("again").unchanged, 1);
    let then = store
        .get_as_of::<HealthPersonnel>(&number, t)
        .await
        .expect("as of")
        .expect("version");
    assert_eq!(then.record, kari);
}

/// PREG holds tracked persons only; untracking purges.
async fn tracked_persons(store: &Store) {
    let t = at(2026, 1, 1);
    let (tracked_nin, other_nin) = (nin(10), nin(11));
    let alice = person("3f2a9c0e-0001", &tracked_nin, "Åse", "Bø");
    let bob = person("3f2a9c0e-0002", &other_nin, "Bjørn", "Æsøy");

    let skipped = store
        .apply(
            Batch::new(t)
                .upsert(alice.clone(), None, t)
                .upsert(bob.clone(), None, t),
        )
        .await
        .expect("untracked batch");
    assert_eq!((skipped.inserted, skipped.skipped_untracked), (0, 2));

    assert!(
        store
            .track_person(&tracked_nin, Some("fastlege-liste"))
            .await
            .expect("track")
    );
    assert!(
        !store
            .track_person(&tracked_nin, None)
            .await
            .expect("track again")
    );
    assert!(store.is_tracked(&tracked_nin).await.expect("is tracked"));
    let outcome = store
        .apply(
            Batch::new(t)
                .upsert(alice.clone(), None, t)
                .upsert(bob, None, t),
        )
        .await
        .expect("tracked batch");
    assert_eq!((outcome.inserted, outcome.skipped_untracked), (1, 1));
    let found = store
        .unaudited()
        .persons_by_nin(&tracked_nin)
        .await
        .expect("by nin");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record, alice);
    assert!(
        store
            .unaudited()
            .persons_by_nin(&other_nin)
            .await
            .expect("by nin")
            .is_empty()
    );

    let tracked = store.tracked_persons().await.expect("tracked");
    assert_eq!(tracked.len(), 1);
    assert_eq!(tracked[0].nin, tracked_nin);
    assert_eq!(tracked[0].note.as_deref(), Some("fastlege-liste"));
    assert_eq!(tracked[0].person_id.as_deref(), Some("3f2a9c0e-0001"));

    // A change, so there is history to purge too.
    let mut moved = alice.clone();
    moved.name.as_mut().expect("name").family = Some("Bø-Hansen".to_owned());
    let later = at(2026, 2, 1);
    store
        .apply(Batch::new(later).upsert(moved, Some(later), later))
        .await
        .expect("change");
    let key = "3f2a9c0e-0001".to_owned();
    assert_eq!(
        store
            .unaudited()
            .versions::<Person>(&key)
            .await
            .expect("versions")
            .len(),
        2
    );

    let version = store.version(Register::Preg).await.expect("version");
    let untracked = store.untrack_person(&tracked_nin).await.expect("untrack");
    assert!(untracked.was_tracked);
    assert_eq!(untracked.persons_purged, 1);
    assert!(
        store
            .unaudited()
            .versions::<Person>(&key)
            .await
            .expect("versions")
            .is_empty()
    );
    assert!(
        store
            .unaudited()
            .persons_by_nin(&tracked_nin)
            .await
            .expect("by nin")
            .is_empty()
    );
    assert!(store.tracked_persons().await.expect("tracked").is_empty());
    assert_eq!(
        store.version(Register::Preg).await.expect("version"),
        version + 1
    );
    let counts = store.counts(Register::Preg).await.expect("counts");
    assert_eq!((counts.records, counts.history), (0, 0));
}

/// The audit log can be appended to and read, never changed.
async fn audit_log(db: &TestDb, store: &Store) {
    let entry = |minute, subject: &str| AuditEntry {
        at: at(2026, 1, 1) + Duration::minutes(minute),
        actor: "helpdesk-7".to_owned(),
        purpose: "support call".to_owned(),
        register: Some(Register::Hpr),
        subject: subject.to_owned(),
        result: "found".to_owned(),
    };
    let first = store
        .append_audit(&entry(0, "9144889"))
        .await
        .expect("append");
    let second = store
        .append_audit(&entry(1, "9144890"))
        .await
        .expect("append");
    assert!(second > first);
    let all = store.audit_log(&AuditQuery::default()).await.expect("list");
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second, first]
    );
    assert_eq!(all[1].entry, entry(0, "9144889"));
    let only = store
        .audit_log(&AuditQuery {
            subject: Some("9144890".to_owned()),
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(only.len(), 1);
    // On SQLite the audit log is a file of its own beside the mirror.
    let audit_file = db.audit_file(&store.audit_location());
    let audit_db = audit_file.as_ref().unwrap_or(db);
    for tamper in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
        assert!(
            audit_db.execute(tamper).await.is_err(),
            "{tamper} must be rejected"
        );
    }
    assert_eq!(
        store
            .audit_log(&AuditQuery::default())
            .await
            .expect("list")
            .len(),
        2
    );
}

/// Quarantined records are listed until the record is stored cleanly.
async fn quarantine(store: &Store) {
    let t = at(2026, 6, 1);
    let entry = |id: Option<&str>, error: &str| QuarantineEntry {
        upstream_id: id.map(str::to_owned),
        error: error.to_owned(),
        payload: b"{\"organisasjonsnummer\":\"x\"}".to_vec(),
        received_at: t,
    };
    let target = orgnr(20);
    let batch = Batch::<Organisation>::new(t)
        .quarantine(entry(Some(&target.to_string()), "missing navn"))
        .quarantine(entry(None, "not JSON"))
        .cursor("200");
    let outcome = store.apply(batch).await.expect("quarantine batch");
    assert_eq!(outcome.quarantined, 2);
    let listed = store
        .quarantine(Some(Register::Brreg), 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[1].entry,
        entry(Some(&target.to_string()), "missing navn")
    );
    assert_eq!(
        store
            .counts(Register::Brreg)
            .await
            .expect("counts")
            .quarantined,
        2
    );
    // Failing again replaces the entry instead of piling up.
    let batch = Batch::<Organisation>::new(t).quarantine(entry(Some(&target.to_string()), "still"));
    store.apply(batch).await.expect("again");
    assert_eq!(
        store
            .counts(Register::Brreg)
            .await
            .expect("counts")
            .quarantined,
        2
    );
    // A clean write resolves it.
    let batch = Batch::new(t).upsert(organisation(target, "Reparert AS"), None, t);
    store.apply(batch).await.expect("clean");
    let listed = store.quarantine(None, 10).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry.upstream_id, None);
}

/// A re-snapshot sweeps records not fetched since it started, keeping their history.
async fn sweep(store: &Store) {
    let before = store.counts(Register::Brreg).await.expect("counts");
    let start = at(2026, 7, 1);
    let keep = [orgnr(1), orgnr(4)];
    let mut batch = Batch::new(start).sweep_not_fetched_since(start);
    for orgnr in keep {
        let current = store
            .get::<Organisation>(&orgnr)
            .await
            .expect("get")
            .expect("present");
        batch = batch.upsert(current.record, None, start);
    }
    let outcome = store.apply(batch).await.expect("sweep");
    assert_eq!(
        outcome.swept,
        u64::try_from(before.records).expect("count") - 2
    );
    let after = store.counts(Register::Brreg).await.expect("counts");
    assert_eq!(after.records, 2);
    assert_eq!(
        after.history,
        before.history + i64::try_from(outcome.swept).expect("count")
    );
}

/// A fresh bulk load drops and rebuilds indexes; large runs take the COPY path on PostgreSQL.
async fn bulk_load(store: &Store) {
    assert!(
        !store
            .begin_bulk_load(Register::Brreg)
            .await
            .expect("not empty")
    );
    // AR has records, HPR has records; use a register table that is empty: delete HPR first.
    let t = at(2026, 8, 1);
    let hpr_keys = [9_144_889, 9_144_890];
    let mut batch = Batch::<HealthPersonnel>::new(t);
    for key in hpr_keys {
        batch = batch.purge(HprNumber::new(key).expect("HPR"), None);
    }
    store.apply(batch).await.expect("empty hpr");
    assert!(store.begin_bulk_load(Register::Hpr).await.expect("bulk"));
    assert!(store.begin_bulk_load(Register::Hpr).await.expect("resume"));
    let records: Vec<HealthPersonnel> = (0..450)
        .map(|index| {
            personnel(
                1_000_000 + index,
                Some(nin(100 + index)),
                "Test",
                "Testesen",
            )
        })
        .collect();
    let mut batch = Batch::new(t).cursor("bulk-1");
    for record in &records {
        batch = batch.upsert(record.clone(), None, t);
    }
    let outcome = store.apply(batch.clone()).await.expect("bulk batch");
    assert_eq!(outcome.inserted, 450);
    // Re-applying during the bulk load takes the merge path and changes nothing.
    assert_eq!(
        store.apply(batch.clone()).await.expect("again").unchanged,
        450
    );
    assert!(store.finish_bulk_load(Register::Hpr).await.expect("finish") > 0);
    assert_eq!(
        store
            .finish_bulk_load(Register::Hpr)
            .await
            .expect("finish again"),
        0
    );
    assert_eq!(store.apply(batch).await.expect("after").unchanged, 450);
    let found = store
        .personnel_by_nin(&nin(100 + 449))
        .await
        .expect("by nin");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record, records[449]);
    // A large changed run (the staged merge on PostgreSQL) records history for each record.
    let later = at(2026, 9, 1);
    let mut batch = Batch::new(later);
    for record in &records {
        let mut changed = record.clone();
        changed.name.middle = Some("Mellom".to_owned());
        batch = batch.upsert(changed, Some(later), later);
    }
    let outcome = store.apply(batch).await.expect("changed run");
    assert_eq!(outcome.changed, 450);
    // (The two earlier HPR records were purged with their history.)
    assert_eq!(
        store.counts(Register::Hpr).await.expect("counts").history,
        450
    );
}

/// A batch whose task is killed mid-way (the in-process analogue of `kill -9`) leaves the
/// mirror at a batch boundary: all of it or none of it, cursor included.
async fn cancelled_batch(_db: TestDb, store: Store) {
    let t = at(2026, 1, 1);
    store
        .apply(
            Batch::new(t)
                .upsert(organisation(orgnr(0), "Før AS"), None, t)
                .cursor("0"),
        )
        .await
        .expect("seed");
    for delay_ms in [5, 40, 150] {
        let mut batch = Batch::new(t).cursor("big");
        for index in 1..4_000 {
            batch = batch.upsert(organisation(orgnr(index), "Avbrutt AS"), None, t);
        }
        let task = {
            let store = store.clone();
            tokio::spawn(async move { store.apply(batch).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        task.abort();
        let finished = task.await.is_ok();
        let (records, cursor) = consistent_state(&store).await;
        if records == 1 {
            assert_eq!(cursor.as_deref(), Some("0"), "no rows, no cursor");
            assert!(!finished);
        } else {
            assert_eq!(records, 4_000, "all rows or none");
            assert_eq!(cursor.as_deref(), Some("big"));
            // Start over from the seed for the next delay.
            let mut undo = Batch::<Organisation>::new(t).cursor("0");
            for index in 1..4_000 {
                undo = undo.purge(orgnr(index), None);
            }
            store.apply(undo).await.expect("undo");
        }
    }
    // The store is still usable.
    store
        .apply(Batch::new(t).upsert(organisation(orgnr(9_999), "Etter AS"), None, t))
        .await
        .expect("write after cancellation");
    store.close().await;
}

/// Record count and cursor as of one committed state. `apply` finishes a cancelled caller's
/// batch on its own task, so that batch may commit between two reads: read the cursor on both
/// sides of the count and retry until nothing committed in between.
async fn consistent_state(store: &Store) -> (i64, Option<String>) {
    let cursor = async || {
        store
            .sync_state(Register::Brreg)
            .await
            .expect("state")
            .cursor
    };
    loop {
        let before = cursor().await;
        let records = store.counts(Register::Brreg).await.expect("counts").records;
        if cursor().await == before {
            return (records, before);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_batch_sqlite() {
    on_sqlite(cancelled_batch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_batch_postgres() {
    on_postgres(cancelled_batch).await;
}

// ----- batches of a fresh bulk load written at once ------------------------------------------

/// Two batches of a fresh bulk load applied at once, sharing keys and listing them in
/// opposite orders (a resumed load, or upstream listing a unit twice). On PostgreSQL they are
/// written on two connections at once: both commit — the one reaching a shared key second
/// waits for the other and merges instead of the two deadlocking — every key is stored
/// once, and the commit notices arrive in commit order.
async fn concurrent_bulk_batches(_db: TestDb, store: Store) {
    let mut notices = store.subscribe_commits();
    assert!(store.begin_bulk_load(Register::Brreg).await.expect("bulk"));
    let t = at(2026, 10, 1);
    let mut first = Batch::new(t);
    for index in 0..1500 {
        first = first.upsert(organisation(orgnr(index), "Første Batch AS"), None, t);
    }
    let mut second = Batch::new(t);
    for index in (750..2250).rev() {
        second = second.upsert(organisation(orgnr(index), "Andre Batch AS"), None, t);
    }
    let (first, second) = tokio::join!(store.apply(first), store.apply(second));
    let (first, second) = (first.expect("first batch"), second.expect("second batch"));
    // Each shared key is inserted by one batch and changed by the other, in either order.
    assert_eq!(first.inserted + second.inserted, 2250);
    assert_eq!(first.changed + second.changed, 750);
    assert!(
        store
            .finish_bulk_load(Register::Brreg)
            .await
            .expect("finish")
            > 0
    );
    let counts = store.counts(Register::Brreg).await.expect("counts");
    assert_eq!((counts.records, counts.history), (2250, 750));
    let shared = store
        .get::<Organisation>(&orgnr(1000))
        .await
        .expect("read")
        .expect("stored");
    assert!(
        ["Første Batch AS", "Andre Batch AS"]
            .contains(&shared.record.name.as_deref().unwrap_or("")),
        "{:?}",
        shared.record.name
    );
    let versions: Vec<i64> = [notices.try_recv(), notices.try_recv()]
        .into_iter()
        .map(|notice| notice.expect("a notice per batch").version)
        .collect();
    assert!(
        versions[0] < versions[1],
        "notices in commit order: {versions:?}"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bulk_batches_sqlite() {
    on_sqlite(concurrent_bulk_batches).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bulk_batches_postgres() {
    on_postgres(concurrent_bulk_batches).await;
}

// ----- digests across backends --------------------------------------------------------------

fn digest_batches() -> (Batch<Organisation>, Batch<Organisation>) {
    let t = at(2026, 1, 1);
    let records: Vec<Organisation> = (0..300)
        .map(|index| organisation(orgnr(1000 + index), &format!("Enhet {index} Ærlig Øvre Å")))
        .collect();
    let mut forward = Batch::new(t);
    for record in records.iter().cloned() {
        forward = forward.upsert(record, None, t);
    }
    // Same content, other order, other times.
    let later = at(2026, 5, 5);
    let mut backward = Batch::new(later);
    for record in records.into_iter().rev() {
        backward = backward.upsert(record, Some(later), later);
    }
    (forward, backward)
}

/// The register digest is the same on SQLite and PostgreSQL for the same content, whatever
/// the order and times of writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_is_identical_across_backends() {
    let (forward, backward) = digest_batches();
    let sqlite_db = TestDb::sqlite();
    let sqlite = Store::open(&sqlite_db.url).await.expect("open SQLite");
    sqlite.apply(forward.clone()).await.expect("apply");
    let expected = sqlite.digest(Register::Brreg).await.expect("digest");
    assert_eq!(expected.records, 300);

    let other_db = TestDb::sqlite();
    let other = Store::open(&other_db.url).await.expect("open SQLite");
    other.apply(backward.clone()).await.expect("apply");
    assert_eq!(
        other.digest(Register::Brreg).await.expect("digest"),
        expected
    );

    let Some(pg_db) = TestDb::postgres().await else {
        return;
    };
    let pg = Store::open(&pg_db.url).await.expect("open PostgreSQL");
    pg.apply(backward).await.expect("apply");
    assert_eq!(pg.digest(Register::Brreg).await.expect("digest"), expected);
    pg.close().await;
}

// ----- refusals and the writer lock ---------------------------------------------------------

async fn refuses_foreign(db: TestDb, store: Store) {
    store.close().await;
    // A grunndata database opens again.
    Store::open(&db.url).await.expect("reopen").close().await;
    db.execute(
        "DELETE FROM grunndata_meta; INSERT INTO grunndata_meta VALUES ('application', 'other')",
    )
    .await
    .expect("tamper");
    match db.kind {
        Kind::Sqlite => {
            // SQLite also carries the application id; change it too.
            db.execute("PRAGMA application_id = 42")
                .await
                .expect("tamper");
        }
        Kind::Postgres => {}
    }
    let error = Store::open(&db.url).await.expect_err("foreign database");
    assert!(matches!(error, StoreError::NotGrunndata { .. }), "{error}");
}

async fn refuses_newer(db: TestDb, store: Store) {
    store.close().await;
    let checksum = match db.kind {
        Kind::Sqlite => "X'00'",
        Kind::Postgres => "'\\x00'::bytea",
    };
    db.execute(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', true, {checksum}, 1)"
    ))
    .await
    .expect("future migration");
    let error = Store::open(&db.url).await.expect_err("newer schema");
    match error {
        StoreError::SchemaTooNew {
            found, supported, ..
        } => {
            assert_eq!(found, 99_990_101_000_000);
            assert!(supported < found);
        }
        other => panic!("expected SchemaTooNew, got {other}"),
    }
}

async fn single_writer(_db: TestDb, store: Store) {
    let lock = store.writer_lock().await.expect("first writer");
    let busy = store.writer_lock().await.expect_err("second writer");
    assert!(matches!(busy, StoreError::WriterBusy { .. }), "{busy}");
    lock.release().await;
    store
        .writer_lock()
        .await
        .expect("after release")
        .release()
        .await;
    store.close().await;
}

#[tokio::test]
async fn refuses_foreign_sqlite() {
    on_sqlite(refuses_foreign).await;
}

#[tokio::test]
async fn refuses_foreign_postgres() {
    on_postgres(refuses_foreign).await;
}

#[tokio::test]
async fn refuses_newer_sqlite() {
    on_sqlite(refuses_newer).await;
}

#[tokio::test]
async fn refuses_newer_postgres() {
    on_postgres(refuses_newer).await;
}

#[tokio::test]
async fn single_writer_sqlite() {
    on_sqlite(single_writer).await;
}

#[tokio::test]
async fn single_writer_postgres() {
    on_postgres(single_writer).await;
}

/// A PostgreSQL schema holding another application's tables is refused, untouched.
#[tokio::test]
async fn refuses_foreign_postgres_schema() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    db.execute("CREATE TABLE customers (id bigint primary key)")
        .await
        .expect("foreign table");
    let error = Store::open(&db.url).await.expect_err("foreign schema");
    assert!(matches!(error, StoreError::NotGrunndata { .. }), "{error}");
    db.execute("SELECT id FROM customers")
        .await
        .expect("untouched");
}

/// Neither `Debug` of a store nor its errors show a PostgreSQL password.
#[tokio::test]
async fn postgres_password_never_shown() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // The test server trusts local connections, so any password is accepted.
    let Some(with_password) = db
        .url
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.replacen('@', ":s3cret-pw@", 1)))
        .filter(|url| url.contains(":s3cret-pw@"))
    else {
        return;
    };
    let store = Store::open(&with_password).await.expect("open");
    assert!(!format!("{store:?}").contains("s3cret"));
    assert!(!store.location().contains("s3cret"));
    let lock = store.writer_lock().await.expect("lock");
    assert!(!format!("{lock:?}").contains("s3cret"));
    lock.release().await;
    store.close().await;
    let unreachable = "postgres://postgres:s3cret-pw@127.0.0.1:1/nowhere";
    let error = Store::open(unreachable).await.expect_err("unreachable");
    assert!(!error.to_string().contains("s3cret"), "{error}");
    assert!(!format!("{error:?}").contains("s3cret"), "{error:?}");
}

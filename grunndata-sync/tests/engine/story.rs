//! The main story: bootstrap, feed, changes, re-snapshot, refresh, on both backends.

use grunndata_sync::core::model::Organisation;
use grunndata_sync::engine::{Engine, Request, Sources, SyncMode, SyncOptions};
use grunndata_sync::store::{Register, StoreOptions};
use serde_json::json;

use crate::fake_support;
use crate::harness;
use crate::harness::{
    TRACKED, admin_delete, admin_upsert, backends, clean_digests, digests, open, run, status,
    sync_ok, synth,
};

fn report_of(
    report: &grunndata_sync::engine::RunReport,
    register: Register,
) -> &grunndata_sync::engine::RegisterReport {
    report
        .registers
        .iter()
        .find(|r| r.register == register)
        .expect("register in report")
}

#[tokio::test]
async fn bootstrap_then_feed_mirrors_upstream_on_both_backends() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let base = status(&fake).await["base"].clone();

        // First run: every register bootstraps, reconciles with upstream, and catches up.
        let first = sync_ok(&store, &fake).await;
        for register in &first.registers {
            assert_eq!(
                register.mode,
                SyncMode::Bootstrap,
                "{:?}",
                register.register
            );
            assert!(
                register.cursor.is_some(),
                "{:?} has a cursor",
                register.register
            );
        }
        let brreg = report_of(&first, Register::Brreg);
        let reconciliation = brreg.reconciliation.expect("brreg reconciled");
        assert!(reconciliation.agrees(), "{reconciliation:?}");
        // The bulk files hold the units not deleted; the base counts include deleted ones.
        let units = base["enheter"].as_u64().unwrap() + base["underenheter"].as_u64().unwrap();
        assert!(reconciliation.upstream > 0 && reconciliation.upstream <= units);
        assert_eq!(reconciliation.quarantined, 0);
        // The feed replay after the snapshot may bring deleted units in, marked deleted.
        let brreg_counts = store.counts(Register::Brreg).await.unwrap();
        assert_eq!(
            (brreg_counts.records - brreg_counts.deleted).cast_unsigned(),
            reconciliation.upstream
        );
        let ar = report_of(&first, Register::Ar)
            .reconciliation
            .expect("ar reconciled");
        assert!(ar.agrees(), "{ar:?}");
        assert_eq!(
            store
                .counts(Register::Hpr)
                .await
                .unwrap()
                .records
                .cast_unsigned(),
            base["hpr"].as_u64().unwrap()
        );
        assert_eq!(
            store
                .counts(Register::Preg)
                .await
                .unwrap()
                .records
                .cast_unsigned(),
            TRACKED
        );
        for state in store.sync_states().await.unwrap() {
            assert!(
                state.last_success_at.is_some(),
                "{:?} succeeded",
                state.register
            );
            assert!(
                state.snapshot.is_some(),
                "{:?} has its snapshot",
                state.register
            );
        }

        // Second run: nothing new.
        let second = sync_ok(&store, &fake).await;
        for register in &second.registers {
            assert_eq!(register.mode, SyncMode::Incremental);
            assert_eq!(register.counts.applied, 0, "{:?}", register.register);
        }

        // Upstream changes arrive through the feeds.
        let s = synth();
        let mut renamed = serde_json::to_value(s.enhet(3)).unwrap();
        renamed["navn"] = json!("OMDØPT HELSE AS");
        admin_upsert(&fake, "brreg/enheter", &json!([renamed])).await;
        let mut party = serde_json::to_value(s.communication_party(2)).unwrap();
        party["name"] = json!("Nytt Legekontor");
        admin_upsert(&fake, "ar", &json!([party])).await;
        let mut person = serde_json::to_value(s.preg_person(1)).unwrap();
        person["name"][0]["familyName"] = json!("NYTTNAVN");
        admin_upsert(&fake, "preg", &json!([person])).await;
        admin_delete(&fake, "brreg/enheter", &s.enhet_orgnr(4)).await;

        let third = sync_ok(&store, &fake).await;
        assert_eq!(
            report_of(&third, Register::Brreg).counts.applied,
            2,
            "rename + deletion mark"
        );
        assert_eq!(report_of(&third, Register::Ar).counts.applied, 1);
        assert_eq!(report_of(&third, Register::Preg).counts.applied, 1);
        let orgnr = s.enhet_orgnr(3).parse().unwrap();
        let stored = store.get::<Organisation>(&orgnr).await.unwrap().unwrap();
        assert_eq!(stored.record.name.as_deref(), Some("OMDØPT HELSE AS"));
        assert_eq!(
            store.versions::<Organisation>(&orgnr).await.unwrap().len(),
            2
        );

        // AR, HPR and Persontjenesten now hold exactly what a clean run against the changed
        // upstream holds. (Brreg not: a bulk file produced after the changes makes a clean run
        // replay a shorter stretch of the feed, so it never sees the base deletions that this
        // mirror holds marked deleted — both are true to upstream.)
        assert_eq!(digests(&store).await[1..], clean_digests(&fake).await[1..]);
        store.close().await;
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn expired_cursor_resnapshots_and_sweeps_what_upstream_dropped() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        sync_ok(&store, &fake).await;
        let s = synth();
        // A party deactivated upstream leaves the export; its event is then expired from the
        // feed history, so only a re-snapshot can notice.
        admin_delete(&fake, "ar", &s.ar_her_id(5).to_string()).await;
        let head = status(&fake).await["heads"]["ar"].as_u64().unwrap();
        fake_support::set_faults(
            &fake_support::client(),
            &fake,
            json!({ "history_expired_below": { "ar": head + 1 } }),
        )
        .await;

        let report = sync_ok(&store, &fake).await;
        let ar = report_of(&report, Register::Ar);
        assert_eq!(ar.mode, SyncMode::Resnapshot);
        assert!(ar.resnapshot_reason.is_some(), "{ar:?}");
        assert_eq!(ar.counts.swept, 1, "{ar:?}");
        assert!(ar.reconciliation.expect("reconciled").agrees());
        let her_id = s.ar_her_id(5).try_into().unwrap();
        let party = grunndata_sync::core::id::HerId::new(her_id).unwrap();
        assert!(
            store
                .get::<grunndata_sync::core::model::CommunicationParty>(&party)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store
                .versions::<grunndata_sync::core::model::CommunicationParty>(&party)
                .await
                .unwrap()
                .len(),
            1,
            "history kept"
        );
        // The other registers were not disturbed.
        assert_eq!(
            report_of(&report, Register::Brreg).mode,
            SyncMode::Incremental
        );
        store.close().await;
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn operator_resnapshot_and_refresh() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        sync_ok(&store, &fake).await;
        let before = digests(&store).await;

        let report = run(&store, &fake, &Request::Resnapshot).await;
        assert!(report.succeeded(), "{report:?}");
        for register in &report.registers {
            assert_eq!(register.mode, SyncMode::Resnapshot);
            // Nothing changed upstream, so whatever the snapshot lacked (Brreg's deleted
            // units, which only the feed replay after the snapshot brings) came back.
            assert_eq!(
                register.counts.applied, register.counts.swept,
                "{:?}",
                register.register
            );
        }
        assert_eq!(digests(&store).await, before);

        let s = synth();
        let her_id = s.ar_her_id(1).to_string();
        let refreshed = run(
            &store,
            &fake,
            &Request::Refresh {
                register: Register::Ar,
                keys: vec![her_id, "999999999".to_owned()],
            },
        )
        .await;
        assert_eq!(refreshed.registers.len(), 1);
        let ar = &refreshed.registers[0];
        assert_eq!(ar.mode, SyncMode::Refresh);
        assert!(ar.succeeded(), "{ar:?}");
        assert_eq!(ar.counts.unchanged, 1, "{ar:?}");

        let bad = run(
            &store,
            &fake,
            &Request::Refresh {
                register: Register::Brreg,
                keys: vec!["123".to_owned()],
            },
        )
        .await;
        assert!(!bad.succeeded());
        store.close().await;
        fake.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_during_a_running_sync_never_error() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let writer = open(&db).await;
        // A reader of its own, as a journal system in another process would have.
        let reader = grunndata_sync::store::Store::open(&db.url).await.unwrap();
        let s = synth();
        let orgnrs: Vec<grunndata_sync::core::id::OrgNumber> = (0..20)
            .map(|index| s.enhet_orgnr(index).parse().unwrap())
            .collect();

        let sync = tokio::spawn({
            let fake_writer = writer.clone();
            let config = crate::harness::config(&fake);
            async move {
                let sources = grunndata_sync::engine::Sources::from_config(&config, &Register::ALL)
                    .expect("sources");
                grunndata_sync::engine::Engine::new(fake_writer, sources)
                    .options(crate::harness::options())
                    .run(&Register::ALL, &Request::Sync)
                    .await
            }
        });
        let mut reads = 0_u64;
        let mut found = 0_u64;
        while !sync.is_finished() {
            for orgnr in &orgnrs {
                if reader.get::<Organisation>(orgnr).await.unwrap().is_some() {
                    found += 1;
                }
                reads += 1;
            }
            reader
                .search::<Organisation>("legekontor", 10)
                .await
                .unwrap();
            reader.counts(Register::Brreg).await.unwrap();
            reader.sync_states().await.unwrap();
            reads += 3;
        }
        let report = sync.await.unwrap();
        assert!(report.succeeded(), "{report:?}");
        assert!(reads > 20, "the reader ran during the sync ({reads} reads)");
        eprintln!(
            "{:?}: {reads} reads during the sync, {found} found",
            db.kind
        );
        reader.close().await;
        writer.close().await;
        fake.shutdown().await;
    }
}

/// Four registers bootstrapping at once into a pool of two connections, in small batches:
/// on PostgreSQL a fresh load writes several batches at once, but all bulk loads together
/// hold at most half the pool, so they take turns instead of waiting on each other for
/// good, and the mirror ends as a clean run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_loads_share_a_small_pool() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let options = StoreOptions {
            max_connections: 2,
            ..StoreOptions::default()
        };
        let store = harness::open_with(&db, &options).await;
        let sources = Sources::from_config(&fake.config(), &Register::ALL).expect("sources");
        let report = Engine::new(store.clone(), sources)
            .options(SyncOptions {
                batch_size: 40,
                ..harness::options()
            })
            .run(&Register::ALL, &Request::Sync)
            .await;
        for register in &report.registers {
            assert!(
                register.succeeded() && register.caught_up,
                "{:?}: {register:?}",
                register.register
            );
            assert_eq!(register.mode, SyncMode::Bootstrap);
        }
        assert_eq!(digests(&store).await, clean_digests(&fake).await);
        store.close().await;
        fake.shutdown().await;
    }
}

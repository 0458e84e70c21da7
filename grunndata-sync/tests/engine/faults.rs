//! Every fault class of the fake converges to upstream's state.

use grunndata_sync::engine::Request;
use grunndata_sync::store::Register;
use serde_json::json;

use crate::fake_support;
use crate::harness::{backends, clean_digests, digests, open, run, sync_ok};

/// Runs syncs until one succeeds everywhere (each failed run keeps what it committed).
async fn sync_until_ok(
    store: &grunndata_sync::store::Store,
    fake: &grunndata_sync::fake::FakeHandle,
) -> usize {
    for attempt in 1..=8 {
        let report = run(store, fake, &Request::Sync).await;
        if report.succeeded() && report.registers.iter().all(|r| r.caught_up) {
            return attempt;
        }
    }
    panic!("no successful sync in 8 runs");
}

#[tokio::test]
async fn transport_and_feed_faults_converge() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let client = fake_support::client();
        fake_support::set_faults(
            &client,
            &fake,
            json!({
                "seed": 11,
                "status_500": { "probability": 0.05 },
                "status_503": { "probability": 0.05 },
                "rate_limit": { "probability": 0.05, "retry_after_seconds": 0 },
                "stall": { "probability": 0.05, "millis": 50 },
                "truncate_body": { "count": 2, "path_prefix": "/ar/api/v1/communicationparty" },
                "truncate_gzip": { "count": 1 },
                "duplicate_events": { "probability": 0.5 },
                "out_of_order_events": { "probability": 0.5 },
            }),
        )
        .await;
        sync_until_ok(&store, &fake).await;
        // Changes while faults continue.
        let s = crate::harness::synth();
        let mut party = serde_json::to_value(s.communication_party(3)).unwrap();
        party["name"] = json!("Endret Under Feil");
        crate::harness::admin_upsert(&fake, "ar", &json!([party])).await;
        sync_until_ok(&store, &fake).await;

        fake_support::set_faults(&client, &fake, json!({})).await;
        assert_eq!(digests(&store).await, clean_digests(&fake).await);
        let counts = store.counts(Register::Ar).await.unwrap();
        assert_eq!(counts.quarantined, 0);
        store.close().await;
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn malformed_records_are_quarantined_then_cleared_by_the_next_fetch() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let client = fake_support::client();
        fake_support::set_faults(
            &client,
            &fake,
            json!({ "malformed_record": { "count": 1, "path_prefix": "/ar/api/v1/communicationparty" } }),
        )
        .await;
        let report = sync_ok(&store, &fake).await;
        let ar = report
            .registers
            .iter()
            .find(|r| r.register == Register::Ar)
            .unwrap();
        assert_eq!(ar.counts.quarantined, 1, "{ar:?}");
        let reconciliation = ar.reconciliation.unwrap();
        assert!(
            reconciliation.agrees(),
            "quarantined records are counted: {reconciliation:?}"
        );
        let entries = store.quarantine(Some(Register::Ar), 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        let her_id = entries[0]
            .entry
            .upstream_id
            .clone()
            .expect("the HER-id was readable");

        // The rest applied; fetching the record again (now well-formed) resolves the entry.
        fake_support::set_faults(&client, &fake, json!({})).await;
        let refreshed = run(
            &store,
            &fake,
            &Request::Refresh {
                register: Register::Ar,
                keys: vec![her_id],
            },
        )
        .await;
        assert!(refreshed.succeeded(), "{refreshed:?}");
        assert_eq!(store.counts(Register::Ar).await.unwrap().quarantined, 0);
        assert_eq!(digests(&store).await, clean_digests(&fake).await);
        store.close().await;
        fake.shutdown().await;
    }
}

/// Runs `request` with the test options and `accept_shrink` as given.
async fn run_accepting(
    store: &grunndata_sync::store::Store,
    fake: &grunndata_sync::fake::FakeHandle,
    request: &Request,
    accept_shrink: bool,
) -> grunndata_sync::engine::RunReport {
    use grunndata_sync::engine::{Engine, Sources, SyncOptions};
    let sources = Sources::from_config(&crate::harness::config(fake), &Register::ALL).unwrap();
    Engine::new(store.clone(), sources)
        .options(SyncOptions {
            accept_shrink,
            ..crate::harness::options()
        })
        .run(&Register::ALL, request)
        .await
}

/// The current record counts of Brreg, AR and HPR.
async fn record_counts(store: &grunndata_sync::store::Store) -> Vec<i64> {
    let mut counts = Vec::new();
    for register in [Register::Brreg, Register::Ar, Register::Hpr] {
        counts.push(store.counts(register).await.unwrap().records);
    }
    counts
}

/// Regression (issue 14): a well-formed but short snapshot answer (`[]`, a truncated export)
/// used to reach the sweep and remove most of a register.
#[tokio::test]
async fn a_short_snapshot_removes_nothing_and_the_next_run_recovers() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let client = fake_support::client();
        sync_ok(&store, &fake).await;
        let before = digests(&store).await;
        let counts = record_counts(&store).await;

        // Every snapshot answers with no records: each register is judged against the mirror.
        fake_support::set_faults(
            &client,
            &fake,
            json!({ "short_snapshot": { "probability": 1.0, "keep_fraction": 0.0 } }),
        )
        .await;
        let report = run(&store, &fake, &Request::Resnapshot).await;
        for register in [Register::Brreg, Register::Ar, Register::Hpr] {
            let part = report
                .registers
                .iter()
                .find(|r| r.register == register)
                .unwrap();
            let error = part.error.as_deref().unwrap_or_default();
            assert!(
                error.contains("the snapshot brought 0 records")
                    && error.contains("--accept-shrink"),
                "{register}: {part:?}"
            );
            assert_eq!(
                part.counts.deleted + part.counts.swept,
                0,
                "{register}: nothing removed"
            );
        }
        assert_eq!(digests(&store).await, before, "not one record lost");
        assert_eq!(record_counts(&store).await, counts);

        // An AR export one party short of its own announced count, well above the mirror
        // floor: refused all the same.
        let parties = u64::try_from(counts[1]).unwrap();
        assert!(
            parties >= 20,
            "enough parties to stay above the floor: {parties}"
        );
        #[allow(clippy::cast_precision_loss)]
        let keep = (parties - 1) as f64 / parties as f64;
        fake_support::set_faults(
            &client,
            &fake,
            json!({ "short_snapshot": { "probability": 1.0, "keep_fraction": keep, "path_prefix": "/ar" } }),
        )
        .await;
        let report = run(&store, &fake, &Request::Resnapshot).await;
        let ar = report
            .registers
            .iter()
            .find(|r| r.register == Register::Ar)
            .unwrap();
        let error = ar.error.as_deref().unwrap_or_default();
        assert!(
            error.contains(&format!("upstream announced {parties}")),
            "{ar:?}"
        );
        assert_eq!(digests(&store).await, before, "not one record lost");

        // Upstream healthy again: the next normal run re-snapshots (no cursor) and recovers.
        fake_support::set_faults(&client, &fake, json!({})).await;
        sync_ok(&store, &fake).await;
        assert_eq!(digests(&store).await, before);
        assert_eq!(digests(&store).await, clean_digests(&fake).await);
        store.close().await;
        fake.shutdown().await;
    }
}

/// An operator who knows a register shrank accepts the short snapshot, and it is swept.
#[tokio::test]
async fn accept_shrink_removes_what_the_short_snapshot_left_out() {
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let client = fake_support::client();
        sync_ok(&store, &fake).await;
        let held = store.counts(Register::Hpr).await.unwrap().records;
        fake_support::set_faults(
            &client,
            &fake,
            json!({ "short_snapshot": { "probability": 1.0, "keep_fraction": 0.5, "path_prefix": "/hpr" } }),
        )
        .await;
        let report = run_accepting(&store, &fake, &Request::Resnapshot, true).await;
        assert!(report.succeeded(), "{report:?}");
        let left = store.counts(Register::Hpr).await.unwrap().records;
        assert!(left <= held / 2 + 1 && left > 0, "{held} → {left}");
        store.close().await;
        fake.shutdown().await;
    }
}

/// Regression (#13): a feed that skips sequence numbers is applied incrementally (no
/// re-snapshot); the gap is counted in the run report and, in the batch's transaction, in the
/// register's sync state that `grunndata status` shows.
#[tokio::test]
async fn sequence_gaps_are_applied_and_counted_in_the_sync_state() {
    use grunndata_sync::engine::SyncMode;
    for db in backends().await {
        let fake = fake_support::start().await;
        let store = open(&db).await;
        let client = fake_support::client();
        sync_ok(&store, &fake).await;
        assert_eq!(
            store.sync_state(Register::Ar).await.unwrap().sequence_gaps,
            0
        );

        let s = crate::harness::synth();
        let renamed: Vec<serde_json::Value> = (0..5)
            .map(|index| {
                let mut party = serde_json::to_value(s.communication_party(index)).unwrap();
                party["name"] = json!(format!("Hull i rekken {index}"));
                party
            })
            .collect();
        crate::harness::admin_upsert(&fake, "ar", &json!(renamed)).await;
        fake_support::set_faults(
            &client,
            &fake,
            json!({ "sequence_gaps": { "count": 1, "path_prefix": "/ar/api/v1/event" } }),
        )
        .await;
        let report = sync_ok(&store, &fake).await;
        let ar = report
            .registers
            .iter()
            .find(|r| r.register == Register::Ar)
            .unwrap();
        assert_eq!(ar.mode, SyncMode::Incremental, "{ar:?}");
        assert!(ar.resnapshot_reason.is_none(), "{ar:?}");
        assert_eq!(ar.counts.sequence_gaps, 1, "{ar:?}");
        assert_eq!(ar.counts.applied, 4, "the events on the page: {ar:?}");
        let state = store.sync_state(Register::Ar).await.unwrap();
        assert_eq!(state.sequence_gaps, 1);
        let head = crate::harness::status(&fake).await["heads"]["ar"]
            .as_i64()
            .unwrap();
        assert_eq!(
            state.cursor.as_deref(),
            Some((head + 1).to_string().as_str())
        );

        // The count is kept across runs, not reset by a run without gaps.
        fake_support::set_faults(&client, &fake, json!({})).await;
        let quiet = sync_ok(&store, &fake).await;
        assert!(quiet.registers.iter().all(|r| r.counts.sequence_gaps == 0));
        assert_eq!(
            store.sync_state(Register::Ar).await.unwrap().sequence_gaps,
            1
        );
        store.close().await;
        fake.shutdown().await;
    }
}

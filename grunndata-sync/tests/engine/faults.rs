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

//! Runs the logic of `examples/embed_lookup.rs` against the synthetic fixture mirror: the
//! example's `route` is compiled into this test from the example's own file, so the example
//! cannot drift from what is tested.

#[allow(dead_code, reason = "the example's main is not run here")]
#[path = "../examples/embed_lookup.rs"]
mod example;
#[allow(dead_code, reason = "this test uses part of the fixture")]
#[path = "../grunndata-sync/tests/common/mirror.rs"]
mod mirror;
#[allow(dead_code, reason = "this test uses part of the generator")]
#[path = "../grunndata-sync/tests/common/synth.rs"]
mod synth;

use grunndata::sync::registry::Registry;
use grunndata::sync::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_system_routes_a_prescription_message() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("mirror.db").display());
    let store = Store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    mirror::populate(&store).await;
    store.close().await;

    let registry = Registry::open(&url)
        .await
        .unwrap_or_else(|e| panic!("registry: {e}"));
    let before = example::route(&registry, mirror::kari(), synth::day(2026, 9, 30))
        .await
        .unwrap_or_else(|e| panic!("route: {e}"))
        .unwrap_or_else(|| panic!("Kari is in the mirror"));
    assert_eq!(
        before,
        example::Route {
            prescriber: "Kari Nordmann".to_owned(),
            authorisation: "authorised as LE Lege (1 Autorisasjon, 2010-06-01 –)".to_owned(),
            may_prescribe: true,
            requisition_rights: vec!["1 Full rekvisisjonsrett".to_owned()],
            her_id: Some(mirror::kari_party()),
            edi_address: Some("party81000002@edi.example.invalid".to_owned()),
        }
    );

    // During her suspension the same lookup says no, and why.
    let suspended = example::route(&registry, mirror::kari(), synth::day(2026, 10, 15))
        .await
        .unwrap_or_else(|e| panic!("route: {e}"))
        .unwrap_or_else(|| panic!("Kari is in the mirror"));
    assert!(!suspended.may_prescribe);
    assert_eq!(
        suspended.authorisation,
        "not authorised as LE Lege: suspended 2026-10-01 – 2027-01-01"
    );

    let unknown = "1234567".parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        example::route(&registry, unknown, synth::day(2026, 9, 30))
            .await
            .is_ok_and(|route| route.is_none())
    );
}

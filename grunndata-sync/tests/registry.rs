//! The `Registry` story on SQLite and PostgreSQL (`GRUNNDATA_TEST_PG`): lookups over the
//! fixture mirror, as-of across a change, cache invalidation by commit notices (same
//! process) and by version polling (a second store handle, as another process), address
//! protection withheld / revealed and audited, the audit policy, and authorisation.

mod common;

use std::time::Duration;

use chrono::Duration as Days;
use common::db::{Kind, TestDb};
use common::mirror::{self, applied, clinic, kari, kari_party, kari_record, main_unit, ola};
use common::synth::{at, day, nin, orgnr, sub_unit};
use grunndata_sync::core::authz::Reason;
use grunndata_sync::core::codes::Category;
use grunndata_sync::core::id::ReshId;
use grunndata_sync::core::model::{HealthPersonnel, Organisation, Period};
use grunndata_sync::registry::{
    AddressAccess, Caller, PersonAnswer, Practitioner, Registry, RegistryError, RegistryOptions,
};
use grunndata_sync::store::{AuditQuery, Batch, Register, Store};

/// A fresh, populated database of `kind`, or `None` where PostgreSQL tests are skipped.
async fn populated(kind: Kind) -> Option<(TestDb, Store)> {
    let db = match kind {
        Kind::Sqlite => TestDb::sqlite(),
        Kind::Postgres => TestDb::postgres().await?,
    };
    let store = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open store: {e}"));
    mirror::populate(&store).await;
    Some((db, store))
}

/// Runs every story on one backend.
async fn story(kind: Kind) {
    let Some((db, store)) = populated(kind).await else {
        return;
    };
    lookups(&store).await;
    spawned_lookups(&store).await;
    views_read_once(&store).await;
    authorisation(&store).await;
    persons_and_protection(&store).await;
    audit_policy(&db, &store).await;
    as_of_across_a_change(&store).await;
    same_process_invalidation(&store).await;
    other_process_invalidation(&db, &store).await;
    concurrent_lookups_see_commits(&store).await;
    time_to_live(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_sqlite() {
    story(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_postgres() {
    story(Kind::Postgres).await;
}

fn registry(store: &Store) -> Registry {
    Registry::from_store(store.clone(), RegistryOptions::default())
}

/// A view read on a fresh cache (its record and children in one read) leaves both answers
/// cached: the next lookup of the view returns the same answers, not copies read again; and
/// a view whose record alone is cached (the party's parent, read by the child's view) reads
/// only its children and agrees with a fresh registry.
async fn views_read_once(store: &Store) {
    let registry = registry(store);
    let first = registry.organisation(&main_unit()).await;
    let second = registry.organisation(&main_unit()).await;
    let (Ok(Some(first)), Ok(Some(second))) = (first, second) else {
        panic!("the main unit is in the mirror");
    };
    assert!(std::sync::Arc::ptr_eq(&first.unit, &second.unit));
    assert!(std::sync::Arc::ptr_eq(&first.sub_units, &second.sub_units));
    assert_eq!(first.sub_units.len(), 2);

    let kari = registry.communication_party(kari_party()).await;
    let clinic_view = registry.communication_party(clinic()).await;
    let fresh = Registry::from_store(store.clone(), RegistryOptions::default())
        .communication_party(clinic())
        .await;
    let (Ok(Some(kari)), Ok(Some(clinic_view)), Ok(Some(fresh))) = (kari, clinic_view, fresh)
    else {
        panic!("Kari's party and the clinic are in the mirror");
    };
    let parent = kari
        .parent
        .unwrap_or_else(|| panic!("Kari's party has the clinic as parent"));
    assert!(
        std::sync::Arc::ptr_eq(&parent, &clinic_view.party),
        "the clinic's record came from the cache"
    );
    assert_eq!(clinic_view, fresh);
    assert_eq!(clinic_view.children.len(), 2);
}

/// Lookups run on spawned tasks of a multi-threaded runtime, as a server embeds them: their
/// futures are `Send` (regression: a store read held a non-`Sync` context closure across an
/// await, so `tokio::spawn(registry.personnel(…))` did not compile).
async fn spawned_lookups(store: &Store) {
    let registry = registry(store);
    let personnel = tokio::spawn({
        let registry = registry.clone();
        async move { registry.personnel(kari()).await }
    });
    let organisation = tokio::spawn({
        let registry = registry.clone();
        async move { registry.organisation(&main_unit()).await }
    });
    let party = tokio::spawn(async move { registry.communication_party(clinic()).await });
    let personnel = personnel.await.unwrap_or_else(|e| panic!("task: {e}"));
    assert!(
        personnel
            .unwrap_or_else(|e| panic!("lookup: {e}"))
            .is_some()
    );
    let organisation = organisation.await.unwrap_or_else(|e| panic!("task: {e}"));
    assert!(
        organisation
            .unwrap_or_else(|e| panic!("lookup: {e}"))
            .is_some()
    );
    let party = party.await.unwrap_or_else(|e| panic!("task: {e}"));
    assert!(party.unwrap_or_else(|e| panic!("lookup: {e}")).is_some());
}

/// Each lookup answers what the fixture holds, twice (the second from the cache).
async fn lookups(store: &Store) {
    let registry = registry(store);
    for _ in 0..2 {
        let found = registry
            .personnel(kari())
            .await
            .unwrap_or_else(|e| panic!("personnel: {e}"))
            .unwrap_or_else(|| panic!("Kari is in the mirror"));
        assert_eq!(found.record, kari_record());
        assert_eq!(found.fetched_at, Some(applied()));
        assert!(registry.personnel(ola()).await.ok().flatten().is_some());

        let by_nin = registry
            .personnel_by_nin(&nin(2))
            .await
            .unwrap_or_else(|e| panic!("personnel by NIN: {e}"));
        assert_eq!(
            by_nin
                .iter()
                .map(|f| f.record.hpr_number)
                .collect::<Vec<_>>(),
            [ola()]
        );
        assert!(
            registry
                .personnel_by_nin(&nin(3))
                .await
                .is_ok_and(|found| found.is_empty())
        );

        let org = registry
            .organisation(&orgnr(2))
            .await
            .unwrap_or_else(|e| panic!("organisation: {e}"))
            .unwrap_or_else(|| panic!("sub-unit is in the mirror"));
        assert_eq!(
            org.parent.as_ref().map(|p| p.record.org_number),
            Some(main_unit())
        );
        assert!(org.sub_units.is_empty());
        let main = registry
            .organisation(&main_unit())
            .await
            .unwrap_or_else(|e| panic!("organisation: {e}"))
            .unwrap_or_else(|| panic!("main unit is in the mirror"));
        assert!(main.parent.is_none());
        assert_eq!(
            main.sub_units
                .iter()
                .map(|u| u.record.org_number)
                .collect::<Vec<_>>(),
            [orgnr(2), orgnr(3)]
        );
        assert!(
            registry
                .organisation(&orgnr(9))
                .await
                .is_ok_and(|o| o.is_none())
        );

        let party = registry
            .communication_party(kari_party())
            .await
            .unwrap_or_else(|e| panic!("party: {e}"))
            .unwrap_or_else(|| panic!("Kari's party is in the mirror"));
        assert_eq!(
            party.parent.as_ref().map(|p| p.record.her_id),
            Some(clinic())
        );
        let top = registry
            .communication_party(clinic())
            .await
            .unwrap_or_else(|e| panic!("party: {e}"))
            .unwrap_or_else(|| panic!("the clinic is in the mirror"));
        assert_eq!(top.children.len(), 2);
        let parties = registry
            .parties_of_personnel(kari())
            .await
            .unwrap_or_else(|e| panic!("parties of personnel: {e}"));
        assert_eq!(
            parties
                .iter()
                .map(|p| p.record.edi_address.clone())
                .collect::<Vec<_>>(),
            [Some("party81000002@edi.example.invalid".to_owned())]
        );
    }

    let searches = [
        (Register::Brreg, "ås helse", 3),
        (Register::Ar, "nordmann", 1),
        (Register::Hpr, "ØDEGÅRD", 1),
        (Register::Preg, "bø", 1),
        (Register::Hpr, "ingen slik", 0),
    ];
    for (register, text, expected) in searches {
        let hits = registry
            .search(register, text, 10)
            .await
            .unwrap_or_else(|e| panic!("search {register}: {e}"));
        assert_eq!(hits.len(), expected, "{register} {text}");
        assert!(hits.iter().all(|hit| hit.register == register));
    }

    let resh: ReshId = "4001031".parse().unwrap_or_else(|e| panic!("RESH-id: {e}"));
    assert!(matches!(
        registry.resh(resh).await,
        Err(RegistryError::NotIndexed { .. })
    ));
}

/// The core rule through the registry, by HPR number and by NIN.
async fn authorisation(store: &Store) {
    let registry = registry(store);
    let verdict = |who: Practitioner, on| {
        let registry = registry.clone();
        async move {
            registry
                .authorised(who, &Category::LE, on)
                .await
                .unwrap_or_else(|e| panic!("authorised: {e}"))
                .unwrap_or_else(|| panic!("{who} is in the mirror"))
                .verdict
        }
    };
    assert!(
        verdict(kari().into(), day(2026, 9, 30))
            .await
            .is_authorised()
    );
    assert_eq!(
        verdict(nin(1).into(), day(2026, 10, 1)).await.reason(),
        Some(&Reason::Suspended {
            period: Period::new(Some(day(2026, 10, 1)), Some(day(2027, 1, 1)))
        })
    );
    assert_eq!(
        verdict(ola().into(), day(2026, 4, 1)).await.reason(),
        Some(&Reason::Expired {
            to: day(2026, 3, 31)
        })
    );
    assert_eq!(
        verdict(kari().into(), day(2026, 1, 1))
            .await
            .reason()
            .cloned(),
        None
    );
    let unknown: Practitioner = "1234567".parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        registry
            .authorised(unknown, &Category::LE, day(2026, 1, 1))
            .await
            .is_ok_and(|answer| answer.is_none())
    );

    let rights = registry
        .requisition_rights(kari(), day(2026, 1, 1))
        .await
        .unwrap_or_else(|e| panic!("requisition rights: {e}"))
        .unwrap_or_default();
    assert_eq!(rights.len(), 1);
    assert_eq!(rights[0].kind.label(), "1 Full rekvisisjonsrett");
    let specialities = registry
        .specialities(nin(1), day(2026, 1, 1))
        .await
        .unwrap_or_else(|e| panic!("specialities: {e}"))
        .unwrap_or_default();
    assert_eq!(specialities.len(), 1);

    // An eleven-digit typo is judged as a NIN and rejected before any lookup.
    assert!("01818000011".parse::<Practitioner>().is_err());
}

/// The person found for `nin` by `registry` (panics on any other answer).
async fn found_person(
    registry: &Registry,
    nin: &grunndata_sync::core::id::NationalId,
) -> grunndata_sync::registry::PersonView {
    match registry.person(nin).await {
        Ok(PersonAnswer::Found(view)) => view,
        other => panic!("expected a person, got {other:?}"),
    }
}

/// Tracked persons; protected addresses withheld without a purpose, revealed and audited
/// with one; the purpose policy.
async fn persons_and_protection(store: &Store) {
    let helpdesk = registry(store).for_caller(Caller::new("kari.helpdesk"));

    let open = found_person(&helpdesk, &mirror::open_person()).await;
    assert_eq!(open.addresses, AddressAccess::Shown);
    assert_eq!(open.person.record.residential_addresses.len(), 1);

    let hidden = found_person(&helpdesk, &mirror::protected_person()).await;
    assert_eq!(hidden.addresses, AddressAccess::Withheld);
    assert!(hidden.person.record.residential_addresses.is_empty());
    assert!(hidden.person.record.postal_addresses.is_empty());

    let with_purpose = helpdesk.for_caller(Caller::new("dr.lege").with_purpose("treatment"));
    let revealed = found_person(&with_purpose, &mirror::protected_person()).await;
    assert_eq!(revealed.addresses, AddressAccess::Revealed);
    assert_eq!(revealed.person.record.residential_addresses.len(), 1);
    // The withheld copy did not leak into the cache, nor the revealed one into the next
    // caller's answer.
    let again = found_person(&helpdesk, &mirror::protected_person()).await;
    assert!(again.person.record.residential_addresses.is_empty());

    assert_eq!(
        helpdesk.person(&mirror::unfetched_person()).await.ok(),
        Some(PersonAnswer::NotFetched)
    );
    assert_eq!(
        helpdesk.person(&nin(13)).await.ok(),
        Some(PersonAnswer::NotTracked)
    );

    let subject = mirror::protected_person().expose();
    let entries = store
        .audit_log(&AuditQuery {
            subject: Some(subject),
            ..AuditQuery::default()
        })
        .await
        .unwrap_or_else(|e| panic!("audit log: {e}"));
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .rev()
        .map(|r| {
            (
                r.entry.actor.as_str(),
                r.entry.purpose.as_str(),
                r.entry.result.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("kari.helpdesk", "", "found, addresses withheld"),
            (
                "dr.lege",
                "treatment",
                "found, protected addresses revealed"
            ),
            ("kari.helpdesk", "", "found, addresses withheld"),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|r| r.entry.register == Some(Register::Preg))
    );

    let strict = Registry::from_store(
        store.clone(),
        RegistryOptions {
            purpose_required: true,
            ..RegistryOptions::default()
        },
    );
    assert!(matches!(
        strict.person(&mirror::open_person()).await,
        Err(RegistryError::PurposeRequired { .. })
    ));
    assert!(matches!(
        strict.personnel_by_nin(&nin(1)).await,
        Err(RegistryError::PurposeRequired { .. })
    ));
    let purposeful = strict.for_caller(Caller::new("svc").with_purpose("treatment"));
    assert!(purposeful.person(&mirror::open_person()).await.is_ok());
    // A purpose is not needed for lookups that are not personal-data lookups.
    assert!(strict.personnel(kari()).await.is_ok());
}

/// Personnel-by-NIN is audited, by-HPR only when configured; the log is append-only.
async fn audit_policy(db: &TestDb, store: &Store) {
    let count = || async {
        store
            .audit_log(&AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            })
            .await
            .unwrap_or_else(|e| panic!("audit log: {e}"))
            .len()
    };
    let before = count().await;
    let plain = registry(store);
    plain
        .personnel(kari())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    plain
        .organisation(&main_unit())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    plain
        .communication_party(clinic())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        count().await,
        before,
        "non-personal lookups are not audited"
    );
    plain
        .personnel_by_nin(&nin(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count().await, before + 1, "personnel by NIN is audited");
    // Authorisation by NIN is a personnel-by-NIN lookup.
    plain
        .authorised(nin(1), &Category::LE, day(2026, 1, 1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count().await, before + 2);

    let everything = Registry::from_store(
        store.clone(),
        RegistryOptions {
            audit_all_lookups: true,
            actor: "journal-svc".to_owned(),
            ..RegistryOptions::default()
        },
    );
    everything
        .personnel(kari())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    everything
        .organisation(&orgnr(9))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let latest = store
        .audit_log(&AuditQuery {
            limit: 2,
            ..AuditQuery::default()
        })
        .await
        .unwrap_or_else(|e| panic!("audit log: {e}"));
    let latest: Vec<(&str, &str, &str)> = latest
        .iter()
        .map(|r| {
            (
                r.entry.actor.as_str(),
                r.entry.subject.as_str(),
                r.entry.result.as_str(),
            )
        })
        .collect();
    let missing = orgnr(9).to_string();
    assert_eq!(
        latest,
        [
            ("journal-svc", missing.as_str(), "not_found"),
            ("journal-svc", "9144889", "found"),
        ]
    );

    // Append-only: the database refuses to change or remove entries.
    // (On SQLite the audit log is a file of its own beside the mirror.)
    let audit_file = db.audit_file(&store.audit_location());
    let audit_db = audit_file.as_ref().unwrap_or(db);
    assert!(count().await > 0, "there are entries to refuse to remove");
    assert!(audit_db.execute("DELETE FROM audit_log").await.is_err());
    assert!(
        audit_db
            .execute("UPDATE audit_log SET actor = 'x'")
            .await
            .is_err()
    );
    assert_eq!(count().await, before + 4);
}

/// A change to Kari: the view as of a day before it answers the old version.
async fn as_of_across_a_change(store: &Store) {
    let registry = registry(store);
    let mut renamed = kari_record();
    renamed.name.family = Some("Nordmann-Ås".to_owned());
    let changed_at = at(2026, 6, 1);
    store
        .apply(Batch::new(changed_at).upsert(renamed.clone(), Some(changed_at), changed_at))
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));

    let current = registry
        .personnel(kari())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("current Kari"));
    assert_eq!(current.record.name.family.as_deref(), Some("Nordmann-Ås"));
    let before = registry
        .as_of(day(2026, 5, 31))
        .personnel(kari())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("Kari as of May"));
    assert_eq!(before.record, kari_record());
    assert_eq!(before.valid_to, Some(changed_at));
    assert_eq!(before.fetched_at, None);
    let on_the_day = registry
        .as_of(day(2026, 6, 1))
        .personnel(kari())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("Kari as of June"));
    assert_eq!(on_the_day.record, renamed);
    // Before the mirror held her at all.
    assert!(
        registry
            .as_of(day(2025, 12, 31))
            .personnel(kari())
            .await
            .is_ok_and(|found| found.is_none())
    );
    // Authorisation by NIN as of a day judges that day's version.
    let answer = registry
        .as_of(day(2026, 5, 31))
        .authorised(nin(1), &Category::LE, day(2026, 5, 31))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("authorisation as of May"));
    assert_eq!(answer.personnel.record, kari_record());

    // Persons as of a day before they were fetched have no version.
    assert_eq!(
        registry
            .as_of(day(2025, 12, 31))
            .person(&mirror::open_person())
            .await
            .ok(),
        Some(PersonAnswer::NotFetched)
    );
}

/// Whether `registry` finds the unit `orgnr`.
async fn has_organisation(registry: &Registry, orgnr: grunndata_sync::core::id::OrgNumber) -> bool {
    registry
        .organisation(&orgnr)
        .await
        .unwrap_or_else(|e| panic!("organisation: {e}"))
        .is_some()
}

/// How many sub-units `registry` lists under the fixture's main unit.
async fn sub_units(registry: &Registry) -> usize {
    registry
        .organisation(&main_unit())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("main unit"))
        .sub_units
        .len()
}

/// Commits through the same store show in the very next lookup: changed keys, new keys
/// (cached not-found), new children, and deletes.
async fn same_process_invalidation(store: &Store) {
    let registry = Registry::from_store(
        store.clone(),
        RegistryOptions {
            // Rules out the version poll: only commit notices can invalidate here.
            max_staleness: Duration::from_hours(1),
            ..RegistryOptions::default()
        },
    );
    let name = |found: Option<std::sync::Arc<grunndata_sync::registry::Found<HealthPersonnel>>>| {
        found.and_then(|f| f.record.name.family.clone())
    };
    let first = registry
        .personnel(kari())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let t = applied() + Days::days(200);
    let mut changed = kari_record();
    changed.name.family = Some("Endret".to_owned());
    store
        .apply(Batch::new(t).upsert(changed, Some(t), t))
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));
    let second = registry
        .personnel(kari())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(name(first), name(second.clone()));
    assert_eq!(name(second).as_deref(), Some("Endret"));

    // A not-found answer does not outlive the commit that adds the record.
    let new_unit = orgnr(4);
    assert!(!has_organisation(&registry, new_unit).await);
    assert_eq!(sub_units(&registry).await, 2);
    store
        .apply(Batch::<Organisation>::new(t).upsert(
            sub_unit(new_unit, main_unit(), "Ås Helse AS avd. Kroer"),
            None,
            t,
        ))
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));
    assert!(has_organisation(&registry, new_unit).await);
    assert_eq!(
        sub_units(&registry).await,
        3,
        "the new sub-unit shows under its parent"
    );

    store
        .apply(Batch::<Organisation>::new(t).delete(new_unit, None))
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));
    assert!(!has_organisation(&registry, new_unit).await);

    // Untracking purges the person; the cached answer goes with it.
    let person = registry
        .person(&mirror::open_person())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(person, PersonAnswer::Found(_)));
    store
        .untrack_person(&mirror::open_person())
        .await
        .unwrap_or_else(|e| panic!("untrack: {e}"));
    assert_eq!(
        registry.person(&mirror::open_person()).await.ok(),
        Some(PersonAnswer::NotTracked)
    );
}

/// Commits by another process (here: a second `Store` handle, which shares no notices)
/// show once the staleness bound has passed — with a bound of zero, at the next lookup;
/// with a long bound, the cached answer is served until then.
async fn other_process_invalidation(db: &TestDb, store: &Store) {
    let other = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("second store: {e}"));
    let eager = Registry::from_store(
        store.clone(),
        RegistryOptions {
            max_staleness: Duration::ZERO,
            ..RegistryOptions::default()
        },
    );
    let lazy = Registry::from_store(
        store.clone(),
        RegistryOptions {
            max_staleness: Duration::from_hours(1),
            ..RegistryOptions::default()
        },
    );
    let family = |registry: Registry| async move {
        registry
            .personnel(ola())
            .await
            .ok()
            .flatten()
            .and_then(|found| found.record.name.family.clone())
    };
    assert_eq!(family(eager.clone()).await.as_deref(), Some("Ødegård"));
    assert_eq!(family(lazy.clone()).await.as_deref(), Some("Ødegård"));

    let t = applied() + Days::days(300);
    let mut renamed = other
        .get::<HealthPersonnel>(&ola())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("Ola"))
        .record;
    renamed.name.family = Some("Ødegård-Berg".to_owned());
    other
        .apply(Batch::new(t).upsert(renamed, Some(t), t))
        .await
        .unwrap_or_else(|e| panic!("apply through the other handle: {e}"));

    assert_eq!(
        family(eager.clone()).await.as_deref(),
        Some("Ødegård-Berg"),
        "a zero bound reads the version on every lookup"
    );
    match db.kind {
        Kind::Sqlite => assert_eq!(
            family(lazy.clone()).await.as_deref(),
            Some("Ødegård"),
            "within the bound the cached answer stands: the version is not read again yet"
        ),
        Kind::Postgres => {
            // The commit was announced (`pg_notify`) and heard (`LISTEN`): the cached answer
            // goes long before the one-hour bound would have read the version again.
            let started = std::time::Instant::now();
            while family(lazy.clone()).await.as_deref() != Some("Ødegård-Berg") {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the other process's commit did not reach the cache"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    other.close().await;
}

/// Lookups on two threads against one registry, hitting the cache while the same process
/// commits: a lookup that starts after `Store::apply` returned never answers from before
/// that commit, on either thread.
async fn concurrent_lookups_see_commits(store: &Store) {
    const COMMITS: u64 = 20;
    let registry = Registry::from_store(
        store.clone(),
        RegistryOptions {
            // Only commit notices can invalidate here: the hit path alone is under test.
            max_staleness: Duration::from_hours(1),
            ..RegistryOptions::default()
        },
    );
    let generation =
        |found: Option<std::sync::Arc<grunndata_sync::registry::Found<HealthPersonnel>>>| {
            found
                .and_then(|f| f.record.name.family.clone())
                .and_then(|family| family.strip_prefix("Generasjon ")?.parse::<u64>().ok())
                .unwrap_or(0)
        };
    let committed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let registry = registry.clone();
            let committed = std::sync::Arc::clone(&committed);
            tokio::spawn(async move {
                let mut lookups = 0_u64;
                loop {
                    let before = committed.load(std::sync::atomic::Ordering::Acquire);
                    let found = registry
                        .personnel(kari())
                        .await
                        .unwrap_or_else(|e| panic!("personnel: {e}"));
                    let seen = generation(found);
                    assert!(
                        seen >= before,
                        "a lookup started after commit {before} answered from commit {seen}"
                    );
                    lookups += 1;
                    if before == COMMITS {
                        return lookups;
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for index in 1..=COMMITS {
        let t = applied() + Days::days(400) + Days::hours(i64::try_from(index).unwrap_or(0));
        let mut changed = kari_record();
        changed.name.family = Some(format!("Generasjon {index}"));
        store
            .apply(Batch::new(t).upsert(changed, Some(t), t))
            .await
            .unwrap_or_else(|e| panic!("apply: {e}"));
        committed.store(index, std::sync::atomic::Ordering::Release);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for reader in readers {
        let lookups = reader.await.unwrap_or_else(|e| panic!("reader: {e}"));
        assert!(lookups > 0);
    }
}

/// The time to live: an answer is served from the cache (the very `Arc` read before) until
/// it runs out, then read again, though nothing was committed and the staleness bound is
/// far off; a long time to live keeps serving it.
async fn time_to_live(store: &Store) {
    let options = |cache_ttl| RegistryOptions {
        cache_ttl,
        // Rules out the version poll: only the time to live can drop the answer here.
        max_staleness: Duration::from_hours(1),
        ..RegistryOptions::default()
    };
    let short = Registry::from_store(store.clone(), options(Duration::from_millis(300)));
    let long = Registry::from_store(store.clone(), options(Duration::from_hours(1)));
    let lookup = |registry: Registry| async move {
        registry
            .personnel(ola())
            .await
            .unwrap_or_else(|e| panic!("personnel: {e}"))
            .unwrap_or_else(|| panic!("Ola"))
    };
    // Taken before the first read, as the time to live is: on a machine so slow that the
    // second lookup comes after 250 ms, "within" cannot be told and is not asserted.
    let started = std::time::Instant::now();
    let short_first = lookup(short.clone()).await;
    let short_again = lookup(short.clone()).await;
    if started.elapsed() < Duration::from_millis(250) {
        assert!(
            std::sync::Arc::ptr_eq(&short_first, &short_again),
            "within its time to live the cached answer is served"
        );
    }
    let long_first = lookup(long.clone()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !std::sync::Arc::ptr_eq(&short_first, &lookup(short).await),
        "past its time to live the answer is read again"
    );
    assert!(
        std::sync::Arc::ptr_eq(&long_first, &lookup(long).await),
        "a long time to live still serves the cached answer"
    );
}

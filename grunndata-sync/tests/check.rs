//! `grunndata check`: one minimal fixture per rule that triggers it, and the clean world that
//! must not, on SQLite and PostgreSQL alike; and the anomalies the synthetic generator plants,
//! all found with exact counts.
//!
//! Each case starts from [`World::clean`] — one Brreg main unit with a sub-unit, an AR
//! organisation with a person and a service, the person's HPR record and the tracked person
//! behind it, every register synced — changes one thing, and must produce exactly the
//! findings listed, nothing else.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use common::db::TestDb;
use common::synth::{
    at, day, nin, organisation, orgnr, party, person, person_party, personnel, sub_unit,
};
use grunndata_sync::check::{self, CheckOptions, Finding};
use grunndata_sync::config::Config;
use grunndata_sync::core::codes::{Code, CodeSystemId};
use grunndata_sync::core::id::{HerId, HprNumber, MaybeValid};
use grunndata_sync::core::model::{
    AmqpTransportStatus, CertificateMetadata, CommunicationParty, HealthPersonnel, Organisation,
    PartyType, Period, Person, PersonStatus,
};
use grunndata_sync::store::{Batch, MirrorRecord, QuarantineEntry, Register, Store};

/// The instant every case is judged at.
fn now() -> DateTime<Utc> {
    at(2026, 6, 1) + chrono::Duration::hours(12)
}

fn her(id: u32) -> HerId {
    HerId::new(i64::from(id)).unwrap_or_else(|e| panic!("HER-id {id}: {e}"))
}

fn certificate(thumbprint: &str, valid_to: DateTime<Utc>) -> CertificateMetadata {
    CertificateMetadata {
        thumbprint: thumbprint.to_owned(),
        valid_from: Some(at(2025, 1, 1)),
        valid_to: Some(valid_to),
    }
}

/// A small mirror in which every register agrees.
#[derive(Clone)]
struct World {
    brreg: Vec<Organisation>,
    ar: Vec<CommunicationParty>,
    hpr: Vec<HealthPersonnel>,
    preg: Vec<Person>,
    /// Registers recorded as synced successfully at [`now`].
    synced: Vec<Register>,
    quarantined: bool,
}

const MAIN: u32 = 1;
const SUB: u32 = 2;
const ORG: u32 = 100;
const PERSON: u32 = 101;
const SERVICE: u32 = 102;
const HPR: u32 = 5_000_001;

impl World {
    fn clean() -> Self {
        let mut org = party(ORG, PartyType::Organisation, "Nordlys Legesenter AS");
        org.org_number = Some(MaybeValid::Valid(orgnr(MAIN)));
        org.signing_certificate = Some(certificate("AA01", at(2028, 1, 1)));
        org.encryption_certificate = Some(certificate("AA02", at(2028, 1, 1)));
        let person_party = person_party(PERSON, &org, HPR, "Kari Nordmann");
        let mut service = person_party.clone();
        service.her_id = her(SERVICE);
        service.kind = PartyType::Service;
        service.hpr_number = None;
        service.name = Some("Laboratorium".to_owned());
        service.edi_address = Some("lab@edi.example.invalid".to_owned());
        let mut worker = personnel(HPR, Some(nin(1)), "Kari", "Nordmann");
        // The helper's suspension lies after `now`; keep it, it must not matter.
        worker.approvals[0].validity = Period::new(Some(day(2010, 6, 1)), None);
        Self {
            brreg: vec![
                organisation(orgnr(MAIN), "NORDLYS LEGESENTER AS"),
                sub_unit(orgnr(SUB), orgnr(MAIN), "NORDLYS LEGESENTER AS"),
            ],
            ar: vec![org, person_party, service],
            hpr: vec![worker],
            preg: vec![person("person-1", &nin(1), "KARI", "NORDMANN")],
            synced: Register::ALL.to_vec(),
            quarantined: false,
        }
    }

    fn ar_mut(&mut self, id: u32) -> &mut CommunicationParty {
        self.ar
            .iter_mut()
            .find(|party| party.her_id == her(id))
            .unwrap_or_else(|| panic!("no party {id}"))
    }

    async fn load(&self, store: &Store) {
        apply(store, &self.brreg).await;
        apply(store, &self.ar).await;
        apply(store, &self.hpr).await;
        // Persontjenesten is mirrored for tracked persons only.
        for person in &self.preg {
            if let Some(nin) = person.current_nin() {
                store
                    .track_person(nin, None)
                    .await
                    .unwrap_or_else(|e| panic!("track: {e}"));
            }
        }
        apply(store, &self.preg).await;
        for &register in &self.synced {
            store
                .record_success(register, now())
                .await
                .unwrap_or_else(|e| panic!("record success: {e}"));
        }
        if self.quarantined {
            let entry = QuarantineEntry {
                upstream_id: Some("8000999".to_owned()),
                error: "missing field `herId`".to_owned(),
                payload: b"{}".to_vec(),
                received_at: now(),
            };
            store
                .apply(Batch::<CommunicationParty>::new(now()).quarantine(entry))
                .await
                .unwrap_or_else(|e| panic!("quarantine: {e}"));
        }
    }
}

async fn apply<R: MirrorRecord + Clone>(store: &Store, records: &[R]) {
    let mut batch = Batch::new(now());
    for record in records {
        batch = batch.upsert(record.clone(), None, now());
    }
    store
        .apply(batch)
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"));
}

/// Findings per rule id.
fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for finding in findings {
        *counts.entry(finding.rule.id).or_insert(0) += 1;
    }
    counts
}

fn options() -> CheckOptions {
    CheckOptions::new(now(), &Config::default())
}

/// One case: a change to the clean world and the findings it must produce.
struct Case {
    name: &'static str,
    change: fn(&mut World),
    expect: &'static [(&'static str, usize)],
}

const CASES: &[Case] = &[
    Case {
        name: "clean world",
        change: |_| {},
        expect: &[],
    },
    Case {
        name: "invalid NIN on an HPR record",
        change: |w| w.hpr[0].nin = Some(MaybeValid::from_raw("12345678901")),
        expect: &[("identifier-invalid", 1)],
    },
    Case {
        name: "AR organisation number not in Brreg",
        change: |w| w.ar_mut(ORG).org_number = Some(MaybeValid::Valid(orgnr(50))),
        expect: &[("ar-org-missing-in-brreg", 1)],
    },
    Case {
        name: "AR organisation bankrupt in Brreg",
        change: |w| w.brreg[0].bankrupt = true,
        expect: &[("ar-org-inactive-in-brreg", 1)],
    },
    Case {
        name: "deactivated AR organisation, bankrupt in Brreg, is not reported",
        change: |w| {
            w.brreg[0].bankrupt = true;
            w.ar.truncate(1);
            w.ar[0].valid_to = Some(at(2026, 1, 1));
        },
        expect: &[],
    },
    Case {
        name: "AR parent HER-id missing",
        change: |w| {
            if let Some(parent) = w.ar_mut(PERSON).parent.as_mut() {
                parent.her_id = her(999);
            }
        },
        expect: &[("ar-parent-missing", 1)],
    },
    Case {
        name: "AR parent deactivated while the children are active",
        change: |w| w.ar_mut(ORG).valid_to = Some(at(2026, 1, 1)),
        expect: &[("ar-parent-inactive", 2)],
    },
    Case {
        name: "AR parent cycle",
        change: |w| {
            if let Some(parent) = w.ar_mut(PERSON).parent.as_mut() {
                parent.her_id = her(SERVICE);
            }
            if let Some(parent) = w.ar_mut(SERVICE).parent.as_mut() {
                parent.her_id = her(PERSON);
            }
        },
        expect: &[("ar-parent-cycle", 1)],
    },
    Case {
        name: "AR person's HPR number not in HPR",
        change: |w| {
            w.ar_mut(PERSON).hpr_number = Some(MaybeValid::Valid(
                HprNumber::new(5_000_099).unwrap_or_else(|e| panic!("{e}")),
            ));
        },
        expect: &[("ar-person-hpr-missing", 1)],
    },
    Case {
        name: "AR person's HPR number replaced",
        change: |w| w.hpr[0].replaced_by = HprNumber::new(5_000_002).ok(),
        expect: &[("ar-person-hpr-replaced", 1)],
    },
    Case {
        name: "AR person whose approval has expired",
        change: |w| {
            let approval = &mut w.hpr[0].approvals[0];
            approval.validity.to = Some(day(2026, 1, 31));
            approval.specialities[0].validity.to = Some(day(2026, 1, 31));
        },
        expect: &[("ar-person-not-authorised", 1)],
    },
    Case {
        name: "speciality in force under an approval that is not",
        change: |w| {
            let mut other = personnel(5_000_002, Some(nin(2)), "Ola", "Nordmann");
            other.approvals[0].end_status = Some(Code::new(CodeSystemId::new("7705"), "T"));
            w.hpr.push(other);
        },
        expect: &[("hpr-right-without-authorisation", 1)],
    },
    Case {
        name: "tracked person deceased while an approval is open",
        change: |w| {
            w.preg[0].death_date = Some(day(2026, 3, 1));
            w.preg[0].status = Some(PersonStatus::Deceased);
        },
        expect: &[("hpr-deceased-with-open-approval", 1)],
    },
    Case {
        name: "Brreg sub-unit whose parent is not in the mirror",
        change: |w| w.brreg[1].parent = Some(MaybeValid::Valid(orgnr(60))),
        expect: &[("brreg-parent-missing", 1)],
    },
    Case {
        name: "Brreg sub-unit whose parent is deleted",
        change: |w| w.brreg[0].deleted_date = Some(day(2025, 1, 1)),
        expect: &[("ar-org-inactive-in-brreg", 1), ("brreg-parent-deleted", 1)],
    },
    Case {
        name: "expired signing certificate",
        change: |w| w.ar_mut(ORG).signing_certificate = Some(certificate("AA01", at(2026, 5, 1))),
        expect: &[("ar-certificate-expired", 1)],
    },
    Case {
        name: "encryption certificate expiring within 30 days",
        change: |w| {
            w.ar_mut(ORG).encryption_certificate = Some(certificate("AA02", at(2026, 6, 20)));
        },
        expect: &[("ar-certificate-expiring", 1)],
    },
    Case {
        name: "service with transport disabled and no EDI address",
        change: |w| {
            let service = w.ar_mut(SERVICE);
            service.edi_address = None;
            service.amqp_transport_status = AmqpTransportStatus::Disabled;
        },
        expect: &[("ar-no-message-address", 1)],
    },
    Case {
        name: "service without its own address inherits its organisation's",
        change: |w| w.ar_mut(SERVICE).edi_address = None,
        expect: &[],
    },
    Case {
        name: "one NIN on two HPR numbers",
        change: |w| {
            let mut twin = personnel(5_000_002, Some(nin(1)), "Kari", "Nordmann");
            twin.approvals[0].specialities.clear();
            w.hpr.push(twin);
        },
        expect: &[("hpr-duplicate-nin", 1)],
    },
    Case {
        name: "two active AR organisations with the same number and name",
        change: |w| {
            let mut twin = w.ar_mut(ORG).clone();
            twin.her_id = her(103);
            twin.signing_certificate = None;
            twin.encryption_certificate = None;
            w.ar.push(twin);
        },
        expect: &[("ar-duplicate-organisation", 1)],
    },
    Case {
        name: "a register never synced",
        change: |w| w.synced.retain(|&register| register != Register::Hpr),
        expect: &[("register-stale", 1)],
    },
    Case {
        name: "a register with quarantined records",
        change: |w| w.quarantined = true,
        expect: &[("register-quarantine", 1)],
    },
];

async fn run_cases(
    db: &dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<TestDb>>>>,
) {
    for case in CASES {
        let Some(db) = db().await else { return };
        let store = Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: open: {e}", case.name));
        let mut world = World::clean();
        (case.change)(&mut world);
        world.load(&store).await;
        let findings = check::run(&store, &options())
            .await
            .unwrap_or_else(|e| panic!("{}: check: {e}", case.name));
        let expected: BTreeMap<&str, usize> = case.expect.iter().copied().collect();
        assert_eq!(
            counts(&findings),
            expected,
            "{} on {:?}: {findings:#?}",
            case.name,
            db.kind
        );
        for finding in &findings {
            assert!(
                !finding.message.contains(&nin(1).expose()),
                "a whole NIN in {}",
                finding.message
            );
        }
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_on_sqlite() {
    run_cases(&|| Box::pin(async { Some(TestDb::sqlite()) })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_on_postgres() {
    run_cases(&|| Box::pin(TestDb::postgres())).await;
}

#[tokio::test]
async fn warning_period_and_rule_selection() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let mut world = World::clean();
    world.ar_mut(ORG).encryption_certificate = Some(certificate("AA02", at(2026, 6, 20)));
    world.brreg[0].bankrupt = true;
    world.load(&store).await;

    let mut short = options();
    short.certificate_days = 10;
    let findings = check::run(&store, &short)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        counts(&findings),
        [("ar-org-inactive-in-brreg", 1)].into_iter().collect()
    );

    let only = options()
        .only_rules(&["ar-certificate-expiring"])
        .unwrap_or_else(|e| panic!("{e}"));
    let findings = check::run(&store, &only)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        counts(&findings),
        [("ar-certificate-expiring", 1)].into_iter().collect()
    );
    assert_eq!(
        findings[0].keys_text(),
        "her_id 100, certificate encryption, thumbprint AA02"
    );

    let mut brreg_only = options();
    brreg_only.registers = Some(vec![Register::Brreg]);
    let findings = check::run(&store, &brreg_only)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(findings.is_empty(), "{findings:#?}");

    assert!(options().only_rules(&["no-such-rule"]).is_err());
}

// ----- planted anomalies ------------------------------------------------------------------

mod planted {
    use super::*;
    use grunndata_sync::synth::{AnomalyOptions, Synth, SynthConfig, produced_at};

    fn synth(anomalies: bool) -> Synth {
        Synth::new(SynthConfig {
            seed: 7,
            scale: 0.001,
            anomalies: AnomalyOptions { enabled: anomalies },
        })
        .unwrap_or_else(|e| panic!("synth: {e}"))
    }

    async fn findings_on(db: &TestDb, synth: &Synth) -> Vec<Finding> {
        let store = Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        common::world::load(&store, synth).await;
        let options = CheckOptions::new(produced_at(), &Config::default());
        let findings = check::run(&store, &options)
            .await
            .unwrap_or_else(|e| panic!("check: {e}"));
        store.close().await;
        findings
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consistent_world_has_no_findings() {
        let findings = findings_on(&TestDb::sqlite(), &synth(false)).await;
        assert!(findings.is_empty(), "{findings:#?}");
        assert!(synth(false).planted_anomalies().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_planted_anomaly_is_found_on_sqlite() {
        let synth = synth(true);
        let findings = findings_on(&TestDb::sqlite(), &synth).await;
        let planted = synth.planted_anomalies();
        // Every rule whose kind is data (not mirror state) is planted.
        assert_eq!(planted.len(), check::RULES.len() - 2, "{planted:?}");
        assert_eq!(counts(&findings), planted, "{findings:#?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_planted_anomaly_is_found_on_postgres() {
        let Some(db) = TestDb::postgres().await else {
            return;
        };
        let synth = synth(true);
        let on_postgres = findings_on(&db, &synth).await;
        assert_eq!(counts(&on_postgres), synth.planted_anomalies());
        let on_sqlite = findings_on(&TestDb::sqlite(), &synth).await;
        assert_eq!(
            on_postgres, on_sqlite,
            "both backends give the same findings"
        );
    }
}

/// Regression (issue 14): a deployment that does not mirror Persontjenesten (or HPR) was
/// judged stale for it on every run, and rules joining an unmirrored register flagged every
/// record. Only mirrored registers are judged; rules that need another are skipped, named.
#[tokio::test]
async fn registers_outside_sync_sources_are_not_judged() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let mut world = World::clean();
    // Only Brreg and AR are mirrored: no HPR records, no persons, never synced.
    world.hpr.clear();
    world.preg.clear();
    world.synced = vec![Register::Brreg, Register::Ar];
    world.load(&store).await;

    // With every register configured, the missing ones show (the old behaviour, still right
    // for a deployment that mirrors all four).
    let all = check::run(&store, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let all_counts = counts(&all);
    assert_eq!(all_counts.get("register-stale"), Some(&2), "{all:#?}");
    assert_eq!(
        all_counts.get("ar-person-hpr-missing"),
        Some(&1),
        "{all:#?}"
    );

    let mut config = Config::default();
    config.sync.sources = vec!["brreg".to_owned(), "ar".to_owned()];
    let options = CheckOptions::new(now(), &config);
    let findings = check::run(&store, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(findings.is_empty(), "{findings:#?}");
    let skipped: Vec<(&str, Vec<Register>)> = options
        .skipped_rules()
        .into_iter()
        .map(|skipped| (skipped.rule.id, skipped.missing))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("ar-person-hpr-missing", vec![Register::Hpr]),
            ("ar-person-hpr-replaced", vec![Register::Hpr]),
            ("ar-person-not-authorised", vec![Register::Hpr]),
            ("hpr-right-without-authorisation", vec![Register::Hpr]),
            (
                "hpr-deceased-with-open-approval",
                vec![Register::Hpr, Register::Preg]
            ),
            ("hpr-duplicate-nin", vec![Register::Hpr]),
        ]
    );
}

//! The synthetic data generator: determinism, valid identifiers, cross-register consistency,
//! realistic mixes and field names that match the upstream specs.

// In tests a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::Path;

use grunndata_core::id::{CheckDigitRule, NationalId, NationalIdKind, OrgNumber};
use grunndata_sync::synth::{Synth, SynthConfig, write_ndjson};
use serde_json::Value;

fn synth(seed: u64, scale: f64) -> Synth {
    Synth::new(SynthConfig {
        seed,
        scale,
        ..SynthConfig::default()
    })
    .expect("valid config")
}

fn json<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).expect("serialisable")
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    grunndata_sync::synth::FILES
        .iter()
        .map(|file| {
            (
                (*file).to_owned(),
                fs::read(dir.join(file)).expect("file written"),
            )
        })
        .collect()
}

#[test]
fn same_seed_and_scale_give_identical_files_and_another_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let report = write_ndjson(&synth(7, 0.0005), a.path()).unwrap();
    write_ndjson(&synth(7, 0.0005), b.path()).unwrap();
    write_ndjson(&synth(8, 0.0005), c.path()).unwrap();
    let (fa, fb, fc) = (
        read_dir_files(a.path()),
        read_dir_files(b.path()),
        read_dir_files(c.path()),
    );
    assert_eq!(fa, fb);
    for ((name, x), (_, z)) in fa.iter().zip(&fc) {
        assert_ne!(x, z, "{name} should differ between seeds");
    }
    let counts = synth(7, 0.0005).counts();
    assert_eq!(report.records(), counts.total());
    for (name, bytes) in &fa {
        let lines = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        let expected = report
            .files
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, n)| *n);
        assert_eq!(Some(lines), expected, "{name}");
    }
}

#[test]
fn large_files_written_in_parallel_keep_index_order() {
    // 54 000 persons: above the threshold where chunks are generated on several threads.
    let s = synth(4, 0.009);
    let dir = tempfile::tempdir().unwrap();
    write_ndjson(&s, dir.path()).unwrap();
    let text = fs::read_to_string(dir.path().join("preg/persons.ndjson")).unwrap();
    let mut lines = 0u64;
    for (i, line) in text.lines().enumerate() {
        let i = i as u64;
        // Cheap check of every line's position, full comparison of a sample.
        assert!(
            line.contains(&format!("\"sequenceNumber\":{},", i + 1)),
            "line {i} out of order"
        );
        if i.is_multiple_of(9973) {
            assert_eq!(line, serde_json::to_string(&s.preg_person(i)).unwrap());
        }
        lines += 1;
    }
    assert_eq!(lines, s.counts().preg_persons);
}

#[test]
fn records_are_regenerated_identically_in_any_order() {
    let s = synth(3, 0.001);
    let forward: Vec<Value> = (0..50).map(|i| json(&s.preg_person(i))).collect();
    let backward: Vec<Value> = (0..50).rev().map(|i| json(&s.preg_person(i))).collect();
    assert_eq!(forward, backward.into_iter().rev().collect::<Vec<_>>());
    assert_eq!(
        json(&s.hpr_person(17)),
        json(&synth(3, 0.001).hpr_person(17))
    );
}

#[test]
fn every_identifier_is_valid_and_synthetic() {
    let s = synth(11, 0.002);
    let c = s.counts();
    let mut nins = HashSet::new();
    for p in 0..c.preg_persons {
        let nin = s.preg_nin(p);
        let parsed = NationalId::parse(&nin).unwrap_or_else(|e| panic!("person {p}: {e}"));
        assert!(parsed.is_synthetic(), "Tenor numbers only");
        assert_eq!(parsed.check_digit_rule(), CheckDigitRule::Classic);
        assert!(matches!(
            parsed.kind(),
            NationalIdKind::Fodselsnummer | NationalIdKind::DNummer
        ));
        assert!(nins.insert(nin.clone()), "unique");
        assert_eq!(
            s.preg_index_by_nin(&nin),
            Some(p),
            "{nin} looks up its person"
        );
        let id = s.preg_person_id(p);
        assert_eq!(s.preg_index_by_id(&id), Some(p));
    }
    for i in 0..c.enheter {
        let orgnr = s.enhet_orgnr(i);
        OrgNumber::parse(&orgnr).unwrap_or_else(|e| panic!("enhet {i}: {e}"));
        assert_eq!(s.enhet_index(&orgnr), Some(i));
        assert_eq!(s.underenhet_index(&orgnr), None);
    }
    for i in 0..c.underenheter {
        let orgnr = s.underenhet_orgnr(i);
        OrgNumber::parse(&orgnr).unwrap_or_else(|e| panic!("underenhet {i}: {e}"));
        assert_eq!(s.underenhet_index(&orgnr), Some(i));
    }
    for i in 0..c.hpr_persons {
        assert_eq!(s.hpr_index(s.hpr_number(i)), Some(i));
    }
    for i in 0..c.ar_total() {
        assert_eq!(s.ar_index(s.ar_her_id(i)), Some(i));
    }
    assert_eq!(
        s.preg_index_by_nin("15108695088"),
        None,
        "a real-format number is not ours"
    );
    assert_eq!(s.preg_index_by_id("not-an-id"), None);
}

#[test]
fn cross_register_references_resolve() {
    let s = synth(5, 0.002);
    let c = s.counts();
    let enheter: HashMap<String, Value> = (0..c.enheter)
        .map(|i| {
            let e = json(&s.enhet(i));
            (e["organisasjonsnummer"].as_str().unwrap().to_owned(), e)
        })
        .collect();
    for i in 0..c.underenheter {
        let u = json(&s.underenhet(i));
        if let Some(parent) = u.get("overordnetEnhet").and_then(Value::as_str) {
            let parent = enheter.get(parent).expect("parent is a generated enhet");
            assert!(parent.get("slettedato").is_none(), "parent is not deleted");
        } else {
            assert!(
                u.get("slettedato").is_some(),
                "only deleted sub-units lack a parent"
            );
        }
    }
    let hpr: HashMap<u64, Value> = (0..c.hpr_persons)
        .map(|i| (s.hpr_number(i), json(&s.hpr_person(i))))
        .collect();
    let parties: HashMap<u64, Value> = (0..c.ar_total())
        .map(|i| (s.ar_her_id(i), json(&s.communication_party(i))))
        .collect();
    let mut organisations = 0;
    for party in parties.values() {
        match party["type"].as_str().unwrap() {
            "Organization" => {
                organisations += 1;
                let details = &party["organizationDetails"];
                let orgnr = details["organizationNumber"].as_str().unwrap();
                let enhet = enheter
                    .get(orgnr)
                    .expect("AR organisation's orgnr is in Brreg");
                assert!(enhet.get("slettedato").is_none());
                for child in details["persons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain(details["services"].as_array().unwrap())
                {
                    let child = &parties[&child.as_u64().unwrap()];
                    let parent = child
                        .pointer("/personDetails/parentOrganization/herId")
                        .or_else(|| child.pointer("/serviceDetails/parentOrganization/herId"));
                    assert_eq!(parent, Some(&party["herId"]), "listed child points back");
                }
            }
            "Person" => {
                let number = party["personDetails"]["hprNumber"].as_u64().unwrap();
                let person = hpr.get(&number).expect("AR person's HPR number exists");
                assert!(person["erstattetAvHprNummer"].is_null());
                assert!(
                    !person["godkjenninger"].as_array().unwrap().is_empty(),
                    "has an authorisation"
                );
            }
            "Service" => assert!(party["serviceDetails"]["parentOrganization"]["herId"].is_u64()),
            other => panic!("unexpected type {other}"),
        }
    }
    assert!(organisations > 0);
    // HPR persons are Persontjenesten persons: same number, birth date and name.
    for (i, person) in (0..c.hpr_persons).map(|i| (i, &hpr[&s.hpr_number(i)])) {
        if let Some(target) = person["erstattetAvHprNummer"].as_u64() {
            assert!(
                hpr[&target]["erstattetAvHprNummer"].is_null(),
                "merge target is not merged itself"
            );
            continue;
        }
        let Some(nin) = person["person"]["nin"].as_str() else {
            continue;
        };
        let p = s
            .preg_index_by_nin(nin)
            .expect("HPR NIN is a Persontjenesten person");
        assert_eq!(p, i);
        let preg = json(&s.preg_person(p));
        assert_eq!(
            preg["birth"][0]["birthDate"].as_str().unwrap()[..10],
            *person["person"]["fødselsdato"].as_str().unwrap()
        );
        assert_eq!(
            preg["name"][0]["familyName"].as_str().unwrap(),
            person["person"]["etternavn"]
                .as_str()
                .unwrap()
                .to_uppercase()
        );
    }
}

#[test]
fn mixes_are_realistic() {
    let s = synth(2, 0.005);
    let c = s.counts();
    let mut statuses = BTreeSet::new();
    let mut protections = BTreeSet::new();
    let mut d_numbers = 0;
    for p in 0..c.preg_persons {
        let person = json(&s.preg_person(p));
        statuses.insert(person["status"][0]["status"].as_str().unwrap().to_owned());
        if let Some(level) = person["addressProtection"].get(0) {
            protections.insert(level["protectionLevel"].as_str().unwrap().to_owned());
        }
        d_numbers += u32::from(
            person["norwegianIdentificationNumber"][0]["identificationNumberType"] == "DNumber",
        );
    }
    let all_statuses = [
        "Resident",
        "Emigrated",
        "Disappeared",
        "Deceased",
        "Discontinued",
        "RegisteredAtBirth",
        "Temporary",
        "Inactive",
        "NotResident",
        "Active",
    ];
    for status in all_statuses {
        assert!(
            statuses.contains(status),
            "some person is {status}: {statuses:?}"
        );
    }
    for level in [
        "Unclassified",
        "ClientAddress",
        "Confidential",
        "StrictlyConfidential",
    ] {
        assert!(protections.contains(level), "some person has {level}");
    }
    assert!(d_numbers > 0);

    let (mut categories, mut suspended, mut merged, mut specialists, mut requisition, mut expired) =
        (BTreeSet::new(), 0, 0, 0, 0, 0);
    for i in 0..c.hpr_persons {
        let person = json(&s.hpr_person(i));
        merged += u32::from(!person["erstattetAvHprNummer"].is_null());
        for g in person["godkjenninger"].as_array().unwrap() {
            categories.insert(
                g["helsepersonellkategori"]["verdi"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            assert_eq!(g["helsepersonellkategori"]["kodeverk"]["id"], 9060);
            suspended += u32::from(!g["administrativeReaksjoner"].as_array().unwrap().is_empty());
            specialists += u32::from(!g["spesialistgodkjenninger"].as_array().unwrap().is_empty());
            requisition += u32::from(!g["rekvisisjonsretter"].as_array().unwrap().is_empty());
            expired += u32::from(
                g["periode"]["til"]
                    .as_str()
                    .is_some_and(|til| til < "2025-06-01"),
            );
        }
    }
    for category in ["SP", "HF", "LE", "FT", "PS", "TL", "JO"] {
        assert!(categories.contains(category), "category {category} appears");
    }
    assert!(suspended > 0 && merged > 0 && specialists > 0 && requisition > 0 && expired > 0);

    let (mut deleted, mut bankrupt) = (0, 0);
    for i in 0..c.enheter {
        let e = json(&s.enhet(i));
        deleted += u32::from(e.get("slettedato").is_some());
        bankrupt += u32::from(e.get("konkurs") == Some(&Value::Bool(true)));
    }
    assert!(deleted > 0 && bankrupt > 0);
}

/// Checks that every key of `value` is a property of `schema` and its required ones are there.
fn check_object(value: &Value, schema: &Value, what: &str) {
    let allowed: HashSet<&str> = schema["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object"));
    for key in object.keys() {
        assert!(
            allowed.contains(key.as_str()),
            "{what} has {key}, which the spec does not"
        );
    }
    for required in schema["required"].as_array().unwrap() {
        assert!(
            object.contains_key(required.as_str().unwrap()),
            "{what} lacks required {required}"
        );
    }
}

fn check_names(value: &Value, allowed: &Value, what: &str) {
    let allowed: HashSet<&str> = allowed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for key in value.as_object().unwrap().keys() {
        assert!(
            allowed.contains(key.as_str()),
            "{what} has {key}, which the spec does not"
        );
    }
}

fn schemas() -> Value {
    serde_json::from_str(include_str!("fixtures/upstream-schemas.json")).unwrap()
}

#[test]
fn field_names_match_the_specs() {
    let spec = schemas();
    let s = synth(9, 0.001);
    let c = s.counts();
    let ar = &spec["ar"];
    for i in 0..c.ar_total() {
        let party = json(&s.communication_party(i));
        check_object(&party, &ar["CommunicationParty"], "CommunicationParty");
        for (field, schema) in [
            ("organizationDetails", "OrganizationDetails"),
            ("personDetails", "PersonDetails"),
            ("serviceDetails", "ServiceDetails"),
            ("postalAddress", "PostalAddress"),
            ("amqpAddress", "AmqpAddress"),
            ("currentSigningCertificate", "CertificateMetadata"),
        ] {
            if party[field].is_object() {
                check_object(&party[field], &ar[schema], schema);
            }
        }
        for path in [
            "/organizationDetails/businessType",
            "/serviceDetails/serviceType",
        ] {
            if let Some(code) = party.pointer(path) {
                check_object(code, &ar["AdministrativeCode"], "AdministrativeCode");
            }
        }
    }
    let preg = &spec["preg"];
    let enum_of = |name: &str| -> HashSet<String> {
        preg["enums"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    for p in (0..c.preg_persons).step_by(7) {
        let person = json(&s.preg_person(p));
        check_object(&person, &preg["Person"], "Person");
        for (field, schema) in [
            (
                "norwegianIdentificationNumber",
                "NorwegianIdentificationNumber",
            ),
            ("name", "PersonName"),
            ("birth", "Birth"),
            ("status", "PersonStatus"),
            ("gender", "PersonGender"),
            ("addressProtection", "AddressProtection"),
            ("residentialAddress", "ResidentialAddress"),
            ("postalAddress", "ContactAddress"),
        ] {
            for item in person[field].as_array().unwrap() {
                check_object(item, &preg[schema], schema);
            }
        }
        if person["death"].is_object() {
            check_object(&person["death"], &preg["Death"], "Death");
        }
        for address in person["residentialAddress"].as_array().unwrap() {
            check_object(
                &address["streetAddress"],
                &preg["StreetAddress"],
                "StreetAddress",
            );
            check_object(
                &address["streetAddress"]["addressNumber"],
                &preg["StreetAddressNumber"],
                "StreetAddressNumber",
            );
            check_object(&address["streetAddress"]["city"], &preg["City"], "City");
            assert!(
                enum_of("AddressConfidentiality")
                    .contains(address["addressConfidentiality"].as_str().unwrap())
            );
        }
        for status in person["status"].as_array().unwrap() {
            assert!(enum_of("PersonStatusType").contains(status["status"].as_str().unwrap()));
        }
    }
    let brreg = &spec["brreg"];
    for i in 0..c.enheter.min(300) {
        let e = json(&s.enhet(i));
        check_names(&e, &brreg["Enhet"], "Enhet");
        for address in ["postadresse", "forretningsadresse"] {
            if e[address].is_object() {
                check_names(&e[address], &brreg["Adresse"], "Adresse");
            }
        }
        let u = json(&s.underenhet(i.min(c.underenheter - 1)));
        check_names(&u, &brreg["Underenhet"], "Underenhet");
    }
    let hpr = &spec["hpr"];
    for i in 0..c.hpr_persons.min(300) {
        let h = json(&s.hpr_person(i));
        check_names(&h, &hpr["HelsepersonUtvidet"], "HelsepersonUtvidet");
        check_names(&h["person"], &hpr["Person"], "person");
        for g in h["godkjenninger"].as_array().unwrap() {
            check_names(g, &hpr["Godkjenning"], "Godkjenning");
            check_names(&g["helsepersonellkategori"], &hpr["Kode"], "Kode");
            check_names(&g["periode"], &hpr["Periode"], "Periode");
            for r in g["rekvisisjonsretter"]
                .as_array()
                .unwrap()
                .iter()
                .chain(g["spesialistgodkjenninger"].as_array().unwrap())
            {
                check_names(r, &hpr["Rettighet"], "Rettighet");
            }
        }
    }
}

#[test]
fn invalid_scales_are_refused() {
    for scale in [0.0, -1.0, 2.5, f64::NAN] {
        assert!(
            Synth::new(SynthConfig {
                scale,
                ..SynthConfig::default()
            })
            .is_err(),
            "scale {scale}"
        );
    }
    assert!(
        Synth::new(SynthConfig {
            scale: 2.0,
            ..SynthConfig::default()
        })
        .is_ok()
    );
}

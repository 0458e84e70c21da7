//! The authorisation rule: every reason, precedence between approvals, inclusive ends.

use chrono::NaiveDate;
use grunndata_core::authz::{self, Reason, Verdict};
use grunndata_core::codes::{Category, Code, CodeSystemId};
use grunndata_core::id::HprNumber;
use grunndata_core::model::{
    Approval, HealthPersonnel, Name, Period, RequisitionRight, Speciality, Suspension,
};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("test dates are valid")
}

fn hpr(number: i64) -> HprNumber {
    HprNumber::new(number).expect("test HPR numbers are positive")
}

/// Builds an approval tersely: `approval("LE", "1", "2020-01-01", "2026-03-31")`; `""` is an
/// open end.
fn approval(category: &str, kind: &str, from: &str, to: &str) -> Approval {
    let end = |text: &str| (!text.is_empty()).then(|| day(text));
    Approval {
        id: None,
        category: Category::new(category),
        authorisation: (!kind.is_empty()).then(|| Code::new(CodeSystemId::AUTHORISATION, kind)),
        validity: Period::new(end(from), end(to)),
        end_status: None,
        internship_approved: None,
        suspensions: vec![],
        specialities: vec![],
        requisition_rights: vec![],
        additional_competences: vec![],
        conditions: vec![],
        administrative_reactions: vec![],
    }
}

fn suspended(mut approval: Approval, from: &str, to: &str) -> Approval {
    approval.suspensions.push(Suspension {
        id: Some(1),
        period: Period::new(Some(day(from)), (!to.is_empty()).then(|| day(to))),
    });
    approval
}

fn ended(mut approval: Approval, status: &str) -> Approval {
    approval.end_status = Some(Code::with_display(CodeSystemId::new("7705"), "3", status));
    approval
}

fn personnel(approvals: Vec<Approval>) -> HealthPersonnel {
    HealthPersonnel {
        hpr_number: hpr(9_144_889),
        nin: None,
        missing_nin: false,
        name: Name {
            given: Some("Åse".into()),
            middle: None,
            family: Some("Ærlig-Øvre".into()),
        },
        birth_date: None,
        death_date: None,
        replaced_by: None,
        approvals,
        administrative_reactions: vec![],
        last_updated: None,
    }
}

/// What a case expects: authorised (by the approval starting on this day), or this reason.
#[derive(Debug)]
enum Expect {
    Yes(&'static str),
    No(Reason),
}

#[test]
fn verdicts() {
    use Expect::{No, Yes};
    let lege = || approval("LE", "1", "2020-01-01", "2026-03-31");
    let replaced = {
        let mut p = personnel(vec![lege()]);
        p.replaced_by = Some(hpr(9_144_890));
        p
    };
    let dead = {
        let mut p = personnel(vec![lege()]);
        p.death_date = Some(day("2025-06-01"));
        p
    };
    let suspension = Period::new(Some(day("2025-10-01")), Some(day("2026-01-01")));
    #[rustfmt::skip]
    let cases: Vec<(&str, HealthPersonnel, Category, &str, Expect)> = vec![
        ("valid on first day", personnel(vec![lege()]), Category::LE, "2020-01-01", Yes("2020-01-01")),
        ("valid on last day: `to` is inclusive", personnel(vec![lege()]), Category::LE, "2026-03-31", Yes("2020-01-01")),
        ("open-ended", personnel(vec![approval("LE", "1", "2020-01-01", "")]), Category::LE, "2090-01-01", Yes("2020-01-01")),
        ("expired the day after `to`", personnel(vec![lege()]), Category::LE, "2026-04-01", No(Reason::Expired { to: day("2026-03-31") })),
        ("not yet valid the day before `from`", personnel(vec![lege()]), Category::LE, "2019-12-31", No(Reason::NotYetValid { from: day("2020-01-01") })),
        ("no approval at all", personnel(vec![]), Category::LE, "2024-01-01", No(Reason::NoSuchApproval)),
        ("approval in another category only", personnel(vec![approval("SP", "1", "2020-01-01", "")]), Category::LE, "2024-01-01", No(Reason::NoSuchApproval)),
        ("suspension covers the day", personnel(vec![suspended(lege(), "2025-10-01", "2026-01-01")]), Category::LE, "2025-12-24", No(Reason::Suspended { period: suspension })),
        ("suspension's last day is inclusive", personnel(vec![suspended(lege(), "2025-10-01", "2026-01-01")]), Category::LE, "2026-01-01", No(Reason::Suspended { period: suspension })),
        ("suspension over", personnel(vec![suspended(lege(), "2025-10-01", "2026-01-01")]), Category::LE, "2026-01-02", Yes("2020-01-01")),
        ("suspension not begun", personnel(vec![suspended(lege(), "2025-10-01", "2026-01-01")]), Category::LE, "2025-09-30", Yes("2020-01-01")),
        ("open-ended suspension", personnel(vec![suspended(lege(), "2025-10-01", "")]), Category::LE, "2026-02-01", No(Reason::Suspended { period: Period::starting(day("2025-10-01")) })),
        ("end status ends it inside its period", personnel(vec![ended(lege(), "Tilbakekalt")]), Category::LE, "2024-01-01", No(Reason::Ended { status: Code::with_display(CodeSystemId::new("7705"), "3", "Tilbakekalt") })),
        ("replaced by another HPR number, even with a valid approval", replaced, Category::LE, "2024-01-01", No(Reason::ReplacedBy { hpr: hpr(9_144_890) })),
        ("deceased on or before the day", dead.clone(), Category::LE, "2025-06-01", No(Reason::Deceased { date: day("2025-06-01") })),
        ("alive the day before death", dead, Category::LE, "2025-05-31", Yes("2020-01-01")),
        ("student type (7704 value 3) does not authorise", personnel(vec![approval("LE", "3", "2020-01-01", "")]), Category::LE, "2024-01-01", No(Reason::NotAnAuthorisation { authorisation: Some(Code::new(CodeSystemId::AUTHORISATION, "3")) })),
        ("missing type does not authorise", personnel(vec![approval("LE", "", "2020-01-01", "")]), Category::LE, "2024-01-01", No(Reason::NotAnAuthorisation { authorisation: None })),
        ("other NAV-accepted types authorise", personnel(vec![approval("LE", "18", "2020-01-01", "")]), Category::LE, "2024-01-01", Yes("2020-01-01")),
        ("unknown category code kept and matched", personnel(vec![approval("ZZ", "1", "2020-01-01", "")]), Category::new("ZZ"), "2024-01-01", Yes("2020-01-01")),
        // Precedence between several approvals in the category.
        ("any valid approval wins over failures", personnel(vec![suspended(lege(), "2024-01-01", ""), approval("LE", "1", "2023-01-01", "")]), Category::LE, "2024-06-01", Yes("2023-01-01")),
        ("newest of several valid approvals reported", personnel(vec![approval("LE", "2", "2010-01-01", ""), approval("LE", "1", "2015-01-01", "")]), Category::LE, "2024-06-01", Yes("2015-01-01")),
        ("suspended beats expired", personnel(vec![approval("LE", "1", "2010-01-01", "2015-12-31"), suspended(lege(), "2024-01-01", "")]), Category::LE, "2024-06-01", No(Reason::Suspended { period: Period::starting(day("2024-01-01")) })),
        ("suspended beats ended", personnel(vec![ended(lege(), "Frafalt"), suspended(approval("LE", "1", "2021-01-01", ""), "2024-01-01", "")]), Category::LE, "2024-06-01", No(Reason::Suspended { period: Period::starting(day("2024-01-01")) })),
        ("ended beats expired", personnel(vec![approval("LE", "1", "2010-01-01", "2015-12-31"), ended(lege(), "Tilbakekalt")]), Category::LE, "2024-06-01", No(Reason::Ended { status: Code::with_display(CodeSystemId::new("7705"), "3", "Tilbakekalt") })),
        ("expired beats not yet valid", personnel(vec![approval("LE", "1", "2027-01-01", ""), lege()]), Category::LE, "2026-06-01", No(Reason::Expired { to: day("2026-03-31") })),
        ("not yet valid beats wrong type", personnel(vec![approval("LE", "3", "2020-01-01", ""), approval("LE", "1", "2027-01-01", "")]), Category::LE, "2026-06-01", No(Reason::NotYetValid { from: day("2027-01-01") })),
        ("latest expiry reported", personnel(vec![approval("LE", "1", "2010-01-01", "2015-12-31"), lege(), approval("LE", "1", "2000-01-01", "2005-12-31")]), Category::LE, "2026-06-01", No(Reason::Expired { to: day("2026-03-31") })),
        ("earliest future start reported", personnel(vec![approval("LE", "1", "2028-01-01", ""), approval("LE", "1", "2027-01-01", "")]), Category::LE, "2026-06-01", No(Reason::NotYetValid { from: day("2027-01-01") })),
    ];

    for (name, personnel, category, on, expected) in cases {
        let verdict = authz::authorised(&personnel, &category, day(on));
        assert_eq!(verdict.category(), &category, "{name}");
        match expected {
            Yes(from) => {
                let approval = verdict
                    .approval()
                    .unwrap_or_else(|| panic!("{name}: {verdict}"));
                assert_eq!(approval.validity.from, Some(day(from)), "{name}");
                assert!(verdict.is_authorised(), "{name}");
            }
            No(reason) => assert_eq!(verdict.reason(), Some(&reason), "{name}: {verdict}"),
        }
    }
}

#[test]
fn sentences_for_people() {
    let lege = approval("LE", "1", "2020-01-01", "2026-03-31");
    let cases = [
        (
            personnel(vec![lege.clone()]),
            "2026-01-01",
            "authorised as LE Lege (1 Autorisasjon, 2020-01-01 – 2026-03-31)",
        ),
        (
            personnel(vec![lege.clone()]),
            "2026-04-01",
            "not authorised as LE Lege: expired 2026-03-31",
        ),
        (
            personnel(vec![suspended(lege.clone(), "2025-10-01", "2026-01-01")]),
            "2025-10-01",
            "not authorised as LE Lege: suspended 2025-10-01 – 2026-01-01",
        ),
        (
            {
                let mut p = personnel(vec![lege.clone()]);
                p.replaced_by = Some(hpr(9_144_890));
                p
            },
            "2026-01-01",
            "not authorised as LE Lege: replaced by HPR 9144890",
        ),
        (
            personnel(vec![ended(lege.clone(), "Tilbakekalt")]),
            "2026-01-01",
            "not authorised as LE Lege: ended (3 Tilbakekalt)",
        ),
        (
            personnel(vec![]),
            "2026-01-01",
            "not authorised as LE Lege: no approval in this category",
        ),
        (
            personnel(vec![lege]),
            "2019-06-01",
            "not authorised as LE Lege: not valid until 2020-01-01",
        ),
    ];
    for (personnel, on, sentence) in cases {
        let verdict = authz::authorised(&personnel, &Category::LE, day(on));
        assert_eq!(verdict.to_string(), sentence);
    }
}

#[test]
fn verdict_round_trips_through_json() {
    let personnel = personnel(vec![approval("LE", "1", "2020-01-01", "")]);
    for on in ["2024-01-01", "2019-01-01"] {
        let verdict = authz::authorised(&personnel, &Category::LE, day(on));
        let json = serde_json::to_string(&verdict).expect("serialises");
        let back: Verdict = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, verdict, "{json}");
    }
}

fn right(kind: &str, from: &str, to: &str) -> RequisitionRight {
    RequisitionRight {
        id: None,
        kind: Code::new(CodeSystemId::new("7703"), kind),
        validity: Period::new(Some(day(from)), (!to.is_empty()).then(|| day(to))),
        end_status: None,
        suspensions: vec![],
        administrative_reactions: vec![],
    }
}

fn speciality(kind: &str, from: &str, to: &str) -> Speciality {
    Speciality {
        id: None,
        kind: Code::new(CodeSystemId::SPECIALITY, kind),
        validity: Period::new(Some(day(from)), (!to.is_empty()).then(|| day(to))),
        end_status: None,
        suspensions: vec![],
        administrative_reactions: vec![],
    }
}

#[test]
fn rights_and_specialities_in_force() {
    let mut first = approval("LE", "1", "2020-01-01", "");
    first.requisition_rights = vec![
        right("1", "2020-01-01", ""),
        right("2", "2020-01-01", "2023-12-31"),
    ];
    let mut suspended_right = right("3", "2020-01-01", "");
    suspended_right.suspensions.push(Suspension {
        id: None,
        period: Period::starting(day("2024-01-01")),
    });
    first.requisition_rights.push(suspended_right);
    first.specialities = vec![
        speciality("1", "2021-01-01", ""),
        speciality("152", "2025-01-01", ""),
    ];
    let mut ended_speciality = speciality("99", "2020-01-01", "");
    ended_speciality.end_status = Some(Code::new(CodeSystemId::new("7705"), "1"));
    first.specialities.push(ended_speciality);
    // A right under an expired approval still counts on its own (see `requisition_rights`).
    let mut expired = approval("SP", "1", "2010-01-01", "2012-01-01");
    expired.requisition_rights = vec![right("4", "2010-01-01", "")];
    let personnel = personnel(vec![first, expired]);

    let cases = [
        ("2024-06-01", vec!["1", "4"], vec!["1"]),
        ("2023-06-01", vec!["1", "2", "3", "4"], vec!["1"]),
        ("2025-01-01", vec!["1", "4"], vec!["1", "152"]),
    ];
    for (on, rights, specialities) in cases {
        let got: Vec<&str> = authz::requisition_rights(&personnel, day(on))
            .iter()
            .map(|right| right.kind.value.as_str())
            .collect();
        assert_eq!(got, rights, "rights on {on}");
        let got: Vec<&str> = authz::specialities(&personnel, day(on))
            .iter()
            .map(|speciality| speciality.kind.value.as_str())
            .collect();
        assert_eq!(got, specialities, "specialities on {on}");
    }
}

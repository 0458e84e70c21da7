//! `grunndata personnel HPR|NIN`: a health worker's HPR record as a card.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use clap::Args;
use grunndata_sync::core::authz::{self, Verdict};
use grunndata_sync::core::codes::{Category, Code};
use grunndata_sync::core::model::{Approval, HealthPersonnel, Period};
use grunndata_sync::registry::{Found, Practitioner};
use grunndata_sync::store::Register;
use serde::Serialize;

use super::card::Card;
use super::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// Show a health worker's HPR record: approvals with category and authorisation type by
/// name, validity, suspensions, specialities, requisition rights, and whether each category
/// is authorised on the day (`--at`, default today).
///
/// A NIN (11 digits) is a personal-data lookup and is recorded in the audit log.
///
/// `--json` prints one object: `found` (bool), `personnel` (the record: `record` in
/// grunndata's canonical HPR JSON, `valid_from`, `valid_to`, `fetched_at`), `on` (the day)
/// and `verdicts` (one per category held: `verdict` = `authorised` with `approval`, or
/// `not_authorised` with `reason`).
///
/// Exit status: 0 found, 1 not found, 2 malformed number, 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct PersonnelArgs {
    /// HPR number, or fødselsnummer / D-nummer.
    #[arg(value_name = "HPR|NIN")]
    who: String,

    #[command(flatten)]
    lookup: LookupArgs,
}

/// `--json` output.
#[derive(Debug, Serialize)]
struct Json<'a> {
    found: bool,
    personnel: &'a Found<HealthPersonnel>,
    on: NaiveDate,
    verdicts: Vec<Verdict>,
}

impl PersonnelArgs {
    /// Looks the worker up and prints the card.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.lookup())?
    }

    async fn lookup(self) -> anyhow::Result<Outcome> {
        let who: Practitioner = match self.who.parse() {
            Ok(who) => who,
            Err(error) => return Ok(mirror::invalid("HPR number or NIN", error)),
        };
        let registry = self.lookup.open().await?;
        let Some(found) = registry.find_personnel(who).await? else {
            let message = format!("not found: no HPR record for {who}");
            return mirror::not_found(&registry, Register::Hpr, self.lookup.json, message).await;
        };
        let on = self.lookup.day();
        let verdicts = verdicts(&found.record, on);
        if self.lookup.json {
            mirror::print_json(&Json {
                found: true,
                personnel: &found,
                on,
                verdicts,
            })?;
        } else {
            card(&found, on, &verdicts).print();
        }
        Ok(Outcome::Success)
    }
}

/// The verdict for each category the worker holds an approval in, in code order.
pub fn verdicts(personnel: &HealthPersonnel, on: NaiveDate) -> Vec<Verdict> {
    let categories: BTreeSet<&Category> = personnel
        .approvals
        .iter()
        .map(|approval| &approval.category)
        .collect();
    categories
        .into_iter()
        .map(|category| authz::authorised(personnel, category, on))
        .collect()
}

fn card(found: &Found<HealthPersonnel>, on: NaiveDate, verdicts: &[Verdict]) -> Card {
    let personnel = &found.record;
    let mut card = Card::new(personnel.name.full());
    card.field("HPR number", personnel.hpr_number);
    card.optional(
        "NIN",
        personnel
            .nin
            .as_ref()
            .and_then(|nin| nin.valid())
            .map(grunndata_sync::core::id::NationalId::masked),
    );
    card.optional("born", personnel.birth_date);
    card.optional("died", personnel.death_date);
    card.optional(
        "replaced by",
        personnel
            .replaced_by
            .map(|hpr| format!("HPR {hpr} (look the person up under that number)")),
    );
    card.provenance(found);
    card.section(format!("Approvals ({})", personnel.approvals.len()));
    for approval in &personnel.approvals {
        approval_lines(&mut card, approval);
    }
    card.section(format!("On {on}"));
    for verdict in verdicts {
        card.line(1, verdict);
    }
    card
}

/// One approval with everything hanging under it.
fn approval_lines(card: &mut Card, approval: &Approval) {
    let kind = approval
        .authorisation
        .as_ref()
        .map_or_else(|| "no authorisation type".to_owned(), ToString::to_string);
    card.line(
        1,
        format!(
            "{} — {kind}, valid {}",
            approval.category.label(),
            approval.validity
        ),
    );
    if let Some(status) = &approval.end_status {
        card.line(2, format!("ended: {status}"));
    }
    for suspension in &approval.suspensions {
        card.line(2, format!("suspended {}", suspension.period));
    }
    for speciality in &approval.specialities {
        card.line(
            2,
            valid("speciality", &speciality.kind, speciality.validity),
        );
    }
    for right in &approval.requisition_rights {
        card.line(2, valid("requisition right", &right.kind, right.validity));
        for suspension in &right.suspensions {
            card.line(3, format!("suspended {}", suspension.period));
        }
    }
    for competence in &approval.additional_competences {
        card.line(
            2,
            valid(
                "additional competence",
                &competence.kind,
                competence.validity,
            ),
        );
    }
    for condition in &approval.conditions {
        let text = condition.text.as_deref().unwrap_or("");
        match &condition.kind {
            Some(kind) => card.line(2, format!("condition {kind} {text}")),
            None => card.line(2, format!("condition {text}")),
        };
    }
}

/// `speciality 1 Allmennmedisin, valid 2015-01-01 –`.
fn valid(what: &str, kind: &Code, validity: Period) -> String {
    format!("{what} {kind}, valid {validity}")
}

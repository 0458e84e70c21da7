//! `grunndata authz HPR|NIN CATEGORY`: is this health worker authorised as this category?

use chrono::NaiveDate;
use clap::Args;
use grunndata_sync::core::authz::Verdict;
use grunndata_sync::core::codes::Category;
use grunndata_sync::core::id::HprNumber;
use grunndata_sync::registry::Practitioner;
use grunndata_sync::store::Register;
use serde::Serialize;

use super::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// Is a health worker authorised as a category (9060: LE, SP, JM, …) on a day? Answers in
/// one sentence, with the reason when not: expired, ended, suspended, not yet valid, not an
/// authorisation, replaced by another HPR number, deceased, or no approval in the category.
///
/// The day is `--at` (default today), judged against the current HPR record, whose approval
/// periods and suspensions hold the history. A NIN is a personal-data lookup and is audited.
///
/// `--json` prints one object: `authorised` (bool), `on` (the day), `hpr_number`, `name`
/// and `verdict` (`verdict` = `authorised` with `category` and `approval`, or
/// `not_authorised` with `category` and `reason`, e.g. `{"reason": "expired", "to": …}`).
///
/// Exit status: 0 authorised, 1 not authorised or not found, 2 malformed number or unknown
/// category, 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct AuthzArgs {
    /// HPR number, or fødselsnummer / D-nummer.
    #[arg(value_name = "HPR|NIN")]
    who: String,

    /// Health-personnel category (kodeverk 9060), e.g. LE (Lege), SP (Sykepleier).
    #[arg(value_name = "CATEGORY")]
    category: String,

    #[command(flatten)]
    lookup: LookupArgs,
}

/// `--json` output.
#[derive(Debug, Serialize)]
struct Json<'a> {
    authorised: bool,
    on: NaiveDate,
    hpr_number: HprNumber,
    name: String,
    verdict: &'a Verdict,
}

impl AuthzArgs {
    /// Judges and prints the verdict.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.judge())?
    }

    async fn judge(self) -> anyhow::Result<Outcome> {
        let who: Practitioner = match self.who.parse() {
            Ok(who) => who,
            Err(error) => return Ok(mirror::invalid("HPR number or NIN", error)),
        };
        let category: Category = match self.category.parse() {
            Ok(category) => category,
            Err(never) => match never {},
        };
        if !category.is_known() {
            let message = format!(
                "{:?} is not a health-personnel category (kodeverk 9060), e.g. LE, SP, JM",
                category.code()
            );
            return Ok(mirror::invalid("category", message));
        }
        let on = self.lookup.day();
        let registry = self.lookup.open().await?.current();
        let Some(answer) = registry.authorised(who, &category, on).await? else {
            let message = format!("not found: no HPR record for {who}");
            return mirror::not_found(&registry, Register::Hpr, self.lookup.json, message).await;
        };
        let personnel = &answer.personnel.record;
        if self.lookup.json {
            mirror::print_json(&Json {
                authorised: answer.verdict.is_authorised(),
                on,
                hpr_number: personnel.hpr_number,
                name: personnel.name.full(),
                verdict: &answer.verdict,
            })?;
        } else {
            println!(
                "{} (HPR {}) on {on}: {}",
                personnel.name.full(),
                personnel.hpr_number,
                answer.verdict
            );
        }
        Ok(if answer.verdict.is_authorised() {
            Outcome::Success
        } else {
            Outcome::Negative
        })
    }
}

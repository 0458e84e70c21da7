//! `/v1/personnel/…` and `/v1/authz/…`: health personnel by HPR number (or, by `POST`, by
//! NIN), authorisation with the reason, requisition rights and AR parties.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use grunndata_sync::core::authz::Verdict;
use grunndata_sync::core::codes::Category;
use grunndata_sync::core::id::{HprNumber, NationalId};
use grunndata_sync::core::model::HealthPersonnel;
use grunndata_sync::registry::{Caller, Found, Registry};
use serde::{Deserialize, Serialize};

use super::{day, hpr, json_response, not_found, purpose, view};
use crate::commands::personnel::verdicts;
use crate::commands::serve::auth::Principal;
use crate::commands::serve::error::ApiError;
use crate::commands::serve::error::ApiResult;
use crate::commands::serve::state::AppState;

/// `?at=YYYY-MM-DD`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// The day asked about; default today.
    pub at: Option<NaiveDate>,
}

/// The personnel answer (as `grunndata personnel --json`).
#[derive(Debug, Serialize)]
struct PersonnelJson<'a> {
    found: bool,
    personnel: &'a Found<HealthPersonnel>,
    on: NaiveDate,
    verdicts: Vec<Verdict>,
}

/// The authz answer (as `grunndata authz --json`).
#[derive(Debug, Serialize)]
struct AuthzJson<'a> {
    authorised: bool,
    on: NaiveDate,
    hpr_number: HprNumber,
    name: String,
    verdict: &'a Verdict,
}

/// The personnel answer. Looked up by HPR number (the lookup scope), the worker's NIN is
/// masked (`010180*****`); only a person-scope `POST` by NIN shows it whole.
fn personnel_answer(found: &Found<HealthPersonnel>, on: NaiveDate, whole_nin: bool) -> Response {
    let answer = PersonnelJson {
        found: true,
        personnel: found,
        on,
        verdicts: verdicts(&found.record, on),
    };
    if whole_nin {
        return json_response(StatusCode::OK, &answer);
    }
    let mut value = serde_json::to_value(&answer).unwrap_or_default();
    if let Some(nin) = &found.record.nin {
        value["personnel"]["record"]["nin"] = nin
            .valid()
            .map_or_else(|| "[withheld]".to_owned(), NationalId::masked)
            .into();
    }
    json_response(StatusCode::OK, &value)
}

/// `GET /v1/personnel/{hpr}?at=`.
pub async fn by_hpr(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path(text) = path?;
    let Query(query) = query?;
    let hpr = hpr(&text)?;
    let registry = view(&state, &principal, query.at);
    Ok(match registry.personnel(hpr).await? {
        Some(found) => personnel_answer(&found, day(query.at), false),
        None => not_found(),
    })
}

/// The body of `POST /v1/personnel/lookup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NinBody {
    /// Fødselsnummer or D-nummer.
    pub nin: String,
    /// Why the lookup is made (recorded in the audit log); required.
    pub purpose: Option<String>,
    /// The day asked about; default today.
    pub at: Option<NaiveDate>,
}

impl NinBody {
    /// The number, and a registry view that audits the lookup with the token's caller and the
    /// purpose, as of `at`: the one place the person-number routes read their body. 400
    /// without a valid number or a purpose.
    pub fn audited(
        &self,
        state: &AppState,
        principal: &Principal,
    ) -> Result<(NationalId, Registry), ApiError> {
        let nin: NationalId = self
            .nin
            .parse()
            .map_err(|error| ApiError::BadRequest(format!("invalid NIN: {error}")))?;
        let purpose = purpose(self.purpose.as_deref())?;
        let caller = Caller::new(principal.actor()).with_purpose(purpose);
        Ok((nin, view(state, principal, self.at).for_caller(caller)))
    }
}

/// `POST /v1/personnel/lookup` `{"nin", "purpose", "at"}`: personnel by NIN, audited.
pub async fn by_nin(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<NinBody>, JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let (nin, registry) = body.audited(&state, &principal)?;
    Ok(match registry.find_personnel(nin).await? {
        Some(found) => personnel_answer(&found, day(body.at), true),
        None => not_found(),
    })
}

/// `GET /v1/authz/{hpr}/{category}?at=`: authorised or not, and why.
pub async fn authz(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path((text, category)) = path?;
    let Query(query) = query?;
    let hpr = hpr(&text)?;
    let category: Category = match category.parse() {
        Ok(category) => category,
        Err(never) => match never {},
    };
    if !category.is_known() {
        return Err(ApiError::BadRequest(
            "not a health-personnel category (kodeverk 9060), e.g. LE, SP, JM".to_owned(),
        ));
    }
    let on = day(query.at);
    let registry = view(&state, &principal, None);
    let Some(answer) = registry.authorised(hpr, &category, on).await? else {
        return Ok(not_found());
    };
    let personnel = &answer.personnel.record;
    Ok(state.rendered().answer(
        format!("authz/{hpr}/{}/{on}", category.code()),
        &answer.personnel,
        "application/json",
        || {
            serde_json::to_value(AuthzJson {
                authorised: answer.verdict.is_authorised(),
                on,
                hpr_number: personnel.hpr_number,
                name: personnel.name.full(),
                verdict: &answer.verdict,
            })
            .unwrap_or_default()
        },
    ))
}

/// `GET /v1/personnel/{hpr}/requisition-rights?at=`: the rights in force on the day.
pub async fn requisition_rights(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path(text) = path?;
    let Query(query) = query?;
    let hpr = hpr(&text)?;
    let on = day(query.at);
    let registry = view(&state, &principal, None);
    Ok(match registry.requisition_rights(hpr, on).await? {
        Some(rights) => json_response(
            StatusCode::OK,
            &serde_json::json!({ "found": true, "hpr_number": hpr, "on": on, "requisition_rights": rights }),
        ),
        None => not_found(),
    })
}

/// `GET /v1/personnel/{hpr}/parties`: the AR person parties of a health worker.
pub async fn parties(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(text) = path?;
    let hpr = hpr(&text)?;
    let registry = view(&state, &principal, None);
    let parties = registry.parties_of_personnel(hpr).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "hpr_number": hpr, "parties": &*parties }),
    ))
}

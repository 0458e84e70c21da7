//! The HPR SOAP 1.1 service (`IHPR2Service`, BasicHttpBinding) at `/hpr/v2/HPR/Basic`:
//! `HentRegisterEndringer`, `Søk2`, `HentPerson`, `HentPersonMedPersonnummer` and `Ping`.
//!
//! Decisions where the WSDL and our sources are silent (all UNVERIFIED against the real
//! service):
//! - `HentRegisterEndringer(fra, til, side, resultaterPerSide)` returns the persons whose
//!   `SistOppdatert` lies in `[fra, til)`, ordered by (`SistOppdatert`, `HPRNummer`); `side`
//!   starts at 1; `resultaterPerSide` must be 1..=1000. Times without a zone are taken as UTC
//!   and `SistOppdatert` is written as Norwegian wall-clock time without a zone, as HPR does
//!   (request instants with an offset are converted to it before comparing).
//! - `Søk2` supports `HprNummer`, `NIN`, `SistEndretPeriode`, `Side`, `ResultaterPerSide`
//!   (default 100) and `KunBasisData` (approvals left out); any other criterion is a fault.
//!   Without criteria it lists every person, so it also serves as a paged full listing.
//! - Errors are SOAP faults (HTTP 500) with `GenericFault{ErrorCode, Message}`; the texts follow
//!   the observed "ArgumentException: HPR-nummer ikke funnet" style.
//! - `SOAPAction` must name the body's operation as the WSDL does
//!   (`http://schemas.nhn.no/reg/HPRv2/IHPR2Service/<Operation>`, quoted or not, non-ASCII
//!   percent-encoded): otherwise the `ActionNotSupported` fault WCF answers a contract-filter
//!   mismatch with (HTTP 500).
//! - With auth on, HTTP Basic credentials ([`HPR_SOAP_USERNAME`], [`HPR_SOAP_PASSWORD`]) are required,
//!   as the WSDL's `BasicHttpBinding` policy says: without them 401 with
//!   `WWW-Authenticate: Basic`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::NaiveDateTime;
use serde_json::Value;

use super::soap_xml::{self, SoapRequest, Xml};
use super::state::{Overlay, State as AppState, nth_not_skipped};

/// The fake's SOAP service user (with auth on; `configure_clients` sets it in a config).
pub const HPR_SOAP_USERNAME: &str = "grunndata-fake-hpr";
/// Its password: a test credential of the fake, not a secret.
pub const HPR_SOAP_PASSWORD: &str = "fake-hpr-service-password";

/// `SOAPAction` prefix of `IHPR2Service` (the WSDL's `soapAction` is this plus the operation).
const SOAP_ACTION_PREFIX: &str = "http://schemas.nhn.no/reg/HPRv2/IHPR2Service/";

/// Largest page of `HentRegisterEndringer` and `Søk2`.
const MAX_PER_PAGE: u64 = 1000;

/// `Søk2` criteria the fake understands.
const SEARCH_KEYS: &[&str] = &[
    "search/HprNummer",
    "search/NIN",
    "search/SistEndretPeriode/Fra",
    "search/SistEndretPeriode/Til",
    "search/Side",
    "search/ResultaterPerSide",
    "search/KunBasisData",
];

fn xml_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

fn fault(error_code: &str, message: &str) -> Response {
    match soap_xml::fault("s:Client", error_code, message) {
        Ok(body) => xml_response(StatusCode::INTERNAL_SERVER_ERROR, body),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn argument(message: &str) -> Response {
    fault("ArgumentException", message)
}

/// Middleware (auth on): HTTP Basic with the fake's service user, or 401.
pub(crate) async fn require_basic(request: Request, next: Next) -> Response {
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{HPR_SOAP_USERNAME}:{HPR_SOAP_PASSWORD}"));
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials.trim());
    if presented == Some(expected.as_str()) {
        return next.run(request).await;
    }
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"HPR\""),
    );
    response
}

/// The operation a `SOAPAction` header names: quotes removed, percent-decoded, prefix
/// stripped; `None` when absent, not UTF-8 or outside `IHPR2Service`. Raw UTF-8 (`Søk2`
/// unencoded) is read too, as WCF does.
fn action_operation(headers: &HeaderMap) -> Option<String> {
    let raw = std::str::from_utf8(headers.get("soapaction")?.as_bytes())
        .ok()?
        .trim()
        .trim_matches('"');
    // `+` never occurs in an action URI, so the form decoding serves for its `%XX`.
    let decoded = super::http::form_decode(raw);
    decoded.strip_prefix(SOAP_ACTION_PREFIX).map(str::to_owned)
}

/// The SOAP endpoint.
pub(crate) async fn soap(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body);
    let Some(request) = soap_xml::parse(&text) else {
        return argument("Ugyldig SOAP-forespørsel");
    };
    let action = action_operation(&headers);
    if action.as_deref() != Some(request.operation.as_str()) {
        let shown = headers
            .get("soapaction")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        return fault(
            "ActionNotSupported",
            &format!(
                "The message with Action '{shown}' cannot be processed at the receiver, due to a ContractFilter mismatch at the EndpointDispatcher (body: {})",
                request.operation
            ),
        );
    }
    let result = match request.operation.as_str() {
        "HentRegisterEndringer" => register_changes(&state, &request),
        "Søk2" => search(&state, &request),
        "HentPerson" => person_by_number(&state, &request),
        "HentPersonMedPersonnummer" => person_by_nin(&state, &request),
        "Ping" => ping(&request),
        other => {
            return fault(
                "ActionNotSupported",
                &format!("Operasjonen {other} støttes ikke av fake-tjenesten"),
            );
        }
    };
    match result {
        Ok(Ok(body)) => xml_response(StatusCode::OK, body),
        Ok(Err(response)) => response,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

type Outcome = std::io::Result<Result<Vec<u8>, Response>>;

fn int(request: &SoapRequest, path: &str) -> Result<Option<u64>, Response> {
    match request.get(path) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| argument(&format!("{path} må være et heltall"))),
    }
}

/// A request's instant as Norwegian wall-clock time, the zone `SistOppdatert` is kept in: an
/// instant with an offset (clients send UTC) is converted, one without is taken as written.
fn time(request: &SoapRequest, path: &str) -> Result<Option<NaiveDateTime>, Response> {
    match request.get(path) {
        None => Ok(None),
        Some(text) => crate::source::hpr::time::parse_instant(text)
            .map(|instant| Some(crate::source::hpr::time::to_oslo(instant)))
            .map_err(|_| argument(&format!("{path} er ikke et gyldig tidspunkt"))),
    }
}

/// The first base index whose `sistOppdatert` is at or after `t`.
fn first_base_at(state: &AppState, t: NaiveDateTime) -> u64 {
    let (mut lo, mut hi) = (0, state.data.hpr_len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if state.data.hpr_updated(mid) < t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// One page of the persons changed in `[from, to)`, and how many there are in all.
fn window(
    state: &AppState,
    overlay: &Overlay,
    from: NaiveDateTime,
    to: NaiveDateTime,
    offset: u64,
    limit: u64,
) -> (u64, Vec<Value>) {
    let hpr = &overlay.hpr;
    let (lo, hi) = (
        first_base_at(state, from),
        first_base_at(state, to).max(first_base_at(state, from)),
    );
    let skipped = hpr.skipped.range(lo..hi).count() as u64;
    let base_count = hi - lo - skipped;
    let admin: Vec<u64> = if from < to {
        hpr.changes
            .range((from, 0)..(to, 0))
            .map(|&(_, n)| n)
            .collect()
    } else {
        Vec::new()
    };
    let total = base_count + admin.len() as u64;
    let records = (offset..offset.saturating_add(limit).min(total))
        .filter_map(|k| {
            if k < base_count {
                Some(state.data.hpr_record(nth_not_skipped(&hpr.skipped, lo, k)))
            } else {
                admin
                    .get(usize::try_from(k - base_count).ok()?)
                    .and_then(|n| hpr.entries.get(n))
                    .cloned()
            }
        })
        .collect();
    (total, records)
}

fn page(side: Option<u64>, per: Option<u64>, default_per: u64) -> Result<(u64, u64), Response> {
    let side = side.unwrap_or(1);
    let per = per.unwrap_or(default_per);
    if side < 1 {
        return Err(argument("side må være 1 eller større"));
    }
    if !(1..=MAX_PER_PAGE).contains(&per) {
        return Err(argument(&format!(
            "resultaterPerSide må være mellom 1 og {MAX_PER_PAGE}"
        )));
    }
    Ok((side, per))
}

/// Writes a `PaginertResultatsett` response.
fn paged(
    state: &AppState,
    operation: &str,
    mut persons: Vec<Value>,
    per: u64,
    total: u64,
    side: u64,
    basic: bool,
) -> Outcome {
    super::feed_faults::apply(
        state,
        &format!("{}/v2/HPR/Basic", super::hpr::PREFIX),
        &mut persons,
        "hprNummer",
    );
    let mut xml = Xml::new();
    soap_xml::begin_response(&mut xml, operation)?;
    xml.open(&format!("{operation}Result"), &[])?;
    xml.open("Personer", &[])?;
    for person in &persons {
        soap_xml::person(&mut xml, person, basic, "Person")?;
    }
    xml.close("Personer")?;
    xml.leaf("ResultaterPerSide", &per.to_string())?;
    xml.leaf("ResultaterTotalt", &total.to_string())?;
    xml.leaf("Side", &side.to_string())?;
    xml.close(&format!("{operation}Result"))?;
    soap_xml::end_response(&mut xml, operation)?;
    Ok(Ok(xml.into_bytes()))
}

fn register_changes(state: &AppState, request: &SoapRequest) -> Outcome {
    let parsed = (|| {
        let from = time(request, "fra")?.ok_or_else(|| argument("fra må oppgis"))?;
        let to = time(request, "til")?.ok_or_else(|| argument("til må oppgis"))?;
        let (side, per) = page(
            int(request, "side")?,
            int(request, "resultaterPerSide")?,
            MAX_PER_PAGE,
        )?;
        Ok::<_, Response>((from, to, side, per))
    })();
    let (from, to, side, per) = match parsed {
        Ok(p) => p,
        Err(response) => return Ok(Err(response)),
    };
    let (total, persons) = {
        let overlay = state.read();
        window(state, &overlay, from, to, (side - 1) * per, per)
    };
    paged(
        state,
        "HentRegisterEndringer",
        persons,
        per,
        total,
        side,
        false,
    )
}

fn search(state: &AppState, request: &SoapRequest) -> Outcome {
    if let Some((key, _)) = request
        .values
        .iter()
        .find(|(k, v)| !v.trim().is_empty() && !SEARCH_KEYS.contains(&k.as_str()))
    {
        return Ok(Err(argument(&format!(
            "Søkekriteriet {key} støttes ikke av fake-tjenesten"
        ))));
    }
    let parsed = (|| {
        let (side, per) = page(
            int(request, "search/Side")?,
            int(request, "search/ResultaterPerSide")?,
            100,
        )?;
        let number = int(request, "search/HprNummer")?;
        let from = time(request, "search/SistEndretPeriode/Fra")?;
        let to = time(request, "search/SistEndretPeriode/Til")?;
        Ok::<_, Response>((side, per, number, from, to))
    })();
    let (side, per, number, from, to) = match parsed {
        Ok(p) => p,
        Err(response) => return Ok(Err(response)),
    };
    let basic = request
        .get("search/KunBasisData")
        .is_some_and(|v| v == "true");
    let overlay = state.read();
    let single = match (number, request.get("search/NIN")) {
        (Some(number), _) => Some(state.hpr_record(&overlay, number)),
        (None, Some(nin)) => Some(
            state
                .hpr_number_by_nin(&overlay, nin)
                .and_then(|n| state.hpr_record(&overlay, n)),
        ),
        (None, None) => None,
    };
    let (total, persons) = if let Some(found) = single {
        let total = u64::from(found.is_some());
        (total, found.into_iter().filter(|_| side == 1).collect())
    } else {
        let from = from.unwrap_or(NaiveDateTime::MIN);
        let to = to.unwrap_or(NaiveDateTime::MAX);
        window(state, &overlay, from, to, (side - 1) * per, per)
    };
    drop(overlay);
    paged(state, "Søk2", persons, per, total, side, basic)
}

fn single_person(operation: &str, record: Option<Value>, missing: &str) -> Outcome {
    let Some(record) = record else {
        return Ok(Err(argument(missing)));
    };
    let mut xml = Xml::new();
    soap_xml::begin_response(&mut xml, operation)?;
    // The result element is `{operation}Result`, of the Person type.
    soap_xml::person(&mut xml, &record, false, &format!("{operation}Result"))?;
    soap_xml::end_response(&mut xml, operation)?;
    Ok(Ok(xml.into_bytes()))
}

fn person_by_number(state: &AppState, request: &SoapRequest) -> Outcome {
    let number = match int(request, "hprNummer") {
        Ok(Some(n)) => n,
        Ok(None) => return Ok(Err(argument("HPR-nummer må oppgis"))),
        Err(response) => return Ok(Err(response)),
    };
    let record = {
        let overlay = state.read();
        state.hpr_record(&overlay, number)
    };
    single_person("HentPerson", record, "HPR-nummer ikke funnet")
}

fn person_by_nin(state: &AppState, request: &SoapRequest) -> Outcome {
    let Some(nin) = request.get("personNummer") else {
        return Ok(Err(argument("Personnummer må oppgis")));
    };
    let record = {
        let overlay = state.read();
        state
            .hpr_number_by_nin(&overlay, nin)
            .and_then(|n| state.hpr_record(&overlay, n))
    };
    single_person(
        "HentPersonMedPersonnummer",
        record,
        "Personnummer ikke funnet",
    )
}

fn ping(request: &SoapRequest) -> Outcome {
    let mut xml = Xml::new();
    soap_xml::begin_response(&mut xml, "Ping")?;
    xml.leaf("PingResult", request.get("requestId").unwrap_or("pong"))?;
    soap_xml::end_response(&mut xml, "Ping")?;
    Ok(Ok(xml.into_bytes()))
}

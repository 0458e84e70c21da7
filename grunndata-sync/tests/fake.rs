//! The fake upstream over real HTTP on a free loopback port: each endpoint's shape, paging and
//! limits, and admin changes producing the events the real upstreams would.

// In tests a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used)]

mod fake_support;

use std::io::Read;

use fake_support::{
    SCALE, client, get, post_json, preg_form, preg_get, soap, start, start_with, xml_texts,
};
use grunndata_sync::fake::DataSource;
use grunndata_sync::synth::{Synth, SynthConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn synth() -> Synth {
    Synth::new(SynthConfig {
        seed: 1,
        scale: SCALE,
        ..SynthConfig::default()
    })
    .unwrap()
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

#[tokio::test]
async fn brreg_bulk_download_is_gzip_json_with_version_headers() {
    let fake = start().await;
    let client = client();
    let url = format!("{}/enheter/lastned", fake.brreg_url());
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(response.headers().contains_key("last-modified"));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("gzip")
    );
    let units: Vec<Value> =
        serde_json::from_slice(&gunzip(&response.bytes().await.unwrap()).unwrap()).unwrap();
    let s = synth();
    let live = (0..s.counts().enheter)
        .filter(|&i| !s.enhet_is_deleted(i))
        .count();
    assert_eq!(units.len(), live, "deleted units are not in the bulk file");
    assert!(
        units
            .iter()
            .all(|u| u["organisasjonsnummer"].is_string() && u.get("slettedato").is_none())
    );
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let response = client
        .get(format!("{}/underenheter/lastned", fake.brreg_url()))
        .send()
        .await
        .unwrap();
    let subs: Vec<Value> =
        serde_json::from_slice(&gunzip(&response.bytes().await.unwrap()).unwrap()).unwrap();
    assert!(!subs.is_empty() && subs.iter().all(|u| u["overordnetEnhet"].is_string()));
}

#[tokio::test]
async fn brreg_units_search_and_status_codes() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let orgnr = s.enhet_orgnr(0);
    let (status, unit) = get(&client, &format!("{}/enheter/{orgnr}", fake.brreg_url())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unit["organisasjonsnummer"], orgnr.as_str());
    assert!(
        unit["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/enheter/{orgnr}"))
    );
    let deleted = (0..s.counts().enheter)
        .find(|&i| s.enhet_is_deleted(i))
        .unwrap();
    let (status, unit) = get(
        &client,
        &format!("{}/enheter/{}", fake.brreg_url(), s.enhet_orgnr(deleted)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a deleted unit is 200 with slettedato"
    );
    assert!(unit["slettedato"].is_string());
    assert_eq!(
        get(&client, &format!("{}/enheter/974760673", fake.brreg_url()))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&client, &format!("{}/enheter/12", fake.brreg_url()))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let sub = s.underenhet_orgnr(0);
    let (status, unit) = get(&client, &format!("{}/underenheter/{sub}", fake.brreg_url())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unit["organisasjonsnummer"], sub.as_str());

    let list = format!("{},{},974760673", s.enhet_orgnr(0), s.enhet_orgnr(1));
    let (status, page) = get(
        &client,
        &format!("{}/enheter?organisasjonsnummer={list}", fake.brreg_url()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["_embedded"]["enheter"].as_array().unwrap().len(), 2);
    assert_eq!(page["page"]["totalElements"], 2);
    let (_, empty) = get(
        &client,
        &format!("{}/enheter?organisasjonsnummer=974760673", fake.brreg_url()),
    )
    .await;
    assert!(
        empty.get("_embedded").is_none(),
        "an empty page has no _embedded"
    );
    assert_eq!(empty["page"]["totalElements"], 0);
}

#[tokio::test]
async fn brreg_feed_pages_with_an_inclusive_cursor_and_a_depth_cap() {
    let fake = start().await;
    let client = client();
    let feed = format!("{}/oppdateringer/enheter", fake.brreg_url());
    let (status, page) = get(&client, &format!("{feed}?oppdateringsid=100&size=5")).await;
    assert_eq!(status, StatusCode::OK);
    let items = page["_embedded"]["oppdaterteEnheter"].as_array().unwrap();
    let ids: Vec<u64> = items
        .iter()
        .map(|e| e["oppdateringsid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![100, 101, 102, 103, 104],
        "oppdateringsid is an inclusive lower bound"
    );
    assert!(
        items
            .iter()
            .all(|e| e["endringstype"] == "Ny" && e["dato"].as_str().unwrap().ends_with('Z'))
    );
    let total = synth().counts().enheter;
    assert_eq!(
        page["page"],
        json!({ "size": 5, "totalElements": total - 99, "totalPages": (total - 99).div_ceil(5), "number": 0 })
    );
    let (_, page2) = get(&client, &format!("{feed}?oppdateringsid=100&size=5&page=1")).await;
    assert_eq!(
        page2["_embedded"]["oppdaterteEnheter"][0]["oppdateringsid"],
        105
    );
    assert_eq!(
        get(&client, &format!("{feed}?size=10001")).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&client, &format!("{feed}?size=5000&page=2")).await.0,
        StatusCode::BAD_REQUEST
    );
    let (_, past) = get(&client, &format!("{feed}?oppdateringsid={}", total + 1)).await;
    assert!(past.get("_embedded").is_none());
    // The bulk file's production time: every initial event is before it.
    let (_, after) = get(&client, &format!("{feed}?dato=2025-06-01T03:00:00.000Z")).await;
    assert_eq!(after["page"]["totalElements"], 0);
    let (_, sub) = get(
        &client,
        &format!("{}/oppdateringer/underenheter?size=1", fake.brreg_url()),
    )
    .await;
    assert!(
        sub["_embedded"]["oppdaterteUnderenheter"][0]["_links"]["underenhet"]["href"].is_string()
    );
}

#[tokio::test]
async fn brreg_admin_changes_emit_oppdateringer() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let admin = format!("{}/_admin/brreg/enheter/records", fake.base_url());
    let mut changed = serde_json::to_value(s.enhet(0)).unwrap();
    changed["navn"] = json!("NYTT NAVN AS");
    let new = json!({ "organisasjonsnummer": "974760673", "navn": "NY ENHET AS",
                      "organisasjonsform": { "kode": "AS", "beskrivelse": "Aksjeselskap" } });
    let (status, result) = post_json(&client, &admin, &json!([changed, new])).await;
    assert_eq!(status, StatusCode::OK);
    let head = s.counts().enheter;
    assert_eq!(result["events"], json!([head + 1, head + 2]));
    let (_, page) = get(
        &client,
        &format!(
            "{}/oppdateringer/enheter?oppdateringsid={}",
            fake.brreg_url(),
            head + 1
        ),
    )
    .await;
    let events = page["_embedded"]["oppdaterteEnheter"].as_array().unwrap();
    assert_eq!(events[0]["endringstype"], "Endring");
    assert_eq!(events[1]["endringstype"], "Ny");
    assert!(events[0]["dato"].as_str().unwrap() > "2025-06-01T03:00:00.000Z");
    let (_, unit) = get(
        &client,
        &format!("{}/enheter/{}", fake.brreg_url(), s.enhet_orgnr(0)),
    )
    .await;
    assert_eq!(unit["navn"], "NYTT NAVN AS");

    let delete = |orgnr: String, how: &'static str| {
        let client = client.clone();
        let url = format!(
            "{}/_admin/brreg/enheter/records/{orgnr}{how}",
            fake.base_url()
        );
        async move { client.delete(url).send().await.unwrap().status() }
    };
    assert_eq!(delete(s.enhet_orgnr(1), "").await, StatusCode::OK);
    assert_eq!(
        delete("974760673".into(), "?endringstype=Fjernet").await,
        StatusCode::OK
    );
    let (status, unit) = get(
        &client,
        &format!("{}/enheter/{}", fake.brreg_url(), s.enhet_orgnr(1)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(unit["slettedato"].is_string());
    assert_eq!(
        get(&client, &format!("{}/enheter/974760673", fake.brreg_url()))
            .await
            .0,
        StatusCode::GONE
    );
    let (_, page) = get(
        &client,
        &format!(
            "{}/oppdateringer/enheter?oppdateringsid={}",
            fake.brreg_url(),
            head + 3
        ),
    )
    .await;
    let kinds: Vec<&str> = page["_embedded"]["oppdaterteEnheter"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endringstype"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Sletting", "Fjernet"]);
    // The next bulk file reflects the changes.
    let bytes = client
        .get(format!("{}/enheter/lastned", fake.brreg_url()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let units: Vec<Value> = serde_json::from_slice(&gunzip(&bytes).unwrap()).unwrap();
    assert!(units.iter().any(|u| u["navn"] == "NYTT NAVN AS"));
    assert!(
        !units
            .iter()
            .any(|u| u["organisasjonsnummer"] == s.enhet_orgnr(1).as_str())
    );
}

#[tokio::test]
async fn ar_export_bulk_single_and_certificates() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let total = s.counts().ar_total();
    let (status, export) = get(
        &client,
        &format!("{}/api/v1/communicationparty/export", fake.ar_url()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["lastSequenceNumber"], total);
    let active = export["communicationParties"].as_array().unwrap().len() as u64;
    assert_eq!(export["count"], active);
    let (_, all) = get(
        &client,
        &format!(
            "{}/api/v1/communicationparty/export?includeDeactivated=true",
            fake.ar_url()
        ),
    )
    .await;
    assert_eq!(all["count"], total);
    assert!(active <= total);

    let ids: Vec<u64> = (0..3).map(|i| s.ar_her_id(i)).chain([1]).collect();
    let (status, parties) = post_json(
        &client,
        &format!("{}/api/v1/communicationparty", fake.ar_url()),
        &json!({ "herIds": ids }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        parties.as_array().unwrap().len(),
        3,
        "unknown herIds are left out"
    );
    let too_many: Vec<u64> = (0..101).collect();
    let (status, problem) = post_json(
        &client,
        &format!("{}/api/v1/communicationparty", fake.ar_url()),
        &json!({ "herIds": too_many }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["errors"]["herIds"].is_array());

    let her = s.ar_her_id(0);
    let (status, party) = get(
        &client,
        &format!("{}/api/v1/communicationparty/{her}", fake.ar_url()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(party["herId"], her);
    assert_eq!(
        get(
            &client,
            &format!("{}/api/v1/communicationparty/1", fake.ar_url())
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (_, certs) = get(
        &client,
        &format!(
            "{}/api/v1/certificate/{her}?includeHistoric=true",
            fake.ar_url()
        ),
    )
    .await;
    assert_eq!(certs[0]["isCurrent"], true);
    assert_eq!(certs[1]["isCurrent"], false);
    assert!(certs[0]["signingCertificate"]["thumbprint"].is_string());
}

#[tokio::test]
async fn ar_event_feed_is_inclusive_and_limited() {
    let fake = start().await;
    let client = client();
    let events = format!("{}/api/v1/event", fake.ar_url());
    let (status, page) = get(
        &client,
        &format!("{events}?fromSequenceNumber=3&maxEvents=2"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 2);
    assert_eq!(page["results"][0]["sequenceNumber"], 3);
    assert_eq!(page["results"][1]["sequenceNumber"], 4);
    assert_eq!(page["results"][0]["eventType"], "CommunicationPartyCreated");
    for bad in [
        "maxEvents=0",
        "maxEvents=1001",
        "fromSequenceNumber=0",
        "fromSequenceNumber=x",
    ] {
        assert_eq!(
            get(&client, &format!("{events}?{bad}")).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let (_, all) = get(&client, &events).await;
    let total = synth().counts().ar_total();
    assert_eq!(all["count"], total.min(1000));
    let (status, latest) = get(&client, &format!("{events}/latest")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest["sequenceNumber"], total);
    let (_, past) = get(
        &client,
        &format!("{events}?fromSequenceNumber={}", total + 1),
    )
    .await;
    assert_eq!(past, json!({ "results": [], "count": 0 }));
}

#[tokio::test]
async fn ar_admin_changes_emit_created_and_updated() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let total = s.counts().ar_total();
    let mut party = serde_json::to_value(s.communication_party(0)).unwrap();
    party["name"] = json!("Nytt Navn");
    let new = json!({ "herId": 12345, "type": "Organization", "amqpTransportStatus": "Disabled", "name": "Ny",
                      "validFrom": "2020-01-01T00:00:00Z", "validTo": "2090-01-01T00:00:00Z" });
    let (status, result) = post_json(
        &client,
        &format!("{}/_admin/ar/records", fake.base_url()),
        &json!([party, new]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["events"], json!([total + 1, total + 2]));
    let (_, page) = get(
        &client,
        &format!(
            "{}/api/v1/event?fromSequenceNumber={}",
            fake.ar_url(),
            total + 1
        ),
    )
    .await;
    assert_eq!(page["results"][0]["eventType"], "CommunicationPartyUpdated");
    assert_eq!(page["results"][1]["eventType"], "CommunicationPartyCreated");
    assert_eq!(page["results"][1]["herId"], 12345);
    // AR has no delete event: a delete is an update with validTo in the past.
    let status = client
        .delete(format!("{}/_admin/ar/records/12345", fake.base_url()))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let (_, latest) = get(&client, &format!("{}/api/v1/event/latest", fake.ar_url())).await;
    assert_eq!(latest["eventType"], "CommunicationPartyUpdated");
    let (_, party) = get(
        &client,
        &format!("{}/api/v1/communicationparty/12345", fake.ar_url()),
    )
    .await;
    assert!(party["validTo"].as_str().unwrap() < "2090");
    let (_, export) = get(
        &client,
        &format!("{}/api/v1/communicationparty/export", fake.ar_url()),
    )
    .await;
    assert!(
        !export["communicationParties"]
            .as_array()
            .unwrap()
            .contains(&json!(12345))
    );
}

#[tokio::test]
async fn preg_requires_api_version_and_serves_persons() {
    let fake = start().await;
    let client = client();
    let s = synth();
    for base in ["legal-basis", "no-legal-basis"] {
        let url = format!("{}/api/{base}/event/latest", fake.preg_url());
        assert_eq!(
            client.get(&url).send().await.unwrap().status(),
            StatusCode::BAD_REQUEST,
            "no api-version"
        );
        let wrong = client
            .get(&url)
            .header("api-version", "3")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        let (status, latest) = preg_get(&client, &url).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            latest["sequenceNumber"],
            s.counts().preg_persons.to_string(),
            "sequenceNumber is a string"
        );
    }
    let b = format!("{}/api/legal-basis", fake.preg_url());
    let id = s.preg_person_id(3);
    let (status, person) = preg_get(
        &client,
        &format!(
            "{b}/person/{id}?informationParts=Name&informationParts=NorwegianIdentificationNumber"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(person["id"], id.as_str());
    assert_eq!(
        person["norwegianIdentificationNumber"][0]["identificationNumber"],
        s.preg_nin(3).as_str()
    );
    assert!(person["birth"].is_null(), "parts not asked for are null");
    assert!(
        person["name"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["isValid"] == true),
        "no history unless asked"
    );
    assert_eq!(
        preg_get(&client, &format!("{b}/person/{id}")).await.0,
        StatusCode::BAD_REQUEST,
        "informationParts is required"
    );
    assert_eq!(
        preg_get(
            &client,
            &format!("{b}/person/unknown?informationParts=Name")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, by_nin) = preg_form(
        &client,
        &format!("{b}/person/get-by-nin?informationParts=Status"),
        &format!("nin={}", s.preg_nin(5)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_nin["id"], s.preg_person_id(5).as_str());
    let form: Vec<String> = (0..3)
        .map(|i| format!("personIds={}", s.preg_person_id(i)))
        .chain(["personIds=nobody".into()])
        .collect();
    let (status, bulk) = preg_form(
        &client,
        &format!("{b}/person/bulk-by-id?informationParts=Birth"),
        &form.join("&"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bulk.as_array().unwrap().len(), 3);
    let too_many: Vec<String> = (0..101)
        .map(|i| format!("personIds={}", s.preg_person_id(i)))
        .collect();
    assert_eq!(
        preg_form(
            &client,
            &format!("{b}/person/bulk-by-id?informationParts=Birth"),
            &too_many.join("&")
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    let (status, ids) = preg_form(
        &client,
        &format!("{b}/search/paged-match-list"),
        "PageSize=4&IndexOffset=2",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expected: Vec<String> = (2..6).map(|i| s.preg_person_id(i)).collect();
    assert_eq!(ids["results"], json!(expected));
    assert_eq!(
        (ids["startIndex"].as_i64(), ids["endIndex"].as_i64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        preg_form(
            &client,
            &format!("{b}/search/paged-match-list"),
            "PageSize=10001"
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        preg_form(
            &client,
            &format!("{b}/search/paged-match-list"),
            "FamilyName=Hansen"
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn preg_event_feed_is_inclusive_and_admin_changes_emit_events() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let b = format!("{}/api/legal-basis", fake.preg_url());
    let (status, page) = preg_get(&client, &format!("{b}/event?sequenceNumber=10")).await;
    assert_eq!(status, StatusCode::OK);
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000, "at most 1000 events a page");
    assert_eq!(results[0]["sequenceNumber"], "10");
    assert_eq!(results[0]["eventType"], "PersonPopulated");
    assert_eq!(
        preg_get(&client, &format!("{b}/event?sequenceNumber=0"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    let total = s.counts().preg_persons;
    let mut person = serde_json::to_value(s.preg_person(7)).unwrap();
    person["name"][0]["familyName"] = json!("NYTTNAVN");
    let (status, result) = post_json(
        &client,
        &format!("{}/_admin/preg/records", fake.base_url()),
        &json!([person]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["events"], json!([total + 1]));
    let (_, page) = preg_get(&client, &format!("{b}/event?sequenceNumber={}", total + 1)).await;
    assert_eq!(page["results"][0]["eventType"], "ChangeInName");
    assert_eq!(page["results"][0]["personId"], s.preg_person_id(7).as_str());
    let (_, filtered) = preg_get(
        &client,
        &format!("{b}/event?sequenceNumber=1&eventTypes=ChangeInName"),
    )
    .await;
    assert_eq!(filtered["results"].as_array().unwrap().len(), 1);
    let (_, stored) = preg_get(
        &client,
        &format!("{b}/person/{}?informationParts=Name", s.preg_person_id(7)),
    )
    .await;
    assert_eq!(stored["sequenceNumber"], total + 1);
    assert_eq!(stored["name"][0]["familyName"], "NYTTNAVN");

    let status = client
        .delete(format!(
            "{}/_admin/preg/records/{}",
            fake.base_url(),
            s.preg_person_id(8)
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let (_, latest) = preg_get(&client, &format!("{b}/event/latest")).await;
    assert_eq!(latest["eventType"], "PersonIsDiscontinued");
    let (_, gone) = preg_get(
        &client,
        &format!("{b}/person/{}?informationParts=Status", s.preg_person_id(8)),
    )
    .await;
    assert_eq!(gone["status"][0]["status"], "Discontinued");
}

#[tokio::test]
async fn hpr_rest_lookups_and_export() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let number = s.hpr_number(0);
    let (status, person) = get(
        &client,
        &format!("{}/v1/personerutvidet/{number}", fake.hpr_url()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(person["hprNummer"], number);
    let nin = person["person"]["nin"].as_str().unwrap().to_owned();
    let (status, by_nin) = post_json(
        &client,
        &format!("{}/v1/personerutvidet", fake.hpr_url()),
        &json!({ "nin": nin, "atDate": "2024-01-01", "includeHistory": false }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_nin["hprNummer"], number);
    assert_eq!(by_nin["gjelderForDato"], "2024-01-01");
    let (status, problem) = get(&client, &format!("{}/v1/personerutvidet/1", fake.hpr_url())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["status"], 404);

    let bytes = client
        .get(fake.hpr_export_url())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut count = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let persons: Vec<Value> = serde_json::from_str(&text).unwrap();
        count += persons.len() as u64;
    }
    assert_eq!(count, s.counts().hpr_persons);
}

#[tokio::test]
async fn hpr_soap_change_feed_pages_and_sees_admin_changes() {
    let fake = start().await;
    let client = client();
    let s = synth();
    let window = |side: u32, per: u32| {
        format!(
            "<fra>2000-01-01T00:00:00</fra><til>2030-01-01T00:00:00</til><side>{side}</side><resultaterPerSide>{per}</resultaterPerSide>"
        )
    };
    let (status, body) = soap(&client, &fake, "HentRegisterEndringer", &window(1, 250)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let total = s.counts().hpr_persons;
    assert_eq!(xml_texts(&body, "ResultaterTotalt"), [total.to_string()]);
    let first: Vec<String> = xml_texts(&body, "HPRNummer");
    assert_eq!(first.len(), 250);
    assert_eq!(first[0], s.hpr_number(0).to_string(), "side starts at 1");
    let (_, body) = soap(&client, &fake, "HentRegisterEndringer", &window(3, 250)).await;
    assert_eq!(xml_texts(&body, "HPRNummer").len() as u64, total - 500);
    let (status, fault) = soap(&client, &fake, "HentRegisterEndringer", &window(0, 10)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(xml_texts(&fault, "ErrorCode"), ["ArgumentException"]);

    // An admin change moves the person's SistOppdatert into a new window.
    let mut person = serde_json::to_value(s.hpr_person(5)).unwrap();
    person["person"]["etternavn"] = json!("Ærlig & Østby <x>");
    let (status, result) = post_json(
        &client,
        &format!("{}/_admin/hpr/records", fake.base_url()),
        &json!([person]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stamp = result["events"][0].as_str().unwrap().to_owned();
    let recent = format!(
        "<fra>{}</fra><til>2100-01-01T00:00:00</til><side>1</side><resultaterPerSide>10</resultaterPerSide>",
        &stamp[..19]
    );
    let (_, body) = soap(&client, &fake, "HentRegisterEndringer", &recent).await;
    assert_eq!(xml_texts(&body, "HPRNummer"), [s.hpr_number(5).to_string()]);
    assert_eq!(
        xml_texts(&body, "Etternavn"),
        ["Ærlig & Østby <x>"],
        "text is escaped and round-trips"
    );
    let (_, body) = soap(&client, &fake, "HentRegisterEndringer", &window(1, 1000)).await;
    assert_eq!(
        xml_texts(&body, "HPRNummer").len() as u64,
        total,
        "the changed person appears once"
    );

    let (_, body) = soap(&client, &fake, "Søk2", &format!("<search><HprNummer>{}</HprNummer><Side>1</Side><ResultaterPerSide>10</ResultaterPerSide></search>", s.hpr_number(9))).await;
    assert_eq!(xml_texts(&body, "HPRNummer"), [s.hpr_number(9).to_string()]);
    let (_, body) = soap(
        &client,
        &fake,
        "Søk2",
        "<search><Side>2</Side><ResultaterPerSide>100</ResultaterPerSide></search>",
    )
    .await;
    assert_eq!(xml_texts(&body, "HPRNummer").len(), 100);
    let (status, body) = soap(&client, &fake, "HentPerson", "<hprNummer>1</hprNummer>").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(xml_texts(&body, "faultstring")[0].contains("HPR-nummer ikke funnet"));
    let (status, body) = soap(
        &client,
        &fake,
        "HentPerson",
        &format!("<hprNummer>{}</hprNummer>", s.hpr_number(2)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(xml_texts(&body, "HPRNummer"), [s.hpr_number(2).to_string()]);
}

#[tokio::test]
async fn soap_person_elements_are_the_wsdls() {
    let fake = start().await;
    let client = client();
    let spec: Value = serde_json::from_str(include_str!("fixtures/upstream-schemas.json")).unwrap();
    let allowed: Vec<&str> = spec["hpr_soap"]["Person"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let (_, body) = soap(
        &client,
        &fake,
        "Søk2",
        "<search><Side>1</Side><ResultaterPerSide>1</ResultaterPerSide></search>",
    )
    .await;
    // The children of the first Person, in order.
    let mut reader = quick_xml::Reader::from_str(&body);
    let (mut depth, mut person_depth, mut children) = (0, None, Vec::new());
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                let name = e.local_name().as_ref().to_owned();
                if name == "Person" && person_depth.is_none() {
                    person_depth = Some(depth);
                } else if person_depth == Some(depth - 1) {
                    children.push(name);
                }
            }
            quick_xml::events::Event::Empty(e) if person_depth == Some(depth) => {
                children.push(e.local_name().as_ref().to_owned());
            }
            quick_xml::events::Event::End(_) => {
                if person_depth == Some(depth) {
                    break;
                }
                depth -= 1;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(children, allowed, "Person's elements, in the WSDL's order");
}

#[tokio::test]
async fn serves_ndjson_written_by_synth() {
    let dir = tempfile::tempdir().unwrap();
    let s = synth();
    grunndata_sync::synth::write_ndjson(&s, dir.path()).unwrap();
    let fake = start_with(DataSource::Directory(dir.path().to_path_buf())).await;
    let client = client();
    let (status, unit) = get(
        &client,
        &format!("{}/enheter/{}", fake.brreg_url(), s.enhet_orgnr(4)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        unit["navn"],
        serde_json::to_value(s.enhet(4)).unwrap()["navn"]
    );
    let (_, party) = get(
        &client,
        &format!(
            "{}/api/v1/communicationparty/{}",
            fake.ar_url(),
            s.ar_her_id(2)
        ),
    )
    .await;
    assert_eq!(party["herId"], s.ar_her_id(2));
    let (_, person) = preg_form(
        &client,
        &format!(
            "{}/api/legal-basis/person/get-by-nin?informationParts=Name",
            fake.preg_url()
        ),
        &format!("nin={}", s.preg_nin(9)),
    )
    .await;
    assert_eq!(person["id"], s.preg_person_id(9).as_str());
    let (status, body) = soap(&client, &fake, "HentRegisterEndringer", "<fra>2000-01-01T00:00:00</fra><til>2030-01-01T00:00:00</til><side>1</side><resultaterPerSide>1000</resultaterPerSide>").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        xml_texts(&body, "HPRNummer").len() as u64,
        s.counts().hpr_persons
    );
    let (_, export) = get(
        &client,
        &format!(
            "{}/api/v1/communicationparty/export?includeDeactivated=true",
            fake.ar_url()
        ),
    )
    .await;
    assert_eq!(export["count"], s.counts().ar_total());
    fake.shutdown().await;
}

#[tokio::test]
async fn admin_rejects_records_without_keys() {
    let fake = start().await;
    let client = client();
    for register in ["brreg/enheter", "brreg/underenheter", "ar", "preg", "hpr"] {
        let (status, _) = post_json(
            &client,
            &format!("{}/_admin/{register}/records", fake.base_url()),
            &json!([{ "navn": "x" }]),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{register}");
        let (status, _) = post_json(
            &client,
            &format!("{}/_admin/{register}/records", fake.base_url()),
            &json!({ "not": "an array" }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{register}");
    }
    let (status, body) = get(&client, &format!("{}/_admin/status", fake.base_url())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["base"]["enheter"], synth().counts().enheter);
}

/// Regression (#13): an `Accept` no route of an upstream can produce gets 406, as the real
/// services answer; what the contracts declare (and `*/*`, and no header) is served.
#[tokio::test]
async fn an_accept_the_upstream_cannot_serve_gets_406() {
    let fake = start().await;
    let client = client();
    let ask = |url: String, accept: Option<&'static str>| {
        let mut request = client.get(url).header("api-version", "2");
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move { request.send().await.unwrap().status() }
    };
    let ar = format!("{}/api/v1/event/latest", fake.ar_url());
    let preg = format!("{}/api/no-legal-basis/event/latest", fake.preg_url());
    let brreg = format!("{}/enheter", fake.brreg_url());
    for (url, served) in [
        (&ar, "text/json"),
        (&ar, "application/json"),
        (&preg, "application/json"),
        (
            &brreg,
            "application/vnd.brreg.enhetsregisteret.enhet.v2+json;charset=UTF-8",
        ),
    ] {
        assert_eq!(
            ask(url.clone(), Some(served)).await,
            StatusCode::OK,
            "{url} {served}"
        );
        assert_eq!(ask(url.clone(), Some("*/*")).await, StatusCode::OK, "{url}");
        assert_eq!(ask(url.clone(), None).await, StatusCode::OK, "{url}");
        for refused in ["application/xml", "text/html", "application/json;q=0"] {
            assert_eq!(
                ask(url.clone(), Some(refused)).await,
                StatusCode::NOT_ACCEPTABLE,
                "{url} {refused}"
            );
        }
    }
    fake.shutdown().await;
}

/// Regression (#13): HPR SOAP refuses a `SOAPAction` that does not name the body's
/// operation the WSDL's way, with WCF's `ActionNotSupported` fault; the percent-encoded
/// `Søk2` action our client sends is accepted.
#[tokio::test]
async fn hpr_soap_checks_the_soap_action() {
    let fake = start().await;
    let client = client();
    let envelope = |operation: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><{operation} xmlns="http://schemas.nhn.no/reg/HPRv2"><search><HprNummer>1</HprNummer></search></{operation}></s:Body></s:Envelope>"#
        )
    };
    let call = |action: Option<String>, operation: &str| {
        let mut request = client
            .post(fake.hpr_soap_url())
            .header("content-type", "text/xml; charset=utf-8")
            .body(envelope(operation));
        if let Some(action) = action {
            request = request.header("SOAPAction", action);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let ping = "\"http://schemas.nhn.no/reg/HPRv2/IHPR2Service/Ping\"".to_owned();
    for action in [
        None,
        Some(ping.clone()),
        Some("\"http://register.nhn.no/HPR/IHPR2Service/Søk2\"".to_owned()),
    ] {
        let (status, body) = call(action.clone(), "Søk2").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{action:?}");
        assert_eq!(
            xml_texts(&body, "ErrorCode"),
            ["ActionNotSupported"],
            "{body}"
        );
    }
    let encoded = grunndata_sync::source::hpr::soap::soap_action("Søk2");
    let (status, body) = call(Some(encoded), "Søk2").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(Some(ping), "Ping").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fake.shutdown().await;
}

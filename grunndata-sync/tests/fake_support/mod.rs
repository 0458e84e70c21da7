//! Shared helpers for the fake-upstream tests: a server on port 0 and small HTTP helpers.

#![allow(dead_code)]

use grunndata_sync::fake::{DataSource, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::synth::SynthConfig;
use reqwest::StatusCode;
use serde_json::Value;

/// The scale the tests run at: 1 200 enheter, 6 000 persons.
pub const SCALE: f64 = 0.001;

/// A fake on a free loopback port with synthetic data (seed 1).
pub async fn start() -> FakeHandle {
    start_with(DataSource::Synth(SynthConfig {
        seed: 1,
        scale: SCALE,
        ..SynthConfig::default()
    }))
    .await
}

/// A fake on a free loopback port with the given data.
pub async fn start_with(data: DataSource) -> FakeHandle {
    FakeUpstream::start(FakeConfig {
        data,
        ..FakeConfig::default()
    })
    .await
    .expect("fake starts")
}

/// A client with a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// GET and parse JSON (the body may be empty: then `Value::Null`).
pub async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// GET against Persontjenesten (with `api-version: 2`).
pub async fn preg_get(client: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    let response = client
        .get(url)
        .header("api-version", "2")
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Form POST against Persontjenesten.
pub async fn preg_form(client: &reqwest::Client, url: &str, form: &str) -> (StatusCode, Value) {
    let response = client
        .post(url)
        .header("api-version", "2")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POST JSON.
pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let response = client.post(url).json(body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// PUT the fault configuration.
pub async fn set_faults(client: &reqwest::Client, fake: &FakeHandle, config: Value) {
    let response = client
        .put(format!("{}/_admin/faults", fake.base_url()))
        .json(&config)
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

/// A SOAP 1.1 call to HPR; returns status and body text.
pub async fn soap(
    client: &reqwest::Client,
    fake: &FakeHandle,
    operation: &str,
    inner: &str,
) -> (StatusCode, String) {
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><{operation} xmlns="http://schemas.nhn.no/reg/HPRv2">{inner}</{operation}></s:Body></s:Envelope>"#
    );
    let response = client
        .post(fake.hpr_soap_url())
        .header("content-type", "text/xml; charset=utf-8")
        .header(
            "SOAPAction",
            format!("\"http://schemas.nhn.no/reg/HPRv2/IHPR2Service/{operation}\""),
        )
        .body(envelope)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

/// The texts of every element with this local name, in document order.
pub fn xml_texts(xml: &str, local: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if e.local_name().as_ref() == local => {
                inside = true;
                text.clear();
            }
            quick_xml::events::Event::Text(e) if inside => text.push_str(&e.xml10_content()),
            quick_xml::events::Event::GeneralRef(e) if inside => {
                let name = e.into_inner();
                text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&name).expect("predefined entity"),
                );
            }
            quick_xml::events::Event::End(e) if e.local_name().as_ref() == local => {
                inside = false;
                out.push(std::mem::take(&mut text));
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    out
}

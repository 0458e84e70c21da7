//! The fake upstream with auth on: AR refuses requests without a HelseID DPoP token,
//! Persontjenesten without a HelseID Bearer token (its v2 contract), HPR REST without a Maskinporten token; Enhetsregisteret and HPR SOAP stay open.
//! Clients are built from a grunndata config filled by `configure_clients`, as
//! `grunndata fake-upstream --write-config` does.

use grunndata_sync::auth::testkeys;
use grunndata_sync::auth::{HelseIdClient, MaskinportenClient, TokenType, scopes};
use grunndata_sync::config::Config;
use grunndata_sync::fake::{DataSource, FakeAuth, FakeConfig, FakeHandle, FakeUpstream};
use grunndata_sync::synth::{Synth, SynthConfig};
use reqwest::StatusCode;

fn synth_config() -> SynthConfig {
    SynthConfig {
        seed: 7,
        scale: 0.001,
        ..SynthConfig::default()
    }
}

async fn start(dir: &std::path::Path) -> (FakeHandle, Config) {
    let keys_dir = dir.to_owned();
    let keys = tokio::task::spawn_blocking(move || testkeys::generate(&keys_dir))
        .await
        .unwrap_or_else(|error| panic!("join: {error}"))
        .unwrap_or_else(|error| panic!("keys: {error}"));
    let fake = FakeUpstream::start(FakeConfig {
        data: DataSource::Synth(synth_config()),
        auth: Some(FakeAuth::new(keys.clone())),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("fake upstream: {error}"));
    let mut config = Config::default();
    fake.tokens()
        .unwrap_or_else(|| panic!("auth is on"))
        .configure_clients(&keys, &mut config);
    (fake, config)
}

async fn send(request: reqwest::Request) -> StatusCode {
    reqwest::Client::new()
        .execute(request)
        .await
        .unwrap_or_else(|error| panic!("request: {error}"))
        .status()
}

fn get(url: &str) -> reqwest::Request {
    reqwest::Client::new()
        .get(url)
        .header("api-version", "2")
        .build()
        .unwrap_or_else(|error| panic!("request: {error}"))
}

#[tokio::test]
async fn apis_refuse_missing_tokens_and_accept_issued_ones() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (fake, config) = start(dir.path()).await;
    assert_eq!(
        fake.helseid_token_url(),
        Some(format!("{}/helseid/connect/token", fake.base_url()))
    );
    assert_eq!(
        fake.maskinporten_token_url(),
        Some(format!("{}/maskinporten/token", fake.base_url()))
    );

    // Adresseregisteret: DPoP-bound HelseID token.
    let ar = format!("{}/api/v1/event/latest", fake.ar_url());
    assert_eq!(send(get(&ar)).await, StatusCode::UNAUTHORIZED);
    let helseid = HelseIdClient::from_config(&config.helseid, scopes::AR, None)
        .unwrap_or_else(|error| panic!("HelseID client: {error}"));
    let request = helseid
        .authorize(get(&ar))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::OK);

    // Persontjenesten's v2 contract declares HTTP bearer: a DPoP-presented token is refused
    // with 401 (wrong scheme), a Bearer token for another API with 403.
    let preg = format!("{}/api/no-legal-basis/event/latest", fake.preg_url());
    assert_eq!(send(get(&preg)).await, StatusCode::UNAUTHORIZED);
    let request = helseid
        .authorize(get(&preg))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::UNAUTHORIZED);
    let ar_bearer = HelseIdClient::from_config_with_scheme(
        &config.helseid,
        scopes::AR,
        TokenType::Bearer,
        None,
    )
    .unwrap_or_else(|error| panic!("HelseID client: {error}"));
    let request = ar_bearer
        .authorize(get(&preg))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::FORBIDDEN);
    let preg_client = HelseIdClient::from_config_with_scheme(
        &config.helseid,
        scopes::PREG_NO_LEGAL_BASIS,
        config.preg.auth_scheme.token_type(),
        None,
    )
    .unwrap_or_else(|error| panic!("HelseID client: {error}"));
    let request = preg_client
        .authorize(get(&preg))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::OK);

    // HPR REST: Maskinporten Bearer token.
    let synth = Synth::new(synth_config()).unwrap_or_else(|error| panic!("synth: {error}"));
    let hpr = format!(
        "{}/v1/personerutvidet/{}",
        fake.hpr_url(),
        synth.hpr_number(0)
    );
    assert_eq!(send(get(&hpr)).await, StatusCode::UNAUTHORIZED);
    let maskinporten = MaskinportenClient::from_config(
        &config.maskinporten,
        &[scopes::HPR_BASIC.to_owned()],
        None,
    )
    .unwrap_or_else(|error| panic!("Maskinporten client: {error}"));
    let request = maskinporten
        .authorize(get(&hpr))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::OK);

    // The export needs `nhn:hpr/export`.
    let export = fake.hpr_export_url();
    assert_eq!(send(get(&export)).await, StatusCode::UNAUTHORIZED);
    let request = maskinporten
        .authorize(get(&export))
        .await
        .unwrap_or_else(|error| panic!("authorize: {error}"));
    assert_eq!(send(request).await, StatusCode::FORBIDDEN);

    // Enhetsregisteret is open data.
    let brreg = format!("{}/enheter", fake.brreg_url());
    assert_eq!(send(get(&brreg)).await, StatusCode::OK);

    // HPR SOAP wants HTTP Basic (the WSDL's BasicHttpBinding policy), not a token (#13).
    let soap = |authorise: fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| {
        authorise(
            reqwest::Client::new()
                .post(fake.hpr_soap_url())
                .header("Content-Type", "text/xml; charset=utf-8")
                .header(
                    "SOAPAction",
                    "\"http://schemas.nhn.no/reg/HPRv2/IHPR2Service/Ping\"",
                )
                .body(
                    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Ping xmlns="http://schemas.nhn.no/reg/HPRv2"/></s:Body></s:Envelope>"#,
                ),
        )
        .build()
        .unwrap_or_else(|error| panic!("request: {error}"))
    };
    let anonymous = reqwest::Client::new()
        .execute(soap(|request| request))
        .await
        .unwrap_or_else(|error| panic!("send: {error}"));
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Basic realm=\"HPR\""
    );
    let wrong = soap(|request| request.basic_auth("grunndata-fake-hpr", Some("guess")));
    assert_eq!(send(wrong).await, StatusCode::UNAUTHORIZED);
    let right = soap(|request| {
        request.basic_auth(
            grunndata_sync::fake::HPR_SOAP_USERNAME,
            Some(grunndata_sync::fake::HPR_SOAP_PASSWORD),
        )
    });
    assert_eq!(send(right).await, StatusCode::OK);
    assert_eq!(
        config.hpr.soap_username.as_deref(),
        Some(grunndata_sync::fake::HPR_SOAP_USERNAME),
        "configure_clients sets the service user"
    );

    fake.shutdown().await;
}

#[tokio::test]
async fn without_auth_every_api_is_open_and_no_token_urls_are_given() {
    let fake = FakeUpstream::start(FakeConfig {
        data: DataSource::Synth(synth_config()),
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("fake upstream: {error}"));
    assert!(fake.helseid_token_url().is_none());
    assert!(fake.maskinporten_token_url().is_none());
    let ar = format!("{}/api/v1/event/latest", fake.ar_url());
    assert_eq!(send(get(&ar)).await, StatusCode::OK);
    let token = reqwest::Client::new()
        .post(format!("{}/maskinporten/token", fake.base_url()))
        .build()
        .unwrap_or_else(|error| panic!("request: {error}"));
    assert_eq!(send(token).await, StatusCode::NOT_FOUND);
    fake.shutdown().await;
}

/// Regression (#13): the HPR export is fetched with a token carrying `nhn:hpr/export`, not the
/// REST token (`nhn:hpr/basic nhn:hpr/extended`), which the export refuses with 403.
#[tokio::test]
async fn the_hpr_export_is_fetched_with_the_export_scope() {
    use futures_util::StreamExt;
    use grunndata_sync::engine::Sources;
    use grunndata_sync::source::Source;
    use grunndata_sync::store::Register;
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let (fake, mut config) = start(dir.path()).await;
    config.hpr.rest_base_url = fake.hpr_url();
    config.hpr.soap_url = fake.hpr_soap_url();
    config.hpr.export_url = Some(fake.hpr_export_url());
    let sources = Sources::from_config(&config, &[Register::Hpr])
        .unwrap_or_else(|error| panic!("sources: {error}"));
    let hpr = sources.hpr.unwrap_or_else(|| panic!("an HPR source"));
    let snapshot = hpr
        .bootstrap()
        .await
        .unwrap_or_else(|error| panic!("export bootstrap: {error}"));
    let records: Vec<_> = snapshot.records.collect().await;
    assert!(!records.is_empty());
    assert!(records.iter().all(Result::is_ok));
}

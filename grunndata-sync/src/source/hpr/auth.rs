//! HTTP Basic for the HPR SOAP service: a service user, as the WSDL's
//! `BasicHttpBinding_IHPR2Service` policy says (`BasicAuthentication` over `HttpsToken`).
//! The REST API uses a token instead: [`TokenAuth`](crate::source::http::TokenAuth).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use zeroize::Zeroizing;

use crate::auth::Secret;
use crate::source::http::{AuthFailure, Authorise};

/// `Content-Type` of a SOAP 1.1 request.
pub(crate) const SOAP_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// The SOAP service user.
#[derive(Clone)]
pub struct SoapCredentials {
    /// The service user's name.
    pub username: String,
    /// Its password; never printed.
    pub password: Secret<String>,
}

impl fmt::Debug for SoapCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoapCredentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// HTTP Basic for the SOAP service.
#[derive(Debug)]
pub(crate) struct BasicAuth {
    credentials: Option<SoapCredentials>,
}

impl BasicAuth {
    pub(crate) fn new(credentials: Option<SoapCredentials>) -> Self {
        Self { credentials }
    }
}

impl Authorise for BasicAuth {
    fn authorise<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), AuthFailure>> {
        Box::pin(async move {
            if let Some(credentials) = &self.credentials {
                let pair = Zeroizing::new(format!(
                    "{}:{}",
                    credentials.username,
                    credentials.password.expose()
                ));
                let header = Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())));
                let mut value = HeaderValue::from_str(&header).map_err(|_| {
                    AuthFailure::from("the SOAP credentials are not a valid header")
                })?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: bool) -> reqwest::Request {
        let url = reqwest::Url::parse("http://127.0.0.1:1/v2/HPR/Basic")
            .unwrap_or_else(|error| panic!("{error}"));
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        if body {
            *request.body_mut() = Some(reqwest::Body::from("<s:Envelope/>"));
        }
        request
    }

    #[tokio::test]
    async fn basic_auth_sets_sensitive_credentials() {
        let auth = BasicAuth::new(Some(SoapCredentials {
            username: "tjenestebruker".to_owned(),
            password: Secret::new("hemmelig".to_owned()),
        }));
        let mut with_body = request(true);
        assert!(auth.authorise(&mut with_body).await.is_ok());
        let header = |request: &reqwest::Request, name| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header(&with_body, AUTHORIZATION).as_deref(),
            Some("Basic dGplbmVzdGVicnVrZXI6aGVtbWVsaWc=")
        );
        assert!(
            with_body
                .headers()
                .get(AUTHORIZATION)
                .is_some_and(HeaderValue::is_sensitive)
        );
        assert!(!format!("{auth:?}").contains("hemmelig"));

        let mut without_body = request(false);
        assert!(
            BasicAuth::new(None)
                .authorise(&mut without_body)
                .await
                .is_ok()
        );
        assert!(without_body.headers().get(AUTHORIZATION).is_none());
    }
}

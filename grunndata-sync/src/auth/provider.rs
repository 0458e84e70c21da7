//! One way for every upstream client to get its requests authorized.

use super::transport::host_of;
use super::{AuthError, HelseIdClient, MaskinportenClient};

/// How an upstream's requests are authorized: not at all (Brreg), with a HelseID DPoP-bound
/// token (Adresseregisteret, Persontjenesten) or with a Maskinporten Bearer token (HPR REST).
///
/// ```no_run
/// # async fn f(http: reqwest::Client, auth: grunndata_sync::auth::TokenProvider) -> Result<(), Box<dyn std::error::Error>> {
/// let request = http.get("https://cpapi.test.grunndata.nhn.no/api/v1/communicationparty/export");
/// let response = auth.authorize_builder(request).await?.send().await?;
/// if response.status() == reqwest::StatusCode::UNAUTHORIZED {
///     auth.invalidate().await; // the next request fetches a new token
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub enum TokenProvider {
    /// No authorization (open data).
    #[default]
    Anonymous,
    /// HelseID client credentials, DPoP.
    HelseId(HelseIdClient),
    /// Maskinporten JWT grant, Bearer.
    Maskinporten(MaskinportenClient),
}

impl TokenProvider {
    /// Adds what the upstream needs to `request`: nothing, or `Authorization` (and for HelseID a
    /// `DPoP` proof for this very method and URL). Call it on every request, retries included:
    /// a DPoP proof is single-use.
    pub async fn authorize(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Request, AuthError> {
        match self {
            Self::Anonymous => Ok(request),
            Self::HelseId(client) => client.authorize(request).await,
            Self::Maskinporten(client) => client.authorize(request).await,
        }
    }

    /// [`authorize`](Self::authorize) for a request still being built.
    pub async fn authorize_builder(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, AuthError> {
        if matches!(self, Self::Anonymous) {
            return Ok(builder);
        }
        let (client, request) = builder.build_split();
        let request = request.map_err(|e| AuthError::Request {
            method: "(unknown)".to_owned(),
            host: e.url().map_or_else(|| "(unknown)".to_owned(), host_of),
            reason: e.without_url().to_string(),
        })?;
        let request = self.authorize(request).await?;
        Ok(reqwest::RequestBuilder::from_parts(client, request))
    }

    /// Forgets a cached token, so the next request gets a new one. Call it when an API answers
    /// 401.
    pub async fn invalidate(&self) {
        match self {
            Self::Anonymous => {}
            Self::HelseId(client) => client.invalidate().await,
            Self::Maskinporten(client) => client.invalidate().await,
        }
    }
}

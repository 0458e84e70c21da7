//! One cached access token per client, refreshed shortly before it expires.

use tokio::sync::Mutex;

use super::{AccessToken, AuthError, Clock};

/// How long before expiry a token is replaced, in seconds (NHN's sample uses 30 s).
pub(crate) const REFRESH_MARGIN: i64 = 30;

/// The cached token of one client.
///
/// The lock is held while a new token is fetched, so concurrent callers wait for that one
/// request instead of each starting their own.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

struct Cached {
    token: AccessToken,
    refresh_at: i64,
}

impl TokenCache {
    /// The cached token while it is fresh, else the result of `fetch`, which is then cached.
    pub(crate) async fn get_or_fetch(
        &self,
        clock: &dyn Clock,
        fetch: impl AsyncFnOnce() -> Result<AccessToken, AuthError>,
    ) -> Result<AccessToken, AuthError> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && clock.now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let token = fetch().await?;
        let now = clock.now();
        let refresh_at = token.expires_at() - margin(token.expires_at() - now);
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    /// Forgets the cached token (after an API refused it).
    pub(crate) async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

/// The refresh margin for a token living `lifetime` seconds.
///
/// Decision (specs silent): [`REFRESH_MARGIN`], but at most half the lifetime, so that a
/// short-lived token (tests, or a server that hands out minutes) is still reused for a while.
fn margin(lifetime: i64) -> i64 {
    REFRESH_MARGIN.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::margin;

    #[test]
    fn margin_is_thirty_seconds_or_half_a_short_lifetime() {
        for (lifetime, expected) in [(3600, 30), (61, 30), (60, 30), (40, 20), (1, 0)] {
            assert_eq!(margin(lifetime), expected, "lifetime {lifetime}");
        }
    }
}

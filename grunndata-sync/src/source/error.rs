//! The error type of the upstream clients.
//!
//! [`SourceError`] covers everything that stops a *request* or a *page*: transport failures
//! after the retries ran out, refused credentials, unexpected statuses, a page body that is not
//! the documented envelope, a truncated stream, and a cursor upstream no longer serves.
//!
//! What callers should do:
//! - [`SourceError::CursorExpired`]: the feed cannot resume from the stored cursor — re-snapshot
//!   (bootstrap again) and continue from the snapshot's cursor.
//! - [`SourceError::Unauthorised`] / [`SourceError::Auth`]: configuration or credentials are
//!   wrong; retrying will not help until an operator acts.
//! - anything else: the sync run failed at this point; nothing was committed for the failed
//!   page, so the next run resumes from the last committed cursor.
//!
//! A *record* that fails to parse is not an error here: it becomes a
//! [`MalformedRecord`](super::MalformedRecord) next to the records that did parse, and the page
//! goes on.
//!
//! No variant carries a NIN, a token or a key: paths are logged without their query string, and
//! response bodies are excerpted only for upstreams whose responses never carry NINs (not
//! Persontjenesten).

use reqwest::StatusCode;

use crate::store::Register;

/// What went wrong talking to an upstream register.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The request could not be completed (connect failure, timeout, connection reset) after
    /// all attempts.
    #[error("{register}: {method} {path}: {kind} after {attempts} attempt(s)")]
    Transport {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// `timeout`, `connect` or `transport`.
        kind: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// Upstream answered with a status the client does not handle (after retries for 5xx and
    /// 429).
    #[error("{register}: {method} {path}: HTTP {status} after {attempts} attempt(s){}", excerpt_suffix(.body.as_deref()))]
    Status {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// The status.
        status: StatusCode,
        /// How many attempts were made.
        attempts: u32,
        /// The start of the response body (never for Persontjenesten).
        body: Option<String>,
    },
    /// Upstream refused the credentials (401) or the scope (403).
    #[error("{register}: {method} {path}: refused with HTTP {status}{}", challenge_suffix(.challenge.as_deref()))]
    Unauthorised {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// 401 or 403.
        status: StatusCode,
        /// The `WWW-Authenticate` challenge, if any (it carries no secret).
        challenge: Option<String>,
    },
    /// The auth hook could not authorise the request (no token, signing failed).
    #[error("{register}: {method} {path}: could not authorise the request")]
    Auth {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// What the auth provider reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Upstream asked us to slow down (429) for longer than the configured maximum wait.
    #[error(
        "{register}: {method} {path}: rate limited; Retry-After {retry_after_secs} s exceeds the maximum wait"
    )]
    RateLimited {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// What upstream asked for, in seconds.
        retry_after_secs: u64,
    },
    /// A response body ended early or could not be decompressed (a truncated download is an
    /// error, never a short snapshot).
    #[error("{register}: {method} {path}: response body broken: {message}")]
    Body {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A page's envelope (not a single record) did not have the documented shape.
    #[error("{register}: {method} {path}: unexpected response shape at {field}: {message}")]
    Envelope {
        /// Which upstream.
        register: Register,
        /// HTTP method.
        method: String,
        /// Path without the query string.
        path: String,
        /// JSON path of the offending field (`.` for the root).
        field: String,
        /// What was wrong (values scrubbed of anything NIN-shaped).
        message: String,
    },
    /// The change feed can no longer be resumed from this cursor (it is older than upstream
    /// keeps, or a gap was detected): re-snapshot.
    #[error("{register}: cursor {cursor} can no longer be resumed: {reason}; re-snapshot needed")]
    CursorExpired {
        /// Which upstream.
        register: Register,
        /// The cursor that was refused.
        cursor: String,
        /// Why.
        reason: String,
    },
    /// A stored cursor is not in this upstream's format.
    #[error("{register}: cursor {cursor:?} is not valid: {reason}")]
    InvalidCursor {
        /// Which upstream.
        register: Register,
        /// The cursor text.
        cursor: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client was configured wrongly (a base URL that does not parse, a bad header value).
    #[error("{register}: configuration: {message}")]
    Config {
        /// Which upstream.
        register: Register,
        /// What is wrong.
        message: String,
    },
    /// A background task (the bulk-file parser) died.
    #[error("{register}: internal: {message}")]
    Internal {
        /// Which upstream.
        register: Register,
        /// What happened.
        message: String,
    },
}

impl SourceError {
    /// The upstream the error is about.
    pub fn register(&self) -> Register {
        match self {
            Self::Transport { register, .. }
            | Self::Status { register, .. }
            | Self::Unauthorised { register, .. }
            | Self::Auth { register, .. }
            | Self::RateLimited { register, .. }
            | Self::Body { register, .. }
            | Self::Envelope { register, .. }
            | Self::CursorExpired { register, .. }
            | Self::InvalidCursor { register, .. }
            | Self::Config { register, .. }
            | Self::Internal { register, .. } => *register,
        }
    }

    /// The HTTP status, when the error is an HTTP answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } | Self::Unauthorised { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the caller must re-snapshot ([`CursorExpired`](Self::CursorExpired)).
    pub fn needs_resnapshot(&self) -> bool {
        matches!(self, Self::CursorExpired { .. })
    }
}

fn excerpt_suffix(body: Option<&str>) -> String {
    match body {
        Some(body) if !body.is_empty() => format!(": {body}"),
        _ => String::new(),
    }
}

fn challenge_suffix(challenge: Option<&str>) -> String {
    challenge.map_or_else(String::new, |challenge| format!(" ({challenge})"))
}

/// Replaces every run of exactly 11 digits (the shape of a fødselsnummer or D-nummer) with
/// `***********`, so that error texts copied from upstream or serde never carry a NIN.
pub fn scrub_nins(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index].is_ascii_digit() {
            let start = index;
            while index < bytes.len() && bytes[index].is_ascii_digit() {
                index += 1;
            }
            let run = &text[start..index];
            if run.len() == 11 {
                out.push_str("***********");
            } else {
                out.push_str(run);
            }
        } else {
            let ch_len = text[index..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[index..index + ch_len]);
            index += ch_len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scrub_nins;

    #[test]
    fn scrubs_only_eleven_digit_runs() {
        assert_eq!(
            scrub_nins("nin 13829099907 orgnr 974760673 æ 123456789012"),
            "nin *********** orgnr 974760673 æ 123456789012"
        );
    }
}

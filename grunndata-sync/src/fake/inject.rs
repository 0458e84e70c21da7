//! The middleware that applies HTTP-level faults (status codes, 429, stalls, cut bodies) to the
//! upstream routes. It wraps the router that holds all four prefixes, so it sees full paths.
//! It also counts every request per route (`GET /_admin/status` shows the counts).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;

use super::faults::Fault;
use super::http;
use super::state::State as AppState;

/// The route of `path` for counting: identifier segments (six characters or more with a digit,
/// such as an organisation number, HER-id or person id) become `{id}`.
fn route(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.len() >= 6 && segment.bytes().any(|byte| byte.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Applies stall, 429, 503, 500 and body truncation, in that order. A fault that answers the
/// request (429, 503, 500) stops the evaluation, so later rules' counts are not used up.
pub(crate) async fn inject(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    state.count_request(format!("{} {}", request.method(), route(&path)));
    let stall = {
        let mut faults = state.faults();
        faults
            .fire(Fault::Stall, &path)
            .then(|| faults.stall_millis())
    };
    if let Some(millis) = stall {
        let mut shutdown = state.shutdown.clone();
        let stopped = async move {
            // Without a server to stop it (routers served by someone else), only the time ends it.
            if shutdown.wait_for(|stopped| *stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(millis)) => {}
            () = stopped => {}
        }
    }
    let early = {
        let mut faults = state.faults();
        if faults.fire(Fault::RateLimit, &path) {
            let mut response = http::problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "fault injected: rate limited",
            );
            if let Ok(value) = HeaderValue::from_str(&faults.retry_after().to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Some(response)
        } else if faults.fire(Fault::Status503, &path) {
            Some(http::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "fault injected",
            ))
        } else if faults.fire(Fault::Status500, &path) {
            Some(http::problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "fault injected",
            ))
        } else {
            None
        }
    };
    if let Some(response) = early {
        return response;
    }
    let truncate = state.faults().fire(Fault::TruncateBody, &path);
    let response = next.run(request).await;
    if truncate {
        cut(response).await
    } else {
        response
    }
}

/// Sends only part of a body, then breaks the connection. A body of known length stops at half,
/// with `Content-Length` still announcing all of it; a stream stops after its first chunk,
/// before the chunked encoding's end marker. Either way the client sees a broken transfer.
async fn cut(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(length) = body.size_hint().exact() {
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return Response::from_parts(parts, Body::empty());
        };
        if let Ok(value) = HeaderValue::from_str(&length.to_string()) {
            parts.headers.insert(header::CONTENT_LENGTH, value);
        }
        let half = bytes.slice(..bytes.len() / 2);
        return Response::from_parts(
            parts,
            Body::from_stream(then_break(futures_util::stream::iter([Ok(half)]))),
        );
    }
    let first = body
        .into_data_stream()
        .take(1)
        .map(|chunk| chunk.map_err(std::io::Error::other));
    Response::from_parts(parts, Body::from_stream(then_break(first)))
}

/// Yields `head`, waits a moment so the server flushes what it has (headers included), then
/// fails, which makes the server abort the connection.
fn then_break(
    head: impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let failure = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err(std::io::Error::other("fault injected: body cut"))
    });
    head.chain(failure)
}

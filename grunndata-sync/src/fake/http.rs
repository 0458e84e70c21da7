//! Response helpers shared by the upstream modules: JSON bodies, each upstream's error shape,
//! query and form parsing with repeated keys, and streamed bodies produced on a blocking thread.

use std::io::{self, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

/// A JSON response.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An RFC 7807 `ProblemDetails` body, as ASP.NET (AR, Persontjenesten, HPR REST) writes them.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": format!("https://tools.ietf.org/html/rfc9110#section-15.{}", section(status)),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = json(status, &body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json; charset=utf-8"),
    );
    response
}

/// ASP.NET's model-validation 400 (`ValidationProblemDetails`).
pub(crate) fn validation_problem(field: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": { field: [message] },
    });
    let mut response = json(StatusCode::BAD_REQUEST, &body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json; charset=utf-8"),
    );
    response
}

fn section(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "5.5",
        410 => "5.11",
        429 => "5.29",
        500 => "6.1",
        503 => "6.4",
        _ => "5.1",
    }
}

/// A Spring Boot error body, as Brreg (a Spring application) answers errors.
pub(crate) fn spring_error(status: StatusCode, message: &str, path: &str) -> Response {
    let body = serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "message": message,
        "path": path,
    });
    json(status, &body)
}

/// `http://host` of the request, for absolute links (HAL `_links`).
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Key–value pairs of a query string or form body, keeping repeated keys in order.
pub(crate) fn pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (form_decode(key), form_decode(value))
        })
        .collect()
}

/// All values of `key`.
pub(crate) fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The first value of `key`.
pub(crate) fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Percent-decoding of `application/x-www-form-urlencoded` (`+` is a space).
pub(crate) fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// A `Write` that sends what is written, in chunks, to an HTTP body. Writing fails once the
/// client has gone, which stops the producer. With `discard` set, writes are swallowed (used to
/// cut a gzip stream without letting the encoder finish it).
pub(crate) struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
    pub(crate) discard: bool,
    /// Every chunk sent, when the body is kept for serving again.
    kept: Option<Vec<Bytes>>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        if let Some(kept) = &mut self.kept {
            kept.push(chunk.clone());
        }
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.discard {
            return Ok(data.len());
        }
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// A body produced by `produce` on a blocking thread, streamed as it is written. An error from
/// the producer aborts the body (the client sees a broken transfer).
pub(crate) fn streamed(
    produce: impl FnOnce(&mut ChannelWriter) -> io::Result<()> + Send + 'static,
) -> Body {
    stream_produced(produce, None::<fn(Vec<Bytes>)>)
}

/// Like [`streamed`], and when the whole body was produced and sent, hands its chunks to
/// `keep` (to serve them again with [`from_chunks`]).
pub(crate) fn streamed_keeping(
    produce: impl FnOnce(&mut ChannelWriter) -> io::Result<()> + Send + 'static,
    keep: impl FnOnce(Vec<Bytes>) + Send + 'static,
) -> Body {
    stream_produced(produce, Some(keep))
}

/// A body of chunks produced before.
pub(crate) fn from_chunks(chunks: &Arc<[Bytes]>) -> Body {
    let chunks: Vec<Result<Bytes, io::Error>> = chunks.iter().cloned().map(Ok).collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

fn stream_produced<K: FnOnce(Vec<Bytes>) + Send + 'static>(
    produce: impl FnOnce(&mut ChannelWriter) -> io::Result<()> + Send + 'static,
    keep: Option<K>,
) -> Body {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            sender: sender.clone(),
            buffer: Vec::with_capacity(CHUNK),
            discard: false,
            kept: keep.is_some().then(Vec::new),
        };
        let result = produce(&mut writer);
        let flushed = writer.flush();
        let kept = writer.kept.take();
        drop(writer);
        match result.and(flushed) {
            Ok(()) => {
                if let (Some(keep), Some(kept)) = (keep, kept) {
                    keep(kept);
                }
            }
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                let _ = sender.blocking_send(Err(error));
            }
            Err(_) => {}
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Body::from_stream(stream)
}

//! The bulk files `GET /enheter/lastned` and `GET /underenheter/lastned`: a gzip-compressed
//! JSON array of every unit (~1.9 M main units), streamed, decompressed and parsed
//! incrementally.
//!
//! ```text
//! reqwest body ──► pump task ──(bounded channel of chunks)──► parser thread ──(bounded
//!                                                   channel of record batches)──► stream
//! ```
//!
//! The parser runs on a blocking thread (gunzip, array splitting and serde are CPU work), so it
//! overlaps with whoever consumes the stream (the store writer). Both channels are bounded:
//! memory stays at a few batches however large the file. Records travel in batches of
//! [`BATCH`] to keep channel overhead off the per-record cost.
//!
//! Decisions:
//! - The body is sniffed for the gzip magic bytes: the file is gzip, but a server (or the fake)
//!   that also sets `Content-Encoding: gzip` has it decompressed by reqwest already. Multi-member
//!   gzip is accepted.
//! - A body that breaks off, a gzip stream without its trailer, or an array that never closes
//!   is a [`SourceError::Body`] at the end of the stream — never a short snapshot.
//! - If the parser thread dies without saying it finished, the stream ends with
//!   [`SourceError::Internal`] rather than silently.

use std::io::{self, BufRead, BufReader, Read};

use bytes::Bytes;
use flate2::bufread::MultiGzDecoder;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::sync::mpsc;

use super::dto::parse_unit;
use crate::core::model::{Organisation, UnitKind};
use crate::source::http::error_chain;
use crate::source::json_array::ArraySplitter;
use crate::source::{Parsed, RecordStream, SourceError};
use crate::store::Register;

/// Records per message from the parser thread.
const BATCH: usize = 512;
/// Body chunks buffered between the network and the parser.
const CHUNKS: usize = 32;
/// Record batches buffered between the parser and the consumer.
const BATCHES: usize = 8;
/// Read buffer over the decompressed bytes.
const READ_BUFFER: usize = 256 * 1024;

/// What the parser thread sends.
enum Message {
    Batch(Vec<Parsed<Organisation>>),
    Failed(SourceError),
    Done,
}

/// Streams the units of a bulk-file response. `path` names the request in errors.
pub(crate) fn stream_units(
    response: reqwest::Response,
    unit: UnitKind,
    path: String,
) -> RecordStream<Organisation> {
    let (chunk_tx, chunk_rx) = mpsc::channel::<Result<Bytes, String>>(CHUNKS);
    let (record_tx, record_rx) = mpsc::channel::<Message>(BATCHES);

    tokio::spawn(pump(response, chunk_tx));
    let thread_path = path.clone();
    tokio::task::spawn_blocking(move || {
        let reader = ChannelReader {
            rx: chunk_rx,
            current: Bytes::new(),
        };
        parse(reader, unit, &thread_path, &record_tx);
    });

    let state = (record_rx, false);
    let batches = stream::unfold(state, move |(mut rx, finished)| {
        let path = path.clone();
        async move {
            if finished {
                return None;
            }
            match rx.recv().await {
                Some(Message::Batch(batch)) => Some((Ok(batch), (rx, false))),
                Some(Message::Failed(error)) => Some((Err(error), (rx, true))),
                Some(Message::Done) => None,
                None => Some((
                    Err(SourceError::Internal {
                        register: Register::Brreg,
                        message: format!("the parser of {path} stopped without finishing"),
                    }),
                    (rx, true),
                )),
            }
        }
    });
    Box::pin(batches.flat_map(|item| match item {
        Ok(batch) => stream::iter(batch.into_iter().map(Ok)).left_stream(),
        Err(error) => stream::iter(std::iter::once(Err(error))).right_stream(),
    }))
}

/// Moves body chunks into the channel; a body error is passed on as the last item.
async fn pump(response: reqwest::Response, tx: mpsc::Sender<Result<Bytes, String>>) {
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let failed = chunk.is_err();
        let item = chunk.map_err(|error| error_chain(&error.without_url()));
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

/// The parser thread: gunzip (if gzip), split, parse, send in batches.
fn parse(reader: ChannelReader, unit: UnitKind, path: &str, tx: &mpsc::Sender<Message>) {
    let fail = |message: String| {
        let _ = tx.blocking_send(Message::Failed(SourceError::Body {
            register: Register::Brreg,
            method: "GET".to_owned(),
            path: path.to_owned(),
            message,
        }));
    };
    let mut raw = BufReader::with_capacity(READ_BUFFER, reader);
    let is_gzip = match raw.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(error) => return fail(format!("reading the body: {error}")),
    };
    let decoded: Box<dyn BufRead> = if is_gzip {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let mut splitter = ArraySplitter::new(decoded);
    let mut batch = Vec::with_capacity(BATCH);
    let mut count: u64 = 0;
    loop {
        match splitter.next_element() {
            Ok(Some(element)) => {
                batch.push(parse_unit(element, unit));
                count += 1;
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.blocking_send(Message::Batch(full)).is_err() {
                        return; // The consumer went away.
                    }
                }
            }
            Ok(None) => {
                if !batch.is_empty() && tx.blocking_send(Message::Batch(batch)).is_err() {
                    return;
                }
                tracing::debug!(path, count, "bulk file read");
                let _ = tx.blocking_send(Message::Done);
                return;
            }
            Err(error) => {
                if !batch.is_empty() && tx.blocking_send(Message::Batch(batch)).is_err() {
                    return;
                }
                let what = if error.kind() == io::ErrorKind::UnexpectedEof {
                    "truncated"
                } else {
                    "corrupt"
                };
                return fail(format!("{what} after {count} record(s): {error}"));
            }
        }
    }
}

/// A blocking `Read` over the chunks the pump task sends.
struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(message)) => return Err(io::Error::other(message)),
                None => return Ok(0),
            }
        }
        let amount = buf.len().min(self.current.len());
        buf[..amount].copy_from_slice(&self.current[..amount]);
        let _ = self.current.split_to(amount);
        Ok(amount)
    }
}

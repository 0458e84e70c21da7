//! The HPR REST export (scope `nhn:hpr/export`): one `GET` returning a ZIP whose entries are
//! JSON streams of `HelsepersonUtvidet` (observed; the URL is not documented, so it is
//! configured).
//!
//! The download is streamed to an anonymous temporary file (a ZIP's directory is at its end, so
//! it needs seeking), then read on a blocking thread that forwards records through a bounded
//! channel: memory holds one entry buffer and one record at a time, never the register.
//!
//! Entry format (decision, docs/upstream-decisions.md "HPR export"; the sources only say "JSON
//! streams"): each file entry is either one JSON array of records or a JSON stream of
//! concatenated objects (one per line as NDJSON, or pretty-printed over many lines, with any
//! white space between), told apart by its first non-blank byte (`[` or `{`, after an optional
//! UTF-8 byte-order mark). Directory entries and empty files are skipped; an entry that is
//! neither is an error, as is an array or object that breaks off or a record over
//! [`MAX_RECORD_BYTES`]. Text between objects that is not an object runs to the end of its line
//! and becomes a malformed record; a record that does not parse is a malformed record, and the
//! stream goes on.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use futures_util::stream;
use reqwest::header::HeaderMap;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc;

use super::rest::parse_helseperson;
use crate::core::model::HealthPersonnel;
use crate::source::http::{HttpClient, RequestSpec};
use crate::source::json_array::ArraySplitter;
use crate::source::{Parsed, RecordStream, SourceError};
use crate::store::Register;

/// Buffer of the reader over one ZIP entry.
const ENTRY_BUFFER: usize = 64 * 1024;

/// Largest single record in a JSON stream entry (bounded memory on a broken stream).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// What reading an export came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// File entries read.
    pub entries: usize,
    /// Records that parsed.
    pub records: u64,
    /// Records that did not.
    pub malformed: u64,
    /// Whether reading stopped early because the consumer went away.
    pub stopped: bool,
}

/// Why an export could not be read (the archive or an entry is broken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    /// The entry being read, if any.
    pub entry: Option<String>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "export entry {entry:?}: {}", self.message),
            None => write!(f, "export: {}", self.message),
        }
    }
}

impl std::error::Error for ExportError {}

/// Reads an export archive, calling `emit` for every record in order; `emit` returns `false`
/// to stop. Blocking: run it on a blocking thread.
pub fn read_export<R: Read + Seek>(
    archive: R,
    mut emit: impl FnMut(Parsed<HealthPersonnel>) -> bool,
) -> Result<ExportSummary, ExportError> {
    let mut archive = zip::ZipArchive::new(archive).map_err(|error| ExportError {
        entry: None,
        message: format!("not a readable ZIP archive: {error}"),
    })?;
    let mut summary = ExportSummary::default();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|error| ExportError {
            entry: None,
            message: format!("entry {index}: {error}"),
        })?;
        if !entry.is_file() {
            continue;
        }
        let name = entry
            .name()
            .map_or_else(|_| format!("entry {index}"), std::borrow::Cow::into_owned);
        let fail = |message: String| ExportError {
            entry: Some(name.clone()),
            message,
        };
        summary.entries += 1;
        let mut count = |parsed: Parsed<HealthPersonnel>| {
            match parsed {
                Parsed::Record(_) => summary.records += 1,
                Parsed::Malformed(_) => summary.malformed += 1,
            }
            emit(parsed)
        };
        let keep_going = read_entry(BufReader::with_capacity(ENTRY_BUFFER, entry), &mut count)
            .map_err(|error| fail(error.to_string()))?;
        if !keep_going {
            summary.stopped = true;
            break;
        }
    }
    Ok(summary)
}

/// Reads one entry; `Ok(false)` when `emit` asked to stop.
fn read_entry<R: BufRead>(
    mut reader: R,
    emit: &mut impl FnMut(Parsed<HealthPersonnel>) -> bool,
) -> io::Result<bool> {
    match first_significant(&mut reader)? {
        None => Ok(true),
        Some(b'[') => {
            let mut splitter = ArraySplitter::new(reader);
            while let Some(element) = splitter.next_element()? {
                if !emit(parse_helseperson(element)) {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Some(b'{') => read_stream(reader, emit),
        Some(other) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("neither a JSON array nor NDJSON (starts with byte 0x{other:02x})"),
        )),
    }
}

/// Splits a stream of concatenated JSON objects (NDJSON or multi-line) and emits each.
fn read_stream<R: BufRead>(
    mut reader: R,
    emit: &mut impl FnMut(Parsed<HealthPersonnel>) -> bool,
) -> io::Result<bool> {
    let mut splitter = ValueSplitter::default();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return match splitter.finish()? {
                Some(junk) => Ok(emit(parse_helseperson(&junk))),
                None => Ok(true),
            };
        }
        let len = buf.len();
        for &byte in buf {
            if let Some(value) = splitter.push(byte)?
                && !emit(parse_helseperson(&value))
            {
                return Ok(false);
            }
        }
        reader.consume(len);
    }
}

/// Byte-wise splitter of concatenated JSON objects: tracks nesting outside strings.
#[derive(Default)]
struct ValueSplitter {
    buf: Vec<u8>,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl ValueSplitter {
    /// Takes one byte; a complete object (or a line of junk between objects) when one ends.
    fn push(&mut self, byte: u8) -> io::Result<Option<Vec<u8>>> {
        if self.depth == 0 {
            if byte.is_ascii_whitespace() {
                if byte == b'\n' && !self.buf.is_empty() {
                    return Ok(Some(std::mem::take(&mut self.buf)));
                }
                return Ok(None);
            }
            if byte == b'{' && self.buf.is_empty() {
                self.depth = 1;
            }
            self.buf.push(byte);
            return self.checked(None);
        }
        self.buf.push(byte);
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return self.checked(None);
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Ok(Some(std::mem::take(&mut self.buf)));
                }
            }
            _ => {}
        }
        self.checked(None)
    }

    fn checked(&self, value: Option<Vec<u8>>) -> io::Result<Option<Vec<u8>>> {
        if self.buf.len() > MAX_RECORD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a record longer than {MAX_RECORD_BYTES} bytes"),
            ));
        }
        Ok(value)
    }

    /// At the end: trailing junk to emit, or an error for an object that breaks off.
    fn finish(self) -> io::Result<Option<Vec<u8>>> {
        if self.depth > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a JSON object breaks off",
            ));
        }
        Ok((!self.buf.is_empty()).then_some(self.buf))
    }
}

/// Skips a UTF-8 byte-order mark and white space; the first other byte, not consumed.
fn first_significant<R: BufRead>(reader: &mut R) -> io::Result<Option<u8>> {
    let mut at_start = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if at_start && buf[0] == 0xEF {
            let mut bom = [0u8; 3];
            reader.read_exact(&mut bom)?;
            if bom != [0xEF, 0xBB, 0xBF] {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"));
            }
            at_start = false;
            continue;
        }
        at_start = false;
        if let Some(index) = buf.iter().position(|byte| !byte.is_ascii_whitespace()) {
            let byte = buf[index];
            reader.consume(index);
            return Ok(Some(byte));
        }
        let len = buf.len();
        reader.consume(len);
    }
}

/// Downloads the export to an anonymous temporary file, rewound. Returns the file and the
/// response headers (`Last-Modified`, `ETag`).
pub(crate) async fn download(
    http: &HttpClient,
    spec: &RequestSpec,
) -> Result<(std::fs::File, HeaderMap), SourceError> {
    let body_error = |message: String| SourceError::Body {
        register: Register::Hpr,
        method: spec.method().to_string(),
        path: spec.path().to_owned(),
        message,
    };
    let mut response = http.send(spec).await?;
    let headers = response.headers().clone();
    let file = tempfile::tempfile()
        .map_err(|error| body_error(format!("creating a temporary file: {error}")))?;
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes: u64 = 0;
    loop {
        let chunk = response.chunk().await.map_err(|error| {
            body_error(format!(
                "download broke off after {bytes} bytes: {}",
                crate::source::http::error_chain(&error)
            ))
        })?;
        let Some(chunk) = chunk else { break };
        bytes += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|error| body_error(format!("writing the temporary file: {error}")))?;
    }
    file.flush()
        .await
        .map_err(|error| body_error(format!("writing the temporary file: {error}")))?;
    let mut file = file.into_std().await;
    file.seek(SeekFrom::Start(0))
        .map_err(|error| body_error(format!("rewinding the temporary file: {error}")))?;
    tracing::info!(register = %Register::Hpr, path = %spec.path(), bytes, "export downloaded");
    Ok((file, headers))
}

/// Reads a downloaded export on a blocking thread into a stream with `capacity` records of
/// buffer. A broken archive ends the stream with an error.
pub(crate) fn stream(
    file: std::fs::File,
    path: String,
    capacity: usize,
) -> RecordStream<HealthPersonnel> {
    let (sender, receiver) =
        mpsc::channel::<Result<Parsed<HealthPersonnel>, SourceError>>(capacity.max(1));
    tokio::task::spawn_blocking(move || {
        let result = read_export(BufReader::new(file), |parsed| {
            sender.blocking_send(Ok(parsed)).is_ok()
        });
        match result {
            Ok(summary) => tracing::info!(
                register = %Register::Hpr,
                entries = summary.entries,
                records = summary.records,
                malformed = summary.malformed,
                stopped = summary.stopped,
                "export read"
            ),
            Err(error) => {
                let _ = sender.blocking_send(Err(SourceError::Body {
                    register: Register::Hpr,
                    method: "GET".to_owned(),
                    path,
                    message: error.to_string(),
                }));
            }
        }
    });
    Box::pin(stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    }))
}

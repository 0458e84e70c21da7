//! Writing a synthetic world as NDJSON files, one record a line in each upstream's own shape:
//! `brreg/enheter.ndjson`, `brreg/underenheter.ndjson`, `ar/communicationparties.ndjson`,
//! `preg/persons.ndjson`, `hpr/persons.ndjson`.
//!
//! Each file is written by its own thread through a large buffer; records are generated one at a
//! time, so memory stays flat whatever the scale.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Synth, SynthError};

/// The NDJSON files, relative to the output directory, in the order written.
pub const FILES: [&str; 5] = [
    "brreg/enheter.ndjson",
    "brreg/underenheter.ndjson",
    "ar/communicationparties.ndjson",
    "preg/persons.ndjson",
    "hpr/persons.ndjson",
];

/// What [`write_ndjson`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// Per file (relative path), the number of records written.
    pub files: Vec<(String, u64)>,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
}

impl WriteReport {
    /// Records written in all files.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|(_, n)| n).sum()
    }
}

/// Writes every register of `synth` to NDJSON files under `dir` (created if missing).
pub fn write_ndjson(synth: &Synth, dir: &Path) -> Result<WriteReport, SynthError> {
    let started = Instant::now();
    let counts = synth.counts();
    let jobs: [(&str, u64); 5] = [
        (FILES[0], counts.enheter),
        (FILES[1], counts.underenheter),
        (FILES[2], counts.ar_total()),
        (FILES[3], counts.preg_persons),
        (FILES[4], counts.hpr_persons),
    ];
    let results: Vec<Result<(String, u64), SynthError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(file, count)| {
                let path = dir.join(file);
                scope.spawn(move || {
                    let written = match file {
                        f if f == FILES[0] => write_file(&path, count, |i| synth.enhet(i)),
                        f if f == FILES[1] => write_file(&path, count, |i| synth.underenhet(i)),
                        f if f == FILES[2] => {
                            write_file(&path, count, |i| synth.communication_party(i))
                        }
                        f if f == FILES[3] => write_file(&path, count, |i| synth.preg_person(i)),
                        _ => write_file(&path, count, |i| synth.hpr_person(i)),
                    };
                    written.map(|n| (file.to_string(), n))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(io_error(
                        dir,
                        std::io::Error::other("writer thread panicked"),
                    ))
                })
            })
            .collect()
    });
    let files = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(WriteReport {
        files,
        elapsed: started.elapsed(),
    })
}

fn io_error(path: &Path, source: std::io::Error) -> SynthError {
    SynthError::Io {
        path: PathBuf::from(path),
        source,
    }
}

/// Records per chunk handed from a generating thread to the writer.
const CHUNK: u64 = 2048;
/// Files with fewer records than this are generated on the writer's own thread.
const PARALLEL_FROM: u64 = 50_000;

fn write_file<T: Serialize>(
    path: &Path,
    count: u64,
    record: impl Fn(u64) -> T + Sync,
) -> Result<u64, SynthError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let workers = if count < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(8)
    };
    if workers == 1 {
        let mut line = Vec::with_capacity(4096);
        for index in 0..count {
            render(&mut line, &record(index)).map_err(|e| io_error(path, e))?;
            out.write_all(&line).map_err(|e| io_error(path, e))?;
        }
    } else {
        write_parallel(&mut out, count, workers, &record).map_err(|e| io_error(path, e))?;
    }
    out.flush().map_err(|e| io_error(path, e))?;
    Ok(count)
}

/// One record as a JSON line, into `line` (cleared first).
fn render<T: Serialize>(line: &mut Vec<u8>, record: &T) -> std::io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, record)?;
    line.push(b'\n');
    Ok(())
}

/// Generates chunks on `workers` threads and writes them in order. Worker `w` makes chunks
/// `w, w + workers, …` and hands each through its own small channel, which the writer reads in
/// turn: output order is the index order, and memory is bounded by the channels.
fn write_parallel<T: Serialize>(
    out: &mut impl Write,
    count: u64,
    workers: usize,
    record: &(impl Fn(u64) -> T + Sync),
) -> std::io::Result<()> {
    let chunks = count.div_ceil(CHUNK);
    std::thread::scope(|scope| {
        let receivers: Vec<_> = (0..workers)
            .map(|worker| {
                let (sender, receiver) =
                    std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
                scope.spawn(move || {
                    let mut line = Vec::with_capacity(4096);
                    for chunk in (worker as u64..chunks).step_by(workers) {
                        let mut buffer =
                            Vec::with_capacity(usize::try_from(CHUNK).unwrap_or(0) * 1024);
                        let result = (chunk * CHUNK..((chunk + 1) * CHUNK).min(count))
                            .try_for_each(|index| {
                                render(&mut line, &record(index))?;
                                buffer.extend_from_slice(&line);
                                Ok(())
                            });
                        if sender.send(result.map(|()| buffer)).is_err() {
                            return; // the writer stopped
                        }
                    }
                });
                receiver
            })
            .collect();
        for chunk in 0..chunks {
            let worker = usize::try_from(chunk % workers as u64).unwrap_or(0);
            let buffer = receivers[worker]
                .recv()
                .map_err(|_| std::io::Error::other("generator thread stopped"))??;
            out.write_all(&buffer)?;
        }
        Ok(())
    })
}

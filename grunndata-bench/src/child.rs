//! Every grunndata step runs in a child process of this binary, so that the peak resident
//! memory the OS reports for it (`VmHWM`) is that step's own and not the benchmark's (which
//! also serves the fake upstream).
//!
//! The parent passes the step as JSON after [`STEP_ARG`]; the child prints one line
//! `RESULT <json>` with its answer and its peak RSS.

use std::process::Command;

use anyhow::{Context as _, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The hidden first argument that makes this binary run one step.
pub const STEP_ARG: &str = "__step";

/// The prefix of the answer line.
const RESULT_PREFIX: &str = "RESULT ";

/// What a child answers: the step's result and the process's peak resident memory.
#[derive(Debug, serde::Deserialize, Serialize)]
pub struct Answer<T> {
    /// The step's own result.
    pub result: T,
    /// `VmHWM` at the end of the step, in KiB.
    pub peak_rss_kib: u64,
}

/// Runs `request` in a child process and returns its answer.
pub fn run<Q: Serialize, T: DeserializeOwned>(request: &Q) -> anyhow::Result<Answer<T>> {
    let exe = std::env::current_exe().context("locating the benchmark binary")?;
    let request = serde_json::to_string(request)?;
    let output = Command::new(exe)
        .arg(STEP_ARG)
        .arg(&request)
        .output()
        .context("starting a benchmark step")?;
    if !output.status.success() {
        bail!(
            "benchmark step {request} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(RESULT_PREFIX))
        .with_context(|| format!("benchmark step {request} printed no result"))?;
    serde_json::from_str(line).with_context(|| format!("reading the result of step {request}"))
}

/// Starts `request` in a child process without waiting for it (its output is discarded):
/// a load that runs beside a measurement.
pub fn spawn<Q: Serialize>(request: &Q) -> anyhow::Result<std::process::Child> {
    let exe = std::env::current_exe().context("locating the benchmark binary")?;
    Command::new(exe)
        .arg(STEP_ARG)
        .arg(serde_json::to_string(request)?)
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting a benchmark step")
}

/// In the child: prints `result` with this process's peak RSS as the answer line.
pub fn answer<T: Serialize>(result: T) -> anyhow::Result<()> {
    let answer = Answer {
        result,
        peak_rss_kib: peak_rss_kib(),
    };
    println!("{RESULT_PREFIX}{}", serde_json::to_string(&answer)?);
    Ok(())
}

/// `VmHWM` of this process from `/proc/self/status`, in KiB (0 where unavailable).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

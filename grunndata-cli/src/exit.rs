//! Turning a command's outcome into one clear line and a documented exit status.

use std::io;
use std::process::ExitCode;

/// Exit status of a command that ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: valid, found, authorised, nothing to report.
    Success,
    /// 1: a negative answer — invalid, not found, not authorised, findings.
    Negative,
    /// 2: invalid input that the command has already explained (a malformed identifier
    /// given to a lookup). Usage errors found by clap exit 2 on their own.
    Invalid,
}

/// 2: invalid input the command line parser could not catch (a malformed identifier).
const INVALID_INPUT: u8 = 2;

/// 3: an operational error (no mirror, database or upstream unreachable, I/O).
const OPERATIONAL: u8 = 3;

/// Input that is wrong in itself, whatever the mirror holds: exit status 2, like a usage
/// error, with the message saying what is wrong. (The error form of [`Outcome::Invalid`], for
/// code that finds the problem deep inside `?` chains.)
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

/// Prints an error as one line and maps outcomes to exit codes. A closed pipe (`| head`) is
/// not an error.
pub fn report(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(1),
        Ok(Outcome::Invalid) => ExitCode::from(INVALID_INPUT),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) if error.downcast_ref::<InvalidInput>().is_some() => {
            eprintln!("grunndata: {}", grunndata_sync::error_chain(error.as_ref()));
            ExitCode::from(INVALID_INPUT)
        }
        Err(error) => {
            eprintln!("grunndata: {}", grunndata_sync::error_chain(error.as_ref()));
            ExitCode::from(OPERATIONAL)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

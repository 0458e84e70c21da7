//! One module per subcommand, each a clap `Args` struct with a `run` method.

pub mod check;
pub mod common;
pub mod config;
pub mod cursor;
pub mod demo;
pub mod fake_upstream;
pub mod id;
pub mod person;
pub mod status;
pub mod sync;
pub mod synth;

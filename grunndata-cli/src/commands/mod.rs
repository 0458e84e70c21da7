//! One module per subcommand, each a clap `Args` struct with a `run` method.

pub mod audit;
pub mod authz;
pub mod card;
pub mod check;
pub mod common;
pub mod config;
pub mod cursor;
pub mod demo;
pub mod fake_upstream;
pub mod her;
pub mod id;
pub mod mirror;
pub mod org;
pub mod person;
pub mod personnel;
pub mod search;
pub mod serve;
pub mod status;
pub mod sync;
pub mod synth;

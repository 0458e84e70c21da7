//! One module per subcommand, each a clap `Args` struct with a `run` method.

pub mod check;
pub mod config;
pub mod fake_upstream;
pub mod id;
pub mod synth;

//! One module per subcommand, each a clap `Args` struct with a `run` method.

pub mod id;

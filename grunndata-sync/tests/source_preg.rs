//! The Persontjenesten client: golden tests against the spec's example and records built from
//! its schema, and the client against the fake upstream over real HTTP.

#[path = "source_preg/fake.rs"]
mod fake;
#[path = "source_preg/golden.rs"]
mod golden;
#[path = "source_support/mod.rs"]
mod support;

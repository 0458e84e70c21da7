//! The Adresseregisteret client: golden tests against records built from the spec's schema,
//! and the client against the fake upstream over real HTTP.

#[path = "source_ar/fake.rs"]
mod fake;
#[path = "source_ar/golden.rs"]
mod golden;
#[path = "source_support/mod.rs"]
mod support;

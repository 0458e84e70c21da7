//! The Brreg (Enhetsregisteret) client: golden tests against the reference samples, and the
//! client against the fake upstream over real HTTP.

#[path = "source_brreg/fake.rs"]
mod fake;
#[path = "source_brreg/golden.rs"]
mod golden;
#[path = "source_support/mod.rs"]
mod support;

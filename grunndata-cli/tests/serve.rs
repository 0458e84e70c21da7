//! `grunndata serve` as a process over the fixture mirror: the REST routes answer as the
//! CLI's `--json` does, tokens are checked like an attacker would try them, bad input is a
//! 400 with a reason, person lookups are POST-only, purposeful and audited, and the
//! operational routes (health, metrics, OpenAPI, ETag, gzip, SIGTERM) behave.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code, reason = "the serve tests use part of the fixture")]
#[path = "../../grunndata-sync/tests/common/mirror.rs"]
mod mirror;
#[allow(dead_code, reason = "the serve tests use part of the generator")]
#[path = "../../grunndata-sync/tests/common/synth.rs"]
mod synth;

#[allow(dead_code, reason = "the serve tests use part of the database kit")]
#[path = "../../grunndata-sync/tests/common/db.rs"]
mod db;

#[allow(dead_code, reason = "each test file uses part of the kit")]
#[path = "serve/harness.rs"]
mod harness;

#[path = "serve/rest.rs"]
mod rest;

#[path = "serve/security.rs"]
mod security;

#[path = "serve/operations.rs"]
mod operations;

#[path = "serve/fhir.rs"]
mod fhir;

#[path = "serve/schemathesis.rs"]
mod schemathesis;

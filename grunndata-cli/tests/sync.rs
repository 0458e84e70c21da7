//! `grunndata sync`, `status`, `person`, `cursor` as processes against the fake upstream on
//! loopback, on SQLite and PostgreSQL: kill -9 at random instants converges, one writer per
//! mirror, SIGTERM in watch mode stops cleanly, status exits non-zero when stale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../grunndata-sync/tests/common/db.rs"]
#[allow(dead_code)]
mod db;

#[path = "sync/harness.rs"]
mod harness;

#[path = "sync/crash.rs"]
mod crash;

#[path = "sync/operate.rs"]
mod operate;

#[path = "sync/failover.rs"]
mod failover;

#[path = "sync/pg_faults.rs"]
mod pg_faults;

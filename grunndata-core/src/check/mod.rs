//! Consistency checks: the rule catalogue and the rules that judge one record.
//!
//! The registers disagree with each other in ways that hurt patients: a message routed to a
//! HER-id whose organisation went bankrupt, a prescriber whose authorisation was suspended, a
//! GP who died last month still listed. `grunndata check` finds these in a mirror.
//!
//! This module owns the *what*: [`catalogue::RULES`] names every rule once — stable id,
//! [`Severity`], description, why it matters and how to fix it — and `grunndata check --list`
//! prints exactly that table. Rules that judge a single record are pure functions here, one
//! file per rule family:
//!
//! - [`identifiers`]: rule `identifier-invalid`, on any register's record;
//! - [`personnel`]: HPR approvals and the rights under them (`ar-person-not-authorised`,
//!   `hpr-right-without-authorisation`, `hpr-deceased-with-open-approval`);
//! - [`party`]: Adresseregisteret parties (`ar-certificate-*`, `ar-no-message-address`).
//!
//! Rules that join registers are set-based SQL in the sync crate's `check` engine, which also
//! streams records through the functions here. Nothing here reads a clock: the caller passes
//! the day or instant to judge on.

pub mod catalogue;
pub mod identifiers;
pub mod party;
pub mod personnel;
mod severity;

pub use catalogue::{RULES, Rule, rule};
pub use severity::{Severity, UnknownSeverity};

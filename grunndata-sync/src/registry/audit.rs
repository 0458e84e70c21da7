//! Recording lookups in the audit log, and the purpose policy.

use std::fmt;

use chrono::Utc;

use super::{Registry, RegistryError, RegistryResult};
use crate::store::{AuditEntry, Register};

/// The outcome of a lookup as the audit log records it (`result` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Found; nothing withheld.
    Found,
    /// Found; the addresses of a protected person were withheld (no purpose given).
    AddressesWithheld,
    /// Found; the addresses of a protected person were shown for the purpose given.
    AddressesRevealed,
    /// Not in the mirror.
    NotFound,
    /// A person lookup for a NIN that is not tracked.
    NotTracked,
    /// A search, with this many hits.
    Hits(usize),
}

impl Outcome {
    fn as_text(self) -> String {
        match self {
            Self::Found => "found".to_owned(),
            Self::AddressesWithheld => "found, addresses withheld".to_owned(),
            Self::AddressesRevealed => "found, protected addresses revealed".to_owned(),
            Self::NotFound => "not_found".to_owned(),
            Self::NotTracked => "not_tracked".to_owned(),
            Self::Hits(count) => format!("{count} hits"),
        }
    }
}

impl Registry {
    /// Refuses a personal-data lookup without a purpose when the options require one.
    /// `what` names the lookup for the error (NINs masked).
    pub(crate) fn check_purpose(&self, what: impl fmt::Display) -> RegistryResult<()> {
        if self.inner.options.purpose_required && self.caller.purpose.is_none() {
            return Err(RegistryError::PurposeRequired {
                what: what.to_string(),
            });
        }
        Ok(())
    }

    /// Appends one lookup to the audit log. `subject` is the key as given (a NIN in full:
    /// the audit log is where such a lookup must be traceable); `what` names it for errors.
    pub(crate) async fn audit(
        &self,
        register: Register,
        subject: impl fmt::Display,
        outcome: Outcome,
        what: impl fmt::Display,
    ) -> RegistryResult<()> {
        let entry = AuditEntry {
            at: Utc::now(),
            actor: self.caller.actor.clone(),
            purpose: self.caller.purpose.clone().unwrap_or_default(),
            register: Some(register),
            subject: subject.to_string(),
            result: outcome.as_text(),
        };
        // Boxed so that lookups that are not audited do not carry the write's future.
        Box::pin(self.inner.store.append_audit(&entry))
            .await
            .map(drop)
            .map_err(|source| RegistryError::Audit {
                what: what.to_string(),
                source,
            })
    }

    /// Audits a lookup that is not a personal-data lookup, when the options say so.
    pub(crate) async fn audit_if_configured(
        &self,
        register: Register,
        subject: impl fmt::Display,
        outcome: Outcome,
        what: impl fmt::Display,
    ) -> RegistryResult<()> {
        if self.inner.options.audit_all_lookups {
            // Boxed so that the lookups that are not audited (the usual case) carry none of
            // the audit's state in their futures.
            Box::pin(self.audit(register, subject, outcome, what)).await
        } else {
            Ok(())
        }
    }
}

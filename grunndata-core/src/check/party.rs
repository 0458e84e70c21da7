//! Rules on one Adresseregisteret party: its certificates and whether anything can be sent to
//! it.

use chrono::{DateTime, Utc};

use crate::model::{AmqpTransportStatus, CertificateMetadata, CommunicationParty};

/// Default warning period of rule `ar-certificate-expiring`, in days.
pub const CERTIFICATE_WARNING_DAYS: u32 = 30;

/// What a certificate is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CertificateUse {
    /// The party signs its messages with it.
    Signing,
    /// Messages to the party are encrypted with it.
    Encryption,
}

impl CertificateUse {
    /// `signing` or `encryption`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Encryption => "encryption",
        }
    }
}

/// A certificate that has expired or expires within the warning period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIssue<'a> {
    /// Which of the party's certificates.
    pub usage: CertificateUse,
    /// The certificate.
    pub certificate: &'a CertificateMetadata,
    /// Expired at `at` (rule `ar-certificate-expired`), rather than expiring soon
    /// (`ar-certificate-expiring`).
    pub expired: bool,
}

/// The party's certificates that have expired at `at`, or expire within `days` days after it.
/// A party without a certificate has no issue here: not every party signs or receives
/// encrypted messages.
pub fn certificate_issues(
    party: &CommunicationParty,
    at: DateTime<Utc>,
    days: u32,
) -> Vec<CertificateIssue<'_>> {
    [
        (CertificateUse::Signing, party.signing_certificate.as_ref()),
        (
            CertificateUse::Encryption,
            party.encryption_certificate.as_ref(),
        ),
    ]
    .into_iter()
    .filter_map(|(usage, certificate)| {
        let certificate = certificate?;
        let expired = certificate.valid_to.is_some_and(|to| to < at);
        (expired || certificate.expires_within(at, days)).then_some(CertificateIssue {
            usage,
            certificate,
            expired,
        })
    })
    .collect()
}

/// Whether messages can reach `party` (rule `ar-no-message-address`): it has an address of its
/// own, or it inherits AMQP transport from a parent that can be reached (`parent_reachable`).
///
/// A person or service without its own address is normally reached through its organisation:
/// that is what `amqpTransportStatus: Inherited` says. A party that has turned transport off
/// (`Disabled`) and has no EDI address of its own is unreachable whatever its parent has.
pub fn is_reachable(party: &CommunicationParty, parent_reachable: bool) -> bool {
    party.has_message_address()
        || (party.parent.is_some()
            && party.amqp_transport_status == AmqpTransportStatus::Inherited
            && parent_reachable)
}

//! CommunicationParty — an addressee for electronic health messages in NHN
//! Adresseregisteret (AR): an organisation, a service, or a person working in one.
//!
//! Upstream: the CommunicationParty API's new model `CommunicationParty` (UPSTREAMS.md §2.4,
//! adresseregister-spec.json). The legacy PascalCase model is not mirrored.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::Period;
use super::open_enum::open_enum;
use crate::codes::Code;
use crate::id::{HerId, HprNumber, MaybeValid, OrgNumber};

/// A communication party — kommunikasjonspart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicationParty {
    /// The key — HER-id. Upstream `herId`.
    pub her_id: HerId,
    /// Organisation, person or service. Upstream `type`.
    pub kind: PartyType,
    /// Name. Upstream `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// Name for display (for a person or service it includes the organisation). Upstream
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The organisation a person or service belongs to.
    /// Upstream `personDetails.parentOrganization` / `serviceDetails.parentOrganization`.
    #[serde(default)]
    pub parent: Option<ParentOrganisation>,
    /// The organisation's own organisasjonsnummer, kept as received if invalid.
    /// Upstream `organizationDetails.organizationNumber`.
    #[serde(default)]
    pub org_number: Option<MaybeValid<OrgNumber>>,
    /// A person's HPR number, kept as received if invalid. Upstream `personDetails.hprNumber`.
    #[serde(default)]
    pub hpr_number: Option<MaybeValid<HprNumber>>,
    /// An organisation's business type (9040 helsevirksomhet type).
    /// Upstream `organizationDetails.businessType{codeListId, value, name}`.
    #[serde(default)]
    pub business_type: Option<Code>,
    /// A service's type. Upstream `serviceDetails.serviceType{codeListId, value, name}`.
    #[serde(default)]
    pub service_type: Option<Code>,
    /// A service's description in words. Upstream `serviceDetails.serviceSpecification`.
    #[serde(default)]
    pub service_specification: Option<String>,
    /// HER-ids of the persons in an organisation. Upstream `organizationDetails.persons`.
    #[serde(default)]
    pub persons: Vec<HerId>,
    /// HER-ids of the services in an organisation. Upstream `organizationDetails.services`.
    #[serde(default)]
    pub services: Vec<HerId>,
    /// HER-ids of the municipalities an inter-municipal service covers.
    /// Upstream `serviceDetails.interMunicipalityCoverageArea.municipalityHerIds`.
    #[serde(default)]
    pub coverage_municipalities: Vec<HerId>,
    /// EDI address (e-mail form) for health messages. Upstream `ediAddress`.
    #[serde(default)]
    pub edi_address: Option<String>,
    /// FHIR endpoint. Upstream `fhirAddress`.
    #[serde(default)]
    pub fhir_address: Option<String>,
    /// AMQP queues of the message service. Upstream `amqpAddress`.
    #[serde(default)]
    pub amqp_address: Option<AmqpAddress>,
    /// Whether AMQP transport is on, off or inherited from the parent. Upstream
    /// `amqpTransportStatus` (required).
    pub amqp_transport_status: AmqpTransportStatus,
    /// The current signing certificate. Upstream `currentSigningCertificate`.
    #[serde(default)]
    pub signing_certificate: Option<CertificateMetadata>,
    /// The current encryption certificate. Upstream `currentEncryptionCertificate`.
    #[serde(default)]
    pub encryption_certificate: Option<CertificateMetadata>,
    /// E-mail address. Upstream `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// Homepage. Upstream `homepageUrl`.
    #[serde(default)]
    pub homepage_url: Option<String>,
    /// Phone number. Upstream `phoneNumber`.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Fax number. Upstream `faxNumber`.
    #[serde(default)]
    pub fax_number: Option<String>,
    /// Postal address. Upstream `postalAddress`.
    #[serde(default)]
    pub postal_address: Option<PartyPostalAddress>,
    /// Valid from (an instant). Upstream `validFrom`.
    #[serde(default, deserialize_with = "super::date::optional_instant")]
    pub valid_from: Option<DateTime<Utc>>,
    /// Valid until (an instant; exclusive). Upstream `validTo`. A deactivated party has a
    /// `validTo` in the past (AR sends no delete event).
    #[serde(default, deserialize_with = "super::date::optional_instant")]
    pub valid_to: Option<DateTime<Utc>>,
}

impl CommunicationParty {
    /// The validity as whole days (UTC): from the day of `valid_from` to the last day that
    /// `valid_to` still covers — a `valid_to` at exactly midnight ends the day before.
    pub fn validity(&self) -> Period {
        Period::new(
            self.valid_from.map(|from| from.date_naive()),
            self.valid_to.and_then(last_day_covered),
        )
    }

    /// Whether the party is active on `on`: its [`validity`](Self::validity) contains the day.
    pub fn is_active(&self, on: NaiveDate) -> bool {
        self.validity().contains(on)
    }

    /// Whether the party is active at the instant `at` (`valid_from <= at < valid_to`).
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_to.is_none_or(|to| at < to)
    }

    /// Whether the party has any address for health messages: EDI, or AMQP queues in use.
    pub fn has_message_address(&self) -> bool {
        let edi = self
            .edi_address
            .as_deref()
            .is_some_and(|address| !address.trim().is_empty());
        let amqp = self
            .amqp_address
            .as_ref()
            .is_some_and(AmqpAddress::has_queue)
            && self.amqp_transport_status != AmqpTransportStatus::Disabled;
        edi || amqp
    }
}

/// The last day an exclusive end instant covers: the same day, unless it is at midnight.
fn last_day_covered(end: DateTime<Utc>) -> Option<NaiveDate> {
    let day = end.date_naive();
    if end.time() == NaiveTime::MIN {
        day.checked_sub_days(Days::new(1))
    } else {
        Some(day)
    }
}

open_enum! {
    /// The kind of communication party. Upstream `CommunicationPartyType`.
    pub enum PartyType {
        /// An organisation (a legal unit or a part of one). Upstream `Organization`.
        Organisation => "organisation" | "Organization",
        /// A person working in an organisation (has an HPR number). Upstream `Person`.
        Person => "person",
        /// A service offered by an organisation. Upstream `Service`.
        Service => "service",
    }
}

open_enum! {
    /// Whether the party receives messages over AMQP. Upstream `AmqpTransportStatus`.
    pub enum AmqpTransportStatus {
        /// As the parent organisation. Upstream `Inherited`.
        Inherited => "inherited",
        /// Off. Upstream `Disabled`.
        Disabled => "disabled",
        /// On. Upstream `Enabled`.
        Enabled => "enabled",
    }
}

/// The organisation a person or service belongs to.
///
/// Upstream `ParentOrganization{herId, name, organizationNumber}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentOrganisation {
    /// The parent's HER-id. Upstream `herId`.
    pub her_id: HerId,
    /// The parent's name. Upstream `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// The parent's organisasjonsnummer, kept as received if invalid.
    /// Upstream `organizationNumber`.
    #[serde(default)]
    pub org_number: Option<MaybeValid<OrgNumber>>,
}

/// AMQP queues on NHN's message service.
///
/// Upstream `AmqpAddress{amqpSyncQueue, amqpSyncReplyQueue, amqpAsyncQueue, amqpErrorQueue}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AmqpAddress {
    /// Synchronous queue. Upstream `amqpSyncQueue`.
    pub sync_queue: Option<String>,
    /// Synchronous reply queue. Upstream `amqpSyncReplyQueue`.
    pub sync_reply_queue: Option<String>,
    /// Asynchronous queue. Upstream `amqpAsyncQueue`.
    pub async_queue: Option<String>,
    /// Error queue. Upstream `amqpErrorQueue`.
    pub error_queue: Option<String>,
}

impl AmqpAddress {
    /// Whether any queue is named.
    pub fn has_queue(&self) -> bool {
        [
            &self.sync_queue,
            &self.sync_reply_queue,
            &self.async_queue,
            &self.error_queue,
        ]
        .into_iter()
        .any(|queue| queue.as_deref().is_some_and(|name| !name.trim().is_empty()))
    }
}

/// Metadata of a certificate (the certificate itself is not mirrored).
///
/// Upstream `CertificateMetadata{thumbprint, validFrom, validTo}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateMetadata {
    /// SHA-1 thumbprint as AR sends it (hex). Upstream `thumbprint`.
    pub thumbprint: String,
    /// Not valid before. Upstream `validFrom`.
    #[serde(default, deserialize_with = "super::date::optional_instant")]
    pub valid_from: Option<DateTime<Utc>>,
    /// Not valid after. Upstream `validTo`.
    #[serde(default, deserialize_with = "super::date::optional_instant")]
    pub valid_to: Option<DateTime<Utc>>,
}

impl CertificateMetadata {
    /// Whether the certificate is valid at `at`.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_to.is_none_or(|to| at <= to)
    }

    /// Whether the certificate expires within `days` days after `at` (already expired counts).
    pub fn expires_within(&self, at: DateTime<Utc>, days: u32) -> bool {
        self.valid_to
            .is_some_and(|to| to <= at + chrono::Duration::days(i64::from(days)))
    }
}

/// A communication party's postal address.
///
/// Upstream `PostalAddress{address, postalBox, postalCode, city}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartyPostalAddress {
    /// Street address. Upstream `address`.
    pub street_address: Option<String>,
    /// Post box. Upstream `postalBox`.
    pub postal_box: Option<String>,
    /// Postal code, 4 digits. Upstream `postalCode`.
    pub postal_code: Option<String>,
    /// Post town. Upstream `city`.
    pub city: Option<String>,
}

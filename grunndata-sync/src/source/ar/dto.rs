//! Adresseregisteret's JSON shapes (adresseregister-spec.json, "CommunicationParty Api" v1,
//! new model) and their conversion into [`CommunicationParty`].
//!
//! The spec marks every schema `additionalProperties: false`; we ignore unknown fields anyway
//! (a new field must not stop the mirror). Nullable fields may be missing or `null`.
//!
//! Decisions where the spec is silent:
//! - An invalid key (`herId` ≤ 0) makes the record malformed; so do invalid HER-ids inside it
//!   (`persons`, `services`, `municipalityHerIds`, a parent's `herId`) — the model holds them as
//!   validated `HerId`s, and dropping one silently would be worse than quarantining the record.
//! - `hprNumber` and the organisation numbers are kept as received when invalid (`MaybeValid`).
//! - An `AdministrativeCode` without a `value` is absent; a null `codeListId` becomes an empty
//!   system id. A certificate without a `thumbprint` is absent.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::core::codes::{Code, CodeSystemId};
use crate::core::id::{HerId, IdError, MaybeValid, OrgNumber};
use crate::core::model::{
    AmqpAddress, AmqpTransportStatus, CertificateMetadata, CommunicationParty, ParentOrganisation,
    PartyPostalAddress, PartyType,
};
use crate::source::record::parse_dto;
use crate::source::time::instant;
use crate::source::{MalformedRecord, Parsed};
use crate::store::Register;

/// `CommunicationParty` (new model).
#[derive(Debug, Deserialize)]
pub(crate) struct PartyDto {
    #[serde(rename = "herId")]
    her_id: i64,
    #[serde(rename = "name", default)]
    name: Option<String>,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "organizationDetails", default)]
    organization: Option<OrganizationDetailsDto>,
    #[serde(rename = "personDetails", default)]
    person: Option<PersonDetailsDto>,
    #[serde(rename = "serviceDetails", default)]
    service: Option<ServiceDetailsDto>,
    #[serde(rename = "currentSigningCertificate", default)]
    signing_certificate: Option<CertificateMetadataDto>,
    #[serde(rename = "currentEncryptionCertificate", default)]
    encryption_certificate: Option<CertificateMetadataDto>,
    #[serde(rename = "email", default)]
    email: Option<String>,
    #[serde(rename = "homepageUrl", default)]
    homepage_url: Option<String>,
    #[serde(rename = "phoneNumber", default)]
    phone_number: Option<String>,
    #[serde(rename = "faxNumber", default)]
    fax_number: Option<String>,
    #[serde(rename = "ediAddress", default)]
    edi_address: Option<String>,
    #[serde(rename = "fhirAddress", default)]
    fhir_address: Option<String>,
    #[serde(rename = "postalAddress", default)]
    postal_address: Option<PostalAddressDto>,
    #[serde(rename = "amqpTransportStatus")]
    amqp_transport_status: String,
    #[serde(rename = "amqpAddress", default)]
    amqp_address: Option<AmqpAddressDto>,
    #[serde(rename = "validFrom", default, deserialize_with = "instant")]
    valid_from: Option<DateTime<Utc>>,
    #[serde(rename = "validTo", default, deserialize_with = "instant")]
    valid_to: Option<DateTime<Utc>>,
}

/// `OrganizationDetails`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrganizationDetailsDto {
    #[serde(rename = "organizationNumber", default)]
    organization_number: Option<String>,
    #[serde(rename = "businessType", default)]
    business_type: Option<AdministrativeCodeDto>,
    #[serde(rename = "persons", default)]
    persons: Option<Vec<i64>>,
    #[serde(rename = "services", default)]
    services: Option<Vec<i64>>,
}

/// `PersonDetails`.
#[derive(Debug, Deserialize)]
pub(crate) struct PersonDetailsDto {
    #[serde(rename = "hprNumber", default)]
    hpr_number: Option<i64>,
    #[serde(rename = "parentOrganization", default)]
    parent: Option<ParentOrganizationDto>,
}

/// `ServiceDetails`.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceDetailsDto {
    #[serde(rename = "serviceType", default)]
    service_type: Option<AdministrativeCodeDto>,
    #[serde(rename = "interMunicipalityCoverageArea", default)]
    coverage: Option<CoverageAreaDto>,
    #[serde(rename = "serviceSpecification", default)]
    specification: Option<String>,
    #[serde(rename = "parentOrganization", default)]
    parent: Option<ParentOrganizationDto>,
}

/// `InterMunicipalityCoverageArea`.
#[derive(Debug, Deserialize)]
pub(crate) struct CoverageAreaDto {
    #[serde(rename = "municipalityHerIds", default)]
    municipality_her_ids: Option<Vec<i64>>,
}

/// `ParentOrganization`.
#[derive(Debug, Deserialize)]
pub(crate) struct ParentOrganizationDto {
    #[serde(rename = "name", default)]
    name: Option<String>,
    #[serde(rename = "herId")]
    her_id: i64,
    #[serde(rename = "organizationNumber", default)]
    organization_number: Option<String>,
}

/// `AdministrativeCode`.
#[derive(Debug, Deserialize)]
pub(crate) struct AdministrativeCodeDto {
    #[serde(rename = "codeListId", default)]
    code_list_id: Option<String>,
    #[serde(rename = "value", default)]
    value: Option<String>,
    #[serde(rename = "name", default)]
    name: Option<String>,
    #[serde(rename = "url", default)]
    #[allow(
        dead_code,
        reason = "read so the field list matches the spec; the model has no url"
    )]
    url: Option<String>,
}

/// `CertificateMetadata`.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificateMetadataDto {
    #[serde(rename = "thumbprint", default)]
    pub(crate) thumbprint: Option<String>,
    #[serde(rename = "validFrom", default, deserialize_with = "instant")]
    pub(crate) valid_from: Option<DateTime<Utc>>,
    #[serde(rename = "validTo", default, deserialize_with = "instant")]
    pub(crate) valid_to: Option<DateTime<Utc>>,
}

/// `PostalAddress`.
#[derive(Debug, Deserialize)]
pub(crate) struct PostalAddressDto {
    #[serde(rename = "address", default)]
    address: Option<String>,
    #[serde(rename = "postalBox", default)]
    postal_box: Option<String>,
    #[serde(rename = "postalCode", default)]
    postal_code: Option<String>,
    #[serde(rename = "city", default)]
    city: Option<String>,
}

/// `AmqpAddress`.
#[derive(Debug, Deserialize)]
#[allow(
    clippy::struct_field_names,
    reason = "the upstream names all end in Queue"
)]
pub(crate) struct AmqpAddressDto {
    #[serde(rename = "amqpSyncQueue", default)]
    sync_queue: Option<String>,
    #[serde(rename = "amqpSyncReplyQueue", default)]
    sync_reply_queue: Option<String>,
    #[serde(rename = "amqpAsyncQueue", default)]
    async_queue: Option<String>,
    #[serde(rename = "amqpErrorQueue", default)]
    error_queue: Option<String>,
}

/// Just the key, for naming a record that failed to parse.
#[derive(Debug, Deserialize)]
struct KeyOnly {
    #[serde(rename = "herId", default)]
    her_id: Option<serde_json::Value>,
}

/// Why a parsed DTO could not become a model.
struct Invalid {
    field: String,
    message: String,
}

fn her_id(value: i64, field: impl Into<String>) -> Result<HerId, Invalid> {
    HerId::new(value).map_err(|error: IdError| Invalid {
        field: field.into(),
        message: format!("invalid HER-id {value}: {error}"),
    })
}

fn her_ids(values: Option<Vec<i64>>, field: &str) -> Result<Vec<HerId>, Invalid> {
    values
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, value)| her_id(value, format!("{field}[{index}]")))
        .collect()
}

impl AdministrativeCodeDto {
    fn into_code(self) -> Option<Code> {
        let value = self.value?;
        let system = CodeSystemId::new(self.code_list_id.as_deref().unwrap_or_default());
        Some(match self.name {
            Some(name) => Code::with_display(system, value, name),
            None => Code::new(system, value),
        })
    }
}

impl CertificateMetadataDto {
    pub(crate) fn into_model(self) -> Option<CertificateMetadata> {
        Some(CertificateMetadata {
            thumbprint: self.thumbprint?,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        })
    }
}

impl ParentOrganizationDto {
    fn into_model(self, field: &str) -> Result<ParentOrganisation, Invalid> {
        Ok(ParentOrganisation {
            her_id: her_id(self.her_id, format!("{field}.herId"))?,
            name: self.name,
            org_number: org_number(self.organization_number),
        })
    }
}

fn org_number(text: Option<String>) -> Option<MaybeValid<OrgNumber>> {
    text.filter(|text| !text.trim().is_empty())
        .map(|text| MaybeValid::from_raw(&text))
}

impl PartyDto {
    fn into_model(self) -> Result<CommunicationParty, Invalid> {
        let her_id = her_id(self.her_id, "herId")?;
        let mut parent = None;
        let mut hpr_number = None;
        let mut org = None;
        let mut business_type = None;
        let mut persons = Vec::new();
        let mut services = Vec::new();
        let mut service_type = None;
        let mut service_specification = None;
        let mut coverage_municipalities = Vec::new();
        if let Some(details) = self.organization {
            org = org_number(details.organization_number);
            business_type = details
                .business_type
                .and_then(AdministrativeCodeDto::into_code);
            persons = her_ids(details.persons, "organizationDetails.persons")?;
            services = her_ids(details.services, "organizationDetails.services")?;
        }
        if let Some(details) = self.person {
            hpr_number = details
                .hpr_number
                .map(|number| MaybeValid::from_raw(&number.to_string()));
            if let Some(dto) = details.parent {
                parent = Some(dto.into_model("personDetails.parentOrganization")?);
            }
        }
        if let Some(details) = self.service {
            service_type = details
                .service_type
                .and_then(AdministrativeCodeDto::into_code);
            service_specification = details.specification;
            coverage_municipalities = her_ids(
                details.coverage.and_then(|area| area.municipality_her_ids),
                "serviceDetails.interMunicipalityCoverageArea.municipalityHerIds",
            )?;
            if let Some(dto) = details.parent {
                parent = Some(dto.into_model("serviceDetails.parentOrganization")?);
            }
        }
        Ok(CommunicationParty {
            her_id,
            kind: PartyType::parse(&self.kind),
            name: self.name,
            display_name: self.display_name,
            parent,
            org_number: org,
            hpr_number,
            business_type,
            service_type,
            service_specification,
            persons,
            services,
            coverage_municipalities,
            edi_address: self.edi_address,
            fhir_address: self.fhir_address,
            amqp_address: self.amqp_address.map(|amqp| AmqpAddress {
                sync_queue: amqp.sync_queue,
                sync_reply_queue: amqp.sync_reply_queue,
                async_queue: amqp.async_queue,
                error_queue: amqp.error_queue,
            }),
            amqp_transport_status: AmqpTransportStatus::parse(&self.amqp_transport_status),
            signing_certificate: self
                .signing_certificate
                .and_then(CertificateMetadataDto::into_model),
            encryption_certificate: self
                .encryption_certificate
                .and_then(CertificateMetadataDto::into_model),
            email: self.email,
            homepage_url: self.homepage_url,
            phone_number: self.phone_number,
            fax_number: self.fax_number,
            postal_address: self.postal_address.map(|address| PartyPostalAddress {
                street_address: address.address,
                postal_box: address.postal_box,
                postal_code: address.postal_code,
                city: address.city,
            }),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        })
    }
}

/// Parses one `CommunicationParty` JSON into the model, or a [`MalformedRecord`].
pub(crate) fn parse_party(raw: &[u8]) -> Parsed<CommunicationParty> {
    let upstream_id = || {
        serde_json::from_slice::<KeyOnly>(raw)
            .ok()
            .and_then(|key| key.her_id)
            .map(|value| match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            })
    };
    let dto: PartyDto = match parse_dto(raw) {
        Ok(dto) => dto,
        Err(error) => {
            return Parsed::Malformed(MalformedRecord::from_path_error(
                Register::Ar,
                upstream_id(),
                &error,
                raw,
            ));
        }
    };
    match dto.into_model() {
        Ok(party) => Parsed::Record(party),
        Err(invalid) => Parsed::Malformed(MalformedRecord::new(
            Register::Ar,
            upstream_id(),
            Some(invalid.field),
            &invalid.message,
            raw.to_vec(),
        )),
    }
}

/// The field names each AR schema is read with: `(schema, names)`.
pub(crate) fn field_names() -> Vec<(&'static str, &'static [&'static str])> {
    use crate::source::introspect::struct_fields;
    vec![
        ("CommunicationParty", struct_fields::<PartyDto>()),
        (
            "OrganizationDetails",
            struct_fields::<OrganizationDetailsDto>(),
        ),
        ("PersonDetails", struct_fields::<PersonDetailsDto>()),
        ("ServiceDetails", struct_fields::<ServiceDetailsDto>()),
        (
            "InterMunicipalityCoverageArea",
            struct_fields::<CoverageAreaDto>(),
        ),
        (
            "ParentOrganization",
            struct_fields::<ParentOrganizationDto>(),
        ),
        (
            "AdministrativeCode",
            struct_fields::<AdministrativeCodeDto>(),
        ),
        (
            "CertificateMetadata",
            struct_fields::<CertificateMetadataDto>(),
        ),
        ("PostalAddress", struct_fields::<PostalAddressDto>()),
        ("AmqpAddress", struct_fields::<AmqpAddressDto>()),
        (
            "CommunicationPartyExport",
            struct_fields::<super::feed::ExportDto>(),
        ),
        ("Event", struct_fields::<super::feed::EventDto>()),
        (
            "EventsResponse",
            struct_fields::<super::feed::EventsResponseDto>(),
        ),
        (
            "Certificate",
            struct_fields::<super::certificates::CertificateDto>(),
        ),
        (
            "CertificatePairInfo",
            struct_fields::<super::certificates::CertificatePairDto>(),
        ),
    ]
}

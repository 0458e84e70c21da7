//! Certificates: `GET /api/v1/certificate/{herId}?includeHistoric=` (pairs of metadata) and
//! `GET /api/v1/certificate/{herId}/signing|encryption` (one certificate with its value).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::dto::CertificateMetadataDto;
use crate::core::model::CertificateMetadata;
use crate::source::time::instant;

/// `CertificatePairInfo{isCurrent, signingCertificate, encryptionCertificate}`.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificatePairDto {
    #[serde(rename = "isCurrent", default)]
    is_current: Option<bool>,
    #[serde(rename = "signingCertificate", default)]
    signing: Option<CertificateMetadataDto>,
    #[serde(rename = "encryptionCertificate", default)]
    encryption: Option<CertificateMetadataDto>,
}

/// `Certificate{thumbprint, validFrom, validTo, certificateValue}`.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificateDto {
    #[serde(rename = "thumbprint", default)]
    thumbprint: Option<String>,
    #[serde(rename = "validFrom", default, deserialize_with = "instant")]
    valid_from: Option<DateTime<Utc>>,
    #[serde(rename = "validTo", default, deserialize_with = "instant")]
    valid_to: Option<DateTime<Utc>>,
    #[serde(rename = "certificateValue", default)]
    value: Option<String>,
}

/// A party's signing and encryption certificates, current or historic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePair {
    /// Whether this is the current pair. Upstream `isCurrent`.
    pub is_current: bool,
    /// The signing certificate. Upstream `signingCertificate`.
    pub signing: Option<CertificateMetadata>,
    /// The encryption certificate. Upstream `encryptionCertificate`.
    pub encryption: Option<CertificateMetadata>,
}

/// One certificate with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Thumbprint and validity.
    pub metadata: CertificateMetadata,
    /// The DER certificate, base64 as upstream sends it (`format: byte`). Upstream
    /// `certificateValue`.
    pub value_base64: String,
}

/// Which certificate of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateUse {
    /// `/signing`.
    Signing,
    /// `/encryption`.
    Encryption,
}

impl CertificateUse {
    pub(crate) fn path_segment(self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Encryption => "encryption",
        }
    }
}

impl CertificatePairDto {
    pub(crate) fn into_model(self) -> CertificatePair {
        CertificatePair {
            is_current: self.is_current.unwrap_or(false),
            signing: self.signing.and_then(CertificateMetadataDto::into_model),
            encryption: self.encryption.and_then(CertificateMetadataDto::into_model),
        }
    }
}

impl CertificateDto {
    /// `None` when thumbprint or value is missing (both are required by the spec).
    pub(crate) fn into_model(self) -> Option<Certificate> {
        Some(Certificate {
            value_base64: self.value?,
            metadata: CertificateMetadata {
                thumbprint: self.thumbprint?,
                valid_from: self.valid_from,
                valid_to: self.valid_to,
            },
        })
    }
}

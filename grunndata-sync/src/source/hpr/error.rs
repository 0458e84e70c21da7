//! Errors of the HPR client.
//!
//! [`HprError`] is what the HPR-specific calls return: a [`SourceError`] (transport, status,
//! envelope) or a typed SOAP fault. At the [`Source`](crate::source::Source) boundary a fault
//! becomes [`SourceError::Status`] with the fault as its body text, so the engine handles HPR
//! like every other upstream. A record that does not parse is never an error here: it is a
//! [`MalformedRecord`](crate::source::MalformedRecord) next to the records that did.

use reqwest::StatusCode;

use super::soap_page::SoapFault;
use crate::source::SourceError;
use crate::store::Register;

/// What went wrong calling HPR.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HprError {
    /// The request failed (transport, status, envelope, configuration).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The SOAP service answered with a fault (`GenericFault{ErrorCode, Message}` when sent).
    #[error("hpr: {operation} at {path}: {fault}")]
    Fault {
        /// The SOAP operation (`HentRegisterEndringer`, `Søk2`).
        operation: String,
        /// The request path.
        path: String,
        /// The fault.
        fault: Box<SoapFault>,
    },
}

impl HprError {
    /// The SOAP fault, if this is one.
    pub fn fault(&self) -> Option<&SoapFault> {
        match self {
            Self::Fault { fault, .. } => Some(fault),
            Self::Source(_) => None,
        }
    }
}

impl From<HprError> for SourceError {
    fn from(error: HprError) -> Self {
        match error {
            HprError::Source(error) => error,
            HprError::Fault {
                operation,
                path,
                fault,
            } => Self::Status {
                register: Register::Hpr,
                method: format!("POST {operation}"),
                path,
                status: StatusCode::INTERNAL_SERVER_ERROR,
                attempts: 1,
                body: Some(fault.to_string()),
            },
        }
    }
}

//! The scopes and audiences each upstream demands (UPSTREAMS.md §2, §3, §4.1).

/// Adresseregisteret CommunicationParty API, the only scope it knows (DPoP required).
pub const AR: &str = "nhn:cp-api/access-v2-dpop";

/// Audience of Adresseregisteret CommunicationParty API tokens.
pub const AR_AUDIENCE: &str = "nhn:cp-api";

/// Persontjenesten v2, paths under `/api/legal-basis/`.
pub const PREG_LEGAL_BASIS: &str = "nhn:hgd-persontjenesten-api/read-with-legal-basis";

/// Persontjenesten v2, paths under `/api/no-legal-basis/`.
pub const PREG_NO_LEGAL_BASIS: &str = "nhn:hgd-persontjenesten-api/read-no-legal-basis";

/// HPR REST, open data (`GET /v1/personer/{hprNummer}`).
pub const HPR_BASIC: &str = "nhn:hpr/basic";

/// HPR REST, extra personal data (`/v1/personerutvidet`); needs Helsedirektoratet approval.
pub const HPR_EXTENDED: &str = "nhn:hpr/extended";

/// HPR REST, the same data as extended plus bulk export; needs approval.
pub const HPR_EXPORT: &str = "nhn:hpr/export";

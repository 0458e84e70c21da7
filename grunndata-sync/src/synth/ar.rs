//! Adresseregisteret `CommunicationParty` records (the new REST model, UPSTREAMS.md §2.4).
//!
//! The AR index space is organisations first, then services, then persons, so that a parent is
//! always created (has a lower sequence number) before its children. Every organisation carries
//! the orgnr of a generated, active enhet; services and persons sit beneath organisation
//! `k mod organisations`, which lists them; persons carry the HPR-nummer of a generated HPR person.
//!
//! Not verified: the `codeListId` form of `AdministrativeCode` (we use the bare kodeverk number,
//! e.g. `"9040"`), and the 9040 business-type and service-type values other than 115.

// Field names are the spec's, even where they repeat the struct's name.
#![allow(clippy::struct_field_names)]
//! `validFrom`/`validTo` are not nullable in the spec, so active parties get a far-future `validTo`.

use serde::Serialize;

use super::gen_rng::Gen;
use super::seed::{self, Stream};
use super::{Synth, fmt, names};

/// First HER-id; AR party `i` has HER-id `HER_BASE + i`.
const HER_BASE: u64 = 8_000_000;

/// Business types (kodeverk 9040). Only 115 is verified; the others are placeholders.
const BUSINESS_TYPES: &[(&str, &str)] = &[
    (
        "115",
        "Øvrig virksomhet som ikke yter helsehjelp (dekker forsikringsselskap mv.)",
    ),
    ("101", "Fastlegepraksis"),
    ("102", "Legevakt"),
    ("104", "Fysioterapivirksomhet"),
    ("107", "Tannlegevirksomhet"),
    ("110", "Sykehjem"),
];

/// Service types (kodeverk 8658-like; placeholders).
const SERVICE_TYPES: &[(&str, &str)] = &[
    ("1", "Legekontor"),
    ("2", "Helsestasjon"),
    ("3", "Hjemmesykepleie"),
    ("6", "Meldingsvalidering"),
    ("7", "Laboratorium"),
];

/// An Adresseregisteret communication party.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunicationParty {
    pub(crate) her_id: u64,
    pub(crate) name: String,
    pub(crate) display_name: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) organization_details: Option<OrganizationDetails>,
    pub(crate) person_details: Option<PersonDetails>,
    pub(crate) service_details: Option<ServiceDetails>,
    pub(crate) current_signing_certificate: Option<CertificateMetadata>,
    pub(crate) current_encryption_certificate: Option<CertificateMetadata>,
    pub(crate) email: Option<String>,
    pub(crate) homepage_url: Option<String>,
    pub(crate) phone_number: Option<String>,
    pub(crate) fax_number: Option<String>,
    pub(crate) edi_address: Option<String>,
    pub(crate) fhir_address: Option<String>,
    pub(crate) postal_address: Option<PostalAddress>,
    pub(crate) amqp_transport_status: &'static str,
    pub(crate) amqp_address: Option<AmqpAddress>,
    pub(crate) valid_from: String,
    pub(crate) valid_to: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrganizationDetails {
    organization_number: String,
    business_type: AdministrativeCode,
    persons: Vec<u64>,
    services: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersonDetails {
    hpr_number: u64,
    parent_organization: ParentOrganization,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceDetails {
    service_type: AdministrativeCode,
    inter_municipality_coverage_area: Option<()>,
    service_specification: Option<String>,
    parent_organization: ParentOrganization,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParentOrganization {
    name: String,
    her_id: u64,
    organization_number: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdministrativeCode {
    code_list_id: &'static str,
    value: &'static str,
    name: &'static str,
    url: Option<String>,
}

/// `CertificateMetadata`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertificateMetadata {
    pub(crate) thumbprint: String,
    pub(crate) valid_from: String,
    pub(crate) valid_to: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostalAddress {
    address: Option<String>,
    postal_box: Option<String>,
    postal_code: &'static str,
    city: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // the spec's names
pub(crate) struct AmqpAddress {
    amqp_sync_queue: String,
    amqp_sync_reply_queue: String,
    amqp_async_queue: String,
    amqp_error_queue: String,
}

/// What an AR index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Organization(u64),
    Service(u64),
    Person(u64),
}

impl Synth {
    /// The HER-id of AR party `index`.
    pub fn ar_her_id(&self, index: u64) -> u64 {
        HER_BASE + index
    }

    /// The index of the AR party with this HER-id, if one of ours.
    pub fn ar_index(&self, her_id: u64) -> Option<u64> {
        her_id
            .checked_sub(HER_BASE)
            .filter(|&i| i < self.counts.ar_total())
    }

    /// Whether AR party `index` is deactivated (`validTo` in the past) in the base data.
    /// Organisations never are; about 3 % of services and persons are.
    pub fn ar_is_deactivated(&self, index: u64) -> bool {
        self.ar_is_deactivated_base(index)
            || self
                .plan
                .as_ref()
                .is_some_and(|plan| plan.parent_inactive.is_some_and(|(_, p)| p == index))
    }

    /// [`ar_is_deactivated`](Self::ar_is_deactivated) without planted anomalies.
    pub(crate) fn ar_is_deactivated_base(&self, index: u64) -> bool {
        !matches!(self.ar_role(index), Role::Organization(_))
            && seed::ppm(seed::hash(self.seed(), Stream::ArFlags, index), 30_000)
    }

    fn ar_role(&self, index: u64) -> Role {
        let c = self.counts;
        if index < c.ar_organizations {
            Role::Organization(index)
        } else if index < c.ar_organizations + c.ar_services {
            Role::Service(index - c.ar_organizations)
        } else {
            Role::Person(index - c.ar_organizations - c.ar_services)
        }
    }

    /// The enhet behind AR organisation `k`.
    fn ar_org_enhet(&self, k: u64) -> u64 {
        k * self.health_stride
    }

    fn parent(&self, k_child: u64) -> ParentOrganization {
        let org = k_child % self.counts.ar_organizations;
        let enhet = self.enhet(self.ar_org_enhet(org));
        ParentOrganization {
            name: title_case(&enhet.navn),
            her_id: self.ar_her_id(org),
            organization_number: enhet.organisasjonsnummer,
        }
    }

    /// AR party `index`, with its planted anomaly if it has one.
    pub fn communication_party(&self, index: u64) -> CommunicationParty {
        let mut party = self.communication_party_base(index);
        if let Some(plan) = &self.plan {
            self.plant(plan, index, &mut party);
        }
        party
    }

    /// Changes party `index` as `plan` says (see `anomalies.rs`).
    fn plant(&self, plan: &super::anomalies::Plan, index: u64, party: &mut CommunicationParty) {
        let today = fmt::reference_date();
        if let Some(details) = party.organization_details.as_mut() {
            if plan.org_missing == Some(index) {
                details.organization_number = self.enhet_orgnr(self.counts.enheter + 2);
            }
            if let Some((_, enhet)) = plan.org_inactive.filter(|&(k, _)| k == index) {
                details.organization_number = self.enhet_orgnr(enhet);
            }
            if plan.org_invalid == Some(index) {
                super::brreg::INVALID_ORGNR.clone_into(&mut details.organization_number);
            }
            if let Some((_, original)) = plan.org_duplicate.filter(|&(k, _)| k == index) {
                let enhet = self.enhet(self.ar_org_enhet(original));
                details.organization_number = enhet.organisasjonsnummer;
                party.name = title_case(&enhet.navn);
                party.display_name.clone_from(&party.name);
            }
        }
        if plan.cert_expired == Some(index)
            && let Some(certificate) = party.current_signing_certificate.as_mut()
        {
            certificate.valid_to = fmt::utc_midnight(today - chrono::Days::new(10));
        }
        if plan.cert_expiring == Some(index)
            && let Some(certificate) = party.current_encryption_certificate.as_mut()
        {
            certificate.valid_to = fmt::utc_midnight(today + chrono::Days::new(10));
        }
        if let Some(service) = party.service_details.as_mut() {
            let parent = &mut service.parent_organization.her_id;
            match plan.cycle {
                Some((a, b)) if a == index => *parent = self.ar_her_id(b),
                Some((a, b)) if b == index => *parent = self.ar_her_id(a),
                _ => {}
            }
            if plan.parent_missing == Some(index) {
                *parent = self.ar_her_id(self.counts.ar_total() + 10);
            }
            if let Some((_, person)) = plan.parent_inactive.filter(|&(s, _)| s == index) {
                *parent = self.ar_her_id(person);
            }
        }
        if plan.no_address == Some(index) {
            party.edi_address = None;
            party.amqp_address = None;
            party.amqp_transport_status = "Disabled";
        }
        if plan.person_hpr_missing == Some(index)
            && let Some(person) = party.person_details.as_mut()
        {
            person.hpr_number = self.hpr_number(self.counts.hpr_persons + 5);
        }
    }

    fn communication_party_base(&self, index: u64) -> CommunicationParty {
        let mut g = Gen(seed::record_rng(
            self.seed(),
            Stream::CommunicationParty,
            index,
        ));
        let her_id = self.ar_her_id(index);
        let c = self.counts;
        let today = fmt::reference_date();
        let valid_from = today - chrono::Days::new(g.days(15 * 365) + 1);
        let valid_to = if self.ar_is_deactivated(index) {
            valid_from
                + chrono::Days::new(
                    g.days(
                        u64::try_from((today - valid_from).num_days())
                            .unwrap_or(1)
                            .max(1),
                    ),
                )
        } else {
            valid_from + chrono::Days::new(40 * 365)
        };
        let place = g.pick(names::PLACES);
        let mut party = CommunicationParty {
            her_id,
            name: String::new(),
            display_name: String::new(),
            kind: "Organization",
            organization_details: None,
            person_details: None,
            service_details: None,
            current_signing_certificate: None,
            current_encryption_certificate: None,
            email: None,
            homepage_url: None,
            phone_number: Some(format!("{}", g.between(21_000_000, 99_999_999))),
            fax_number: None,
            edi_address: None,
            fhir_address: None,
            postal_address: Some(PostalAddress {
                address: Some(format!("{} {}", g.pick(names::STREETS), g.between(1, 120))),
                postal_box: None,
                postal_code: place.postal_code,
                city: place.city,
            }),
            amqp_transport_status: "Inherited",
            amqp_address: None,
            valid_from: fmt::utc_midnight(valid_from),
            valid_to: fmt::utc_midnight(valid_to),
        };
        match self.ar_role(index) {
            Role::Organization(k) => {
                let enhet = self.enhet(self.ar_org_enhet(k));
                let name = title_case(&enhet.navn);
                let children = |offset: u64, count: u64| -> Vec<u64> {
                    (k..count)
                        .step_by(usize::try_from(c.ar_organizations).unwrap_or(usize::MAX))
                        .map(|r| HER_BASE + offset + r)
                        .collect()
                };
                let (value, label) = g.pick(BUSINESS_TYPES);
                party.organization_details = Some(OrganizationDetails {
                    organization_number: enhet.organisasjonsnummer,
                    business_type: AdministrativeCode {
                        code_list_id: "9040",
                        value,
                        name: label,
                        url: None,
                    },
                    persons: children(c.ar_organizations + c.ar_services, c.ar_persons),
                    services: children(c.ar_organizations, c.ar_services),
                });
                let slug = super::brreg_slug(&enhet.navn);
                party.email = Some(format!("post@{slug}.no"));
                party.homepage_url = g.chance(0.5).then(|| format!("https://www.{slug}.no"));
                party.edi_address = Some(format!("{slug}@edi.nhn.no"));
                party.fhir_address = g
                    .chance(0.1)
                    .then(|| format!("https://fhir.{slug}.no/fhir"));
                party.amqp_transport_status = if g.chance(0.6) { "Enabled" } else { "Disabled" };
                party.amqp_address =
                    (party.amqp_transport_status == "Enabled").then(|| AmqpAddress {
                        amqp_sync_queue: format!("{her_id}_sync"),
                        amqp_sync_reply_queue: format!("{her_id}_syncreply"),
                        amqp_async_queue: format!("{her_id}_async"),
                        amqp_error_queue: format!("{her_id}_error"),
                    });
                party.current_signing_certificate = Some(self.certificate(index, 0));
                party.current_encryption_certificate = Some(self.certificate(index, 1));
                party.display_name.clone_from(&name);
                party.name = name;
            }
            Role::Service(s) => {
                let (value, label) = g.pick(SERVICE_TYPES);
                let parent = self.parent(s);
                party.kind = "Service";
                party.name = label.to_string();
                party.display_name = format!("{} - {}", parent.name, label);
                party.edi_address = Some(format!("{her_id}@edi.nhn.no"));
                party.current_signing_certificate =
                    g.chance(0.7).then(|| self.certificate(index, 0));
                party.current_encryption_certificate = party
                    .current_signing_certificate
                    .as_ref()
                    .map(|_| self.certificate(index, 1));
                party.service_details = Some(ServiceDetails {
                    service_type: AdministrativeCode {
                        code_list_id: "8658",
                        value,
                        name: label,
                        url: None,
                    },
                    inter_municipality_coverage_area: None,
                    service_specification: None,
                    parent_organization: parent,
                });
            }
            Role::Person(r) => {
                let hpr = r * self.hpr_stride;
                let core = self.person_core(hpr);
                let parent = self.parent(r);
                let full = match core.middle {
                    Some(middle) => format!("{} {} {}", core.given, middle, core.family),
                    None => format!("{} {}", core.given, core.family),
                };
                party.kind = "Person";
                party.display_name = format!("{full} - {}", parent.name);
                party.name = full;
                party.edi_address = g.chance(0.4).then(|| format!("{her_id}@edi.nhn.no"));
                party.person_details = Some(PersonDetails {
                    hpr_number: self.hpr_number(hpr),
                    parent_organization: parent,
                });
            }
        }
        party
    }

    /// Deterministic certificate metadata of party `index` (`which` 0 = signing, 1 = encryption).
    pub(crate) fn certificate(&self, index: u64, which: u64) -> CertificateMetadata {
        let h = |n: u64| seed::hash(self.seed(), Stream::Certificate, index * 8 + which * 4 + n);
        let thumbprint = format!("{:016X}{:016X}{:08X}", h(0), h(1), h(2) >> 32);
        let today = fmt::reference_date();
        let from = today - chrono::Days::new(h(3) % 700 + 1);
        CertificateMetadata {
            thumbprint,
            valid_from: fmt::utc_midnight(from),
            valid_to: fmt::utc_midnight(from + chrono::Days::new(3 * 365)),
        }
    }
}

/// "NORDLYS LEGESENTER AS" → "Nordlys Legesenter AS" (legal-form suffixes stay upper case).
fn title_case(name: &str) -> String {
    name.split(' ')
        .map(|word| {
            if matches!(word, "AS" | "ANS" | "DA" | "SA") {
                return word.to_string();
            }
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

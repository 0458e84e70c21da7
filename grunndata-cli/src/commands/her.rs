//! `grunndata her HERID [--tree]`: a communication party in Adresseregisteret.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use clap::Args;
use grunndata_sync::core::id::HerId;
use grunndata_sync::core::model::{CertificateMetadata, CommunicationParty};
use grunndata_sync::registry::{Found, PartyView, Registry, RegistryError};
use grunndata_sync::store::Register;
use serde::Serialize;

use super::card::{Card, instant};
use super::mirror::{self, LookupArgs};
use crate::exit::Outcome;

/// How deep `--tree` goes; AR trees are an organisation, its persons and services, and at
/// most a few levels of departments.
const MAX_DEPTH: usize = 8;

/// Show a communication party from Adresseregisteret (AR): type, parent, EDI, AMQP and FHIR
/// addresses, certificates, validity, and its persons and services — with `--tree`, the
/// whole tree below it.
///
/// `--json` prints one object: `found` (bool), `party` with `party`, `parent` and
/// `children` (each `record` in grunndata's canonical AR JSON, `valid_from`, `valid_to`,
/// `fetched_at`), and with `--tree` also `tree` (`party` and `children`, recursively).
///
/// Exit status: 0 found, 1 not found, 2 malformed HER-id, 3 no mirror or database error.
#[derive(Debug, Args)]
pub struct HerArgs {
    /// HER-id.
    #[arg(value_name = "HERID")]
    her_id: String,

    /// Show the whole tree below the party.
    #[arg(long)]
    tree: bool,

    #[command(flatten)]
    lookup: LookupArgs,
}

/// One node of `--tree`.
#[derive(Debug, Serialize)]
pub struct Node {
    /// The party.
    pub party: Arc<Found<CommunicationParty>>,
    /// Its children, each with theirs.
    pub children: Vec<Node>,
}

/// `--json` output.
#[derive(Debug, Serialize)]
struct Json<'a> {
    found: bool,
    party: &'a PartyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    tree: Option<&'a Node>,
}

impl HerArgs {
    /// Looks the party up and prints the card.
    pub fn run(self) -> anyhow::Result<Outcome> {
        mirror::block_on(self.lookup())?
    }

    async fn lookup(self) -> anyhow::Result<Outcome> {
        let her_id: HerId = match self.her_id.parse() {
            Ok(her_id) => her_id,
            Err(error) => return Ok(mirror::invalid("HER-id", error)),
        };
        let registry = self.lookup.open().await?;
        let Some(view) = registry.communication_party(her_id).await? else {
            let message = format!("not found: no communication party with HER-id {her_id}");
            return mirror::not_found(&registry, Register::Ar, self.lookup.json, message).await;
        };
        let tree = if self.tree {
            let mut seen = HashSet::from([her_id]);
            Some(Node {
                party: Arc::clone(&view.party),
                children: subtree(&registry, &view, &mut seen, 1).await?,
            })
        } else {
            None
        };
        if self.lookup.json {
            mirror::print_json(&Json {
                found: true,
                party: &view,
                tree: tree.as_ref(),
            })?;
        } else {
            let mut card = card(&view);
            if let Some(tree) = &tree {
                card.section("Tree");
                tree_lines(&mut card, tree, 1);
            }
            card.print();
        }
        Ok(Outcome::Success)
    }
}

/// The children of `view`, each with its own children, down to [`MAX_DEPTH`]; a party seen
/// before (a cycle in bad data) is not descended into again.
pub async fn subtree(
    registry: &Registry,
    view: &PartyView,
    seen: &mut HashSet<HerId>,
    depth: usize,
) -> Result<Vec<Node>, RegistryError> {
    let mut nodes = Vec::with_capacity(view.children.len());
    for child in view.children.iter() {
        let her_id = child.record.her_id;
        let mut children = Vec::new();
        if depth < MAX_DEPTH
            && seen.insert(her_id)
            && let Some(child_view) = registry.communication_party(her_id).await?
        {
            children = Box::pin(subtree(registry, &child_view, seen, depth + 1)).await?;
        }
        nodes.push(Node {
            party: Arc::clone(child),
            children,
        });
    }
    Ok(nodes)
}

fn tree_lines(card: &mut Card, node: &Node, depth: usize) {
    card.line(depth, summary(&node.party.record));
    for child in &node.children {
        tree_lines(card, child, depth + 1);
    }
}

/// `81000002  person  Kari Nordmann  EDI party81000002@…`.
fn summary(party: &CommunicationParty) -> String {
    let mut text = format!(
        "{}  {}  {}",
        party.her_id,
        party.kind.as_str(),
        party.name.as_deref().unwrap_or("")
    );
    if let Some(edi) = &party.edi_address {
        let _ = write!(text, "  EDI {edi}");
    }
    text
}

fn card(view: &PartyView) -> Card {
    let party = &view.party.record;
    let mut card = Card::new(party.name.as_deref().unwrap_or("(no name)"));
    card.field("HER-id", party.her_id);
    card.field("type", party.kind.as_str());
    card.optional("display name", party.display_name.as_deref());
    card.optional(
        "orgnr",
        party
            .org_number
            .as_ref()
            .map(grunndata_core::id::MaybeValid::text),
    );
    card.optional(
        "HPR number",
        party
            .hpr_number
            .as_ref()
            .map(grunndata_core::id::MaybeValid::text),
    );
    if let Some(parent) = &party.parent {
        let name = view
            .parent
            .as_ref()
            .and_then(|found| found.record.name.clone())
            .or_else(|| parent.name.clone())
            .unwrap_or_default();
        card.field("parent", format!("{}  {name}", parent.her_id));
    }
    card.optional("business type", party.business_type.as_ref());
    card.optional("service type", party.service_type.as_ref());
    card.field(
        "EDI",
        party.edi_address.as_deref().unwrap_or("— (no EDI address)"),
    );
    if let Some(amqp) = party.amqp_address.as_ref().filter(|amqp| amqp.has_queue()) {
        card.optional("AMQP async", amqp.async_queue.as_deref());
        card.optional("AMQP sync", amqp.sync_queue.as_deref());
    }
    card.field("AMQP transport", party.amqp_transport_status.as_str());
    card.optional("FHIR", party.fhir_address.as_deref());
    card.optional(
        "signing cert",
        party.signing_certificate.as_ref().map(certificate),
    );
    card.optional(
        "encryption cert",
        party.encryption_certificate.as_ref().map(certificate),
    );
    card.field("valid", party.validity());
    card.provenance(&view.party);
    if !view.children.is_empty() {
        card.section(format!("Persons and services ({})", view.children.len()));
        for child in view.children.iter() {
            card.line(1, summary(&child.record));
        }
    }
    card
}

fn certificate(certificate: &CertificateMetadata) -> String {
    let until = certificate.valid_to.map_or_else(
        || "no end".to_owned(),
        |to| format!("valid to {}", instant(to)),
    );
    format!("{} ({until})", certificate.thumbprint)
}

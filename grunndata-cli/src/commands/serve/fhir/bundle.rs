//! Search and history `Bundle`s, with `self` and `next` links that carry every parameter
//! (filters included), so paging keeps working under filters.

use std::fmt::Write as _;

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::params::Search;

/// The server's FHIR base URL as the client reached it (`http://HOST/fhir`).
pub fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| {
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}/fhir")
}

/// The URL of `resource` searched with `search`'s parameters, `_offset` replaced.
fn link(base: &str, resource: &str, search: &Search, offset: usize) -> String {
    let mut query: Vec<String> = search
        .raw
        .iter()
        .filter(|(name, _)| name != "_offset")
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    query.push(format!("_offset={offset}"));
    format!("{base}/{resource}?{}", query.join("&"))
}

/// Percent-encodes a query component.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A `searchset` of `matches` (already filtered, in a stable order), paged by `search`, with
/// `included` resources for the page's matches.
pub fn searchset(
    base: &str,
    resource: &str,
    search: &Search,
    matches: &[Value],
    included: &[Value],
) -> Value {
    let page: Vec<&Value> = matches
        .iter()
        .skip(search.offset)
        .take(search.count)
        .collect();
    let mut links = vec![json!({
        "relation": "self",
        "url": link(base, resource, search, search.offset),
    })];
    if search.offset + page.len() < matches.len() && search.count > 0 {
        links.push(json!({
            "relation": "next",
            "url": link(base, resource, search, search.offset + search.count),
        }));
    }
    let mut entries: Vec<Value> = page
        .into_iter()
        .map(|resource| entry(base, resource, "match"))
        .collect();
    entries.extend(
        included
            .iter()
            .map(|resource| entry(base, resource, "include")),
    );
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": entries,
    });
    if search.total {
        bundle["total"] = json!(matches.len());
    }
    bundle
}

fn entry(base: &str, resource: &Value, mode: &str) -> Value {
    json!({
        "fullUrl": format!(
            "{base}/{}/{}",
            resource["resourceType"].as_str().unwrap_or_default(),
            resource["id"].as_str().unwrap_or_default()
        ),
        "resource": resource,
        "search": { "mode": mode },
    })
}

/// A `history` bundle of `versions` (newest first).
pub fn history(base: &str, versions: Vec<Value>) -> Value {
    let total = versions.len();
    let entries: Vec<Value> = versions
        .into_iter()
        .map(|resource| {
            let url = format!(
                "{base}/{}/{}/_history/{}",
                resource["resourceType"].as_str().unwrap_or_default(),
                resource["id"].as_str().unwrap_or_default(),
                resource["meta"]["versionId"].as_str().unwrap_or_default()
            );
            json!({
                "fullUrl": url,
                "resource": resource,
                "request": { "method": "PUT", "url": format!(
                    "{}/{}",
                    resource["resourceType"].as_str().unwrap_or_default(),
                    resource["id"].as_str().unwrap_or_default()
                ) },
                "response": { "status": "200" },
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "history",
        "total": total,
        "entry": entries,
    })
}

//! Auth against the fake's token server over real HTTP on loopback: HelseID with DPoP,
//! Maskinporten, the API guards, key loading and redaction.

mod api;
mod helseid;
mod keys;
mod maskinporten;
mod redaction;
mod support;

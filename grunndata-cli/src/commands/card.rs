//! The human output of the lookup subcommands: a title, aligned `label  value` lines and
//! indented sections, built in a string and printed at once.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Utc};
use grunndata_sync::registry::Found;

/// Width of the label column.
const LABEL: usize = 16;

/// A card being written.
#[derive(Debug, Default)]
pub struct Card {
    text: String,
}

impl Card {
    /// A card starting with `title` on its own line.
    pub fn new(title: impl fmt::Display) -> Self {
        let mut card = Self::default();
        let _ = writeln!(card.text, "{title}");
        card
    }

    /// `  label         value`.
    pub fn field(&mut self, label: &str, value: impl fmt::Display) -> &mut Self {
        let _ = writeln!(self.text, "  {label:<LABEL$}{value}");
        self
    }

    /// A field only when there is a value.
    pub fn optional(&mut self, label: &str, value: Option<impl fmt::Display>) -> &mut Self {
        if let Some(value) = value {
            self.field(label, value);
        }
        self
    }

    /// A section heading (unindented).
    pub fn section(&mut self, heading: impl fmt::Display) -> &mut Self {
        let _ = writeln!(self.text, "{heading}");
        self
    }

    /// A line indented by `depth` levels of two spaces.
    pub fn line(&mut self, depth: usize, text: impl fmt::Display) -> &mut Self {
        let _ = writeln!(self.text, "{:width$}{text}", "", width = depth * 2);
        self
    }

    /// When the record's version was current and when it was last fetched from upstream.
    pub fn provenance<T>(&mut self, found: &Found<T>) -> &mut Self {
        let version = match found.valid_to {
            Some(to) => format!("{} – {}", instant(found.valid_from), instant(to)),
            None => format!("current since {}", instant(found.valid_from)),
        };
        self.field("version", version);
        self.optional("fetched", found.fetched_at.map(instant))
    }

    /// Prints the card.
    pub fn print(&self) {
        print!("{}", self.text);
    }
}

/// An instant as people read it in a card: `2026-01-01 00:00 UTC`.
pub fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

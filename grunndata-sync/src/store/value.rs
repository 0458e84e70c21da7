//! Column values that bind and decode the same way on SQLite and PostgreSQL.
//!
//! The store's SQL is written once (with `$n` placeholders, which both drivers accept) and
//! executed through [`Exec`](super::exec::Exec). Values travel as [`Value`]s so that code shared
//! between the backends needs no generic sqlx trait bounds; each backend binds and decodes them
//! with its own concrete types.
//!
//! | kind | SQLite (STRICT) | PostgreSQL |
//! |---|---|---|
//! | `Text` | TEXT | TEXT (`COLLATE "C"` where ordered) |
//! | `Int` | INTEGER | BIGINT |
//! | `Bool` | INTEGER 0/1 | BOOLEAN |
//! | `Date` | TEXT `YYYY-MM-DD` | DATE |
//! | `Timestamp` | TEXT RFC 3339, UTC, µs | TIMESTAMPTZ |
//! | `Bytes` | BLOB | BYTEA |
//! | `Json` | TEXT | JSONB |

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

/// The kind of a column, telling the backend how to decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Bool,
    Date,
    Timestamp,
    Bytes,
    Json,
}

/// One nullable column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Timestamp(Option<DateTime<Utc>>),
    Bytes(Option<Vec<u8>>),
    Json(Option<String>),
}

impl Value {
    /// A non-null text value.
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self::Text(Some(text.into()))
    }

    /// A timestamp, truncated to microseconds so that both backends store the same instant.
    pub(crate) fn timestamp(at: DateTime<Utc>) -> Self {
        Self::Timestamp(Some(truncate(at)))
    }

    /// Whether the value is SQL NULL.
    #[cfg(feature = "postgres")]
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Self::Text(v) | Self::Json(v) => v.is_none(),
            Self::Int(v) => v.is_none(),
            Self::Bool(v) => v.is_none(),
            Self::Date(v) => v.is_none(),
            Self::Timestamp(v) => v.is_none(),
            Self::Bytes(v) => v.is_none(),
        }
    }

    #[cfg(feature = "postgres")]
    /// The value as text, for keys: text as is, integers in decimal.
    pub(crate) fn key_text(&self) -> Option<String> {
        match self {
            Self::Text(v) => v.clone(),
            Self::Int(v) => v.map(|v| v.to_string()),
            _ => None,
        }
    }
}

/// Truncates an instant to whole microseconds (PostgreSQL's precision).
pub(crate) fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// A decoded row: values in the order of the requested kinds, taken out one by one.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn take(&mut self, index: usize) -> Value {
        self.0.get_mut(index).map_or(Value::Text(None), |value| {
            std::mem::replace(value, Value::Text(None))
        })
    }

    pub(crate) fn text(&mut self, index: usize) -> Option<String> {
        match self.take(index) {
            Value::Text(v) | Value::Json(v) => v,
            Value::Int(v) => v.map(|v| v.to_string()),
            _ => None,
        }
    }

    pub(crate) fn int(&mut self, index: usize) -> Option<i64> {
        match self.take(index) {
            Value::Int(v) => v,
            _ => None,
        }
    }

    pub(crate) fn bool(&mut self, index: usize) -> Option<bool> {
        match self.take(index) {
            Value::Bool(v) => v,
            Value::Int(v) => v.map(|v| v != 0),
            _ => None,
        }
    }

    pub(crate) fn timestamp(&mut self, index: usize) -> Option<DateTime<Utc>> {
        match self.take(index) {
            Value::Timestamp(v) => v,
            _ => None,
        }
    }

    pub(crate) fn bytes(&mut self, index: usize) -> Option<Vec<u8>> {
        match self.take(index) {
            Value::Bytes(v) => v,
            _ => None,
        }
    }

    /// The raw value at `index`, for keys.
    pub(crate) fn value(&mut self, index: usize) -> Value {
        self.take(index)
    }
}

//! The register tables as data: names, key, typed columns, child table.
//!
//! Write and read SQL is generated from these specs, so a register is described once here and
//! once in each migration folder. Every register table has the same meta columns:
//! `record` (canonical JSON), `digest` (SHA-256 of it), `changed_at` (start of this version) and
//! `fetched_at` (last seen upstream); `record` is physically last in the table. Its
//! `<table>_history` keeps earlier versions.

use super::Register;
use super::value::Kind;

/// A typed column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// A table of rows derived from each record (rewritten when the record changes), or — when
/// `replace` is false — accumulated and kept until the record is purged.
#[derive(Debug)]
pub struct ChildTable {
    pub(crate) table: &'static str,
    /// All columns; the first is the parent's key.
    pub(crate) columns: &'static [Column],
    /// The primary-key columns, for `ON CONFLICT`.
    pub(crate) conflict: &'static str,
    pub(crate) replace: bool,
}

/// One register's table family.
#[derive(Debug)]
pub struct TableSpec {
    pub(crate) register: Register,
    pub(crate) table: &'static str,
    pub(crate) history: &'static str,
    pub(crate) key: Column,
    /// Typed columns between the key and the meta columns, in table order.
    pub(crate) columns: &'static [Column],
    pub(crate) child: Option<ChildTable>,
    /// SQL condition for "inactive upstream" records (counted as deleted); may use `$1` = now.
    pub(crate) deleted_when: &'static str,
}

/// The meta columns every register table ends with.
pub(crate) const META: [Column; 4] = [
    col("record", Kind::Json),
    col("digest", Kind::Bytes),
    col("changed_at", Kind::Timestamp),
    col("fetched_at", Kind::Timestamp),
];

impl TableSpec {
    /// Key, typed columns and meta columns, in insert order.
    pub(crate) fn all_columns(&self) -> impl Iterator<Item = Column> + '_ {
        std::iter::once(self.key)
            .chain(self.columns.iter().copied())
            .chain(META)
    }

    /// Number of values in one row of [`all_columns`](Self::all_columns).
    pub(crate) fn width(&self) -> usize {
        1 + self.columns.len() + META.len()
    }

    /// Comma-separated names of [`all_columns`](Self::all_columns).
    pub(crate) fn column_list(&self) -> String {
        self.all_columns()
            .map(|column| column.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The spec of `register`.
pub(crate) fn spec(register: Register) -> &'static TableSpec {
    match register {
        Register::Brreg => &BRREG,
        Register::Ar => &AR,
        Register::Hpr => &HPR,
        Register::Preg => &PREG,
    }
}

pub(crate) static BRREG: TableSpec = TableSpec {
    register: Register::Brreg,
    table: "brreg",
    history: "brreg_history",
    key: col("org_number", Kind::Text),
    columns: &[
        col("unit", Kind::Text),
        col("parent_org_number", Kind::Text),
        col("name", Kind::Text),
        col("name_search", Kind::Text),
        col("form_code", Kind::Text),
        col("registered_date", Kind::Date),
        col("deleted_date", Kind::Date),
        col("closed_date", Kind::Date),
        col("bankrupt", Kind::Bool),
        col("under_liquidation", Kind::Bool),
        col("under_compulsory_liquidation", Kind::Bool),
        col("invalid_ids", Kind::Text),
    ],
    child: None,
    deleted_when: "deleted_date IS NOT NULL",
};

pub(crate) static AR: TableSpec = TableSpec {
    register: Register::Ar,
    table: "ar",
    history: "ar_history",
    key: col("her_id", Kind::Int),
    columns: &[
        col("kind", Kind::Text),
        col("name", Kind::Text),
        col("display_name", Kind::Text),
        col("name_search", Kind::Text),
        col("org_number", Kind::Text),
        col("parent_her_id", Kind::Int),
        col("parent_org_number", Kind::Text),
        col("hpr_number", Kind::Int),
        col("edi_address", Kind::Text),
        col("business_type", Kind::Text),
        col("service_type", Kind::Text),
        col("valid_from", Kind::Timestamp),
        col("valid_to", Kind::Timestamp),
        col("invalid_ids", Kind::Text),
    ],
    child: None,
    deleted_when: "valid_to IS NOT NULL AND valid_to <= $1",
};

pub(crate) static HPR: TableSpec = TableSpec {
    register: Register::Hpr,
    table: "hpr",
    history: "hpr_history",
    key: col("hpr_number", Kind::Int),
    columns: &[
        col("nin", Kind::Text),
        col("missing_nin", Kind::Bool),
        col("name", Kind::Text),
        col("name_search", Kind::Text),
        col("birth_date", Kind::Date),
        col("death_date", Kind::Date),
        col("replaced_by", Kind::Int),
        col("last_updated", Kind::Timestamp),
        col("invalid_ids", Kind::Text),
    ],
    child: Some(ChildTable {
        table: "hpr_grant",
        columns: &[
            col("hpr_number", Kind::Int),
            col("approval", Kind::Int),
            col("item", Kind::Int),
            col("kind", Kind::Text),
            col("code", Kind::Text),
            col("authorisation", Kind::Text),
            col("valid_from", Kind::Date),
            col("valid_to", Kind::Date),
            col("ended", Kind::Bool),
            col("suspends", Kind::Int),
        ],
        conflict: "hpr_number, approval, item",
        replace: true,
    }),
    deleted_when: "replaced_by IS NOT NULL",
};

pub(crate) static PREG: TableSpec = TableSpec {
    register: Register::Preg,
    table: "preg",
    history: "preg_history",
    key: col("person_id", Kind::Text),
    columns: &[
        col("nin", Kind::Text),
        col("name", Kind::Text),
        col("name_search", Kind::Text),
        col("birth_date", Kind::Date),
        col("death_date", Kind::Date),
        col("status", Kind::Text),
        col("address_protection", Kind::Text),
        col("invalid_ids", Kind::Text),
    ],
    child: Some(ChildTable {
        table: "preg_identifier",
        columns: &[col("person_id", Kind::Text), col("nin", Kind::Text)],
        conflict: "nin, person_id",
        replace: false,
    }),
    deleted_when: "status = 'discontinued'",
};

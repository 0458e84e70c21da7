//! Small SQL text builders shared by both backends (`$n` placeholders work on both).

use std::fmt::Write as _;

use super::schema::TableSpec;

/// `$start, $start+1, …` for `count` values.
pub(crate) fn placeholders(start: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 5);
    for n in start..start + count {
        if n > start {
            text.push_str(", ");
        }
        let _ = write!(text, "${n}");
    }
    text
}

#[cfg(feature = "postgres")]
/// `($1, $2), ($3, $4), …` for `rows` rows of `width` values.
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    let mut text = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        if row > 0 {
            text.push_str(", ");
        }
        text.push('(');
        text.push_str(&placeholders(1 + row * width, width));
        text.push(')');
    }
    text
}

#[cfg(feature = "postgres")]
/// How many rows of `width` values go into one multi-row statement: about a hundred, and
/// always well below SQLite's and PostgreSQL's parameter limits.
pub(crate) fn rows_per_statement(width: usize) -> usize {
    (30_000 / width.max(1)).clamp(1, 100)
}

#[cfg(feature = "postgres")]
/// The `ON CONFLICT … DO UPDATE` clause of a register upsert.
///
/// Every column takes the new value, except `changed_at`: an unchanged digest keeps the start
/// of the current version, and a new version never starts before the one it replaces.
pub(crate) fn upsert_conflict(spec: &TableSpec) -> String {
    let table = spec.table;
    let mut text = format!("ON CONFLICT ({}) DO UPDATE SET ", spec.key.name);
    for column in spec.columns {
        let _ = write!(text, "{0} = excluded.{0}, ", column.name);
    }
    let _ = write!(
        text,
        "record = excluded.record, digest = excluded.digest, fetched_at = excluded.fetched_at, \
         changed_at = CASE WHEN {table}.digest = excluded.digest THEN {table}.changed_at \
         WHEN excluded.changed_at > {table}.changed_at THEN excluded.changed_at \
         ELSE {table}.changed_at END"
    );
    text
}

/// Columns of a history row, in insert order.
pub(crate) fn history_columns(spec: &TableSpec) -> String {
    format!(
        "{}, valid_from, valid_to, ended, record, digest",
        spec.key.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_placeholders() {
        assert_eq!(placeholders(3, 2), "$3, $4");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn builds_multi_row_statements() {
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(rows_per_statement(17), 100);
        assert_eq!(rows_per_statement(1000), 30);
    }
}

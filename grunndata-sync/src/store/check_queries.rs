//! Read-only, set-based queries for `grunndata check`.
//!
//! The check engine writes its SQL once for both backends (`$n` placeholders, typed columns
//! only, no backend-specific functions) and streams the rows through here, so a rule over a
//! national register never holds more than one row at a time. Nothing here writes.

use super::exec::Exec;
#[cfg(feature = "sqlite")]
use super::sqlite;
use super::value::{Kind, Row, Value};
use super::{Backend, Register, Store, StoreError, StoreResult};
#[cfg(feature = "postgres")]
use sqlx::PgConnection;

impl Store {
    /// Runs the read-only query `sql` with `args` on a reader connection and hands each row,
    /// decoded with `kinds`, to `each`. `operation` and `register` name the query in errors.
    pub(crate) async fn check_scan<F>(
        &self,
        operation: &'static str,
        register: Option<Register>,
        sql: &str,
        args: &[Value],
        kinds: &[Kind],
        each: F,
    ) -> StoreResult<()>
    where
        F: FnMut(Row) + Send,
    {
        with_reader!(self, operation, register, |conn| {
            conn.for_each(sql, args, kinds, each)
                .await
                .map_err(StoreError::db(operation, register))
        })
    }
}

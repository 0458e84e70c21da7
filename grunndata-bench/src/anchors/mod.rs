//! The anchors grunndata is measured against, loading the *same rows* its mirror holds into
//! tables with the same columns and indexes: `sqlite3 .import`, a raw prepared-statement
//! insert loop (rusqlite, on the libsqlite3 sqlx links), and `psql \copy`.

pub mod postgres;
pub mod sqlite;
pub mod tools;

//! The schema version checks both backends make before they use or migrate a database.

use sqlx::migrate::{MigrateError, Migrator};

use super::StoreError;
use super::exec::Exec;
use super::value::Kind;
use crate::store::DatabaseError;

pub(crate) async fn applied_versions<C: Exec>(conn: &mut C) -> Result<Vec<i64>, DatabaseError> {
    Ok(conn
        .fetch("SELECT version FROM _sqlx_migrations", &[], &[Kind::Int])
        .await?
        .into_iter()
        .filter_map(|mut row| row.int(0))
        .collect())
}

/// Refuses a database with a migration this binary does not know.
pub(crate) fn check_versions(
    applied: &[i64],
    migrator: &Migrator,
    location: &str,
) -> Result<(), StoreError> {
    let supported = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(&found) = applied
        .iter()
        .filter(|version| !migrator.version_exists(**version))
        .max()
    {
        return Err(StoreError::SchemaTooNew {
            location: location.to_owned(),
            found: found.max(supported),
            supported,
        });
    }
    Ok(())
}

/// Maps a migrator error, turning "applied but unknown" into [`StoreError::SchemaTooNew`].
pub(crate) fn migrate_error(error: MigrateError, location: &str) -> StoreError {
    match error {
        MigrateError::VersionMissing(found) => StoreError::SchemaTooNew {
            location: location.to_owned(),
            found,
            supported: 0,
        },
        source => StoreError::Migrate {
            location: location.to_owned(),
            source,
        },
    }
}

/// Refuses applied migrations that are not exactly the ones this binary knows: newer (a
/// migration it does not know) or older (one it knows is missing).
pub(crate) fn require_versions(
    applied: &[i64],
    migrator: &Migrator,
    location: &str,
) -> Result<(), StoreError> {
    check_versions(applied, migrator, location)?;
    let supported = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    if migrator.iter().any(|m| !applied.contains(&m.version)) {
        return Err(StoreError::SchemaTooOld {
            location: location.to_owned(),
            found: applied.iter().copied().max().unwrap_or(0),
            supported,
        });
    }
    Ok(())
}

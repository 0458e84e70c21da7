//! Refreshing named records now (`grunndata sync --source ar --ids 81234,81235`), e.g. after
//! a certificate change, without moving the cursor.

use std::collections::HashSet;

use chrono::Utc;

use crate::source::{Parsed, Source, UpstreamRecord};
use crate::store::Batch;

use super::convert::{Synced, add_parsed};
use super::report::Counts;
use super::{Context, EngineError};

/// Fetches `keys` and applies them in one batch: found records are upserted, malformed ones
/// quarantined, and keys upstream no longer knows are deleted (history kept) — the mirror
/// should not go on holding what upstream has dropped.
pub(crate) async fn refresh<S>(
    context: &Context,
    source: &S,
    keys: &[<S::Record as UpstreamRecord>::Key],
    counts: &mut Counts,
) -> Result<(), EngineError>
where
    S: Source,
    S::Record: Synced,
{
    let register = <S::Record as UpstreamRecord>::REGISTER;
    let fetched = source.fetch(keys).await?;
    let fetched_at = Utc::now();
    let mut found = HashSet::new();
    let mut batch = Batch::new(fetched_at);
    for parsed in fetched {
        match &parsed {
            Parsed::Record(record) => {
                found.insert(UpstreamRecord::key(record).to_string());
            }
            Parsed::Malformed(malformed) => {
                found.extend(malformed.upstream_id.clone());
            }
        }
        add_parsed(&mut batch, parsed, fetched_at, counts);
    }
    for key in keys {
        if !found.contains(&key.to_string()) {
            tracing::info!(%register, %key, "not known upstream any more; removing it");
            batch = batch.delete(key.clone(), None);
        }
    }
    let outcome = context.store.apply(batch).await?;
    counts.add_outcome(&outcome);
    Ok(())
}

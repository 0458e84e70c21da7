//! Following a change feed from a cursor until caught up.
//!
//! Each page becomes one batch committed together with the page's next cursor, so a crash
//! leaves the mirror at a page boundary and the restart reads the next page (or, if the crash
//! came before the commit, the same page again — its upserts are idempotent). Pages apply in
//! feed order; while the store commits one page the next is already being fetched.

use crate::source::{Cursor, Page, Source, SourceError, UpstreamRecord};

use super::convert::{Synced, page_batch};
use super::report::Counts;
use super::{Context, EngineError};

/// Where following the feed ended.
pub(crate) struct Followed {
    /// The cursor committed last.
    pub cursor: Cursor,
    /// Whether the feed had nothing more.
    pub caught_up: bool,
    /// Whether it stopped on request.
    pub interrupted: bool,
}

/// Applies pages from `cursor` until the feed is caught up or a stop is requested.
/// A [`SourceError::CursorExpired`] comes back as is, for the caller to re-snapshot.
pub(crate) async fn follow<S>(
    context: &Context,
    source: &S,
    cursor: Cursor,
    counts: &mut Counts,
) -> Result<Followed, EngineError>
where
    S: Source + Clone + 'static,
    S::Record: Synced,
{
    let register = <S::Record as UpstreamRecord>::REGISTER;
    let mut cursor = cursor;
    let mut next = Prefetch::start(source, cursor.clone());
    loop {
        let page = next.take().await?;
        let caught_up = page.caught_up;
        let next_cursor = page.next_cursor.clone();
        let stop = context.stop.is_cancelled();
        if !caught_up && !stop {
            next = Prefetch::start(source, next_cursor.clone());
        }
        let batch = page_batch(page, counts);
        let outcome = context.store.apply(batch).await?;
        counts.add_outcome(&outcome);
        cursor = next_cursor;
        context.progress.advanced(register, counts.fetched);
        if caught_up || stop {
            return Ok(Followed {
                cursor,
                caught_up,
                interrupted: stop && !caught_up,
            });
        }
    }
}

/// The next page, being fetched on its own task; aborted if dropped unused.
struct Prefetch<R: UpstreamRecord> {
    handle: Option<tokio::task::JoinHandle<Result<Page<R>, SourceError>>>,
    register: crate::store::Register,
}

impl<R: UpstreamRecord> Prefetch<R> {
    fn start<S: Source<Record = R> + Clone + 'static>(source: &S, cursor: Cursor) -> Self {
        let source = source.clone();
        let handle = tokio::spawn(async move { source.changes(&cursor).await });
        Self {
            handle: Some(handle),
            register: R::REGISTER,
        }
    }

    async fn take(&mut self) -> Result<Page<R>, EngineError> {
        let register = self.register;
        let Some(handle) = self.handle.take() else {
            return Err(EngineError::Task {
                register,
                message: "no page was being fetched".to_owned(),
            });
        };
        match handle.await {
            Ok(page) => Ok(page?),
            Err(error) => Err(EngineError::Task {
                register,
                message: error.to_string(),
            }),
        }
    }
}

impl<R: UpstreamRecord> Drop for Prefetch<R> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

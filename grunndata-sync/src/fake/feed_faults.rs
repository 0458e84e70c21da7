//! Content faults on feed pages: a duplicated event, two events out of order, an event without
//! its id, a gap in the numbering. Shared by the Brreg, AR, Persontjenesten and HPR feeds.

use serde_json::Value;

use super::faults::Fault;
use super::state::State;

/// Applies the feed faults that fire for `path` to a page of events.
pub(crate) fn apply(state: &State, path: &str, items: &mut Vec<Value>, id_key: &str) {
    let (duplicate, reorder, malformed, gap) = {
        let mut faults = state.faults();
        (
            faults.fire(Fault::DuplicateEvents, path),
            faults.fire(Fault::OutOfOrderEvents, path),
            faults.fire(Fault::MalformedRecord, path),
            faults.fire(Fault::SequenceGaps, path),
        )
    };
    if gap && items.len() >= 3 {
        items.remove(items.len() / 2);
    }
    if duplicate && !items.is_empty() {
        let at = items.len() / 2;
        let copy = items[at].clone();
        items.insert(at + 1, copy);
    }
    if reorder && items.len() >= 2 {
        let at = (items.len() - 1) / 2;
        items.swap(at, at + 1);
    }
    if malformed && let Some(object) = items.first_mut().and_then(Value::as_object_mut) {
        object.remove(id_key);
    }
}

//! A bounded set of strings that each expire: `jti` replay caches and issued nonces.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::VerifyError;

/// Remembers keys until their expiry time, at most `capacity` at once.
///
/// Expired entries are dropped when the set fills up. A set full of unexpired entries refuses
/// new ones ([`VerifyError::CacheFull`]) rather than forget one early, which would let a replay
/// through.
#[derive(Debug)]
pub struct ExpiringSet {
    entries: Mutex<HashMap<String, i64>>,
    capacity: usize,
}

impl ExpiringSet {
    /// An empty set holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Adds `key` until `expires_at`. Fails with [`VerifyError::Replayed`] when it is already
    /// present and unexpired.
    pub fn insert_new(&self, key: String, expires_at: i64, now: i64) -> Result<(), VerifyError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.get(&key).is_some_and(|&exp| exp > now) {
            return Err(VerifyError::Replayed);
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, exp| *exp > now);
            if entries.len() >= self.capacity {
                return Err(VerifyError::CacheFull);
            }
        }
        entries.insert(key, expires_at);
        Ok(())
    }

    /// True when `key` is present and unexpired.
    pub fn contains(&self, key: &str, now: i64) -> bool {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).is_some_and(|&exp| exp > now)
    }

    /// How many entries are held (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{ExpiringSet, VerifyError};

    #[test]
    fn refuses_a_replay_until_expiry_then_accepts() {
        let set = ExpiringSet::new(10);
        assert_eq!(set.insert_new("a".into(), 100, 50), Ok(()));
        assert_eq!(
            set.insert_new("a".into(), 100, 99),
            Err(VerifyError::Replayed)
        );
        assert!(set.contains("a", 99));
        assert!(!set.contains("a", 100));
        assert_eq!(set.insert_new("a".into(), 200, 100), Ok(()));
    }

    #[test]
    fn prunes_expired_entries_when_full_and_refuses_when_still_full() {
        let set = ExpiringSet::new(2);
        set.insert_new("a".into(), 10, 0).expect("room");
        set.insert_new("b".into(), 20, 0).expect("room");
        assert_eq!(
            set.insert_new("c".into(), 30, 5),
            Err(VerifyError::CacheFull)
        );
        assert_eq!(set.insert_new("c".into(), 30, 15), Ok(()));
        assert_eq!(set.len(), 2);
    }
}

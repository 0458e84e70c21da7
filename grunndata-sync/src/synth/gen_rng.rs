//! Small helpers over a record's random generator.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A record's random generator with the choices generators need.
pub(crate) struct Gen(pub(crate) ChaCha8Rng);

impl Gen {
    /// One element of a non-empty slice.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.0.random_range(0..items.len())]
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: u32, hi: u32) -> u32 {
        self.0.random_range(lo..=hi)
    }

    /// A value chosen with the given integer weights (non-empty, positive total).
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.0.random_range(0..total.max(1));
        for &(item, weight) in items {
            if roll < weight {
                return item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    /// A number of days in `0..days` as `u64`.
    pub(crate) fn days(&mut self, days: u64) -> u64 {
        self.0.random_range(0..days.max(1))
    }
}

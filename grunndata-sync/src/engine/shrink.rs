//! The guard that keeps a short snapshot from wiping a register.
//!
//! A snapshot ends by removing every record it did not bring. An upstream that answers with a
//! well-formed but short list (`[]`, half an export, a paging fault) would otherwise remove
//! most of a register. Before that sweep the engine compares what arrived with what the
//! mirror holds and with what upstream announced; a snapshot that falls short is refused
//! whole: no sweep, no cursor, and the run fails for that register with what was expected
//! and what came. An operator who knows the register really shrank accepts it once
//! (`grunndata sync --resnapshot --accept-shrink`) or lowers the floor
//! (`[sync] snapshot_floor_percent`).

/// What a snapshot brought, beside what it should have brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SnapshotSize {
    /// Records the snapshot delivered (parsed or quarantined).
    pub(crate) fetched: u64,
    /// Current records the mirror held when the snapshot began.
    pub(crate) held: u64,
    /// The count upstream announced for the snapshot, where it announces one.
    pub(crate) announced: Option<u64>,
}

/// Why a snapshot is too short to sweep with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shortfall {
    /// Fewer records than upstream's own count for the snapshot.
    BelowAnnounced {
        /// Upstream's count.
        announced: u64,
    },
    /// Fewer than the floor's share of what the mirror holds.
    BelowFloor {
        /// The least that would have been accepted.
        least: u64,
    },
}

impl SnapshotSize {
    /// The shortfall that forbids sweeping, if any: any shortfall against upstream's own count,
    /// or fewer records than `floor_percent` % of what the mirror held.
    pub(crate) fn shortfall(&self, floor_percent: u8) -> Option<Shortfall> {
        if let Some(announced) = self.announced
            && self.fetched < announced
        {
            return Some(Shortfall::BelowAnnounced { announced });
        }
        // Rounded up, so that a floor of 90 % of 10 records asks for 9, of 11 for 10.
        let least = (u128::from(self.held) * u128::from(floor_percent.min(100))).div_ceil(100);
        let least = u64::try_from(least).unwrap_or(u64::MAX);
        (self.fetched < least).then_some(Shortfall::BelowFloor { least })
    }
}

#[cfg(test)]
mod tests {
    use super::{Shortfall, SnapshotSize};

    fn size(fetched: u64, held: u64, announced: Option<u64>) -> SnapshotSize {
        SnapshotSize {
            fetched,
            held,
            announced,
        }
    }

    #[test]
    fn judges_against_the_mirror_and_upstreams_count() {
        let cases = [
            // (fetched, held, announced, floor, expected)
            (0, 0, None, 90, None),
            (
                0,
                1000,
                None,
                90,
                Some(Shortfall::BelowFloor { least: 900 }),
            ),
            (
                899,
                1000,
                None,
                90,
                Some(Shortfall::BelowFloor { least: 900 }),
            ),
            (900, 1000, None, 90, None),
            (10, 11, None, 90, None),
            (9, 11, None, 90, Some(Shortfall::BelowFloor { least: 10 })),
            (500, 1000, None, 0, None),
            (
                500,
                1000,
                None,
                200,
                Some(Shortfall::BelowFloor { least: 1000 }),
            ),
            (
                1000,
                1000,
                Some(1001),
                90,
                Some(Shortfall::BelowAnnounced { announced: 1001 }),
            ),
            (1001, 1000, Some(1001), 90, None),
            (
                5,
                0,
                Some(10),
                90,
                Some(Shortfall::BelowAnnounced { announced: 10 }),
            ),
            (950, 1000, Some(950), 90, None),
        ];
        for (fetched, held, announced, floor, expected) in cases {
            assert_eq!(
                size(fetched, held, announced).shortfall(floor),
                expected,
                "{fetched} fetched, {held} held, {announced:?} announced, floor {floor}"
            );
        }
    }
}

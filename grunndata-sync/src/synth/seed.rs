//! Per-record random streams.
//!
//! Record `i` of a stream gets its own generator seeded from `(seed, stream, i)`, so any record
//! can be regenerated alone, in any order, without generating the ones before it. That is what
//! lets the generator stream in O(1) memory and the fake upstream serve record `i` on demand.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The independent random streams. The discriminant is part of the seed, so it must never change
/// for an existing stream (that would change every generated data set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Stream {
    Enhet = 1,
    EnhetFlags = 2,
    Underenhet = 3,
    CommunicationParty = 4,
    ArFlags = 5,
    PersonCore = 6,
    PregPerson = 7,
    HprPerson = 8,
    HprFlags = 9,
    PregId = 10,
    Certificate = 11,
    PersonFlags = 12,
}

/// SplitMix64's finaliser: a fast, well-mixing bijection on `u64`.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of `(seed, stream, index)`; used directly for cheap per-record flags that other
/// streams need to know without generating the whole record.
pub(crate) fn hash(seed: u64, stream: Stream, index: u64) -> u64 {
    mix(mix(seed ^ (u64::from(stream as u8) << 56)) ^ index)
}

/// The generator for one record.
pub(crate) fn record_rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(hash(seed, stream, index))
}

/// A uniform value in `0..n` from a hash (`n > 0`); the slight modulo bias is irrelevant here.
pub(crate) fn below(hash: u64, n: u64) -> u64 {
    hash % n
}

/// Whether a hash falls in the given fraction (parts per million).
pub(crate) fn ppm(hash: u64, parts_per_million: u64) -> bool {
    hash % 1_000_000 < parts_per_million
}

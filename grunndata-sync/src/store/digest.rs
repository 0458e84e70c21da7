//! Content digests: per record and per register.
//!
//! A record's digest is the SHA-256 of its canonical JSON as serde writes it from the core
//! model (struct fields in declaration order, no maps), computed in Rust when the record is
//! written and stored beside it. The database's own JSON text is never hashed: PostgreSQL's
//! `jsonb` reorders keys.
//!
//! A register's digest combines the record digests order-independently — their sum modulo
//! 2²⁵⁶ — together with the record count and the register name, and hashes that once more.
//! Two mirrors holding the same records therefore report the same digest, whatever the backend,
//! the insertion order or the history.

use std::fmt;

use sha2::{Digest as _, Sha256};

use super::Register;

/// The SHA-256 of one record's canonical JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordDigest([u8; 32]);

impl RecordDigest {
    /// Hashes canonical JSON bytes.
    pub fn of(canonical_json: &[u8]) -> Self {
        Self(Sha256::digest(canonical_json).into())
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads a stored digest; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl fmt::Display for RecordDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for RecordDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordDigest({self})")
    }
}

/// The order-independent digest of every current record of one register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisterDigest {
    /// The register.
    pub register: Register,
    /// How many current records went into it.
    pub records: u64,
    /// SHA-256 over the register name, the count and the sum of the record digests.
    pub hash: [u8; 32],
}

impl RegisterDigest {
    /// The hash in lower-case hex.
    pub fn hex(&self) -> String {
        hex(&self.hash)
    }
}

impl fmt::Display for RegisterDigest {
    /// `sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// Accumulates record digests into a [`RegisterDigest`].
#[derive(Debug, Clone)]
pub(crate) struct DigestSum {
    register: Register,
    records: u64,
    sum: [u8; 32],
}

impl DigestSum {
    pub(crate) fn new(register: Register) -> Self {
        Self {
            register,
            records: 0,
            sum: [0; 32],
        }
    }

    /// Adds one record digest (big-endian 256-bit addition, wrapping).
    pub(crate) fn add(&mut self, digest: &[u8]) {
        let mut carry = 0u16;
        for (index, byte) in self.sum.iter_mut().enumerate().rev() {
            // Shorter input is treated as left-padded with zeros; a stored digest is 32 bytes.
            let offset = 32 - digest.len().min(32);
            let addend = index
                .checked_sub(offset)
                .and_then(|at| digest.get(at))
                .copied()
                .unwrap_or(0);
            let total = u16::from(*byte) + u16::from(addend) + carry;
            *byte = total.to_be_bytes()[1];
            carry = total >> 8;
        }
        self.records += 1;
    }

    pub(crate) fn finish(self) -> RegisterDigest {
        let mut hasher = Sha256::new();
        hasher.update(b"grunndata-register-digest-v1\0");
        hasher.update(self.register.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(self.records.to_be_bytes());
        hasher.update(self.sum);
        RegisterDigest {
            register: self.register,
            records: self.records,
            hash: hasher.finalize().into(),
        }
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_is_order_independent_and_carries() {
        let a = RecordDigest::of(b"{\"a\":1}");
        let b = RecordDigest::of(b"{\"b\":2}");
        let mut forward = DigestSum::new(Register::Brreg);
        forward.add(a.as_bytes());
        forward.add(b.as_bytes());
        let mut backward = DigestSum::new(Register::Brreg);
        backward.add(b.as_bytes());
        backward.add(a.as_bytes());
        assert_eq!(forward.finish(), backward.finish());

        let mut carry = DigestSum::new(Register::Hpr);
        carry.add(&[0xff; 32]);
        carry.add(&{
            let mut one = [0; 32];
            one[31] = 1;
            one
        });
        assert_eq!(carry.sum, [0; 32]);
        assert_eq!(carry.records, 2);
    }

    #[test]
    fn register_and_count_matter() {
        let empty_brreg = DigestSum::new(Register::Brreg).finish();
        let empty_ar = DigestSum::new(Register::Ar).finish();
        assert_ne!(empty_brreg.hash, empty_ar.hash);
        assert_eq!(empty_brreg.hex().len(), 64);
        assert!(empty_brreg.to_string().starts_with("sha256:"));
    }
}

//! Deterministic ids: the same input always yields the same id, so consumers can drop the
//! duplicates that Meta's retries and our at-least-once delivery produce.

use sha1::{Digest, Sha1};
use uuid::Uuid;

/// Namespace of every UUID v5 we derive (documented in the README so consumers can
/// recompute ids).
pub const NAMESPACE: Uuid = Uuid::from_u128(0xdda0_2ff6_da50_485e_920a_268a_d478_2fcd);

/// A hyphenated lower-case UUID, with room for the `_0` suffix of a `tid`.
pub struct IdBuf {
    buf: [u8; 38],
    len: usize,
}

impl IdBuf {
    /// The UUID v5 (RFC 9562) in [`NAMESPACE`] of `parts` joined by `:`.
    pub fn v5(parts: &[&str]) -> Self {
        let mut hasher = Sha1::new();
        hasher.update(NAMESPACE.as_bytes());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                hasher.update(b":");
            }
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x50;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let mut buf = [0u8; 38];
        Uuid::from_bytes(bytes)
            .hyphenated()
            .encode_lower(&mut buf[..36]);
        IdBuf { buf, len: 36 }
    }

    /// The seed's `tid` for a message: UUID v5 of the wamid, then `_0`.
    pub fn tid(wamid: &str) -> Self {
        Self::tid_of(&[wamid])
    }

    /// A `tid` of other parts (coexistence copies: origin, wamid, type), then `_0`.
    pub fn tid_of(parts: &[&str]) -> Self {
        let mut id = Self::v5(parts);
        id.buf[36..38].copy_from_slice(b"_0");
        id.len = 38;
        id
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("uuid text is ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_standard_uuid_v5() {
        let tid = IdBuf::tid("wamid.X");
        let expected = format!("{}_0", Uuid::new_v5(&NAMESPACE, b"wamid.X"));
        assert_eq!(tid.as_str(), expected);
        assert_eq!(
            IdBuf::v5(&["a", "", "c"]).as_str(),
            Uuid::new_v5(&NAMESPACE, b"a::c").to_string()
        );
        assert_eq!(IdBuf::tid("wamid.X").as_str(), tid.as_str());
        assert_ne!(IdBuf::tid("wamid.Y").as_str(), tid.as_str());
    }
}

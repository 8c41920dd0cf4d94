//! Deterministic ids: the same input always yields the same id, so consumers can drop the
//! duplicates that Meta's retries and our at-least-once delivery produce.

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
    /// The UUID v5 of `name` in [`NAMESPACE`].
    pub fn v5(name: &[u8]) -> Self {
        let mut buf = [0u8; 38];
        Uuid::new_v5(&NAMESPACE, name)
            .hyphenated()
            .encode_lower(&mut buf[..36]);
        IdBuf { buf, len: 36 }
    }

    /// The seed's `tid` for a message: UUID v5 of the wamid, then `_0`.
    pub fn tid(wamid: &str) -> Self {
        let mut id = Self::v5(wamid.as_bytes());
        id.buf[36..38].copy_from_slice(b"_0");
        id.len = 38;
        id
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("uuid text is ASCII")
    }
}

/// Builds the name of a derived id from parts joined by `:`.
pub fn joined(parts: &[&str]) -> Vec<u8> {
    let mut name = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            name.push(b':');
        }
        name.extend_from_slice(part.as_bytes());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tid_is_v5_of_the_wamid_with_suffix() {
        let tid = IdBuf::tid("wamid.X");
        let expected = format!("{}_0", Uuid::new_v5(&NAMESPACE, b"wamid.X"));
        assert_eq!(tid.as_str(), expected);
        assert_eq!(tid.as_str().as_bytes()[14], b'5', "version nibble");
        assert_eq!(IdBuf::tid("wamid.X").as_str(), tid.as_str());
        assert_ne!(IdBuf::tid("wamid.Y").as_str(), tid.as_str());
    }

    #[test]
    fn joined_parts() {
        assert_eq!(joined(&["a", "", "c"]), b"a::c");
    }
}

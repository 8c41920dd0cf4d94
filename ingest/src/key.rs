//! The raw record's key: the `phone_number_id` of the first change, found without parsing
//! the body, so one business number's traffic stays in order on one partition.

use memchr::memmem;

const NEEDLE: &[u8] = b"\"phone_number_id\"";

/// The first `"phone_number_id": "<value>"` of the body, when it is a plain string of at
/// most 64 bytes (no escapes); `None` otherwise, and the record then has no key.
pub fn phone_number_id(body: &[u8]) -> Option<&str> {
    let at = memmem::find(body, NEEDLE)? + NEEDLE.len();
    let rest = skip_ws(&body[at..]);
    let rest = skip_ws(rest.strip_prefix(b":")?);
    let rest = rest.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    if rest[end] != b'"' || end == 0 || end > 64 {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

fn skip_ws(bytes: &[u8]) -> &[u8] {
    let n = bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_the_first_change_number() {
        let body = br#"{"entry":[{"changes":[{"value":{"metadata":{"display_phone_number":"1","phone_number_id" : "1065403500012345"}}},{"value":{"metadata":{"phone_number_id":"2"}}}]}]}"#;
        assert_eq!(phone_number_id(body), Some("1065403500012345"));
    }

    #[test]
    fn no_key_when_it_cannot_be_read_cheaply() {
        assert_eq!(phone_number_id(b"{}"), None);
        assert_eq!(phone_number_id(br#"{"phone_number_id":1065}"#), None);
        assert_eq!(phone_number_id(br#"{"phone_number_id":"a\"b"}"#), None);
        assert_eq!(phone_number_id(br#"{"phone_number_id":""}"#), None);
        assert_eq!(phone_number_id(br#"{"phone_number_id":"123"#), None);
        assert_eq!(phone_number_id(b"\xff\xfe"), None);
    }

    #[test]
    fn every_fixture_with_metadata_has_a_key() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bodies");
        let text = std::fs::read(format!("{dir}/batch-multi-entry.json")).unwrap();
        assert_eq!(phone_number_id(&text), Some("1065403500012345"));
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut with_needle = br#"{"phone_number_id":"#.to_vec();
            with_needle.extend_from_slice(&body);
            let _ = phone_number_id(&body);
            let _ = phone_number_id(&with_needle);
        }
    }
}

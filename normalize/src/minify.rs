//! Canonical compact JSON text for the objects we pass on from Meta.
//!
//! Meta's objects are passed on "as they came": re-serializing through a value tree would
//! reorder keys and change number spellings. So we keep the text and only (1) drop
//! whitespace outside strings, which makes every record a single line, and (2) write string
//! escapes the one way serde_json does (`\u00e9` becomes `é`, `\/` becomes `/`). Meta signs
//! bodies with every non-ASCII character escaped, other senders send raw UTF-8: both forms
//! of the same object give the same bytes, hence the same derived ids.

/// Appends `json` (valid JSON text) to `out` in canonical compact form.
pub fn minify_into(json: &str, out: &mut String) {
    let bytes = json.as_bytes();
    out.reserve(bytes.len());
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (end, escaped) = string_end(bytes, i);
                if escaped {
                    out.push_str(&json[start..i]);
                    push_canonical_string(&json[i..end], out);
                    start = end;
                }
                i = end;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.push_str(&json[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&json[start..]);
}

/// The end (exclusive) of the string token opening at `open`, and whether it has escapes.
fn string_end(bytes: &[u8], open: usize) -> (usize, bool) {
    let mut i = open + 1;
    let mut escaped = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                escaped = true;
                i += 2;
            }
            b'"' => return (i + 1, escaped),
            _ => i += 1,
        }
    }
    (bytes.len(), escaped)
}

fn push_canonical_string(token: &str, out: &mut String) {
    match serde_json::from_str::<String>(token) {
        Ok(decoded) => out.push_str(&serde_json::to_string(&decoded).expect("a string serializes")),
        // A lone surrogate escape cannot be decoded: keep the token as it came.
        Err(_) => out.push_str(token),
    }
}

/// `json` in canonical compact form.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    minify_into(json, &mut out);
    out
}

/// How deeply `json` nests objects and arrays (0 for a scalar), read from its text.
#[cfg(test)]
pub(crate) fn depth(json: &str) -> usize {
    depth_scan(json)
}

/// Whether `json` nests deeper than `limit`. Nesting needs an opening bracket per level, so
/// text with no more than `limit` of them (nearly every message) is not counted byte by byte.
pub(crate) fn deeper_than(json: &str, limit: usize) -> Option<usize> {
    let brackets = memchr::memchr2_iter(b'{', b'[', json.as_bytes()).count();
    if brackets <= limit {
        return None;
    }
    Some(depth_scan(json)).filter(|found| *found > limit)
}

fn depth_scan(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in json.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deeper_than_agrees_with_depth() {
        for text in [
            r#"{"a":[1,{"b":"[[[{"}]}"#,
            "[[[]]]",
            r#"["[[[[[[[["]"#,
            "1",
        ] {
            for limit in 0..5 {
                let expected = Some(depth(text)).filter(|d| *d > limit);
                assert_eq!(deeper_than(text, limit), expected, "{text} {limit}");
            }
        }
    }

    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert_eq!(depth("1"), 0);
        assert_eq!(depth(r#"{"a":[1,{"b":"[[[{"}]}"#), 3);
        assert_eq!(depth(r#"["\"[", [[]]]"#), 3);
        assert_eq!(
            depth(&format!("{}{}", "[".repeat(100), "]".repeat(100))),
            100
        );
    }

    #[test]
    fn drops_whitespace_and_canonicalizes_escapes() {
        let text = "{ \"a b\" : [ 1 ,\n\t2.50 ] , \"c\":\"x \\\" y\\\\\" , \"e\": \"\\u00e9\\/\\ud83d\\ude00 \" }";
        assert_eq!(
            minify(text),
            "{\"a b\":[1,2.50],\"c\":\"x \\\" y\\\\\",\"e\":\"é/😀 \"}"
        );
    }

    #[test]
    fn keeps_key_order_and_number_spelling() {
        assert_eq!(
            minify("{\"z\": 1.10, \"a\": 1e3}"),
            "{\"z\":1.10,\"a\":1e3}"
        );
    }

    #[test]
    fn lone_surrogates_are_kept() {
        assert_eq!(minify("[\"\\ud800\"]"), "[\"\\ud800\"]");
    }

    proptest! {
        #[test]
        fn same_value_as_the_input(v in any_json()) {
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            let small = minify(&pretty);
            prop_assert!(!small.contains('\n'));
            let back: serde_json::Value = serde_json::from_str(&small).unwrap();
            prop_assert_eq!(&back, &v);
            // Escaped and raw forms of the same text are identical once canonical.
            let escaped: String = pretty.chars().map(|c| if c.is_ascii() { c.to_string() } else {
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04x}")).collect()
            }).collect();
            prop_assert_eq!(minify(&escaped), small);
        }
    }

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}

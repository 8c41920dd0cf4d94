//! Removes insignificant whitespace from JSON text, keeping everything else byte for byte.
//!
//! Meta's objects are passed on "as they came": re-serializing through a value tree would
//! reorder keys, change number spellings and escapes. Dropping whitespace outside strings
//! keeps them exact and makes every output record a single line.

/// Appends `json` (valid JSON text) to `out` without whitespace outside strings.
pub fn minify_into(json: &str, out: &mut String) {
    let bytes = json.as_bytes();
    out.reserve(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push_str(&json[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&json[start..]);
}

/// `json` without whitespace outside strings.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    minify_into(json, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_strings_and_escapes() {
        let text = "{ \"a b\" : [ 1 ,\n\t2.50 ] , \"c\":\"x \\\" y\\\\\" , \"e\": \"\\u00e9 \" }";
        assert_eq!(
            minify(text),
            "{\"a b\":[1,2.50],\"c\":\"x \\\" y\\\\\",\"e\":\"\\u00e9 \"}"
        );
    }

    proptest! {
        #[test]
        fn same_value_as_the_input(v in any_json()) {
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            let small = minify(&pretty);
            prop_assert!(!small.contains('\n'));
            let back: serde_json::Value = serde_json::from_str(&small).unwrap();
            prop_assert_eq!(back, v);
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

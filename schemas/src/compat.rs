//! Compatibility of two versions of a topic's schema, from a consumer's point of view.
//!
//! Breaking (needs a new major version): a field removed or renamed, a field no longer
//! required (consumers may rely on it), a new required field, a changed type, `const` or
//! `format`, an enum value removed. Additive (minor version): a new optional field, a new
//! enum value, new descriptions and examples. The rules are written in `schemas/README.md`.

use serde_json::Value;

use crate::generate::resolve;

/// The breaking changes from `old` to `new`, each as a sentence naming where.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare(old, old, new, new, "", &mut out, 0);
    out
}

fn type_set(schema: &Value) -> Vec<String> {
    let mut types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    types.sort();
    types
}

fn strings(schema: &Value, key: &str) -> Vec<String> {
    schema
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(Value::to_string).collect())
        .unwrap_or_default()
}

/// Enum values of a schema, whether written as `enum` or as `oneOf` of `const`s.
fn enum_values(schema: &Value) -> Vec<String> {
    let mut values = strings(schema, "enum");
    if let Some(Value::Array(options)) = schema.get("oneOf") {
        values.extend(
            options
                .iter()
                .filter_map(|o| o.get("const"))
                .map(Value::to_string),
        );
    }
    values
}

fn compare(
    old_root: &Value,
    old: &Value,
    new_root: &Value,
    new: &Value,
    at: &str,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let (old, new) = (resolve(old_root, old), resolve(new_root, new));
    let here = if at.is_empty() { "the record" } else { at };
    let (old_types, new_types) = (type_set(old), type_set(new));
    if old_types != new_types {
        out.push(format!(
            "{here}: type changed from {old_types:?} to {new_types:?}"
        ));
    }
    for key in ["const", "format"] {
        if old.get(key) != new.get(key) {
            out.push(format!(
                "{here}: `{key}` changed from {:?} to {:?}",
                old.get(key),
                new.get(key)
            ));
        }
    }
    let (old_enum, new_enum) = (enum_values(old), enum_values(new));
    for value in &old_enum {
        if !new_enum.contains(value) {
            out.push(format!("{here}: enum value {value} removed"));
        }
    }
    let (old_required, new_required) = (strings(old, "required"), strings(new, "required"));
    for name in &new_required {
        if !old_required.contains(name) {
            out.push(format!("{here}: new required field {name}"));
        }
    }
    for name in &old_required {
        if !new_required.contains(name) {
            out.push(format!("{here}: field {name} no longer required"));
        }
    }
    if let Some(Value::Object(old_props)) = old.get("properties") {
        let empty = serde_json::Map::new();
        let new_props = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, old_prop) in old_props {
            let path = format!("{at}/{name}");
            match new_props.get(name) {
                None => out.push(format!("{path}: field removed or renamed")),
                Some(new_prop) => compare(
                    old_root,
                    old_prop,
                    new_root,
                    new_prop,
                    &path,
                    out,
                    depth + 1,
                ),
            }
        }
    }
    for key in ["items", "contentSchema"] {
        match (old.get(key), new.get(key)) {
            (Some(o), Some(n)) => {
                let path = format!("{at}/{key}");
                compare(old_root, o, new_root, n, &path, out, depth + 1);
            }
            (Some(_), None) => out.push(format!("{here}: `{key}` removed")),
            _ => {}
        }
    }
}

/// Parses `MAJOR.MINOR.PATCH`.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|p| p.parse().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(props: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": props, "required": required})
    }

    #[test]
    fn additions_are_not_breaking() {
        let old = schema(
            json!({"a": {"type": "string"}, "e": {"enum": ["x"]}}),
            &["a"],
        );
        let new = schema(
            json!({"a": {"type": "string", "description": "d"}, "b": {"type": "string"}, "e": {"enum": ["x", "y"]}}),
            &["a"],
        );
        assert_eq!(breaking_changes(&old, &new), Vec::<String>::new());
    }

    #[test]
    fn each_breaking_change_is_named() {
        let old = schema(
            json!({
                "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string", "format": "date-time"},
                "e": {"oneOf": [{"const": "x"}, {"const": "y"}]},
                "s": {"type": "string", "contentSchema": {"$ref": "#/$defs/In"}}
            }),
            &["a", "b"],
        );
        let mut old = old;
        old["$defs"] = json!({"In": {"type": "object", "properties": {"k": {"type": "integer"}}}});
        let mut new = schema(
            json!({
                "b": {"type": ["string", "null"]}, "c": {"type": "string"}, "d": {"type": "string"},
                "e": {"oneOf": [{"const": "x"}]},
                "s": {"type": "string", "contentSchema": {"$ref": "#/$defs/In"}}
            }),
            &["b", "d"],
        );
        new["$defs"] = json!({"In": {"type": "object", "properties": {"k": {"type": "string"}}}});
        let changes = breaking_changes(&old, &new).join("\n");
        for expected in [
            "/a: field removed or renamed",
            "/b: type changed",
            "/c: `format` changed",
            "new required field \"d\"",
            "field \"a\" no longer required",
            "/e: enum value \"y\" removed",
            "/s/contentSchema/k: type changed",
        ] {
            assert!(changes.contains(expected), "{expected} not in\n{changes}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.2.3"), Some((1, 2, 3)));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
    }
}

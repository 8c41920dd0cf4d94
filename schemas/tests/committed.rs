//! The committed JSON Schemas are exactly what the types generate, and are complete.

use std::path::Path;

use serde_json::Value;
use wa_schemas::generate::{schema_for, schema_text};
use wa_schemas::Topic;

fn committed(topic: Topic) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("json")
        .join(topic.schema_file());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn committed_schemas_match_the_types() {
    let stale: Vec<_> = Topic::ALL
        .into_iter()
        .filter(|&topic| committed(topic) != schema_text(topic))
        .map(|topic| topic.schema_file())
        .collect();
    assert!(
        stale.is_empty(),
        "stale schemas {stale:?}: run `cargo run -- schemas --out schemas/json` and commit"
    );
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for topic in Topic::ALL {
        let schema = schema_for(topic);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", topic.schema_file()));
    }
}

/// Every object schema has a title, every property a description; the root has examples
/// that validate; every JSON-in-string field declares its content.
#[test]
fn schemas_are_documented() {
    for topic in Topic::ALL {
        let schema = schema_for(topic);
        let name = topic.schema_file();
        assert!(schema["title"].is_string(), "{name}: no title");
        assert!(schema["description"].is_string(), "{name}: no description");
        assert!(schema["$id"]
            .as_str()
            .unwrap()
            .ends_with(wa_schemas::SCHEMA_VERSION));
        let examples = schema["examples"].as_array().expect("examples");
        assert!(!examples.is_empty(), "{name}: no examples");
        let validator = jsonschema::validator_for(&schema).unwrap();
        for example in examples {
            assert!(
                validator.is_valid(example),
                "{name}: an example does not validate"
            );
        }
        let mut missing = Vec::new();
        walk(&schema, "", &mut missing);
        assert!(missing.is_empty(), "{name}: {missing:?}");
    }
}

fn walk(schema: &Value, at: &str, missing: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                if !map.contains_key("title") {
                    missing.push(format!("{at}: object without title"));
                }
                for (prop, sub) in props {
                    if sub
                        .get("description")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        missing.push(format!("{at}/{prop}: no description"));
                    }
                }
            }
            if map.get("contentMediaType").is_some() && map.get("contentSchema").is_none() {
                missing.push(format!("{at}: contentMediaType without contentSchema"));
            }
            for (k, v) in map {
                walk(v, &format!("{at}/{k}"), missing);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, at, missing)),
        _ => {}
    }
}

#[test]
fn json_in_string_fields_declare_their_content() {
    let mo = schema_for(Topic::Mo);
    for field in [
        "attachments",
        "location",
        "contacts",
        "system",
        "context",
        "referral",
        "details",
    ] {
        let prop = &mo["properties"][field];
        assert_eq!(prop["type"], "string", "{field}");
        assert_eq!(prop["contentMediaType"], "application/json", "{field}");
        assert!(prop["contentSchema"].is_object(), "{field}");
    }
}

#[test]
fn committed_documentation_matches_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == wa_schemas::docs::readme(),
        "schemas/README.md is stale: run `cargo run -- schemas --out schemas/json --docs schemas/README.md` and commit"
    );
}

/// The schemas the types generate are compatible with the latest release kept in
/// `schemas/released/`, under the rules of `schemas/README.md`.
#[test]
fn no_breaking_change_without_a_major_version() {
    use wa_schemas::compat::{breaking_changes, parse_version};
    let released_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("released");
    let latest = std::fs::read_dir(&released_dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            parse_version(&name).map(|v| (v, name))
        })
        .max()
        .expect("at least one released version in schemas/released/");
    let ((major, minor, patch), name) = latest;
    let current = parse_version(wa_schemas::SCHEMA_VERSION).expect("SCHEMA_VERSION is x.y.z");
    assert!(
        current >= (major, minor, patch),
        "SCHEMA_VERSION is older than release {name}"
    );
    for topic in Topic::ALL {
        let released_text =
            std::fs::read_to_string(released_dir.join(&name).join(topic.schema_file()))
                .unwrap_or_else(|e| panic!("release {name} lacks {}: {e}", topic.schema_file()));
        let released: Value = serde_json::from_str(&released_text).unwrap();
        let generated = schema_for(topic);
        if current == (major, minor, patch) {
            assert!(
                released_text == schema_text(topic),
                "{} differs from release {name} at the same version: bump SCHEMA_VERSION (minor for \
                 additions, major for breaking changes) and release it (see schemas/README.md)",
                topic.schema_file()
            );
        } else if current.0 == major {
            let breaking = breaking_changes(&released, &generated);
            assert!(
                breaking.is_empty(),
                "{}: breaking changes since {name} need a new major version:\n{}",
                topic.schema_file(),
                breaking.join("\n")
            );
        }
    }
}

#[test]
fn the_compatibility_check_catches_a_removed_field() {
    let mut generated = schema_for(Topic::Mo);
    let released = generated.clone();
    generated["properties"]
        .as_object_mut()
        .unwrap()
        .remove("waid");
    let changes = wa_schemas::compat::breaking_changes(&released, &generated);
    assert!(
        changes.iter().any(|c| c.contains("/waid: field removed")),
        "{changes:?}"
    );
}

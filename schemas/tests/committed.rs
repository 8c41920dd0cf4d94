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

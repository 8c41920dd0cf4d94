//! Helpers shared by the normalizer's integration tests: fixtures and schema validation.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use wa_normalize::{Batch, Normalizer, RawMeta};
use wa_schemas::generate::resolve;
use wa_schemas::Topic;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every fixture body: (file name, bytes), sorted by name.
pub fn fixture_bodies() -> Vec<(String, Vec<u8>)> {
    let dir = repo_root().join("fixtures/bodies");
    let mut bodies: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    bodies.sort();
    bodies
}

/// The records of a body as the golden files show them.
pub fn records_as_json(body: &[u8]) -> Value {
    let normalizer = Normalizer::default();
    let meta = RawMeta::default();
    let mut batch = Batch::new();
    normalizer.map(body, &meta, &mut batch);
    Value::Array(
        batch
            .iter()
            .map(|r| {
                let headers: BTreeMap<_, _> = r.headers(&meta).into_iter().collect();
                json!({
                    "topic": normalizer.config().topics.name(r.topic()),
                    "key": r.key,
                    "headers": headers,
                    "value": serde_json::from_slice::<Value>(r.value).expect("values are JSON"),
                })
            })
            .collect(),
    )
}

/// Validates record values against the committed schemas, strictly: a property the schema
/// does not declare fails too (the published schemas allow additions for consumers' sake;
/// our own output must not make any undeclared), and every non-empty JSON-in-string field
/// must hold JSON valid against its `contentSchema`.
pub struct SchemaCheck {
    validators: BTreeMap<&'static str, (jsonschema::Validator, Value)>,
}

impl SchemaCheck {
    pub fn load() -> Self {
        let mut validators = BTreeMap::new();
        for topic in Topic::ALL {
            let path = repo_root().join("schemas/json").join(topic.schema_file());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let schema: Value = serde_json::from_str(&text).unwrap();
            let strict = forbid_additional(schema.clone());
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&strict)
                .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()));
            validators.insert(topic.default_name(), (validator, schema));
        }
        SchemaCheck { validators }
    }

    /// Checks one value of `topic`; returns what is wrong.
    pub fn check(&self, topic: &str, value: &Value) -> Result<(), String> {
        let (validator, schema) = self
            .validators
            .get(topic)
            .ok_or_else(|| format!("no schema for topic {topic}"))?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        check_content(schema, schema, value)
    }
}

/// Sets `additionalProperties: false` wherever an object schema lists properties.
fn forbid_additional(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

/// Validates the JSON inside strings that declare a `contentSchema`.
fn check_content(root: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    let schema = resolve(root, schema);
    if let (Some(props), Value::Object(fields)) = (schema.get("properties"), value) {
        for (name, field) in fields {
            let Some(sub) = props.get(name) else { continue };
            let sub = resolve(root, sub);
            if let (Some(content), Value::String(text)) = (sub.get("contentSchema"), field) {
                if text.is_empty() {
                    continue;
                }
                let inner: Value = serde_json::from_str(text)
                    .map_err(|e| format!("`{name}` does not hold JSON: {e}"))?;
                // Meta's objects inside strings may carry fields we do not describe: the
                // content schemas are checked as published, not strictly.
                let mut standalone = content.clone();
                standalone["$defs"] = root["$defs"].clone();
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&standalone)
                    .map_err(|e| format!("contentSchema of `{name}` is invalid: {e}"))?;
                let errors: Vec<String> = validator
                    .iter_errors(&inner)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                if !errors.is_empty() {
                    return Err(format!("`{name}` content: {}", errors.join("; ")));
                }
            }
            check_content(root, sub, field)?;
        }
    }
    Ok(())
}

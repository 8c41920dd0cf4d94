//! Nothing Meta says is lost: every scalar of every message and status object of a body
//! reaches a record (its documented field, `details`, `extra`, or the dead letter that
//! carries the object), timestamps in their converted form. Checked on every fixture and on
//! generated messages carrying members no field knows.

use std::collections::HashSet;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use wa_normalize::{Batch, Normalizer, RawMeta};

/// Every scalar in `value`, strings that hold JSON opened up, as canonical text.
fn scalars(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::Object(map) => map.values().for_each(|v| scalars(v, out)),
        Value::Array(items) => items.iter().for_each(|v| scalars(v, out)),
        Value::String(text) => {
            if text.starts_with('{') || text.starts_with('[') || text.starts_with('"') {
                if let Ok(inner) = serde_json::from_str::<Value>(text) {
                    scalars(&inner, out);
                }
            }
            out.insert(text.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Bool(b) => {
            out.insert(b.to_string());
        }
        Value::Null => {}
    }
}

/// A `*timestamp` member as the records write it: ISO-8601 UTC with milliseconds.
fn converted(value: &Value) -> Option<String> {
    let seconds = match value {
        Value::String(s) => s.parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let mut buf = [0u8; 24];
    wa_schemas::time::iso_from_epoch_seconds(seconds, &mut buf).map(str::to_owned)
}

/// The scalars of Meta's object that no record holds; `*timestamp` members count in their
/// converted form.
fn missing(object: &Value, held: &HashSet<String>, path: &str, out: &mut Vec<String>) {
    match object {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{path}/{k}");
                match converted(v).filter(|_| k.ends_with("timestamp")) {
                    Some(iso) if held.contains(&iso) => {}
                    _ => missing(v, held, &path, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                missing(v, held, &format!("{path}/{i}"), out);
            }
        }
        Value::String(s) if !held.contains(s) => out.push(format!("{path} = {s:?}")),
        Value::Number(n) if !held.contains(&n.to_string()) => out.push(format!("{path} = {n}")),
        Value::Bool(b) if !held.contains(&b.to_string()) => out.push(format!("{path} = {b}")),
        _ => {}
    }
}

/// The unheld scalars of every message and status of `body`, and of the whole value of
/// `history` and `smb_message_echoes` changes.
fn lost(body: &[u8]) -> Vec<String> {
    let mut batch = Batch::new();
    Normalizer::default().map(body, &RawMeta::default(), &mut batch);
    let mut held = HashSet::new();
    for record in batch.iter() {
        let value: Value = serde_json::from_slice(record.value).unwrap();
        scalars(&value, &mut held);
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let entries = body["entry"].as_array().cloned().unwrap_or_default();
    for (i, entry) in entries.iter().enumerate() {
        let changes = entry["changes"].as_array().cloned().unwrap_or_default();
        for (j, change) in changes.iter().enumerate() {
            // A copying change's messages are coexistence events and the rest its account
            // event: every scalar of its value must be held.
            if matches!(
                change["field"].as_str(),
                Some("history" | "smb_message_echoes")
            ) {
                let path = format!("/entry/{i}/changes/{j}/value");
                missing(&change["value"], &held, &path, &mut out);
                continue;
            }
            if change["field"] != "messages" {
                continue;
            }
            for list in ["messages", "statuses"] {
                for (k, object) in change["value"][list]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let path = format!("/entry/{i}/changes/{j}/value/{list}/{k}");
                    missing(object, &held, &path, &mut out);
                }
            }
        }
    }
    out
}

#[test]
fn every_scalar_of_every_fixture_message_and_status_reaches_a_record() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bodies");
    let mut failures = Vec::new();
    let mut bodies = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        bodies += 1;
        for scalar in lost(&body) {
            failures.push(format!(
                "{}: {scalar}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(bodies > 90, "the fixtures are there");
    assert!(failures.is_empty(), "lost:\n{}", failures.join("\n"));
}

/// A member name no field reads.
fn unknown_name() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{2,12}".prop_filter("not a name the mapping reads", |name| {
        !matches!(
            name.as_str(),
            "from"
                | "id"
                | "type"
                | "text"
                | "context"
                | "referral"
                | "identity"
                | "errors"
                | "image"
                | "audio"
                | "video"
                | "document"
                | "sticker"
                | "location"
                | "contacts"
                | "system"
                | "button"
                | "interactive"
                | "order"
                | "reaction"
                | "edit"
                | "revoke"
                | "unsupported"
                | "group_id"
                | "from_user_id"
                | "from_parent_user_id"
                | "from_logical_id"
                | "request_welcome"
        )
    })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[ -~]{0,20}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ]
}

proptest! {
    #[test]
    fn members_meta_adds_later_reach_the_record(
        members in proptest::collection::btree_map(unknown_name(), scalar(), 1..5),
        nested in scalar(),
    ) {
        let mut message = serde_json::json!({
            "from": "15551234567", "id": "wamid.GEN1", "timestamp": "1767225600",
            "type": "text", "text": {"body": "hello"},
        });
        for (name, value) in &members {
            message[name.as_str()] = value.clone();
        }
        message["future_object"] = serde_json::json!({"deep": [nested]});
        let mut status = serde_json::json!({
            "id": "wamid.GEN2", "status": "read", "timestamp": "1767225600",
            "recipient_id": "15551234567",
        });
        for (name, value) in &members {
            status[name.as_str()] = value.clone();
        }
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{
            "id": "1", "changes": [{"field": "messages", "value": {
                "metadata": {"phone_number_id": "1065403500012345"},
                "messages": [message], "statuses": [status]}}]}]});
        let lost_live = lost(body.to_string().as_bytes());
        prop_assert!(lost_live.is_empty(), "lost: {lost_live:?}");
        // The same message copied in a history thread, written by the business, with a
        // status context Meta may extend too.
        let mut copied = message.clone();
        copied["from"] = serde_json::json!("15550101010");
        copied["history_context"] = serde_json::json!({"status": "READ", "future": "held-by-the-context-only"});
        let history = serde_json::json!({"object": "whatsapp_business_account", "entry": [{
            "id": "1", "changes": [{"field": "history", "value": {
                "metadata": {"phone_number_id": "1065403500012345", "display_phone_number": "15550101010"},
                "history": [{"metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
                    "threads": [{"id": "15551234567", "messages": [copied]}]}]}}]}]});
        let lost_copy = lost(history.to_string().as_bytes());
        prop_assert!(lost_copy.is_empty(), "lost: {lost_copy:?}");
    }
}

//! `schemas/README.md`, generated from the same schemas the types produce: the page an
//! analytics engineer reads first. A test keeps the committed file equal to this output.

use serde_json::Value;

use crate::generate::{resolve, schema_for, schema_id};
use crate::Topic;

/// The whole page.
pub fn readme() -> String {
    let mut md = String::new();
    md.push_str(&format!(
        "# Event schemas (version {version})\n\n\
         <!-- Generated from the types in schemas/src by `cargo run -- schemas --out schemas/json \
         --docs schemas/README.md`; a test fails when this file is stale. Do not edit. -->\n\n\
         Every record that `normalize` writes carries exactly one of these JSON documents as its \
         value, with the schema version in its `schema-version` header. The JSON Schemas \
         (draft 2020-12) are in [`json/`](json/); each has an `$id` naming its version, a \
         `title` and a description for every field, and `examples` taken from the fixtures' \
         outputs.\n\n",
        version = crate::SCHEMA_VERSION
    ));
    md.push_str(INTRO);
    md.push_str("\n| Topic | Schema | `$id` | Record type |\n|---|---|---|---|\n");
    for topic in Topic::ALL {
        let schema = schema_for(topic);
        md.push_str(&format!(
            "| `{}` | [`{}`](json/{}) | `{}` | [{}](#{}) |\n",
            topic.default_name(),
            topic.schema_file(),
            topic.schema_file(),
            schema_id(topic),
            title(&schema),
            anchor(topic.default_name()),
        ));
    }
    md.push('\n');
    for topic in Topic::ALL {
        topic_section(&mut md, topic);
    }
    inner_types(&mut md);
    md.push_str(RULES);
    md
}

const INTRO: &str = "\
How to read them:

- **Strings, not absences.** Seed fields are always present; text that Meta did not send \
is `\"\"`. Only a few additions are `null` when unknown (see each table).
- **JSON in strings.** `attachments`, `location`, `contacts`, `system` (seed) and `context`, \
`referral`, `details`, `errors` (additions) hold JSON text; the schema gives its shape in \
`contentSchema` (`contentMediaType: application/json`), and the types are described \
[below](#objects-inside-json-strings). Parse them when they are not `\"\"`.
- **Added fields.** The schemas do not forbid properties they do not list: consumers must \
ignore fields they do not know, which later minor versions may add.
- **Duplicates.** Delivery is at-least-once and Meta retries: drop repeats by (topic, \
`event-id` header), which equals `tid` on MO and postback and `eventId` elsewhere.
";

const RULES: &str = "\
## Changelog

- **1.3.0** (additive): with media re-hosting configured, an attachment's `url` points at \
our copy of the file, and three optional attachment members say how: `storageKey` (the \
content-addressed key in our media store), `fileSize`, and `error` ([`AttachmentError`]: \
`{kind, detail}`, `kind` one of `not_found`, `unauthorized`, `no_token`, `too_large`, \
`checksum_mismatch`, `unavailable`, `store_failed`) when the copy failed and `url` is the \
fallback. Without re-hosting, records are unchanged.
- **1.2.0** (additive): a new topic, `whatsapp.coexistence` (CoexistenceEvent): each message \
of a history sync and each Business-app echo is one MO-shaped event with `origin`, \
`direction` and `historyStatus`, never on `whatsapp.mo`. The account event of a `history` or \
`smb_message_echoes` change no longer repeats those messages: its `value` leaves out the \
arrays whose every item became its own record (`messages`, `message_echoes`, each thread's \
`messages`), and keeps the rest (history phase, chunk, progress, thread ids, errors).
- **1.1.0** (additive): `groupId` on MO and postback events (the WhatsApp group a message \
was posted in; such records are keyed `<phone_number_id>:<groupId>`) and `fromLogicalId`; `participantWaid`, \
`participantUserId`, `participantParentUserId` on delivery receipts of group sends (one \
receipt per participant, each with its own `eventId`); `extra` on MO, postback and \
delivery events: the members of Meta's object that no other field carries, so nothing is \
dropped. A message Meta flags with `errors` \
whose object is missing or unreadable is now an MO event carrying the errors and the object \
in `details` (it was a dead letter). The groups, coexistence, calls, standby and handover \
fields flow as account events (see their `field` values below).
- **1.0.0**: the first release.

## Versions and compatibility

`SCHEMA_VERSION` (in `schemas/src/lib.rs`) is the contract's version: it is in every \
record's `schema-version` header and in every schema's `$id`. Each released version's \
schemas are kept in [`released/`](released/), and a test compares what the types generate \
with the latest release:

- **Same version**: the generated schemas must equal the released ones exactly.
- **Minor or patch bump**: only additive changes: a new optional field, a new enum value, \
better descriptions or examples.
- **Major bump** for anything that breaks a consumer: a field removed or renamed, a field \
no longer required, a new required field, a changed type, `const` or `format`, an enum \
value removed, an inner JSON object's field changed likewise.

To release: bump `SCHEMA_VERSION`, run `cargo run -- schemas --out schemas/json --docs \
schemas/README.md` and `cargo run -- schemas --out schemas/released/<version>`, commit.

## Generating clients

The schemas work as they are in the usual generators; the test suite proves it on every \
fixture's output (`codegen/run.sh`):

```sh
# TypeScript, with run-time checks (quicktype 26)
npx quicktype@26.0.0 --src-lang schema --lang typescript --top-level MoEvent \\
  --out mo.ts schemas/json/mo.schema.json
# Python, pydantic v2 (datamodel-code-generator 0.89)
datamodel-codegen --input schemas/json/mo.schema.json --input-file-type jsonschema \\
  --output-model-type pydantic_v2.BaseModel --use-title-as-name --class-name MoEvent \\
  --output mo.py
```

Generators ignore `contentSchema`, so generate the inner objects from it too: \
`codegen/split.py` writes one standalone schema per JSON-in-string field \
(`AttachmentList`, `Location`, `MessageContext`, ...) from the committed ones.
";

fn title(schema: &Value) -> &str {
    schema["title"].as_str().unwrap_or("")
}

fn anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A short type for the tables.
fn type_of(root: &Value, schema: &Value) -> String {
    let target = resolve(root, schema);
    if let Some(content) = schema.get("contentSchema").or(target.get("contentSchema")) {
        let inner = resolve(root, content);
        let name = if inner["type"] == "array" {
            format!("array of {}", title(resolve(root, &inner["items"])))
        } else {
            title(inner).to_owned()
        };
        return format!("string: JSON of {name}");
    }
    let mut values: Vec<String> = Vec::new();
    if let Some(Value::Array(options)) = target.get("oneOf") {
        values.extend(
            options
                .iter()
                .filter_map(|o| o.get("const"))
                .map(Value::to_string),
        );
    }
    if let Some(Value::Array(e)) = target.get("enum") {
        values.extend(e.iter().map(Value::to_string));
    }
    if let Some(c) = target.get("const") {
        values.push(c.to_string());
    }
    if !values.is_empty() {
        return format!("one of {}", values.join(", ").replace('"', "`"));
    }
    let base = match target.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if target.get("properties").is_some() => "object".into(),
        _ => "any".into(),
    };
    match target.get("format").and_then(Value::as_str) {
        Some("date-time") => format!("{base} (date-time)"),
        _ => base,
    }
}

fn example_text(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return String::new();
    };
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        Value::Object(_) | Value::Array(_) => serde_json::to_string(value).unwrap_or_default(),
        other => other.to_string(),
    };
    let text = if text.chars().count() > 70 {
        format!("{}…", text.chars().take(70).collect::<String>())
    } else {
        text
    };
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

fn fields(
    md: &mut String,
    root: &Value,
    schema: &Value,
    example: Option<&Value>,
    prefix: &str,
    with_source: bool,
) {
    let schema = resolve(root, schema);
    let Some(Value::Object(props)) = schema.get("properties") else {
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut nested = Vec::new();
    for (name, prop) in props {
        let path = format!("{prefix}{name}");
        let target = resolve(root, prop);
        let ex = example.and_then(|e| e.get(name));
        let presence = if required.contains(&name.as_str()) {
            ""
        } else {
            " (optional)"
        };
        let description = one_line(prop["description"].as_str().unwrap_or(""));
        if with_source {
            md.push_str(&format!(
                "| `{path}`{presence} | {} | {} | {} | {} |\n",
                type_of(root, prop),
                description,
                one_line(prop["x-meta-source"].as_str().unwrap_or("")),
                example_text(ex),
            ));
        } else {
            md.push_str(&format!(
                "| `{path}`{presence} | {} | {} |\n",
                type_of(root, prop),
                description,
            ));
        }
        if target.get("properties").is_some() && target.get("contentSchema").is_none() {
            nested.push((path, prop, ex));
        }
    }
    for (path, prop, ex) in nested {
        fields(md, root, prop, ex, &format!("{path}."), with_source);
    }
}

fn topic_section(md: &mut String, topic: Topic) {
    let schema = schema_for(topic);
    let example = schema["examples"].get(0);
    md.push_str(&format!(
        "## {}\n\nRecord type **{}**, schema [`{}`](json/{}).\n\n{}\n\n",
        topic.default_name(),
        title(&schema),
        topic.schema_file(),
        topic.schema_file(),
        one_line(schema["description"].as_str().unwrap_or("")),
    ));
    md.push_str("| Field | Type | Meaning | From Meta | Example |\n|---|---|---|---|---|\n");
    fields(md, &schema, &schema, example, "", true);
    if let Some(example) = example {
        md.push_str(&format!(
            "\nExample (the output of a fixture):\n\n```json\n{}\n```\n\n",
            serde_json::to_string_pretty(example).unwrap_or_default()
        ));
    }
}

/// The objects carried inside JSON strings, each documented once.
fn inner_types(md: &mut String) {
    md.push_str("## Objects inside JSON strings\n\n");
    let mut done: Vec<String> = Vec::new();
    for topic in [Topic::Mo, Topic::Postback, Topic::Delivery] {
        let schema = schema_for(topic);
        let Some(Value::Object(defs)) = schema.get("$defs") else {
            continue;
        };
        for (name, def) in defs {
            if done.contains(name) || def.get("properties").is_none() || !is_inner(name) {
                continue;
            }
            done.push(name.clone());
            md.push_str(&format!(
                "### {name}\n\n{}\n\n| Field | Type | Meaning |\n|---|---|---|\n",
                one_line(def["description"].as_str().unwrap_or(""))
            ));
            fields(md, &schema, def, None, "", false);
            md.push('\n');
        }
    }
}

/// Types that only appear inside JSON strings (the others are documented with their topic).
fn is_inner(name: &str) -> bool {
    !matches!(
        name,
        "DeliveryInfo" | "DeliveryInfoNotification" | "AdditionalInfo" | "DeadLetterReason"
    )
}

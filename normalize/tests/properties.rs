//! Property tests of the mapping: no input panics it, generated Meta bodies keep the count
//! rule, and everything produced validates against the committed schemas.

mod common;

use common::{fixture_bodies, SchemaCheck};
use proptest::prelude::*;
use serde_json::{json, Value};
use wa_normalize::{Batch, EventType, Normalizer, RawMeta};

fn map(body: &[u8]) -> Batch {
    let mut batch = Batch::new();
    Normalizer::default().map(body, &RawMeta::default(), &mut batch);
    batch
}

fn check_all(check: &SchemaCheck, batch: &Batch) -> Result<(), TestCaseError> {
    let normalizer = Normalizer::default();
    for record in batch.iter() {
        let value: Value = serde_json::from_slice(record.value)
            .map_err(|e| TestCaseError::fail(format!("value is not JSON: {e}")))?;
        let topic = normalizer.config().topics.name(record.topic());
        check
            .check(topic, &value)
            .map_err(|e| TestCaseError::fail(format!("{topic}: {e}\n{value:#}")))?;
    }
    Ok(())
}

fn schema_check() -> &'static SchemaCheck {
    static CHECK: std::sync::OnceLock<SchemaCheck> = std::sync::OnceLock::new();
    CHECK.get_or_init(SchemaCheck::load)
}

// ---- generators of Meta bodies -------------------------------------------------------

fn digits(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len)
        .prop_map(|d| d.into_iter().map(|x| char::from(b'0' + x)).collect())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,.!?]{0,40}",
        any::<String>(),
        Just("Olá! \"quoted\" \\ back/slash 😀 日本語".to_owned()),
    ]
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)]
}

fn media(kind: &'static str) -> impl Strategy<Value = Value> {
    (
        digits(16),
        opt(any_text()),
        opt("[a-z]{1,8}\\.pdf"),
        opt(Just("https://lookaside.fbsbx.com/x".to_owned())),
        any::<bool>(),
    )
        .prop_map(move |(id, caption, filename, url, flag)| {
            let mut m =
                json!({"id": id, "mime_type": "application/octet-stream", "sha256": "c2hh"});
            if let Some(c) = caption {
                m["caption"] = json!(c);
            }
            if let (Some(f), "document") = (filename, kind) {
                m["filename"] = json!(f);
            }
            if let Some(u) = url {
                m["url"] = json!(u);
            }
            if kind == "audio" {
                m["voice"] = json!(flag);
            }
            if kind == "sticker" {
                m["animated"] = json!(flag);
            }
            m
        })
}

/// (type, payload key/value pairs) of one message.
fn message_body() -> impl Strategy<Value = (String, Vec<(String, Value)>)> {
    let one =
        |kind: &'static str, payload: Value| (kind.to_owned(), vec![(kind.to_owned(), payload)]);
    prop_oneof![
        any_text().prop_map(move |t| one("text", json!({"body": t}))),
        media("image").prop_map(move |m| one("image", m)),
        media("audio").prop_map(move |m| one("audio", m)),
        media("video").prop_map(move |m| one("video", m)),
        media("document").prop_map(move |m| one("document", m)),
        media("sticker").prop_map(move |m| one("sticker", m)),
        (-90.0f64..90.0, -180.0f64..180.0, any::<bool>(), opt(any_text())).prop_map(move |(la, lo, as_str, name)| {
            let (la, lo) = if as_str { (json!(la.to_string()), json!(lo.to_string())) } else { (json!(la), json!(lo)) };
            let mut l = json!({"latitude": la, "longitude": lo});
            if let Some(n) = name { l["name"] = json!(n); l["address"] = json!("1 Main St"); }
            one("location", l)
        }),
        any_text().prop_map(move |n| one("contacts", json!([{"name": {"formatted_name": n}, "phones": [{"phone": "+1 555", "type": "CELL"}]}]))),
        (any_text(), any_text()).prop_map(move |(p, t)| one("button", json!({"payload": p, "text": t}))),
        (any_text(), any_text()).prop_map(move |(i, t)| one("interactive", json!({"type": "button_reply", "button_reply": {"id": i, "title": t}}))),
        (any_text(), any_text()).prop_map(move |(i, t)| one("interactive", json!({"type": "list_reply", "list_reply": {"id": i, "title": t, "description": "d"}}))),
        any_text().prop_map(move |t| one("interactive", json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": json!({"flow_token": t}).to_string()}}))),
        opt(Just("👍")).prop_map(move |e| {
            let mut r = json!({"message_id": "wamid.OTHER"});
            if let Some(e) = e { r["emoji"] = json!(e); }
            one("reaction", r)
        }),
        (1u32..5, 0.0f64..100.0).prop_map(move |(q, p)| one("order", json!({"catalog_id": "1", "text": "note", "product_items": [{"product_retailer_id": "sku", "quantity": q, "item_price": p, "currency": "USD"}]}))),
        prop_oneof![Just("user_changed_number"), Just("customer_identity_changed"), Just("user_changed_user_id"), Just("future_system_kind")]
            .prop_map(move |k| one("system", json!({"type": k, "body": "system text", "identity": "aGFzaA=="}))),
        Just(("request_welcome".to_owned(), vec![])),
        Just(("unknown".to_owned(), vec![("errors".to_owned(), json!([{"code": 131051, "details": "d", "title": "t"}]))])),
        Just(("unsupported".to_owned(), vec![("unsupported".to_owned(), json!({"type": "poll"})), ("errors".to_owned(), json!([{"code": 131051, "title": "Message type unknown"}]))])),
        ("[a-z_]{3,12}", any_text()).prop_map(|(k, t)| (k.clone(), vec![(k, json!({"anything": t, "nested": [1, {"x": null}]}))])),
    ]
}

fn message(index: usize) -> impl Strategy<Value = Value> {
    (
        message_body(),
        digits(11),
        any::<bool>(),
        any::<bool>(),
        1_600_000_000u64..1_900_000_000,
        any::<bool>(),
    )
        .prop_map(
            move |((kind, payload), from, has_phone, reply, ts, ts_as_number)| {
                let mut m = json!({"id": format!("wamid.GEN{index}"), "type": kind});
                m["timestamp"] = if ts_as_number {
                    json!(ts)
                } else {
                    json!(ts.to_string())
                };
                if has_phone {
                    m["from"] = json!(from);
                } else {
                    m["from_user_id"] = json!(format!("US.{from}"));
                }
                if reply {
                    m["context"] =
                        json!({"from": "15550101010", "id": "wamid.CTX", "forwarded": true});
                }
                for (k, v) in payload {
                    m[k] = v;
                }
                m
            },
        )
}

fn status(index: usize) -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("sent"), Just("delivered"), Just("read"), Just("played"), Just("failed"), Just("deleted"), Just("brand_new_status")],
        digits(11), any::<bool>(), any::<bool>(), 1_600_000_000u64..1_900_000_000, opt(any_text()),
    )
        .prop_map(move |(st, to, has_phone, priced, ts, callback)| {
            let mut s = json!({"id": format!("wamid.OUT{index}"), "status": st, "timestamp": ts.to_string()});
            if has_phone { s["recipient_id"] = json!(to); } else { s["recipient_user_id"] = json!(format!("US.{to}")); }
            if priced {
                s["pricing"] = json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "utility"});
                s["conversation"] = json!({"id": "c1", "expiration_timestamp": (ts + 86_400).to_string(), "origin": {"type": "utility"}});
            }
            if st == "failed" { s["errors"] = json!([{"code": 131026, "title": "Message undeliverable"}]); }
            if let Some(c) = callback { s["biz_opaque_callback_data"] = json!(c); }
            s
        })
}

/// A body with `n` messages and `m` statuses spread over entries and changes.
fn body() -> impl Strategy<Value = (Value, usize, usize)> {
    (0usize..12, 0usize..12, 1usize..4)
        .prop_flat_map(|(n, m, changes)| {
            (
                (0..n).map(message).collect::<Vec<_>>(),
                (0..m).map(status).collect::<Vec<_>>(),
                Just(changes),
            )
        })
        .prop_map(|(messages, statuses, changes)| {
            let (n, m) = (messages.len(), statuses.len());
            let mut values: Vec<Value> = (0..changes)
                .map(|c| json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1555010101", "phone_number_id": format!("10654035{c}")}}))
                .collect();
            for (i, msg) in messages.into_iter().enumerate() {
                let v = &mut values[i % changes];
                if v.get("messages").is_none() { v["messages"] = json!([]); }
                v["messages"].as_array_mut().unwrap().push(msg);
            }
            for (i, st) in statuses.into_iter().enumerate() {
                let v = &mut values[(i + 1) % changes];
                if v.get("statuses").is_none() { v["statuses"] = json!([]); }
                v["statuses"].as_array_mut().unwrap().push(st);
            }
            let entries: Vec<Value> = values
                .into_iter()
                .enumerate()
                .map(|(c, v)| json!({"id": format!("10293847{c}"), "changes": [{"value": v, "field": "messages"}]}))
                .collect();
            (json!({"object": "whatsapp_business_account", "entry": entries}), n, m)
        })
}

/// A `history` body (threads of generated messages, some written by the business, plus
/// media content under `messages`) or an `smb_message_echoes` body, and how many messages
/// it copies.
fn coexistence_body() -> impl Strategy<Value = (Value, usize)> {
    let thread = (0usize..6, digits(11)).prop_flat_map(|(n, user)| {
        let messages = (0..n)
            .map(|i| (message(i), any::<bool>(), any::<bool>()))
            .collect::<Vec<_>>();
        (messages, Just(user))
    });
    (
        any::<bool>(),
        proptest::collection::vec(thread, 0..4),
        proptest::collection::vec(message(100), 0..3),
        0u8..101,
    )
        .prop_map(|(history, threads, flat, progress)| {
            let mut count = flat.len();
            let mut value = json!({"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550101010", "phone_number_id": "1065403500012345"}});
            let (field, flat_name) = if history { ("history", "messages") } else { ("smb_message_echoes", "message_echoes") };
            value[flat_name] = json!(flat);
            if history {
                let threads: Vec<Value> = threads
                    .into_iter()
                    .map(|(messages, user)| {
                        count += messages.len();
                        let messages: Vec<Value> = messages
                            .into_iter()
                            .map(|(mut m, by_business, status)| {
                                m["from"] = json!(if by_business { "15550101010" } else { user.as_str() });
                                if status { m["history_context"] = json!({"status": "READ"}); }
                                m
                            })
                            .collect();
                        json!({"id": user, "context": {"wa_id": user, "user_id": format!("US.{user}")}, "messages": messages})
                    })
                    .collect();
                value["history"] = json!([{"metadata": {"phase": 1, "chunk_order": 1, "progress": progress}, "threads": threads}]);
            }
            let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1029384756012345", "time": 1767225600,
                "changes": [{"value": value, "field": field}]}]});
            (body, count)
        })
}

/// A live `messages` body with one text message of this id.
fn live_body(wamid: &Value) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"metadata": {"phone_number_id": "1"}, "messages": [{"from": "1", "id": wamid,
        "timestamp": "1", "type": "text", "text": {"body": "x"}}]}}]}]})
    .to_string()
}

/// JSON text with every non-ASCII character written as `\uXXXX`, as Meta signs it.
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_bodies_keep_the_count_rule((body, n, m) in body(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&body) } else { serde_json::to_string(&body) }.unwrap();
        let batch = map(text.as_bytes());
        let kinds: Vec<EventType> = batch.iter().map(|r| r.event_type).collect();
        prop_assert_eq!(batch.len(), n + m, "records: {:?}", kinds);
        prop_assert!(!kinds.contains(&EventType::DeadLetter), "a valid body produced a dead letter: {:?}",
            batch.iter().filter(|r| r.event_type == EventType::DeadLetter).map(|r| String::from_utf8_lossy(r.value).into_owned()).collect::<Vec<_>>());
        prop_assert_eq!(kinds.iter().filter(|k| **k == EventType::Delivery).count(), m);
        check_all(schema_check(), &batch)?;
        // Deterministic: the same body maps to the same records.
        let again = map(text.as_bytes());
        prop_assert!(batch.iter().eq(again.iter()));
        // Meta's escaped form of the same body maps to the same records.
        let escaped = map(ascii_escaped(&text).as_bytes());
        prop_assert!(batch.iter().eq(escaped.iter()), "escaped body maps differently");
    }

    #[test]
    fn coexistence_bodies_keep_the_count_rule((body, n) in coexistence_body()) {
        let text = serde_json::to_string(&body).unwrap();
        let batch = map(text.as_bytes());
        let kinds: Vec<EventType> = batch.iter().map(|r| r.event_type).collect();
        // One coexistence event per copied message, then the change's account event.
        prop_assert_eq!(batch.len(), n + 1, "records: {:?}", kinds);
        prop_assert_eq!(kinds.iter().filter(|k| **k == EventType::Coexistence).count(), n, "records: {:?}", kinds);
        prop_assert_eq!(kinds.last(), Some(&EventType::AccountEvent));
        check_all(schema_check(), &batch)?;
        // The account event no longer carries the copied messages.
        let account: Value = serde_json::from_slice(batch.get(n).unwrap().value).unwrap();
        prop_assert!(account["value"].get("messages").is_none() && account["value"].get("message_echoes").is_none());
        for thread in account["value"]["history"][0]["threads"].as_array().into_iter().flatten() {
            prop_assert!(thread.get("messages").is_none() && thread.get("id").is_some());
        }
        // Copies have ids of their own: never the `tid` of the live event of the same wamid.
        for record in batch.iter().take(n) {
            let value: Value = serde_json::from_slice(record.value).unwrap();
            // The user fields name the chat's user, never the business, whoever wrote it.
            prop_assert_ne!(&value["waid"], "15550101010");
            let live = map(live_body(&value["messageId"]).as_bytes());
            prop_assert_eq!(live.len(), 1);
            prop_assert_ne!(live.get(0).unwrap().event_id, record.event_id);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_yield_a_dead_letter(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let batch = map(&bytes);
        // Random bytes are almost never a WhatsApp body: exactly one dead letter.
        if serde_json::from_slice::<Value>(&bytes).is_err() {
            prop_assert_eq!(batch.len(), 1);
            prop_assert_eq!(batch.get(0).unwrap().event_type, EventType::DeadLetter);
        }
        check_all(schema_check(), &batch)?;
    }

    #[test]
    fn mutated_fixtures_never_panic_and_still_validate(
        index in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<proptest::sample::Index>(),
    ) {
        let bodies = fixtures();
        let mut body = bodies[index.index(bodies.len())].clone();
        if body.is_empty() { return Ok(()); }
        for (at, byte) in edits {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let keep = cut.index(body.len() + 1).max(body.len() / 2);
        body.truncate(keep);
        let batch = map(&body);
        check_all(schema_check(), &batch)?;
    }

    #[test]
    fn wrong_types_anywhere_never_take_down_the_body(
        fixture in any::<proptest::sample::Index>(),
        target in any::<proptest::sample::Index>(),
        replacement in prop_oneof![Just(json!(null)), Just(json!(7)), Just(json!("x")), Just(json!([])), Just(json!({})), Just(json!(true))],
    ) {
        let bodies = fixtures();
        let body = &bodies[fixture.index(bodies.len())];
        let Ok(mut tree) = serde_json::from_slice::<Value>(body) else { return Ok(()) };
        let mut pointers = Vec::new();
        collect_pointers(&tree, String::new(), &mut pointers);
        let pointer = &pointers[target.index(pointers.len())];
        if pointer.is_empty() { return Ok(()); }
        *tree.pointer_mut(pointer).unwrap() = replacement;
        let batch = map(serde_json::to_string(&tree).unwrap().as_bytes());
        check_all(schema_check(), &batch)?;
    }
}

fn fixtures() -> &'static [Vec<u8>] {
    static BODIES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    BODIES.get_or_init(|| {
        fixture_bodies()
            .into_iter()
            .filter(|(name, _)| !name.contains("batch-1000"))
            .map(|(_, body)| body)
            .collect()
    })
}

fn collect_pointers(v: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                collect_pointers(child, format!("{here}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_bad_message_does_not_take_its_neighbours_down() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
        "metadata":{"phone_number_id":"9"},
        "messages":[
          {"from":"1","id":"wamid.A","timestamp":"1767225600","type":"text","text":{"body":"ok"}},
          {"from":"1","id":"wamid.B","timestamp":"1767225600","type":"text","text":["bad"]},
          {"from":"1","id":"wamid.C","timestamp":"1767225600","type":"text","text":{"body":"ok too"}}]}}]}]}"#;
    let batch = map(body);
    let kinds: Vec<_> = batch.iter().map(|r| r.event_type).collect();
    assert_eq!(kinds, [EventType::Mo, EventType::DeadLetter, EventType::Mo]);
    let letter: Value = serde_json::from_slice(batch.get(1).unwrap().value).unwrap();
    assert_eq!(letter["path"], "/entry/0/changes/0/value/messages/1");
    assert_eq!(letter["reason"]["kind"], "unsupported_field");
    assert_eq!(batch.get(1).unwrap().key, Some("9"));
}

#[test]
fn duplicates_get_identical_ids() {
    let body = std::fs::read(common::repo_root().join("fixtures/bodies/status-with-pricing.json"))
        .unwrap();
    let (a, b) = (map(&body), map(&body));
    let ids = |batch: &Batch| {
        batch
            .iter()
            .map(|r| r.event_id.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    let unique: std::collections::HashSet<_> = ids(&a).into_iter().collect();
    assert_eq!(unique.len(), a.len(), "distinct statuses share an id");
}

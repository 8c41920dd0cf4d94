//! The mapping from raw bytes to serialized output values, in records per second.
//!
//! `cargo bench -p wa-normalize --bench mapping`. Bodies are compact, as Meta sends them.
//! Targets (issue): ≤ 2 µs per single-text body; ≥ 600,000 records/s per core on batches.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Value};
use wa_normalize::{Batch, Normalizer, RawMeta};

fn compact(path: &str) -> Vec<u8> {
    let text = std::fs::read(format!(
        "{}/../fixtures/bodies/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::to_vec(&serde_json::from_slice::<Value>(&text).unwrap()).unwrap()
}

fn envelope(messages: Vec<Value>, statuses: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1029384756012345", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550101010", "phone_number_id": "1065403500012345"},
            "contacts": [{"profile": {"name": "Ana Silva"}, "wa_id": "15551234567"}],
            "messages": messages,
            "statuses": statuses,
        }}]}]
    }))
    .unwrap()
}

fn text(i: usize) -> Value {
    json!({"from": "15551234567", "id": format!("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQVRFWFQw{i:08}"),
           "timestamp": "1767225600", "type": "text", "text": {"body": format!("Hi, is my order {i} on its way?")}})
}

fn status(i: usize) -> Value {
    let st = ["sent", "delivered", "read"][i % 3];
    json!({"id": format!("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQU9VVEIwVU5E{i:08}"), "status": st,
           "timestamp": "1767225600", "recipient_id": "15551234567",
           "pricing": {"billable": true, "pricing_model": "PMP", "type": "regular", "category": "utility"}})
}

fn mixed(i: usize) -> Value {
    match i % 5 {
        0 => text(i),
        1 => {
            json!({"from": "15551234567", "id": format!("wamid.IMG{i:08}"), "timestamp": "1767225600", "type": "image",
                    "image": {"caption": "box", "mime_type": "image/jpeg", "sha256": "Xq3n0yXfVvO1cJpT0l1m8bG0wq7m3v8q2C0nB4Qm0Dk=", "id": "1234567890123401"}})
        }
        2 => {
            json!({"from": "15551234567", "id": format!("wamid.BTN{i:08}"), "timestamp": "1767225600", "type": "button",
                    "button": {"payload": "STOP_PROMOS", "text": "Stop promotions"}, "context": {"from": "15550101010", "id": "wamid.CTX"}})
        }
        3 => {
            json!({"from": "15551234567", "id": format!("wamid.LOC{i:08}"), "timestamp": "1767225600", "type": "location",
                    "location": {"latitude": 37.4843541, "longitude": -122.1483934, "name": "Philz Coffee"}})
        }
        _ => {
            json!({"from": "15551234567", "id": format!("wamid.REA{i:08}"), "timestamp": "1767225600", "type": "reaction",
                    "reaction": {"message_id": "wamid.X", "emoji": "\u{1F44D}"}})
        }
    }
}

fn bench(c: &mut Criterion) {
    let normalizer = Normalizer::default();
    let meta = RawMeta {
        partition: Some(0),
        offset: Some(42),
        ..RawMeta::default()
    };
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("single_text", compact("text.json"), 1),
        (
            "batch_100_messages",
            envelope((0..100).map(text).collect(), vec![]),
            100,
        ),
        (
            "batch_100_statuses",
            envelope(vec![], (0..100).map(status).collect()),
            100,
        ),
        (
            "batch_100_mixed",
            envelope((0..50).map(mixed).collect(), (0..50).map(status).collect()),
            100,
        ),
    ];
    let mut group = c.benchmark_group("mapping");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (name, body, records) in &cases {
        let mut out = Batch::new();
        normalizer.map(body, &meta, &mut out);
        assert_eq!(out.len(), *records, "{name}");
        group.throughput(Throughput::Elements(*records as u64));
        group.bench_function(*name, |b| {
            b.iter_batched_ref(
                || (),
                |_| {
                    normalizer.map(std::hint::black_box(body), &meta, &mut out);
                    std::hint::black_box(out.len())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    // Side by side, same bodies: parsing into a `serde_json::Value` tree only (what a naive
    // normalizer does before mapping anything). Compare ratios, not absolute figures.
    let mut baseline = c.benchmark_group("baseline_value_parse");
    baseline
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (name, body, records) in &cases {
        baseline.throughput(Throughput::Elements(*records as u64));
        baseline.bench_function(*name, |b| {
            b.iter(|| serde_json::from_slice::<Value>(std::hint::black_box(body)).unwrap())
        });
    }
    baseline.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

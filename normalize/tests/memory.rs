//! The memory a body takes to map, counted by a global allocator: a history sync of 10,000
//! messages in one body (Meta sends thousands per POST) maps within a small multiple of its
//! own size, like any other body, because every record is written once into the batch and
//! nothing builds a tree of the whole body.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use serde_json::json;
use wa_normalize::{Batch, EventType, Normalizer, RawMeta};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A `history` body: 100 threads of 100 messages, half written by the business.
fn history_body(threads: usize, per_thread: usize) -> Vec<u8> {
    let threads: Vec<_> = (0..threads)
        .map(|t| {
            let user = format!("1555{t:07}");
            let messages: Vec<_> = (0..per_thread)
                .map(|m| {
                    let from = if m % 2 == 0 { "15550101010" } else { user.as_str() };
                    json!({"from": from, "id": format!("wamid.HISTORY{t:05}{m:05}"),
                        "timestamp": (1_780_000_000 + m).to_string(), "type": "text",
                        "text": {"body": format!("message {m} of thread {t}, as typed back then")},
                        "history_context": {"status": "READ"}})
                })
                .collect();
            json!({"id": user, "context": {"wa_id": user, "user_id": format!("US.{t}")}, "messages": messages})
        })
        .collect();
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{
        "id": "1029384756012345", "time": 1780000000, "changes": [{"field": "history", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550101010", "phone_number_id": "1065403500012345"},
            "history": [{"metadata": {"phase": 1, "chunk_order": 1, "progress": 40}, "threads": threads}]}}]}]}))
    .unwrap()
}

#[test]
fn a_history_of_10000_messages_maps_within_a_few_times_its_size() {
    let body = history_body(100, 100);
    assert!(body.len() < 4 * 1024 * 1024, "{} bytes", body.len());
    let normalizer = Normalizer::default();
    let mut batch = Batch::new();
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    normalizer.map(&body, &RawMeta::default(), &mut batch);
    let peak = PEAK.load(Relaxed) - before;
    let output: usize = batch.iter().map(|r| r.value.len()).sum();
    let copies = batch
        .iter()
        .filter(|r| r.event_type == EventType::Coexistence)
        .count();
    assert_eq!(copies, 10_000);
    assert_eq!(batch.len(), 10_001);
    eprintln!(
        "body {} bytes, records {} bytes, peak heap while mapping {} bytes ({:.1}x the body)",
        body.len(),
        output,
        peak,
        peak as f64 / body.len() as f64
    );
    // The batch holds the records (about twice the body here: every event repeats the
    // chat's ids); anything beyond that is working memory, bounded by the body's size.
    assert!(
        peak < output * 2 + body.len() * 2,
        "peak {peak} bytes for a {} byte body and {output} bytes of records",
        body.len()
    );
}

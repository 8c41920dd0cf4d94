//! The mapping never panics, every record value is JSON, and a body that is not JSON yields
//! exactly one dead letter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_normalize::{Batch, EventType, Normalizer, RawMeta};

fuzz_target!(|body: &[u8]| {
    let normalizer = Normalizer::default();
    let mut batch = Batch::new();
    normalizer.map(body, &RawMeta::default(), &mut batch);
    for record in batch.iter() {
        serde_json::from_slice::<serde_json::Value>(record.value).expect("record values are JSON");
    }
    if serde_json::from_slice::<serde_json::Value>(body).is_err() {
        assert_eq!(batch.len(), 1);
        assert_eq!(batch.get(0).unwrap().event_type, EventType::DeadLetter);
    }
});

//! The records a raw body maps to, written into one reusable buffer.
//!
//! Values are written into the batch's buffer by [`json_writer`](crate::json_writer), which
//! writes serde_json's bytes with less work per string (see its module doc).

use std::ops::Range;

use serde::Serialize;
use wa_schemas::contract::output_header as header;
use wa_schemas::{EventType, Topic, SCHEMA_VERSION};

use crate::config::RawMeta;

#[derive(Debug, Clone)]
struct Span {
    event_type: EventType,
    key: Option<Range<usize>>,
    event_id: Range<usize>,
    value: Range<usize>,
}

/// The output records of one raw body. Reuse one `Batch` across bodies: its buffers keep
/// their capacity, so steady-state mapping allocates little.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    buf: Vec<u8>,
    spans: Vec<Span>,
}

/// One output record, borrowed from its [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'b> {
    /// What it is; decides the topic.
    pub event_type: EventType,
    /// The Kafka key (`<phone_number_id>:<user>` for events).
    pub key: Option<&'b str>,
    /// The record's deterministic id (`tid`, `eventId`): the `event-id` header.
    pub event_id: &'b str,
    /// The JSON value.
    pub value: &'b [u8],
}

impl<'b> RecordRef<'b> {
    /// The output topic role.
    pub fn topic(&self) -> Topic {
        self.event_type
    }

    /// The record's headers: event type and id, schema version, and the raw record's
    /// lineage. The Kafka service adds `traceparent`.
    pub fn headers(&self, meta: &RawMeta<'_>) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (header::EVENT_TYPE, self.event_type.as_str().to_owned()),
            (header::EVENT_ID, self.event_id.to_owned()),
            (header::SCHEMA_VERSION, SCHEMA_VERSION.to_owned()),
            (header::RAW_TOPIC, meta.topic.to_owned()),
        ];
        if let Some(partition) = meta.partition {
            headers.push((header::RAW_PARTITION, partition.to_string()));
        }
        if let Some(offset) = meta.offset {
            headers.push((header::RAW_OFFSET, offset.to_string()));
        }
        if let Some(received_at) = meta.received_at {
            headers.push((header::RECEIVED_AT, received_at.to_owned()));
        }
        headers
    }
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the records, keeping the buffers.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The records, in the order of the body.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        self.spans.iter().map(|span| RecordRef {
            event_type: span.event_type,
            key: span.key.clone().map(|r| self.text(r)),
            event_id: self.text(span.event_id.clone()),
            value: &self.buf[span.value.clone()],
        })
    }

    /// The record at `index`.
    pub fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        self.iter().nth(index)
    }

    fn text(&self, range: Range<usize>) -> &str {
        std::str::from_utf8(&self.buf[range]).expect("keys and ids are written from &str")
    }

    fn push_text(&mut self, text: &str) -> Range<usize> {
        let start = self.buf.len();
        self.buf.extend_from_slice(text.as_bytes());
        start..self.buf.len()
    }

    /// Appends a record whose key is `key_parts` joined by `:`.
    pub(crate) fn push<T: Serialize>(
        &mut self,
        event_type: EventType,
        key_parts: Option<(&str, &str)>,
        event_id: &str,
        value: &T,
    ) {
        let key = key_parts.map(|(a, b)| {
            let start = self.buf.len();
            self.buf.extend_from_slice(a.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(b.as_bytes());
            start..self.buf.len()
        });
        self.push_with_key_range(event_type, key, event_id, value);
    }

    /// Appends a record keyed by a single string.
    pub(crate) fn push_keyed<T: Serialize>(
        &mut self,
        event_type: EventType,
        key: Option<&str>,
        event_id: &str,
        value: &T,
    ) {
        let key = key.map(|k| self.push_text(k));
        self.push_with_key_range(event_type, key, event_id, value);
    }

    /// Appends a record whose value is already written (JSON): the media stage's rewrite.
    #[cfg(feature = "kafka")]
    pub(crate) fn push_raw(
        &mut self,
        event_type: EventType,
        key: Option<&str>,
        event_id: &str,
        value: &[u8],
    ) {
        let key = key.map(|k| self.push_text(k));
        let event_id = self.push_text(event_id);
        let start = self.buf.len();
        self.buf.extend_from_slice(value);
        self.spans.push(Span {
            event_type,
            key,
            event_id,
            value: start..self.buf.len(),
        });
    }

    fn push_with_key_range<T: Serialize>(
        &mut self,
        event_type: EventType,
        key: Option<Range<usize>>,
        event_id: &str,
        value: &T,
    ) {
        let event_id = self.push_text(event_id);
        let start = self.buf.len();
        crate::json_writer::write(&mut self.buf, value);
        self.spans.push(Span {
            event_type,
            key,
            event_id,
            value: start..self.buf.len(),
        });
    }
}

/// An output record with everything owned: for callers that keep records beyond the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The Kafka topic name.
    pub topic: String,
    /// The Kafka key.
    pub key: Option<String>,
    /// The Kafka headers.
    pub headers: Vec<(String, String)>,
    /// The JSON value.
    pub value: Vec<u8>,
}

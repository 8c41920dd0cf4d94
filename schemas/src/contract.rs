//! What the stages agree on besides the event types: record header names, size limits and
//! default names. Clap defaults, library constructors and tests all take them from here.

pub use crate::topic::{EventType, Topic, DEFAULT_RAW_TOPIC};

/// Headers of raw records: ingest writes them, normalize (and anything re-reading the raw
/// topic) reads them.
pub mod raw_header {
    /// Meta's original signature, so the topic can be re-verified later.
    pub const SIGNATURE: &str = "x-hub-signature-256";
    /// The request's `Content-Type`.
    pub const CONTENT_TYPE: &str = "content-type";
    /// When ingest received the request, RFC 3339 UTC with milliseconds.
    pub const RECEIVED_AT: &str = "received-at";
    /// The id ingest gave the request (also in its logs and response).
    pub const REQUEST_ID: &str = "request-id";
    /// W3C trace context.
    pub const TRACEPARENT: &str = "traceparent";
    /// W3C trace state, passed through when the request had one.
    pub const TRACESTATE: &str = "tracestate";
}

/// Headers of output records.
pub mod output_header {
    /// What the record is ([`super::EventType::as_str`]).
    pub const EVENT_TYPE: &str = "event-type";
    /// The record's deterministic id (`tid`, `eventId`): drop repeats by it.
    pub const EVENT_ID: &str = "event-id";
    /// [`crate::SCHEMA_VERSION`].
    pub const SCHEMA_VERSION: &str = "schema-version";
    /// Lineage: the raw record's topic, partition and offset.
    pub const RAW_TOPIC: &str = "raw-topic";
    /// Lineage: the raw record's partition.
    pub const RAW_PARTITION: &str = "raw-partition";
    /// Lineage: the raw record's offset.
    pub const RAW_OFFSET: &str = "raw-offset";
    /// The raw record's `received-at`.
    pub const RECEIVED_AT: &str = super::raw_header::RECEIVED_AT;
    /// W3C trace context, continuing the raw record's trace.
    pub const TRACEPARENT: &str = super::raw_header::TRACEPARENT;
    /// W3C trace state of the raw record.
    pub const TRACESTATE: &str = super::raw_header::TRACESTATE;
}

/// The default largest webhook body (Meta's batches reach about 3 MB); larger is 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Room for headers and protocol framing above the body limit in a raw record.
pub const RECORD_OVERHEAD_BYTES: usize = 64 * 1024;

/// The largest raw record for a body limit: what the raw topic and ingest's producer take.
pub const fn raw_record_bytes(max_body_bytes: usize) -> usize {
    max_body_bytes + RECORD_OVERHEAD_BYTES
}

/// The largest output record for a body limit. Outputs can be larger than their raw record:
/// a dead letter carries a body that is not JSON in base64 (4/3 of it) inside JSON.
pub const fn output_record_bytes(max_body_bytes: usize) -> usize {
    max_body_bytes * 2 + 1024 * 1024
}

/// The default consumer group of normalize.
pub const DEFAULT_GROUP_ID: &str = "wa-normalize";

/// The default webhook path Meta calls.
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhook";

//! What a raw record's headers give its outputs: the receive time, the trace to continue,
//! and the signature (for re-verification).

use rdkafka::message::{Headers, Message};
use wa_schemas::contract::raw_header;
use wa_schemas::trace::TraceParent;

use crate::sink::TraceHeaders;
use crate::RawMeta;

/// The headers of one raw record, read once.
#[derive(Debug, Clone)]
pub struct RawContext {
    received_at: Option<String>,
    traceparent: String,
    tracestate: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    incoming: Option<Vec<u8>>,
}

impl RawContext {
    /// Reads `message`'s headers; starts a new trace when it carries none.
    pub fn of(message: &impl Message) -> Self {
        let header = |name: &str| {
            message.headers().and_then(|h| {
                h.iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value)
                    .map(<[u8]>::to_vec)
            })
        };
        let incoming = header(raw_header::TRACEPARENT);
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).expect("the OS provides randomness");
        let trace = incoming
            .as_deref()
            .and_then(TraceParent::parse)
            .unwrap_or_else(|| TraceParent::root(random[..16].try_into().expect("16 bytes")));
        RawContext {
            received_at: header(raw_header::RECEIVED_AT).and_then(|v| String::from_utf8(v).ok()),
            traceparent: trace.child(random[16..].try_into().expect("8 bytes")),
            tracestate: header(raw_header::TRACESTATE),
            signature: header(raw_header::SIGNATURE),
            incoming,
        }
    }

    /// The lineage the mapping records.
    pub fn meta<'m>(&'m self, message: &'m impl Message) -> RawMeta<'m> {
        RawMeta {
            topic: message.topic(),
            partition: Some(message.partition()),
            offset: Some(message.offset()),
            received_at: self.received_at.as_deref(),
        }
    }

    /// The lineage of the record at `topic`/`partition`@`offset`, once the message is gone.
    pub fn meta_at<'m>(&'m self, topic: &'m str, partition: i32, offset: i64) -> RawMeta<'m> {
        RawMeta {
            topic,
            partition: Some(partition),
            offset: Some(offset),
            received_at: self.received_at.as_deref(),
        }
    }

    /// The trace context the outputs continue.
    pub fn trace(&self) -> TraceHeaders<'_> {
        TraceHeaders {
            traceparent: Some(&self.traceparent),
            tracestate: self.tracestate.as_deref(),
        }
    }

    /// The `traceparent` of this record's processing.
    pub fn traceparent(&self) -> &str {
        &self.traceparent
    }

    /// Makes `span` continue the raw record's trace; from then on its ids are this
    /// record's processing ids (when spans are exported).
    pub fn continue_in(&mut self, span: &tracing::Span) {
        let incoming = self.incoming.as_deref();
        wa_telemetry::context::continue_trace(span, incoming, self.tracestate.as_deref());
        if let Some(own) = wa_telemetry::context::traceparent(span) {
            self.traceparent = own;
        }
    }

    /// When ingest received the webhook (`received-at`, Unix milliseconds), when it says.
    pub fn received_millis(&self) -> Option<i64> {
        wa_schemas::time::parse_rfc3339_millis(self.received_at.as_deref()?)
    }

    /// Meta's `X-Hub-Signature-256` as ingest stored it.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }
}

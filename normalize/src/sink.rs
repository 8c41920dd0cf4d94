//! The one seam output records leave through: "send this record with these headers, tell
//! me when it is stored". Kafka is one [`OutputSink`] (the service's), JSON lines another
//! ([`LineSink`]: `normalize-file`), and [`Printed`] echoes what another sink stored
//! (`run --print`); [`emit`] is the one path every caller sends a batch by.

use std::future::{ready, Future, Ready};
use std::io::{self, Write};
use std::sync::Mutex;

use serde_json::value::RawValue;
use wa_schemas::contract::output_header as header;

use crate::batch::{Batch, RecordRef};
use crate::config::{RawMeta, TopicNames};
use crate::dedup::DedupWindow;

/// One output record on its way out, borrowed from its batch.
#[derive(Debug, Clone)]
pub struct OutRecord<'r> {
    /// The Kafka topic name.
    pub topic: &'r str,
    /// The Kafka key.
    pub key: Option<&'r str>,
    /// The record's deterministic id.
    pub event_id: &'r str,
    /// Headers, in the order they are written.
    pub headers: Vec<(&'static str, &'r [u8])>,
    /// The JSON value.
    pub value: &'r [u8],
}

/// Why a record was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// No retry can store it; says what an operator must change.
    #[error("the record can never be stored ({why}): {detail}")]
    Permanent {
        /// What to change.
        why: &'static str,
        /// The error the destination gave.
        detail: String,
    },
    /// The sink shut down before it could say (only at shutdown).
    #[error("the output closed before acknowledging")]
    Closed,
    /// Writing failed.
    #[error("cannot write a record: {0}")]
    Io(#[from] io::Error),
}

/// Where output records go.
pub trait OutputSink: Send + Sync {
    /// Resolves once the record is stored, or with why it never will be.
    type Ack: Future<Output = Result<(), SinkError>> + Send + 'static;

    /// Hands one record over, after the ones sent before it. Waits while the sink is full;
    /// fails only when the record can never be stored.
    fn send(
        &self,
        record: &OutRecord<'_>,
    ) -> impl Future<Output = Result<Self::Ack, SinkError>> + Send;
}

/// The trace context output records continue.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceHeaders<'t> {
    /// `traceparent`.
    pub traceparent: Option<&'t str>,
    /// `tracestate`.
    pub tracestate: Option<&'t [u8]>,
}

/// Sends the records of `batch` that `keep` accepts through `sink`, in order, skipping
/// the repeats `window` remembers; returns their acknowledgements, in the same order.
///
/// # Errors
/// The first [`SinkError`] of a record that can never be stored.
pub async fn emit<S: OutputSink>(
    sink: &S,
    topics: &TopicNames,
    batch: &Batch,
    meta: &RawMeta<'_>,
    trace: TraceHeaders<'_>,
    window: &mut DedupWindow,
    keep: impl Fn(&RecordRef<'_>) -> bool,
) -> Result<Vec<S::Ack>, SinkError> {
    let mut acks = Vec::with_capacity(batch.len());
    // A producer span per record only when spans are exported: it costs every record.
    let traced = trace.traceparent.is_some()
        && wa_telemetry::context::traceparent(&tracing::Span::current()).is_some();
    for record in batch.iter().filter(|r| keep(r)) {
        if window.check_and_insert(record.topic(), record.event_id) {
            tracing::debug!(event_id = record.event_id, "duplicate dropped");
            wa_telemetry::metrics().duplicates.add(1, &[]);
            continue;
        }
        let topic = topics.name(record.topic());
        let send = traced.then(|| producer_span(topic, record.event_id));
        let own = send.as_ref().and_then(wa_telemetry::context::traceparent);
        let owned = record.headers(meta);
        let mut headers: Vec<(&'static str, &[u8])> =
            owned.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        if let Some(traceparent) = own.as_deref().or(trace.traceparent) {
            headers.push((header::TRACEPARENT, traceparent.as_bytes()));
        }
        if let Some(state) = trace.tracestate {
            headers.push((header::TRACESTATE, state));
        }
        if record.topic() == wa_schemas::Topic::DeadLetter {
            count_dead_letter(record.value);
        }
        let out = OutRecord {
            topic,
            key: record.key,
            event_id: record.event_id,
            headers,
            value: record.value,
        };
        tracing::debug!(
            topic = out.topic,
            event_id = out.event_id,
            event_type = record.event_type.as_str(),
            "produce"
        );
        acks.push(sink.send(&out).await?);
    }
    Ok(acks)
}

/// The span of one output record's hand-off to the producer.
fn producer_span(topic: &str, event_id: &str) -> tracing::Span {
    tracing::info_span!(
        "send",
        otel.name = %format_args!("{topic} send"),
        otel.kind = "producer",
        messaging.system = "kafka",
        messaging.operation.type = "send",
        messaging.destination.name = topic,
        messaging.message.id = event_id,
    )
}

/// `wa.normalize.dead_letters` by the dead letter's `reason.kind`.
fn count_dead_letter(value: &[u8]) {
    #[derive(serde::Deserialize)]
    struct DeadLetter<'a> {
        #[serde(borrow)]
        reason: Reason<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Reason<'a> {
        kind: &'a str,
    }
    let kind = serde_json::from_slice::<DeadLetter<'_>>(value)
        .map_or_else(|_| "unknown".to_owned(), |d| d.reason.kind.to_owned());
    wa_telemetry::metrics()
        .dead_letters
        .add(1, &[opentelemetry::KeyValue::new("reason.kind", kind)]);
}

/// Records as JSON lines, `{"topic": ..., "key": ..., "value": ...}` (headers left out):
/// stored once written.
pub struct LineSink<W> {
    out: Mutex<W>,
}

impl<W: Write + Send> LineSink<W> {
    /// Lines into `out`.
    pub fn new(out: W) -> Self {
        LineSink {
            out: Mutex::new(out),
        }
    }

    /// The writer back (to flush it).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl<W: Write + Send> OutputSink for LineSink<W> {
    type Ack = Ready<Result<(), SinkError>>;

    fn send(
        &self,
        record: &OutRecord<'_>,
    ) -> impl Future<Output = Result<Self::Ack, SinkError>> + Send {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let written = write_line(&mut *out, record.topic, record.key, record.value);
        ready(written.map(|()| ready(Ok(()))).map_err(SinkError::from))
    }
}

/// One output line: `{"topic": ..., "key": ..., "value": ...}`.
#[derive(serde::Serialize)]
struct Line<'a> {
    topic: &'a str,
    key: Option<&'a str>,
    value: &'a RawValue,
}

/// Writes one record as a JSON line.
///
/// # Errors
/// When writing fails, or the value is not JSON (never for mapped records).
pub fn write_line(
    out: &mut impl Write,
    topic: &str,
    key: Option<&str>,
    value: &[u8],
) -> io::Result<()> {
    let value = std::str::from_utf8(value)
        .ok()
        .and_then(|text| serde_json::from_str::<&RawValue>(text).ok())
        .ok_or_else(|| io::Error::other("a record value is not JSON"))?;
    serde_json::to_writer(&mut *out, &Line { topic, key, value })?;
    out.write_all(b"\n")
}

/// Another sink whose stored records are also written to stdout as JSON lines, in the
/// order they were sent, once stored.
pub struct Printed<S> {
    inner: S,
}

impl<S> Printed<S> {
    /// Echoes what `inner` stores.
    pub fn new(inner: S) -> Self {
        Printed { inner }
    }
}

impl<S: OutputSink> OutputSink for Printed<S> {
    type Ack = std::pin::Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send>>;

    async fn send(&self, record: &OutRecord<'_>) -> Result<Self::Ack, SinkError> {
        let stored = self.inner.send(record).await?;
        let mut line = Vec::with_capacity(record.value.len() + 64);
        write_line(&mut line, record.topic, record.key, record.value)?;
        Ok(Box::pin(async move {
            stored.await?;
            // A closed stdout ends the echo, never the pipeline.
            let mut stdout = io::stdout().lock();
            let _ = stdout.write_all(&line).and_then(|()| stdout.flush());
            Ok(())
        }))
    }
}

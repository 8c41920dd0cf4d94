//! W3C trace context between `tracing` spans, HTTP headers and Kafka headers.
//!
//! With traces exported, a span's `traceparent` is its OpenTelemetry context, so the ids in
//! a record's header are the ids of a span the collector has. Without an exporter no
//! OpenTelemetry layer runs (it would cost every span); callers then fall back to the ids
//! they make themselves ([`wa_schemas::trace`]).

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Set once by `Telemetry::init` when spans are exported.
static SPANS_EXPORTED: AtomicBool = AtomicBool::new(false);

/// Whether this process exports spans. A hot path (ingest's two spans per webhook) opens
/// its spans only when something reads them: this, or debug logs of its module.
pub fn spans_exported() -> bool {
    SPANS_EXPORTED.load(Ordering::Relaxed)
}

#[cfg(feature = "export")]
pub(crate) fn set_spans_exported(exported: bool) {
    SPANS_EXPORTED.store(exported, Ordering::Relaxed);
}

struct Incoming<'a> {
    traceparent: Option<&'a str>,
    tracestate: Option<&'a str>,
}

impl Extractor for Incoming<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.traceparent,
            "tracestate" => self.tracestate,
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// Makes `span` continue the trace of `traceparent` (and `tracestate`) when valid. Call it
/// before the span is entered or asked for its context.
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&[u8]>, tracestate: Option<&[u8]>) {
    if span.is_none() {
        return;
    }
    let Some(traceparent) = traceparent.and_then(|t| std::str::from_utf8(t).ok()) else {
        return;
    };
    let incoming = Incoming {
        traceparent: Some(traceparent),
        tracestate: tracestate.and_then(|t| std::str::from_utf8(t).ok()),
    };
    let parent = TraceContextPropagator::new().extract(&incoming);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// `span`'s `traceparent`, when an OpenTelemetry layer gave it ids.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    if span.is_none() {
        return None;
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Puts `traceparent`'s trace and span ids on `span` (declared as empty `trace_id` and
/// `span_id` fields), so every log line inside it carries them.
pub fn record_ids(span: &tracing::Span, traceparent: &str) {
    let mut parts = traceparent.split('-').skip(1);
    if let (Some(trace_id), Some(span_id)) = (parts.next(), parts.next()) {
        span.record("trace_id", trace_id);
        span.record("span_id", span_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::layer::SubscriberExt as _;

    const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_span_continues_the_incoming_trace_with_an_id_of_its_own() {
        let provider = SdkTracerProvider::builder().build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("webhook");
            continue_trace(&span, Some(INCOMING.as_bytes()), None);
            let own = traceparent(&span).expect("ids from the layer");
            assert!(
                own.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                "{own}"
            );
            assert!(!own.contains("00f067aa0ba902b7"), "{own}");
            let child = tracing::info_span!(parent: &span, "send");
            let child = traceparent(&child).unwrap();
            assert_eq!(child[..36], own[..36]);
            assert_ne!(child, own);
            let garbage = tracing::info_span!("other");
            continue_trace(&garbage, Some(b"00-zz"), None);
            assert!(!traceparent(&garbage).unwrap().contains("4bf92f35"));
        });
    }

    #[test]
    fn without_the_layer_there_is_no_context_and_callers_fall_back() {
        let span = tracing::info_span!("webhook");
        continue_trace(&span, Some(INCOMING.as_bytes()), None);
        assert_eq!(traceparent(&span), None);
    }
}

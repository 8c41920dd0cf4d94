//! How text log lines show span fields: as tracing-subscriber's default does, less the
//! fields that only name a span for OpenTelemetry (`otel.name`, `otel.kind`, constant
//! semantic-convention attributes).
//!
//! The fmt layer formats a span's fields into a string when the span opens, whether or not
//! a line is ever logged in it; ingest opens two spans per webhook. Those constant fields
//! were half of that formatting (about 5 % of ingest's CPU at 128 connections, measured),
//! and say nothing a log reader needs: the span's name already does.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::{FormatFields, FormattedFields};

/// Span fields left out of text log lines: exporters read them, people do not.
pub const OTEL_ONLY_FIELDS: &[&str] = &[
    "otel.name",
    "otel.kind",
    "messaging.system",
    "messaging.operation.type",
    "http.request.method",
    "http.route",
];

/// The text format's field formatter (see the module doc).
#[derive(Debug, Default)]
pub struct LogFields(DefaultFields);

impl<'writer> FormatFields<'writer> for LogFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = Skipping(self.0.make_visitor(writer));
        fields.record(&mut visitor);
        visitor.0.finish()
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        // The default visitor puts a space before every field but a first one; tell it
        // whether this one is first.
        let first = current.fields.is_empty();
        let writer = current.as_writer();
        let mut visitor = Skipping(tracing_subscriber::fmt::format::DefaultVisitor::new(
            writer, first,
        ));
        fields.record(&mut visitor);
        visitor.0.finish()
    }
}

/// Passes every field but [`OTEL_ONLY_FIELDS`] on to the default visitor.
struct Skipping<V>(V);

fn kept(field: &Field) -> bool {
    !OTEL_ONLY_FIELDS.contains(&field.name())
}

impl<V: Visit> Visit for Skipping<V> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if kept(field) {
            self.0.record_debug(field, value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if kept(field) {
            self.0.record_str(field, value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if kept(field) {
            self.0.record_i64(field, value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if kept(field) {
            self.0.record_u64(field, value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if kept(field) {
            self.0.record_bool(field, value);
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if kept(field) {
            self.0.record_error(field, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_shows_the_span_fields_people_read_and_not_the_exporters() {
        let lines = Lines::default();
        let out = lines.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .fmt_fields(LogFields::default())
            .with_writer(move || out.clone());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "webhook",
                otel.name = "POST /webhook",
                otel.kind = "server",
                http.route = "/webhook",
                request_id = "r-1",
                bytes = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
            );
            span.record("bytes", 42);
            span.record("http.response.status_code", 503);
            span.in_scope(|| tracing::error!(reason = "broker down", "not stored"));
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("webhook{request_id=\"r-1\" bytes=42 http.response.status_code=503}"),
            "{text}"
        );
        assert!(text.contains("not stored reason=\"broker down\""), "{text}");
        for hidden in ["otel.", "http.route", "POST /webhook"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }
}

//! The Prometheus text endpoint's side of the one metrics API: a reader the meter provider
//! collects into on each scrape, and the text exposition format (0.0.4) written from it.
//!
//! Why not `opentelemetry-prometheus`: it is discontinued and depends on the unmaintained
//! `protobuf` crate. Names follow Prometheus' conversion of OpenTelemetry names: dots become
//! underscores, the unit becomes a suffix (`s` → `_seconds`), counters end in `_total`.

use std::fmt::Write as _;
use std::sync::{Arc, Weak};
use std::time::Duration;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Histogram, Metric, MetricData, ResourceMetrics,
};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{InstrumentKind, ManualReader, Pipeline, Temporality};

/// A pull reader shared between the meter provider and the scrape handler.
#[derive(Debug, Clone)]
pub struct PrometheusReader(Arc<ManualReader>);

impl Default for PrometheusReader {
    fn default() -> Self {
        PrometheusReader(Arc::new(
            ManualReader::builder()
                .with_temporality(Temporality::Cumulative)
                .build(),
        ))
    }
}

impl MetricReader for PrometheusReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline);
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

impl PrometheusReader {
    /// Every metric, in the text exposition format.
    pub fn render(&self) -> String {
        let mut rm = ResourceMetrics::default();
        if self.0.collect(&mut rm).is_err() {
            return String::new();
        }
        let mut out = String::new();
        // The pipeline's own meter only: the embedded broker (Tansu) reports through the
        // same global provider, and its metrics go out over OTLP alone.
        for scope in rm
            .scope_metrics()
            .filter(|s| s.scope().name() == crate::METER)
        {
            for metric in scope.metrics() {
                write_metric(&mut out, metric);
            }
        }
        out
    }
}

/// The Prometheus name of an OpenTelemetry metric name and unit.
pub fn prometheus_name(name: &str, unit: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let suffix = match unit {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        _ => "",
    };
    if !out.ends_with(suffix) {
        out.push_str(suffix);
    }
    out
}

fn write_metric(out: &mut String, metric: &Metric) {
    let base = prometheus_name(metric.name(), metric.unit());
    match metric.data() {
        AggregatedMetrics::F64(data) => write_data(out, &base, metric.description(), data),
        AggregatedMetrics::U64(data) => write_data(out, &base, metric.description(), data),
        AggregatedMetrics::I64(data) => write_data(out, &base, metric.description(), data),
    }
}

fn write_data<T: Copy + std::fmt::Display>(
    out: &mut String,
    base: &str,
    help: &str,
    data: &MetricData<T>,
) {
    match data {
        MetricData::Sum(sum) => {
            let (name, kind) = if sum.is_monotonic() {
                (format!("{base}_total"), "counter")
            } else {
                (base.to_owned(), "gauge")
            };
            header(out, &name, help, kind);
            for point in sum.data_points() {
                sample(out, &name, &labels(point.attributes(), None), point.value());
            }
        }
        MetricData::Gauge(gauge) => {
            header(out, base, help, "gauge");
            for point in gauge.data_points() {
                sample(out, base, &labels(point.attributes(), None), point.value());
            }
        }
        MetricData::Histogram(histogram) => write_histogram(out, base, help, histogram),
        // Not used by the pipeline's instruments.
        MetricData::ExponentialHistogram(_) => {}
    }
}

fn write_histogram<T: Copy + std::fmt::Display>(
    out: &mut String,
    base: &str,
    help: &str,
    histogram: &Histogram<T>,
) {
    header(out, base, help, "histogram");
    for point in histogram.data_points() {
        let mut cumulative = 0u64;
        let counts: Vec<u64> = point.bucket_counts().collect();
        for (bound, count) in point.bounds().zip(&counts) {
            cumulative += count;
            let le = labels(point.attributes(), Some(&format_float(bound)));
            sample(out, &format!("{base}_bucket"), &le, cumulative);
        }
        let inf = labels(point.attributes(), Some("+Inf"));
        sample(out, &format!("{base}_bucket"), &inf, point.count());
        let plain = labels(point.attributes(), None);
        sample(out, &format!("{base}_sum"), &plain, point.sum());
        sample(out, &format!("{base}_count"), &plain, point.count());
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name}{labels} {value}");
}

fn format_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        value.to_string()
    }
}

/// `{a="1",le="0.5"}`, or nothing without labels.
fn labels<'a>(attributes: impl Iterator<Item = &'a KeyValue>, le: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = attributes
        .map(|kv| (prometheus_name(kv.key.as_str(), ""), value_text(&kv.value)))
        .collect();
    pairs.sort();
    if let Some(le) = le {
        pairs.push(("le".into(), le.into()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    let body: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(&v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn value_text(value: &Value) -> String {
    value.as_str().into_owned()
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::SdkMeterProvider;

    #[test]
    fn counters_histograms_and_gauges_render_in_prometheus_text() {
        let reader = PrometheusReader::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(reader.clone())
            .build();
        let meter = provider.meter(crate::METER);
        provider
            .meter("other")
            .u64_counter("not.ours")
            .build()
            .add(1, &[]);
        let sent = meter
            .u64_counter("messaging.client.sent.messages")
            .with_description("Records sent")
            .build();
        sent.add(3, &[KeyValue::new("messaging.destination.name", "a\"b")]);
        let duration = meter
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_boundaries(vec![0.1, 1.0])
            .build();
        duration.record(0.05, &[KeyValue::new("http.response.status_code", 200)]);
        duration.record(2.0, &[KeyValue::new("http.response.status_code", 200)]);
        let in_flight = meter.i64_up_down_counter("wa.requests.in_flight").build();
        in_flight.add(2, &[]);
        let text = reader.render();
        assert!(text.contains("# TYPE messaging_client_sent_messages_total counter"));
        assert!(text.contains(
            "messaging_client_sent_messages_total{messaging_destination_name=\"a\\\"b\"} 3"
        ));
        assert!(text.contains("# TYPE http_server_request_duration_seconds histogram"));
        assert!(text.contains(
            "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\",le=\"0.1\"} 1"
        ));
        assert!(text.contains(
            "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains(
            "http_server_request_duration_seconds_count{http_response_status_code=\"200\"} 2"
        ));
        assert!(text.contains("# TYPE wa_requests_in_flight gauge\nwa_requests_in_flight 2"));
        assert!(!text.contains("not_ours"), "{text}");
    }
}

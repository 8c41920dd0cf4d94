//! Every metric of the pipeline, created once from the global meter provider. Names follow
//! the OpenTelemetry semantic conventions where one exists (`http.*`, `messaging.*`); ours
//! start with `wa.`. The README lists each with its labels.
//!
//! Without a meter provider (library tests) the instruments are no-ops.

use std::sync::OnceLock;

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, UpDownCounter};
use opentelemetry::KeyValue;

/// Seconds; the buckets suit both HTTP answers and broker acknowledgements.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The end-to-end latency's buckets: fine around the 50 ms target, milliseconds being the
/// resolution of `received-at`, and long enough for a backlog.
const AGE_BUCKETS: [f64; 18] = [
    0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0, 60.0,
];

/// The instruments.
#[derive(Debug)]
pub struct Metrics {
    /// `http.server.request.duration` (s): method, status code, route.
    pub http_duration: Histogram<f64>,
    /// `messaging.client.sent.messages`: destination name.
    pub sent: Counter<u64>,
    /// `messaging.client.consumed.messages`: destination name.
    pub consumed: Counter<u64>,
    /// `messaging.client.operation.duration` (s): how long the broker took to acknowledge.
    pub produce_duration: Histogram<f64>,
    /// `wa.ingest.signature.failures`: reason.
    pub signature_failures: Counter<u64>,
    /// `wa.ingest.overload.refusals`: requests answered 503 because every slot was taken.
    pub overload_refusals: Counter<u64>,
    /// `wa.ingest.requests.in_flight`: verified bodies being stored.
    pub in_flight: UpDownCounter<i64>,
    /// `wa.normalize.dead_letters`: `reason.kind`.
    pub dead_letters: Counter<u64>,
    /// `wa.normalize.duplicates.dropped`.
    pub duplicates: Counter<u64>,
    /// `wa.normalize.consumer.lag`: records behind the high watermark, by partition.
    pub lag: Gauge<i64>,
    /// `wa.logs.suppressed`: rate-limited log lines not written.
    pub logs_suppressed: Counter<u64>,
    /// `wa.normalize.record.age` (s): from ingest receiving the webhook to the broker
    /// acknowledging every output of it; the pipeline's end-to-end latency.
    pub record_age: Histogram<f64>,
    /// `wa.normalize.media.attachments`: attachments handled by media re-hosting, by
    /// `outcome` (`stored`, `already_stored`, `failed`) and `error.kind` on failures.
    pub media: Counter<u64>,
    /// `wa.normalize.media.duration` (s): time to re-host one attachment, Graph calls and
    /// store included.
    pub media_duration: Histogram<f64>,
}

/// The instruments, created on first use.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics::new(&opentelemetry::global::meter(crate::METER)))
}

impl Metrics {
    fn new(meter: &Meter) -> Self {
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(SECONDS_BUCKETS.to_vec())
                .build()
        };
        let counter = |name: &'static str, description: &'static str| {
            meter
                .u64_counter(name)
                .with_description(description)
                .build()
        };
        Metrics {
            http_duration: seconds(
                "http.server.request.duration",
                "Duration of HTTP server requests.",
            ),
            sent: counter(
                "messaging.client.sent.messages",
                "Records the broker acknowledged, by topic.",
            ),
            consumed: counter(
                "messaging.client.consumed.messages",
                "Records consumed, by topic.",
            ),
            produce_duration: seconds(
                "messaging.client.operation.duration",
                "Time from producing a record to the broker's acknowledgement.",
            ),
            signature_failures: counter(
                "wa.ingest.signature.failures",
                "Webhook requests refused with 401, by reason.",
            ),
            overload_refusals: counter(
                "wa.ingest.overload.refusals",
                "Verified webhook requests answered 503 because every storage slot was taken.",
            ),
            in_flight: meter
                .i64_up_down_counter("wa.ingest.requests.in_flight")
                .with_description("Verified webhook bodies being stored.")
                .build(),
            dead_letters: counter(
                "wa.normalize.dead_letters",
                "Dead letters produced, by reason.kind.",
            ),
            duplicates: counter(
                "wa.normalize.duplicates.dropped",
                "Output records dropped by the dedup window.",
            ),
            lag: meter
                .i64_gauge("wa.normalize.consumer.lag")
                .with_description("Raw records behind the partition's high watermark.")
                .build(),
            logs_suppressed: counter("wa.logs.suppressed", "Rate-limited log lines not written."),
            record_age: meter
                .f64_histogram("wa.normalize.record.age")
                .with_unit("s")
                .with_description(
                    "Time from ingest receiving a webhook to its outputs being stored.",
                )
                .with_boundaries(AGE_BUCKETS.to_vec())
                .build(),
            media: counter(
                "wa.normalize.media.attachments",
                "Attachments handled by media re-hosting, by outcome and error.kind.",
            ),
            media_duration: seconds(
                "wa.normalize.media.duration",
                "Time to re-host one attachment (Graph API calls and the store).",
            ),
        }
    }
}

/// `messaging.destination.name`.
pub fn destination(topic: &str) -> [KeyValue; 1] {
    [KeyValue::new(
        "messaging.destination.name",
        topic.to_owned(),
    )]
}

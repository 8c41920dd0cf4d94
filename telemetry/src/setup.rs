//! The process-wide set-up: logs, the OpenTelemetry layer, the meter provider.

use std::io::IsTerminal as _;
use std::sync::Arc;

use opentelemetry::metrics::{MeterProvider as _, ObservableCounter};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::{otlp, span_queue, PrometheusReader};

/// The log filter without `RUST_LOG`: ours at info; the embedded broker's, librdkafka's,
/// hyper's and the exporters' at warn. `rdkafka::client` repeats every librdkafka error
/// once per client and attempt (400 lines in 25 s of a broker outage, measured), while
/// librdkafka's own lines (`librdkafka`) are throttled: only those are kept.
pub const DEFAULT_LOG_FILTER: &str = "info,tansu_broker=warn,tansu_storage=warn,tansu_service=warn,tansu_sans_io=warn,tansu_schema=warn,tansu_auth=warn,libsql=warn,librdkafka=warn,rdkafka=warn,rdkafka::client=off,hyper=warn,reqwest=warn,opentelemetry=warn,opentelemetry_sdk=warn,opentelemetry_otlp=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the current span's fields (`trace_id`, `span_id`).
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!(
                "`{text}` is not a log format: use `text` or `json`"
            )),
        }
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// An OTLP protocol this build does not speak.
    #[error("OTEL_EXPORTER_OTLP_PROTOCOL={0} is not supported: set it to http/protobuf (the collector's port 4318)")]
    Protocol(String),
    /// The exporter could not be built.
    #[error("cannot build the OTLP exporter: {0} (check OTEL_EXPORTER_OTLP_ENDPOINT)")]
    Exporter(String),
    /// A global subscriber was already installed.
    #[error("logging was already set up: {0}")]
    Subscriber(String),
}

/// The running telemetry; [`Telemetry::shutdown`] flushes what is queued.
pub struct Telemetry {
    prometheus: PrometheusReader,
    meters: SdkMeterProvider,
    tracers: Option<SdkTracerProvider>,
    _spans_dropped: ObservableCounter<u64>,
}

impl Telemetry {
    /// Installs logging, tracing and metrics for the process.
    ///
    /// # Errors
    /// [`TelemetryError`] on a bad `OTEL_*` configuration.
    pub fn init(format: LogFormat) -> Result<Telemetry, TelemetryError> {
        let export = otlp::Export::from_env()?;
        let resource = otlp::resource();
        let dropped = Arc::new(span_queue::Dropped::default());
        let tracers = if export.traces {
            let processor = span_queue::BoundedProcessor::new(
                otlp::span_exporter()?,
                &resource,
                dropped.clone(),
            );
            Some(
                SdkTracerProvider::builder()
                    .with_resource(resource.clone())
                    .with_span_processor(processor)
                    .build(),
            )
        } else {
            None
        };
        let prometheus = PrometheusReader::default();
        let mut meters = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(prometheus.clone());
        if export.metrics {
            meters = meters.with_reader(PeriodicReader::builder(otlp::metric_exporter()?).build());
        }
        let meters = meters.build();
        opentelemetry::global::set_meter_provider(meters.clone());
        let spans_dropped = meters
            .meter(crate::METER)
            .u64_observable_counter("wa.telemetry.spans.dropped")
            .with_description("Spans not exported: queue full or export failed.")
            .with_callback(move |observer| observer.observe(dropped.get(), &[]))
            .build();
        install_subscriber(format, tracers.as_ref())?;
        crate::context::set_spans_exported(tracers.is_some());
        Ok(Telemetry {
            prometheus,
            meters,
            tracers,
            _spans_dropped: spans_dropped,
        })
    }

    /// The reader the `/metrics` endpoint renders.
    pub fn prometheus(&self) -> PrometheusReader {
        self.prometheus.clone()
    }

    /// Whether spans are exported.
    pub fn traces_exported(&self) -> bool {
        self.tracers.is_some()
    }

    /// Exports what is queued (bounded), then stops the exporters.
    pub fn shutdown(self) {
        if let Some(tracers) = &self.tracers {
            let _ = tracers.shutdown_with_timeout(std::time::Duration::from_secs(5));
        }
        let _ = self
            .meters
            .shutdown_with_timeout(std::time::Duration::from_secs(5));
    }
}

/// Logs on stderr (stdout carries records), filtered by `RUST_LOG`; the OpenTelemetry layer
/// only when spans are exported.
fn install_subscriber(
    format: LogFormat,
    tracers: Option<&SdkTracerProvider>,
) -> Result<(), TelemetryError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let logs = match format {
        // Colours only on a terminal: a log file or journald gets plain text, and the
        // escape codes cost every span's fields (ingest formats two spans per webhook).
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .fmt_fields(crate::log_fields::LogFields::default())
            .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    // Spans, and warnings and errors as span events: an OpenTelemetry event per info line,
    // source locations, thread names and busy/idle times cost ingest 23 % of its requests/s
    // with an exporter configured (measured; the target is under 10 %).
    let otel = tracers.map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer(crate::METER))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                meta.is_span() || *meta.level() <= tracing::Level::WARN
            }))
    });
    tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .with(filter)
        .try_init()
        .map_err(|e| TelemetryError::Subscriber(e.to_string()))
}

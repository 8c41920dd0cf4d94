//! OTLP export as the standard `OTEL_*` variables configure it. Nothing is exported unless
//! an endpoint is set; `OTEL_SDK_DISABLED=true` turns everything off.

use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;

use crate::TelemetryError;

/// The one protocol this build speaks; gRPC would add a second HTTP/2 stack to the binary.
pub const PROTOCOL: &str = "http/protobuf";

/// Which signals go out over OTLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Export {
    /// Spans.
    pub traces: bool,
    /// Metrics.
    pub metrics: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Export {
    /// Reads the standard variables.
    ///
    /// # Errors
    /// [`TelemetryError::Protocol`] when a signal is configured with another protocol.
    pub fn from_env() -> Result<Self, TelemetryError> {
        if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(Export::default());
        }
        let any = var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
        let signal = |endpoint: &str, exporter: &str, protocol: &str| {
            let on = (any || var(endpoint).is_some())
                && var(exporter).is_none_or(|v| !v.eq_ignore_ascii_case("none"));
            if !on {
                return Ok(false);
            }
            match var(protocol).or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL")) {
                None => Ok(true),
                Some(p) if p == PROTOCOL => Ok(true),
                Some(p) => Err(TelemetryError::Protocol(p)),
            }
        };
        Ok(Export {
            traces: signal(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_TRACES_EXPORTER",
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            )?,
            metrics: signal(
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "OTEL_METRICS_EXPORTER",
                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
            )?,
        })
    }
}

/// The process's resource: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` when set,
/// else `service.name=wa-pipeline`.
pub fn resource() -> Resource {
    let named = var("OTEL_SERVICE_NAME").is_some()
        || var("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| a.contains("service.name="));
    let builder = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if named {
        builder.build()
    } else {
        builder.with_service_name("wa-pipeline").build()
    }
}

/// The span exporter (endpoint, headers and timeout from the variables).
///
/// # Errors
/// [`TelemetryError::Exporter`] when the variables do not make an exporter.
pub fn span_exporter() -> Result<opentelemetry_otlp::SpanExporter, TelemetryError> {
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| TelemetryError::Exporter(e.to_string()))
}

/// The metric exporter (endpoint, headers and timeout from the variables).
///
/// # Errors
/// [`TelemetryError::Exporter`] when the variables do not make an exporter.
pub fn metric_exporter() -> Result<opentelemetry_otlp::MetricExporter, TelemetryError> {
    opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| TelemetryError::Exporter(e.to_string()))
}

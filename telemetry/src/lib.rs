//! Telemetry of wa-pipeline: logs (text or JSON lines on stderr), traces over OTLP, and
//! metrics through one OpenTelemetry API, exported over OTLP when configured and always
//! rendered for a Prometheus scrape.
//!
//! Rooms: [`otlp`] (the `OTEL_*` variables), [`span_queue`] (bounded span export),
//! [`prometheus`] (the text endpoint), [`instruments`] (every metric), [`context`] (trace
//! context in headers), `log_fields` (which span fields text log lines show), [`log_limit`] (a budget for warnings a flood could repeat; what it
//! suppresses is counted in `wa.logs.suppressed`).

pub mod context;
pub mod instruments;
#[cfg(feature = "export")]
pub mod log_fields;
pub mod log_limit;
#[cfg(feature = "export")]
pub mod otlp;
pub mod prometheus;
#[cfg(feature = "export")]
mod setup;
#[cfg(feature = "export")]
pub mod span_queue;

/// The instrumentation scope of every metric of the pipeline.
pub const METER: &str = "wa-pipeline";

pub use instruments::metrics;
pub use prometheus::PrometheusReader;
#[cfg(feature = "export")]
pub use setup::*;

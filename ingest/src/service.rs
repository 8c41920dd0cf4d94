//! Request handling: routing, the handshake, verification and persistence.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{
    HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};
use opentelemetry::KeyValue;
use tokio::sync::Semaphore;
use tracing::Instrument as _;
use wa_telemetry::{context, metrics};

use crate::config::IngestConfig;
use crate::error::IngestError;
use crate::handshake::{self, Handshake};
use crate::record::{header, RawRecord, RequestContext};
use crate::signature::HEADER as SIGNATURE_HEADER;
use crate::sink::RawSink;
use wa_telemetry::log_limit::LogLimit;

/// The receiver's request handler, shared by every connection.
pub struct Ingest<S> {
    config: IngestConfig,
    sink: S,
    /// Storage slots: taken only by verified bodies.
    in_flight: Arc<Semaphore>,
    /// Bytes of bodies being read or stored, across all requests.
    body_budget: Arc<Semaphore>,
    /// Per-request warnings allowed per second.
    refusals: LogLimit,
    /// The webhook path as a metric label, built once (a label per request would allocate).
    route_label: opentelemetry::StringValue,
}

type Answer = Response<Full<Bytes>>;

/// Refusal warnings logged per second at most; the rest are counted (`suppressed`).
const REFUSALS_LOGGED_PER_SECOND: u32 = 20;

impl<S: RawSink> Ingest<S> {
    /// A handler persisting into `sink`.
    pub fn new(config: IngestConfig, sink: S) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        let budget = config.max_body_memory.min(Semaphore::MAX_PERMITS);
        Ingest {
            route_label: Arc::<str>::from(config.path.as_str()).into(),
            body_budget: Arc::new(Semaphore::new(budget)),
            config,
            sink,
            in_flight,
            refusals: LogLimit::new(REFUSALS_LOGGED_PER_SECOND, Duration::from_secs(1)),
        }
    }

    /// The sink (for shutdown).
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The configuration.
    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    /// Answers one request. Never fails: every outcome is a response, timed in
    /// `http.server.request.duration`.
    pub async fn handle<B>(&self, request: Request<B>) -> Answer
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = std::time::Instant::now();
        let method = match *request.method() {
            Method::POST => "POST",
            Method::GET => "GET",
            _ => "_OTHER",
        };
        let route = self.route(request.uri().path());
        let answer = self.route_request(request).await;
        metrics().http_duration.record(
            started.elapsed().as_secs_f64(),
            &[
                KeyValue::new("http.request.method", method),
                KeyValue::new(
                    "http.response.status_code",
                    i64::from(answer.status().as_u16()),
                ),
                KeyValue::new("http.route", route),
            ],
        );
        answer
    }

    /// The route label: the known paths, one label for the rest (bounded cardinality).
    fn route(&self, path: &str) -> opentelemetry::StringValue {
        match path {
            "/healthz" => "/healthz".into(),
            "/readyz" => "/readyz".into(),
            p if p == self.config.path => self.route_label.clone(),
            _ => "unmatched".into(),
        }
    }

    async fn route_request<B>(&self, request: Request<B>) -> Answer
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = request.uri().path();
        let result = if path == self.config.path {
            match *request.method() {
                Method::GET => self.handshake(&request),
                Method::POST => self.notification(request).await,
                _ => Err(IngestError::MethodNotAllowed("GET, POST")),
            }
        } else if path == "/healthz" || path == "/readyz" {
            match *request.method() {
                Method::GET => Ok(self.health(path == "/readyz")),
                _ => Err(IngestError::MethodNotAllowed("GET")),
            }
        } else {
            Err(IngestError::NotFound)
        };
        result.unwrap_or_else(|e| self.error_response(&e))
    }

    fn handshake<B>(&self, request: &Request<B>) -> Result<Answer, IngestError> {
        match handshake::answer(request.uri().query(), self.config.verify_token.as_deref()) {
            Handshake::Accept(challenge) => {
                tracing::info!("webhook verification handshake accepted");
                Ok(Response::builder()
                    .status(StatusCode::OK)
                    .header(CONTENT_TYPE, "text/plain")
                    // The challenge is echoed: never let a browser sniff it into HTML.
                    .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
                    .body(Full::new(Bytes::from(challenge)))
                    .expect("static response parts are valid"))
            }
            Handshake::MissingParameter(name) => Err(IngestError::MissingParameter(name)),
            Handshake::Refuse(why) => {
                tracing::warn!(reason = why, "webhook verification handshake refused");
                Err(IngestError::HandshakeRefused(why))
            }
        }
    }

    async fn notification<B>(&self, request: Request<B>) -> Result<Answer, IngestError>
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let headers = request.headers();
        let incoming = headers.get(header::TRACEPARENT).map(HeaderValue::as_bytes);
        let mut ctx = RequestContext::new(incoming);
        let span = if !spans_read() {
            tracing::Span::none()
        } else {
            tracing::info_span!(
                "webhook",
                otel.name = %format_args!("POST {}", self.config.path),
                otel.kind = "server",
                http.request.method = "POST",
                http.route = %self.config.path,
                http.response.status_code = tracing::field::Empty,
                request_id = %ctx.request_id,
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty,
                bytes = tracing::field::Empty,
                key = tracing::field::Empty,
            )
        };
        let tracestate = headers.get(header::TRACESTATE).map(HeaderValue::as_bytes);
        context::continue_trace(&span, incoming, tracestate);
        if let Some(own) = context::traceparent(&span) {
            ctx.traceparent = own;
        }
        context::record_ids(&span, &ctx.traceparent);
        async move {
            let result = self.verify_and_persist(request, &mut ctx).await;
            let status = result.as_ref().map_or_else(IngestError::status, |()| 200);
            tracing::Span::current().record("http.response.status_code", status);
            self.count_and_log(&result, &ctx.request_id);
            result.map(|()| self.json(StatusCode::OK, stored_answer(&ctx.request_id)))
        }
        .instrument(span)
        .await
    }

    /// Logs the outcome (refusals rate-limited) and counts it. The lines name the request
    /// themselves: without an exporter or debug logs there is no span around them.
    fn count_and_log(&self, result: &Result<(), IngestError>, request_id: &str) {
        match result {
            // One line per stored webhook is noise at thousands a second (and a write each):
            // the metrics count them; `RUST_LOG=wa_ingest=debug` shows them.
            Ok(()) => tracing::debug!("stored"),
            Err(e @ IngestError::Persist(_)) => {
                tracing::error!(error = %e, request_id, "not stored: 503");
            }
            Err(e) => {
                match e {
                    IngestError::Signature(s) => metrics()
                        .signature_failures
                        .add(1, &[KeyValue::new("reason", s.reason())]),
                    IngestError::Overloaded => metrics().overload_refusals.add(1, &[]),
                    _ => {}
                }
                match self.refusals.admit() {
                    Some(suppressed) => {
                        tracing::warn!(error = %e, status = e.status(), suppressed, request_id, "refused");
                    }
                    None => metrics().logs_suppressed.add(1, &[]),
                }
            }
        }
    }

    async fn verify_and_persist<B>(
        &self,
        request: Request<B>,
        ctx: &mut RequestContext,
    ) -> Result<(), IngestError>
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limit = self.config.max_body_bytes;
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(IngestError::TooLarge(limit));
        }
        let (parts, body) = request.into_parts();
        let timeout = self.config.body_read_timeout;
        let crate::body::ReadBody {
            bytes: body,
            budget: _budget,
        } = crate::body::read(body, limit, timeout, &self.body_budget).await?;
        tracing::Span::current().record("bytes", body.len());
        let signature = parts
            .headers
            .get(SIGNATURE_HEADER)
            .map(HeaderValue::as_bytes);
        let secret = self.config.secrets.verify(signature, &body)?;
        tracing::debug!(secret_index = secret, "signature verified");
        // A storage slot only for a verified body: slow or unsigned clients cannot take them.
        let _slot = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| IngestError::Overloaded)?;
        let _in_flight = InFlight::enter();
        let send = if !spans_read() {
            tracing::Span::none()
        } else {
            tracing::info_span!(
                "send",
                otel.name = %format_args!("{} send", self.sink.topic()),
                otel.kind = "producer",
                messaging.system = "kafka",
                messaging.operation.type = "send",
                messaging.destination.name = %self.sink.topic(),
                messaging.destination.partition.id = tracing::field::Empty,
                messaging.kafka.offset = tracing::field::Empty,
                messaging.message.id = %ctx.request_id,
            )
        };
        // The raw record continues the producer span's trace, when there is one.
        if let Some(own) = context::traceparent(&send) {
            ctx.traceparent = own;
        }
        let record = RawRecord::new(
            body,
            signature.unwrap_or_default(),
            parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes),
            parts
                .headers
                .get(header::TRACESTATE)
                .map(HeaderValue::as_bytes),
            ctx,
        );
        if let Some(key) = &record.key {
            tracing::Span::current().record("key", key.as_str());
        }
        self.sink
            .persist(record)
            .instrument(send)
            .await
            .map_err(|e| IngestError::Persist(e.to_string()))
    }

    /// Whether the sink can reach its brokers (for an admin endpoint's readiness).
    pub fn ready(&self) -> bool {
        self.sink.ready()
    }

    fn health(&self, readiness: bool) -> Answer {
        if !readiness {
            return self.json(StatusCode::OK, r#"{"status":"alive"}"#);
        }
        if self.sink.ready() {
            self.json(StatusCode::OK, r#"{"status":"ready"}"#)
        } else {
            self.json(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"not ready","reason":"brokers unreachable or raw topic missing"}"#,
            )
        }
    }

    fn json(&self, status: StatusCode, body: impl Into<Bytes>) -> Answer {
        // Static header values: parsing the strings would copy them on every answer.
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))
            .body(Full::new(body.into()))
            .expect("static response parts are valid")
    }

    /// Every error becomes its response here, and only here.
    fn error_response(&self, error: &IngestError) -> Answer {
        let status = StatusCode::from_u16(error.status()).expect("statuses are valid");
        let body = serde_json::json!({ "error": error.public_reason() }).to_string();
        let mut response = self.json(status, body);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(self.config.retry_after_secs));
        }
        if let IngestError::MethodNotAllowed(allow) = error {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// The body of a 200: built at its exact size, so it becomes the answer's bytes without a
/// reallocation (`format!` grew and then shrank it: three allocations per webhook).
fn stored_answer(request_id: &str) -> Vec<u8> {
    const HEAD: &str = r#"{"status":"stored","requestId":""#;
    const TAIL: &str = r#""}"#;
    let mut body = Vec::with_capacity(HEAD.len() + request_id.len() + TAIL.len());
    body.extend_from_slice(HEAD.as_bytes());
    body.extend_from_slice(request_id.as_bytes());
    body.extend_from_slice(TAIL.as_bytes());
    body
}

/// Whether a request's spans have a reader: the span exporter, or debug logs of this
/// module (whose lines they give context). Without one, two spans per webhook cost ingest
/// about a quarter of its CPU (measured at 128 connections) and showed nowhere.
fn spans_read() -> bool {
    wa_telemetry::context::spans_exported() || tracing::enabled!(tracing::Level::DEBUG)
}

/// Counts a verified body in `wa.ingest.requests.in_flight` while it is being stored.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics().in_flight.add(1, &[]);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics().in_flight.add(-1, &[]);
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::EnvFilter;

    use super::{spans_read, stored_answer};

    #[test]
    fn the_stored_answer_is_json_naming_the_request() {
        let body = stored_answer("0b4b2a52-7d1e-4c55-9a1e-3f0d2c8b7a61");
        assert_eq!(body.len(), body.capacity());
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"status": "stored", "requestId": "0b4b2a52-7d1e-4c55-9a1e-3f0d2c8b7a61"})
        );
    }

    fn read_under(filter: &str) -> bool {
        let subscriber = tracing_subscriber::registry().with(EnvFilter::new(filter));
        tracing::subscriber::with_default(subscriber, spans_read)
    }

    #[test]
    fn request_spans_open_only_when_ingest_logs_at_debug_or_spans_are_exported() {
        assert!(!read_under("info"));
        assert!(!read_under("info,wa_normalize=debug,rdkafka=trace"));
        assert!(read_under("info,wa_ingest=debug"));
        assert!(read_under("trace"));
    }
}

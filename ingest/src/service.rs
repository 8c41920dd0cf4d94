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
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::config::IngestConfig;
use crate::error::IngestError;
use crate::handshake::{self, Handshake};
use crate::log_limit::LogLimit;
use crate::record::{header, RawRecord, RequestContext};
use crate::signature::HEADER as SIGNATURE_HEADER;
use crate::sink::RawSink;

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

    /// Answers one request. Never fails: every outcome is a response.
    pub async fn handle<B>(&self, request: Request<B>) -> Answer
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
        let ctx = RequestContext::new(headers.get(header::TRACEPARENT).map(HeaderValue::as_bytes));
        let span = tracing::info_span!(
            "webhook",
            request_id = %ctx.request_id,
            traceparent = %ctx.traceparent,
            bytes = tracing::field::Empty,
            key = tracing::field::Empty,
        );
        async move {
            let result = self.verify_and_persist(request, &ctx).await;
            match &result {
                Ok(_) => tracing::info!("stored"),
                Err(e @ IngestError::Persist(_)) => tracing::error!(error = %e, "not stored: 503"),
                Err(e) => {
                    if let Some(suppressed) = self.refusals.admit() {
                        tracing::warn!(error = %e, status = e.status(), suppressed, "refused");
                    }
                }
            }
            result.map(|()| {
                self.json(
                    StatusCode::OK,
                    &format!(r#"{{"status":"stored","requestId":"{}"}}"#, ctx.request_id),
                )
            })
        }
        .instrument(span)
        .await
    }

    async fn verify_and_persist<B>(
        &self,
        request: Request<B>,
        ctx: &RequestContext,
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
        let body = crate::body::read(body, limit, timeout, &self.body_budget).await?;
        let (body, _budget) = (body.bytes.clone(), body);
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
            .await
            .map_err(|e| IngestError::Persist(e.to_string()))
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

    fn json(&self, status: StatusCode, body: &str) -> Answer {
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json")
            .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("static response parts are valid")
    }

    /// Every error becomes its response here, and only here.
    fn error_response(&self, error: &IngestError) -> Answer {
        let status = StatusCode::from_u16(error.status()).expect("statuses are valid");
        let body = serde_json::json!({ "error": error.public_reason() }).to_string();
        let mut response = self.json(status, &body);
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

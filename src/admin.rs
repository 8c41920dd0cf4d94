//! The admin listener: `GET /metrics` (Prometheus text), `/healthz` and `/readyz`, apart from
//! the webhook port so scrapes and probes never compete with Meta's requests and the
//! metrics are not exposed where the webhook is. In `run`, one listener for both stages.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use bytes::Bytes;
use clap::Args;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use wa_telemetry::PrometheusReader;

/// Where the admin endpoints listen.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// Address of the admin listener (`/metrics`, `/healthz`, `/readyz`); port 0 picks a
    /// free one (logged).
    #[arg(long, env = "ADMIN_LISTEN", default_value = "127.0.0.1:9464")]
    pub admin_listen: SocketAddr,
}

/// A named readiness check.
pub type Check = (&'static str, Arc<dyn Fn() -> bool + Send + Sync>);

static PROMETHEUS: OnceLock<PrometheusReader> = OnceLock::new();

/// Sets the reader `/metrics` renders (once, at startup).
pub fn set_prometheus(reader: PrometheusReader) {
    let _ = PROMETHEUS.set(reader);
}

/// Binds the listener and serves it in a task for the life of the process.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(args: &AdminArgs, checks: Vec<Check>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(args.admin_listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the admin endpoints: set --admin-listen / ADMIN_LISTEN to a free address (port 0 picks one)",
                args.admin_listen
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(admin = %addr, "admin listening: /metrics, /healthz, /readyz");
    let checks = Arc::new(checks);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let checks = checks.clone();
            let service = service_fn(move |request| {
                let answer = answer(&request, &checks);
                async move { Ok::<_, std::convert::Infallible>(answer) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    Ok(addr)
}

fn answer<B>(request: &Request<B>, checks: &[Check]) -> Response<Full<Bytes>> {
    if request.method() != Method::GET {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        );
    }
    match request.uri().path() {
        "/metrics" => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            PROMETHEUS
                .get()
                .map(PrometheusReader::render)
                .unwrap_or_default(),
        ),
        "/healthz" => reply(
            StatusCode::OK,
            "application/json",
            r#"{"status":"alive"}"#.into(),
        ),
        "/readyz" => {
            let waiting: Vec<&str> = checks
                .iter()
                .filter(|(_, ready)| !ready())
                .map(|(name, _)| *name)
                .collect();
            if waiting.is_empty() {
                reply(
                    StatusCode::OK,
                    "application/json",
                    r#"{"status":"ready"}"#.into(),
                )
            } else {
                let body = serde_json::json!({ "status": "not ready", "waiting": waiting });
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "application/json",
                    body.to_string(),
                )
            }
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

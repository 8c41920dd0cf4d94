//! The HTTP/1.1 server: accept loop, per-connection tasks, graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::service::Ingest;
use crate::sink::RawSink;

/// Serves `ingest` on `listener` until `shutdown` resolves; then stops accepting, lets the
/// requests in flight finish (each gets its 200 or 503) within the shutdown timeout, and
/// flushes the sink.
pub async fn serve<S: RawSink>(
    listener: TcpListener,
    ingest: Arc<Ingest<S>>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(ingest.config().header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    let connections = Arc::new(tokio::sync::Semaphore::new(
        ingest.config().max_connections.max(1),
    ));
    loop {
        // Past the connection cap, new connections wait in the listen backlog.
        let Ok(slot) = connections.clone().acquire_owned().await else {
            break;
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let ingest = ingest.clone();
                let service = service_fn(move |request| {
                    let ingest = ingest.clone();
                    async move { Ok::<_, std::convert::Infallible>(ingest.handle(request).await) }
                });
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let timeout = ingest.config().shutdown_timeout;
    tracing::info!(
        ?timeout,
        "shutting down: no new connections, finishing requests in flight"
    );
    if tokio::time::timeout(timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown timeout");
    }
    let sink_ingest = ingest.clone();
    let _ = tokio::task::spawn_blocking(move || sink_ingest.sink().flush(timeout)).await;
    tracing::info!("ingest stopped");
}

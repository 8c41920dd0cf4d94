//! One shutdown signal for every task of the process.

use tokio::sync::watch;

/// A watch that turns `true` on SIGTERM or SIGINT.
pub fn on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wa_ingest::server::shutdown_signal().await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves when `rx` turns `true`.
pub async fn wait(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

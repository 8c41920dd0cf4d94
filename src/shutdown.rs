//! One shutdown signal for every task of the process.

use tokio::sync::watch;
use wa_normalize::service::Stop;

/// A watch that turns `true` on SIGTERM or SIGINT.
pub fn on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        signal().await;
        let _ = tx.send(true);
    });
    rx
}

/// How normalize is told to stop: `None` while it runs.
pub type StopSignal = watch::Receiver<Option<Stop>>;

/// A stop signal that says [`Stop::Now`] on SIGTERM or SIGINT (normalize alone).
pub fn stop_on_signal() -> StopSignal {
    let (tx, rx) = watch::channel(None);
    let signalled = on_signal();
    tokio::spawn(async move {
        wait(signalled).await;
        let _ = tx.send(Some(Stop::Now));
    });
    rx
}

/// Resolves with how to stop once `rx` says so.
pub async fn stopped(mut rx: StopSignal) -> Stop {
    match rx.wait_for(Option::is_some).await {
        Ok(stop) => stop.clone().unwrap_or(Stop::Now),
        Err(_) => Stop::Now,
    }
}

/// Resolves when `rx` turns `true`.
pub async fn wait(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Resolves on SIGTERM or SIGINT.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

//! `wa-pipeline normalize`: the consumer group that maps raw records to events.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio::sync::mpsc;
use wa_normalize::service::{self, Produced, ServiceConfig, ServiceError};
use wa_normalize::Normalizer;

use crate::kafka::KafkaArgs;

/// Options of the normalize service.
#[derive(Debug, Clone, Args)]
pub struct NormalizeArgs {
    /// Consumer group id; instances with the same id share the raw topic's partitions.
    #[arg(long, env = "GROUP_ID", default_value = "wa-normalize")]
    pub group_id: String,
    /// Raw records whose outputs may await broker acknowledgement at once.
    #[arg(long, env = "NORMALIZE_MAX_IN_FLIGHT", default_value_t = 256)]
    pub normalize_max_in_flight: usize,
    /// Remember this many recent event ids and drop exact repeats (best-effort; 0: off).
    #[arg(long, env = "DEDUP_WINDOW", default_value_t = 0)]
    pub dedup_window: usize,
    /// How often acknowledged raw offsets are committed.
    #[arg(long, env = "COMMIT_INTERVAL", default_value = "1s", value_parser = crate::duration::parse)]
    pub commit_interval: Duration,
    /// Consumer group session timeout: how soon a dead instance's partitions move.
    #[arg(long, env = "SESSION_TIMEOUT", default_value = "10s", value_parser = crate::duration::parse)]
    pub session_timeout: Duration,
}

impl NormalizeArgs {
    /// The service configuration.
    pub fn config(
        &self,
        brokers: &str,
        raw_topic: &str,
        kafka: &KafkaArgs,
        max_record_bytes: usize,
        shutdown_timeout: Duration,
    ) -> ServiceConfig {
        let mut config = ServiceConfig::new(brokers);
        config.group_id = self.group_id.clone();
        config.raw_topic = raw_topic.to_owned();
        config.max_in_flight = self.normalize_max_in_flight.max(1);
        config.dedup_window = self.dedup_window;
        config.max_record_bytes = max_record_bytes;
        config.extra = kafka.kafka_properties.0.clone();
        config.commit_interval = self.commit_interval;
        config.session_timeout = self.session_timeout;
        config.shutdown_timeout = shutdown_timeout;
        config
    }
}

/// Runs the service, restarting it with capped backoff when the brokers refuse an output
/// (it resumes from the last commit, re-emitting the same records), until `shutdown`.
pub async fn run_supervised(
    config: ServiceConfig,
    normalizer: Arc<Normalizer>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    observer: Option<mpsc::UnboundedSender<Produced>>,
) -> Result<(), ServiceError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut stop = shutdown.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        match service::run(
            config.clone(),
            normalizer.clone(),
            stopped,
            observer.clone(),
        )
        .await
        {
            Ok(()) => return Ok(()),
            Err(e @ ServiceError::Setup(_)) => return Err(e),
            Err(e) => {
                if *shutdown.borrow() {
                    return Err(e);
                }
                tracing::error!(error = %e, ?backoff, "normalize failed; restarting from the last commit");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

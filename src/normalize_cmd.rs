//! `wa-pipeline normalize`: the consumer group that maps raw records to events.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use wa_kafka::ClientSettings;
use wa_normalize::service::{self, Assignment, ServiceConfig, ServiceError};
use wa_normalize::Normalizer;
use wa_schemas::contract::DEFAULT_GROUP_ID;

use crate::args::{MappingArgs, StageArgs};

/// `wa-pipeline normalize`: its options.
#[derive(Debug, Args)]
pub struct NormalizeCommand {
    #[command(flatten)]
    pub normalize: NormalizeArgs,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub admin: crate::admin::AdminArgs,
}

/// Options of the normalize service.
#[derive(Debug, Clone, Args)]
pub struct NormalizeArgs {
    /// Consumer group id; instances with the same id share the raw topic's partitions.
    #[arg(long, env = "GROUP_ID", default_value = DEFAULT_GROUP_ID)]
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
    /// Which raw partitions to consume: `group` (the broker spreads them over the group's
    /// members), `all`, or a list such as `0,1,4-7` that instances split among themselves.
    /// Assigned partitions never wait on a group rebalance: on Tansu 0.6.0, which never
    /// evicts a killed member, they are how a restarted instance resumes at once.
    #[arg(long, env = "ASSIGN_PARTITIONS", default_value = "group")]
    pub assign_partitions: Assignment,
    #[command(flatten)]
    pub media: crate::media_args::MediaArgs,
}

impl NormalizeArgs {
    /// The service configuration.
    pub fn config(&self, client: ClientSettings, stage: &StageArgs) -> ServiceConfig {
        let (raw, limits) = (&stage.raw, &stage.limits);
        let mut config = ServiceConfig::new(client);
        config.group_id = self.group_id.clone();
        config.raw_topic = raw.topic_raw.clone();
        config.max_in_flight = self.normalize_max_in_flight.max(1);
        config.dedup_window = self.dedup_window;
        config.max_record_bytes = limits.max_body_bytes;
        config.commit_interval = self.commit_interval;
        config.session_timeout = self.session_timeout;
        config.assignment = self.assign_partitions.clone();
        config.shutdown_timeout = limits.shutdown_timeout;
        config
    }
}

/// Runs normalize alone until SIGTERM/SIGINT.
pub async fn run(command: NormalizeCommand) -> anyhow::Result<()> {
    let stage = &command.stage;
    let brokers = stage.kafka.brokers()?.to_owned();
    let settings = stage.kafka.settings(&brokers)?;
    crate::kafka::KafkaArgs::probe(&settings).await?;
    let outputs = command.mapping.config().topics;
    stage
        .kafka
        .create_topics(
            &settings,
            Some(&stage.raw.topic_raw),
            Some(&outputs),
            &stage.limits,
        )
        .await?;
    let normalizer = Arc::new(Normalizer::new(command.mapping.config()));
    let mut config = command.normalize.config(settings, stage);
    config.media = command
        .normalize
        .media
        .stage(&command.mapping.media_url_template)
        .await?;
    crate::admin::start(&command.admin, vec![readiness(&config)]).await?;
    let stop = crate::shutdown::stop_on_signal();
    run_supervised(config, normalizer, stop, false)
        .await
        .context("normalize stopped with an error")
}

/// Runs the service, restarting it with capped backoff when the brokers refuse an output
/// (it resumes from the last commit, re-emitting the same records), until `stop` says so.
pub async fn run_supervised(
    config: ServiceConfig,
    normalizer: Arc<Normalizer>,
    stop: crate::shutdown::StopSignal,
    print: bool,
) -> Result<(), ServiceError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let stopped = crate::shutdown::stopped(stop.clone());
        match service::run(config.clone(), normalizer.clone(), stopped, print).await {
            Ok(()) => return Ok(()),
            Err(e @ ServiceError::Setup(_)) => return Err(e),
            Err(e) => {
                if stop.borrow().is_some() {
                    return Err(e);
                }
                tracing::error!(error = %e, ?backoff, "normalize failed; restarting from the last commit");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// The service's readiness check: its Kafka clients are up and it consumes.
pub fn readiness(config: &ServiceConfig) -> crate::admin::Check {
    let ready = config.ready.clone();
    (
        "normalize",
        Arc::new(move || ready.load(std::sync::atomic::Ordering::Relaxed)),
    )
}

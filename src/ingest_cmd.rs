//! `wa-pipeline ingest`: the webhook receiver against a Kafka cluster.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use wa_ingest::signature::Secrets;
use wa_ingest::{Ingest, IngestConfig, KafkaSettings, KafkaSink};

use crate::args::{LimitsArgs, StageArgs};

/// `wa-pipeline ingest`: its options.
#[derive(Debug, Args)]
pub struct IngestCommand {
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub admin: crate::admin::AdminArgs,
}

/// Options of the receiver.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The webhook path Meta calls.
    #[arg(long, env = "WEBHOOK_PATH", default_value = wa_schemas::contract::DEFAULT_WEBHOOK_PATH)]
    pub path: String,
    /// Token of Meta's GET verification handshake (the "Verify token" of the App Dashboard).
    #[arg(long, env = "WHATSAPP_VERIFY_TOKEN", hide_env_values = true)]
    pub verify_token: Option<String>,
    /// App secret(s) that sign requests, comma-separated (several apps, or rotation).
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Bound on storing one body, broker acknowledgement included; past it, 503.
    #[arg(long, env = "PRODUCE_TIMEOUT", default_value = "5s", value_parser = crate::duration::parse)]
    pub produce_timeout: Duration,
    /// Requests being stored at once; past it, an immediate 503 with Retry-After.
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,
    /// Bytes of request bodies held at once (being read, verified or stored), across all
    /// requests; past it, 503. Taken as bytes arrive, so a slow client holds only what it sent.
    #[arg(long, env = "MAX_BODY_MEMORY", default_value_t = 256 * 1024 * 1024)]
    pub max_body_memory: usize,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Time a client has to send its request headers.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = crate::duration::parse)]
    pub header_read_timeout: Duration,
    /// Time a client has to send its body.
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub body_read_timeout: Duration,
    /// `Retry-After` seconds sent with 503.
    #[arg(long, env = "RETRY_AFTER_SECS", default_value_t = 5)]
    pub retry_after_secs: u32,
    /// Producer `linger.ms`: batching delay traded for latency.
    #[arg(long, env = "KAFKA_LINGER", default_value = "1ms", value_parser = crate::duration::parse)]
    pub linger: Duration,
}

impl IngestArgs {
    /// The receiver configuration.
    pub fn config(&self, secrets: Secrets, limits: &LimitsArgs) -> IngestConfig {
        let mut config = IngestConfig::new(self.listen, secrets);
        config.path = self.path.clone();
        config.verify_token = self.verify_token.clone().filter(|t| !t.is_empty());
        config.max_body_bytes = limits.max_body_bytes;
        config.produce_timeout = self.produce_timeout;
        config.max_in_flight = self.max_in_flight.max(1);
        config.max_body_memory = self.max_body_memory.max(limits.max_body_bytes);
        config.max_connections = self.max_connections.max(1);
        config.header_read_timeout = self.header_read_timeout;
        config.body_read_timeout = self.body_read_timeout;
        config.shutdown_timeout = limits.shutdown_timeout;
        config.retry_after_secs = self.retry_after_secs;
        config
    }

    /// The configured app secrets.
    ///
    /// # Errors
    /// When none is configured or the list has an empty item.
    pub fn secrets(&self) -> anyhow::Result<Secrets> {
        let text = self.app_secret.as_deref().unwrap_or("");
        Secrets::parse_list(text).context("invalid WHATSAPP_APP_SECRET")
    }

    /// Producer settings.
    pub fn kafka_settings(
        &self,
        client: &wa_kafka::ClientSettings,
        stage: &StageArgs,
    ) -> KafkaSettings {
        KafkaSettings {
            brokers: client.brokers().to_owned(),
            topic: stage.raw.topic_raw.clone(),
            max_body_bytes: stage.limits.max_body_bytes,
            produce_timeout: self.produce_timeout,
            linger: self.linger,
            extra: client.common_properties(),
        }
    }
}

/// Binds the listener and builds the receiver on `brokers`.
pub async fn build(
    args: &IngestArgs,
    secrets: Secrets,
    stage: &StageArgs,
    brokers: &str,
) -> anyhow::Result<(tokio::net::TcpListener, Arc<Ingest<KafkaSink>>)> {
    let client = stage.kafka.settings(brokers)?;
    let sink = KafkaSink::new(&args.kafka_settings(&client, stage))
        .context("cannot create the Kafka producer")?;
    let config = args.config(secrets, &stage.limits);
    let topic = &stage.raw.topic_raw;
    if config.verify_token.is_none() {
        tracing::warn!("no WHATSAPP_VERIFY_TOKEN: Meta's verification handshake will be refused");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        path = %config.path,
        secrets = config.secrets.len(),
        %brokers,
        topic,
        produce_timeout = ?config.produce_timeout,
        max_body_bytes = config.max_body_bytes,
        max_in_flight = config.max_in_flight,
        "ingest listening"
    );
    Ok((listener, Arc::new(Ingest::new(config, sink))))
}

/// Runs the receiver until SIGTERM/SIGINT.
pub async fn run(command: IngestCommand) -> anyhow::Result<()> {
    let secrets = command.ingest.secrets()?;
    let stage = &command.stage;
    let brokers = stage.kafka.brokers()?.to_owned();
    let settings = stage.kafka.settings(&brokers)?;
    crate::kafka::KafkaArgs::probe(&settings).await?;
    stage
        .kafka
        .create_topics(&settings, Some(&stage.raw.topic_raw), None, &stage.limits)
        .await?;
    let (listener, ingest) = build(&command.ingest, secrets, stage, &brokers).await?;
    crate::admin::start(&command.admin, vec![readiness(&ingest)]).await?;
    wa_ingest::server::serve(listener, ingest, crate::shutdown::signal()).await;
    Ok(())
}

/// The receiver's readiness check: its brokers are reachable and the raw topic exists.
pub fn readiness(ingest: &Arc<Ingest<KafkaSink>>) -> crate::admin::Check {
    let ingest = ingest.clone();
    ("ingest", Arc::new(move || ingest.ready()))
}

//! `wa-pipeline ingest`: the webhook receiver against a Kafka cluster.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use wa_ingest::signature::Secrets;
use wa_ingest::{Ingest, IngestConfig, KafkaSettings, KafkaSink};

use crate::kafka::KafkaArgs;

/// Options of the receiver.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The webhook path Meta calls.
    #[arg(long, env = "WEBHOOK_PATH", default_value = "/webhook")]
    pub path: String,
    /// Token of Meta's GET verification handshake (the "Verify token" of the App Dashboard).
    #[arg(long, env = "WHATSAPP_VERIFY_TOKEN", hide_env_values = true)]
    pub verify_token: Option<String>,
    /// App secret(s) that sign requests, comma-separated (several apps, or rotation).
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Largest accepted body in bytes (Meta's batches reach about 3 MB); larger is 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Bound on storing one body, broker acknowledgement included; past it, 503.
    #[arg(long, env = "PRODUCE_TIMEOUT", default_value = "5s", value_parser = crate::duration::parse)]
    pub produce_timeout: Duration,
    /// Requests being stored at once; past it, an immediate 503 with Retry-After.
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,
    /// Time a client has to send its request headers.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = crate::duration::parse)]
    pub header_read_timeout: Duration,
    /// Time a client has to send its body.
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub body_read_timeout: Duration,
    /// Time requests in flight get to finish on SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub shutdown_timeout: Duration,
    /// `Retry-After` seconds sent with 503.
    #[arg(long, env = "RETRY_AFTER_SECS", default_value_t = 5)]
    pub retry_after_secs: u32,
    /// Producer `linger.ms`: batching delay traded for latency.
    #[arg(long, env = "KAFKA_LINGER", default_value = "1ms", value_parser = crate::duration::parse)]
    pub linger: Duration,
    /// The raw topic.
    #[arg(long, env = "TOPIC_RAW", default_value = "whatsapp.raw")]
    pub topic_raw: String,
}

impl IngestArgs {
    /// The receiver configuration.
    ///
    /// # Errors
    /// When no app secret is configured or the list is malformed.
    pub fn config(&self, secrets: Secrets) -> IngestConfig {
        let mut config = IngestConfig::new(self.listen, secrets);
        config.path = self.path.clone();
        config.verify_token = self.verify_token.clone().filter(|t| !t.is_empty());
        config.max_body_bytes = self.max_body_bytes;
        config.produce_timeout = self.produce_timeout;
        config.max_in_flight = self.max_in_flight.max(1);
        config.header_read_timeout = self.header_read_timeout;
        config.body_read_timeout = self.body_read_timeout;
        config.shutdown_timeout = self.shutdown_timeout;
        config.retry_after_secs = self.retry_after_secs;
        config
    }

    /// The configured app secrets.
    pub fn secrets(&self) -> anyhow::Result<Secrets> {
        let text = self.app_secret.as_deref().unwrap_or("");
        Secrets::parse_list(text).context("invalid WHATSAPP_APP_SECRET")
    }

    /// Producer settings for `brokers`.
    pub fn kafka_settings(&self, brokers: &str, kafka: &KafkaArgs) -> KafkaSettings {
        KafkaSettings {
            brokers: brokers.to_owned(),
            topic: self.topic_raw.clone(),
            max_body_bytes: self.max_body_bytes,
            produce_timeout: self.produce_timeout,
            linger: self.linger,
            extra: kafka.kafka_properties.0.clone(),
        }
    }
}

/// Runs the receiver until SIGTERM/SIGINT.
pub async fn run(args: &IngestArgs, kafka: &KafkaArgs) -> anyhow::Result<()> {
    let secrets = args.secrets()?;
    let brokers = kafka.brokers()?;
    if kafka.create_topics {
        crate::kafka::ensure_topics(
            &kafka.client_config(brokers),
            &[(
                &args.topic_raw,
                Some(args.max_body_bytes + wa_ingest::sink::RECORD_OVERHEAD_BYTES),
            )],
            kafka.topic_partitions,
            kafka.topic_replication,
        )
        .await?;
    }
    let sink = KafkaSink::new(&args.kafka_settings(brokers, kafka))
        .context("cannot create the Kafka producer")?;
    let config = args.config(secrets);
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
        topic = %args.topic_raw,
        produce_timeout = ?config.produce_timeout,
        max_body_bytes = config.max_body_bytes,
        max_in_flight = config.max_in_flight,
        "ingest listening"
    );
    let ingest = Arc::new(Ingest::new(config, sink));
    wa_ingest::server::serve(listener, ingest, wa_ingest::server::shutdown_signal()).await;
    Ok(())
}

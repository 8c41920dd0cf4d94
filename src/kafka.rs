//! Kafka options shared by the subcommands that talk to a cluster.

use anyhow::Context as _;
use clap::Args;
use wa_kafka::ClientSettings;
use wa_schemas::contract::{output_record_bytes, raw_record_bytes};
use wa_schemas::Topic;

use crate::args::{LimitsArgs, MappingArgs, RawTopicArgs};

/// Where the brokers are and how to talk to them.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated `host:port`.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Extra librdkafka client properties, comma-separated `key=value` (e.g.
    /// `client.id=wa,socket.keepalive.enable=true`), applied to every client. Properties that
    /// would weaken a delivery guarantee (`acks`, `enable.idempotence`,
    /// `message.timeout.ms`, `enable.auto.commit`, ...) are refused.
    #[arg(long, env = "KAFKA_PROPERTIES", default_value = "", value_parser = parse_properties)]
    pub kafka_properties: Properties,
    /// Create missing topics at startup (partitions and sizes below).
    #[arg(long, env = "CREATE_TOPICS", default_value_t = false)]
    pub create_topics: bool,
    /// Partitions of topics created with `--create-topics`.
    #[arg(long, env = "TOPIC_PARTITIONS", default_value_t = 3)]
    pub topic_partitions: i32,
    /// Replication factor of topics created with `--create-topics`.
    #[arg(long, env = "TOPIC_REPLICATION", default_value_t = 1)]
    pub topic_replication: i32,
}

/// Parsed `--kafka-properties`.
#[derive(Debug, Clone, Default)]
pub struct Properties(pub Vec<(String, String)>);

fn parse_properties(text: &str) -> Result<Properties, String> {
    wa_kafka::guarded::parse(text)
        .map(Properties)
        .map_err(|e| e.to_string())
}

impl KafkaArgs {
    /// The configured brokers, or an error saying how to configure them.
    pub fn brokers(&self) -> anyhow::Result<&str> {
        self.kafka_brokers
            .as_deref()
            .filter(|b| !b.trim().is_empty())
            .context("no Kafka brokers configured: set --kafka-brokers or KAFKA_BROKERS")
    }

    /// The client settings for `brokers`.
    pub fn settings(&self, brokers: &str) -> anyhow::Result<ClientSettings> {
        Ok(ClientSettings::new(
            brokers,
            self.kafka_properties.0.clone(),
        )?)
    }

    /// With `--create-topics`, creates the raw topic and, with `mapping`, the output topics.
    pub async fn create_topics(
        &self,
        settings: &ClientSettings,
        raw: &RawTopicArgs,
        mapping: Option<&MappingArgs>,
        limits: &LimitsArgs,
    ) -> anyhow::Result<()> {
        if !self.create_topics {
            return Ok(());
        }
        let config = mapping.map(MappingArgs::config);
        let output_bytes = output_record_bytes(limits.max_body_bytes);
        let mut topics = vec![(
            raw.topic_raw.as_str(),
            Some(raw_record_bytes(limits.max_body_bytes)),
        )];
        if let Some(config) = &config {
            topics.extend(Topic::ALL.map(|t| (config.topics.name(t), Some(output_bytes))));
        }
        wa_kafka::topics::ensure(
            settings,
            &topics,
            self.topic_partitions,
            self.topic_replication,
        )
        .await?;
        Ok(())
    }
}

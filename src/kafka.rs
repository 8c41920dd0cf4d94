//! Kafka options shared by the subcommands that talk to a cluster.

use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::types::RDKafkaErrorCode;

/// Where the brokers are and how to talk to them.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated `host:port`.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Extra librdkafka client properties, comma-separated `key=value` (e.g.
    /// `security.protocol=plaintext,client.id=wa`), applied to every client.
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
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not key=value"))?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect::<Result<_, _>>()
        .map(Properties)
}

impl KafkaArgs {
    /// The configured brokers, or an error saying how to configure them.
    pub fn brokers(&self) -> anyhow::Result<&str> {
        self.kafka_brokers
            .as_deref()
            .filter(|b| !b.trim().is_empty())
            .context("no Kafka brokers configured: set --kafka-brokers or KAFKA_BROKERS")
    }

    /// A base client configuration with the extra properties.
    pub fn client_config(&self, brokers: &str) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", brokers);
        for (k, v) in &self.kafka_properties.0 {
            config.set(k, v);
        }
        config
    }
}

/// Creates the topics that do not exist yet; `max_message_bytes` sizes the raw topic.
pub async fn ensure_topics(
    config: &ClientConfig,
    topics: &[(&str, Option<usize>)],
    partitions: i32,
    replication: i32,
) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = config
        .create()
        .context("cannot create a Kafka admin client")?;
    let sizes: Vec<Option<String>> = topics
        .iter()
        .map(|(_, s)| s.map(|s| s.to_string()))
        .collect();
    let new_topics: Vec<NewTopic> = topics
        .iter()
        .zip(&sizes)
        .map(|((name, _), size)| {
            let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
            match size {
                Some(size) => topic.set("max.message.bytes", size),
                None => topic,
            }
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .context("cannot create topics")?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions, "created topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => anyhow::bail!("cannot create topic {name}: {code}"),
        }
    }
    Ok(())
}

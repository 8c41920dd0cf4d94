//! Kafka options shared by the subcommands that talk to a cluster.

use anyhow::Context as _;
use clap::Args;
use std::path::PathBuf;

use wa_kafka::{ClientSettings, Mechanism, Oidc, Protocol, Secret, Security};
use wa_schemas::contract::{output_record_bytes, raw_record_bytes};
use wa_schemas::Topic;

use wa_normalize::TopicNames;

use crate::args::LimitsArgs;

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
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// TLS and SASL options of every Kafka client.
#[derive(Debug, Clone, Args)]
pub struct SecurityArgs {
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`. Defaults to `sasl_ssl` when a SASL
    /// mechanism is set, `ssl` when a CA or client certificate is, else librdkafka's
    /// `plaintext`.
    #[arg(long, env = "KAFKA_SECURITY_PROTOCOL", value_parser = parse_protocol)]
    pub kafka_security_protocol: Option<Protocol>,
    /// `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER` (OIDC client credentials).
    #[arg(long, env = "KAFKA_SASL_MECHANISM", value_parser = parse_mechanism)]
    pub kafka_sasl_mechanism: Option<Mechanism>,
    /// SASL user name (PLAIN, SCRAM).
    #[arg(long, env = "KAFKA_SASL_USERNAME")]
    pub kafka_sasl_username: Option<String>,
    /// SASL password (PLAIN, SCRAM).
    #[arg(long, env = "KAFKA_SASL_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub kafka_sasl_password: Option<Secret>,
    /// File holding the SASL password (as container platforms mount secrets).
    #[arg(
        long,
        env = "KAFKA_SASL_PASSWORD_FILE",
        conflicts_with = "kafka_sasl_password"
    )]
    pub kafka_sasl_password_file: Option<PathBuf>,
    /// OAUTHBEARER: the OIDC token endpoint URL.
    #[arg(long, env = "KAFKA_OIDC_TOKEN_ENDPOINT")]
    pub kafka_oidc_token_endpoint: Option<String>,
    /// OAUTHBEARER: the OIDC client id.
    #[arg(long, env = "KAFKA_OIDC_CLIENT_ID")]
    pub kafka_oidc_client_id: Option<String>,
    /// OAUTHBEARER: the OIDC client secret.
    #[arg(long, env = "KAFKA_OIDC_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub kafka_oidc_client_secret: Option<Secret>,
    /// File holding the OIDC client secret.
    #[arg(
        long,
        env = "KAFKA_OIDC_CLIENT_SECRET_FILE",
        conflicts_with = "kafka_oidc_client_secret"
    )]
    pub kafka_oidc_client_secret_file: Option<PathBuf>,
    /// OAUTHBEARER: the scope to ask for, when the provider wants one.
    #[arg(long, env = "KAFKA_OIDC_SCOPE")]
    pub kafka_oidc_scope: Option<String>,
    /// CA certificates (PEM) to trust for the brokers; the system's when absent.
    #[arg(long, env = "KAFKA_SSL_CA_FILE")]
    pub kafka_ssl_ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, env = "KAFKA_SSL_CERT_FILE")]
    pub kafka_ssl_cert_file: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS.
    #[arg(long, env = "KAFKA_SSL_KEY_FILE")]
    pub kafka_ssl_key_file: Option<PathBuf>,
    /// Password of an encrypted client key.
    #[arg(long, env = "KAFKA_SSL_KEY_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub kafka_ssl_key_password: Option<Secret>,
    /// File holding the client key's password.
    #[arg(
        long,
        env = "KAFKA_SSL_KEY_PASSWORD_FILE",
        conflicts_with = "kafka_ssl_key_password"
    )]
    pub kafka_ssl_key_password_file: Option<PathBuf>,
    /// Whether the broker's certificate must name the host connected to (`false` only for
    /// brokers reached by an address their certificate does not name).
    #[arg(long, env = "KAFKA_SSL_VERIFY_HOSTNAME", default_value_t = true, action = clap::ArgAction::Set)]
    pub kafka_ssl_verify_hostname: bool,
}

/// A secret flag's value parser: the value is never printed (`Debug` shows `[redacted]`).
pub(crate) fn secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

fn parse_protocol(text: &str) -> Result<Protocol, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "plaintext" => Ok(Protocol::Plaintext),
        "ssl" => Ok(Protocol::Ssl),
        "sasl_plaintext" => Ok(Protocol::SaslPlaintext),
        "sasl_ssl" => Ok(Protocol::SaslSsl),
        other => Err(format!(
            "{other:?} is not plaintext, ssl, sasl_plaintext or sasl_ssl"
        )),
    }
}

fn parse_mechanism(text: &str) -> Result<Mechanism, String> {
    match text.trim().to_ascii_uppercase().as_str() {
        "PLAIN" => Ok(Mechanism::Plain),
        "SCRAM-SHA-256" => Ok(Mechanism::ScramSha256),
        "SCRAM-SHA-512" => Ok(Mechanism::ScramSha512),
        "OAUTHBEARER" => Ok(Mechanism::OAuthBearer),
        other => Err(format!(
            "{other:?} is not PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"
        )),
    }
}

/// A secret given inline or in a file (a trailing newline is not part of it).
pub(crate) fn secret_from(
    inline: &Option<Secret>,
    file: &Option<PathBuf>,
) -> anyhow::Result<Option<Secret>> {
    match (inline, file) {
        (Some(secret), _) => Ok(Some(secret.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?;
            Ok(Some(Secret::new(text.trim_end_matches(['\n', '\r']))))
        }
        (None, None) => Ok(None),
    }
}

impl SecurityArgs {
    /// The security settings these options describe.
    pub fn security(&self) -> anyhow::Result<Security> {
        let oidc_secret = secret_from(
            &self.kafka_oidc_client_secret,
            &self.kafka_oidc_client_secret_file,
        )?;
        let oidc = match (&self.kafka_oidc_token_endpoint, &self.kafka_oidc_client_id, oidc_secret) {
            (Some(endpoint), Some(id), Some(client_secret)) => Some(Oidc {
                token_endpoint: endpoint.clone(),
                client_id: id.clone(),
                client_secret,
                scope: self.kafka_oidc_scope.clone(),
            }),
            (None, None, None) => None,
            _ => anyhow::bail!(
                "OIDC needs KAFKA_OIDC_TOKEN_ENDPOINT, KAFKA_OIDC_CLIENT_ID and KAFKA_OIDC_CLIENT_SECRET together"
            ),
        };
        Ok(Security {
            protocol: self.kafka_security_protocol,
            mechanism: self.kafka_sasl_mechanism,
            username: self.kafka_sasl_username.clone(),
            password: secret_from(&self.kafka_sasl_password, &self.kafka_sasl_password_file)?,
            oidc,
            ca_file: self.kafka_ssl_ca_file.clone(),
            cert_file: self.kafka_ssl_cert_file.clone(),
            key_file: self.kafka_ssl_key_file.clone(),
            key_password: secret_from(
                &self.kafka_ssl_key_password,
                &self.kafka_ssl_key_password_file,
            )?,
            verify_hostname: self.kafka_ssl_verify_hostname,
        })
    }
}

/// Parsed `--kafka-properties`; secret values are never printed.
#[derive(Clone, Default)]
pub struct Properties(pub Vec<(String, String)>);

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(k, v)| {
                let v = if wa_kafka::client::is_sensitive(k) {
                    "[redacted]"
                } else {
                    v
                };
                (k.as_str(), v)
            })
            .collect();
        shown.fmt(f)
    }
}

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
        let security = self.security.security()?;
        Ok(
            ClientSettings::new(brokers, self.kafka_properties.0.clone())?
                .with_security(security)?,
        )
    }

    /// Checks the connection at startup: a configuration mistake (credentials, CA, protocol)
    /// stops with one line saying what to change; unreachable brokers only warn, since they
    /// may come up later (readiness reports them).
    pub async fn probe(settings: &ClientSettings) -> anyhow::Result<()> {
        let settings = settings.clone();
        let probed = tokio::task::spawn_blocking(move || {
            wa_kafka::probe::probe(&settings, std::time::Duration::from_secs(10))
        })
        .await
        .context("the Kafka probe failed")?;
        match probed {
            Ok(()) => Ok(()),
            Err(e) if e.is_configuration() => Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "Kafka not reachable yet; continuing");
                Ok(())
            }
        }
    }

    /// With `--create-topics`, creates the raw topic (when named) and the output topics
    /// (when given).
    pub async fn create_topics(
        &self,
        settings: &ClientSettings,
        raw: Option<&str>,
        outputs: Option<&TopicNames>,
        limits: &LimitsArgs,
    ) -> anyhow::Result<()> {
        if !self.create_topics {
            return Ok(());
        }
        let output_bytes = output_record_bytes(limits.max_body_bytes);
        let raw_bytes = raw_record_bytes(limits.max_body_bytes);
        let mut topics: Vec<(&str, Option<usize>)> = raw
            .map(|name| (name, Some(raw_bytes)))
            .into_iter()
            .collect();
        if let Some(outputs) = outputs {
            topics.extend(Topic::ALL.map(|t| (outputs.name(t), Some(output_bytes))));
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

//! The one builder of every librdkafka client configuration in the pipeline.
//!
//! Each client starts from the brokers, then its [`Role`]'s settings (a comment on each key
//! says why it is set), then the user's extra properties, which [`crate::guarded`] has
//! already cleared of anything that would weaken a guarantee. TLS and SASL options join
//! here.

use std::time::Duration;

use rdkafka::config::ClientConfig;

use crate::guarded::{self, ConfigError};
use crate::security::{Security, SecurityError};

/// How to reach the cluster: the brokers, TLS and SASL, and the user's extra properties.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSettings {
    brokers: String,
    security: Security,
    properties: Vec<(String, String)>,
    fetch_wait: Duration,
}

/// Property values that are secrets are never printed.
impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: Vec<(&str, &str)> = self
            .properties
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_sensitive(k) {
                        "[redacted]"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("ClientSettings")
            .field("brokers", &self.brokers)
            .field("security", &self.security)
            .field("properties", &properties)
            .field("fetch_wait", &self.fetch_wait)
            .finish()
    }
}

/// Whether a librdkafka property holds a secret.
pub fn is_sensitive(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "sasl.jaas",
        "ssl.key.pem",
        "ssl_key",
        "token",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// What a client is for; decides the settings its guarantees rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role<'a> {
    /// ingest's producer of raw records: a 200 only after every in-sync replica has the
    /// body, and an answer within `delivery_timeout` either way.
    RawProducer {
        /// The delivery bound (`--produce-timeout`).
        delivery_timeout: Duration,
        /// Largest record, headers included.
        max_record_bytes: usize,
        /// Batching delay.
        linger: Duration,
    },
    /// normalize's producer of output records: retries without limit, so an outage delays
    /// output and never drops it.
    OutputProducer {
        /// Largest output record.
        max_record_bytes: usize,
    },
    /// normalize's consumer group on the raw topic: commits only offsets it stored itself.
    GroupConsumer {
        /// The group id.
        group_id: &'a str,
        /// How often stored offsets are committed.
        commit_interval: Duration,
        /// How soon a dead member's partitions move.
        session_timeout: Duration,
        /// Largest raw record: a fetch must hold one.
        max_record_bytes: usize,
    },
    /// A reader of a range of a topic (replay, redrive, diff): joins no group, commits
    /// nothing, so the normalize group's offsets never move.
    Reader {
        /// Largest record: a fetch must hold one.
        max_record_bytes: usize,
    },
    /// The admin client that creates topics; and read-only metadata probes.
    Admin,
}

impl ClientSettings {
    /// Settings for `brokers` with extra `properties`.
    ///
    /// # Errors
    /// [`ConfigError::Guarded`] when a property would weaken a delivery guarantee.
    pub fn new(
        brokers: impl Into<String>,
        properties: Vec<(String, String)>,
    ) -> Result<Self, ConfigError> {
        guarded::check(&properties)?;
        Ok(ClientSettings {
            brokers: brokers.into(),
            security: Security::default(),
            properties,
            fetch_wait: FETCH_WAIT,
        })
    }

    /// These settings with consumers waiting at most `wait` for records per fetch (a
    /// `fetch.wait.max.ms` in `KAFKA_PROPERTIES` still wins). See [`FETCH_WAIT`].
    #[must_use]
    pub fn with_fetch_wait(mut self, wait: Duration) -> Self {
        self.fetch_wait = wait;
        self
    }

    /// These settings with TLS and SASL options.
    ///
    /// # Errors
    /// [`SecurityError`] when the options contradict each other or a file is missing.
    pub fn with_security(mut self, security: Security) -> Result<Self, SecurityError> {
        security.apply(&mut ClientConfig::new())?;
        self.security = security;
        Ok(self)
    }

    /// The librdkafka properties every client gets besides its role's: TLS and SASL, then
    /// the user's extras (for clients configured elsewhere, such as ingest's sink).
    pub fn common_properties(&self) -> Vec<(String, String)> {
        let mut out = self.security.properties().unwrap_or_default();
        out.extend(self.properties.iter().cloned());
        out
    }

    /// The bootstrap brokers.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// The configuration of a client in `role`.
    pub fn config(&self, role: Role<'_>) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        // Checked by `with_security`.
        let _ = self.security.apply(&mut config);
        match role {
            Role::RawProducer {
                delivery_timeout,
                max_record_bytes,
                linger,
            } => raw_producer(&mut config, delivery_timeout, max_record_bytes, linger),
            Role::OutputProducer { max_record_bytes } => {
                durable_producer(&mut config, max_record_bytes);
                // Retry broker errors without limit: an outage delays output, never drops it.
                config.set("message.timeout.ms", "0").set("linger.ms", "5");
            }
            Role::GroupConsumer {
                group_id,
                commit_interval,
                session_timeout,
                max_record_bytes,
            } => group_consumer(
                &mut config,
                group_id,
                commit_interval,
                session_timeout,
                max_record_bytes,
                self.fetch_wait,
            ),
            Role::Reader { max_record_bytes } => reader(&mut config, max_record_bytes),
            Role::Admin => {}
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}

/// Idempotence (which implies acks=all, ordered and duplicate-free retries) and the record
/// size: Meta's batches reach ~3 MB while librdkafka's default limit is ~1 MB.
fn durable_producer(config: &mut ClientConfig, max_record_bytes: usize) {
    config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.max.bytes", max_record_bytes.to_string());
}

fn raw_producer(
    config: &mut ClientConfig,
    delivery_timeout: Duration,
    max_record_bytes: usize,
    linger: Duration,
) {
    durable_producer(config, max_record_bytes);
    let timeout_ms = delivery_timeout.as_millis().max(1).to_string();
    config
        // The delivery bound: the future resolves with an error past it. The send timeout
        // only bounds the wait for queue space (a broker outage hung a receiver that relied
        // on it for 302 s).
        .set("message.timeout.ms", &timeout_ms)
        .set("request.timeout.ms", &timeout_ms)
        .set("linger.ms", linger.as_millis().to_string())
        // A dead broker shows quickly in /readyz and logs.
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("reconnect.backoff.max.ms", "1000");
}

fn fetch_sizes(config: &mut ClientConfig, max_record_bytes: usize) {
    let partition_fetch = max_record_bytes + 1024 * 1024;
    let fetch = partition_fetch.max(50 * 1024 * 1024);
    // Meta's ~3 MB batches must fit a fetch.
    config
        .set("max.partition.fetch.bytes", partition_fetch.to_string())
        .set("fetch.max.bytes", fetch.to_string())
        .set(
            "receive.message.max.bytes",
            (fetch + 1024 * 1024).to_string(),
        );
}

fn reader(config: &mut ClientConfig, max_record_bytes: usize) {
    fetch_sizes(config, max_record_bytes);
    config
        // librdkafka wants a group id even for assigned partitions; nothing is committed.
        .set("group.id", "wa-pipeline-reader")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true");
}

fn group_consumer(
    config: &mut ClientConfig,
    group_id: &str,
    commit_interval: Duration,
    session_timeout: Duration,
    max_record_bytes: usize,
    fetch_wait: Duration,
) {
    fetch_sizes(config, max_record_bytes);
    config
        .set("group.id", group_id)
        // Commit only offsets stored after all outputs were acknowledged.
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set(
            "auto.commit.interval.ms",
            commit_interval.as_millis().to_string(),
        )
        // A new group starts at the beginning: nothing already answered 200 is skipped.
        .set("auto.offset.reset", "earliest")
        .set(
            "session.timeout.ms",
            session_timeout.as_millis().to_string(),
        )
        .set(
            "heartbeat.interval.ms",
            (session_timeout.as_millis() / 3).max(100).to_string(),
        )
        // Per-partition consumer lag for the metrics, every 5 s.
        .set("statistics.interval.ms", "5000")
        // See FETCH_WAIT.
        .set(
            "fetch.wait.max.ms",
            fetch_wait.as_millis().max(1).to_string(),
        );
}

/// How long a consumer's fetch may wait for records. Tansu 0.6.0 sleeps out the whole
/// remaining wait after every fetch under 250 ms, even one that found records, so each fetch
/// takes this long and a record waits up to twice this before normalize sees it.
/// librdkafka's 500 ms default put 250 ms or more on every record (p50 395 ms at
/// 500 req/s, measured). On Kafka it only bounds how long an empty fetch waits: 40 idle
/// fetches a second per broker. Tunable through `KAFKA_PROPERTIES`.
pub const FETCH_WAIT: Duration = Duration::from_millis(25);

#[cfg(test)]
mod tests {
    use super::*;

    fn get(config: &ClientConfig, key: &str) -> Option<String> {
        config.get(key).map(str::to_owned)
    }

    #[test]
    fn every_role_keeps_its_guarantees_and_takes_harmless_extras() {
        let extra = vec![
            ("client.id".into(), "wa".into()),
            ("linger.ms".into(), "9".into()),
        ];
        let settings = ClientSettings::new("b:9092", extra).unwrap();
        let raw = settings.config(Role::RawProducer {
            delivery_timeout: Duration::from_secs(5),
            max_record_bytes: 100,
            linger: Duration::from_millis(1),
        });
        assert_eq!(get(&raw, "acks").as_deref(), Some("all"));
        assert_eq!(get(&raw, "enable.idempotence").as_deref(), Some("true"));
        assert_eq!(get(&raw, "message.timeout.ms").as_deref(), Some("5000"));
        assert_eq!(get(&raw, "message.max.bytes").as_deref(), Some("100"));
        assert_eq!(
            get(&raw, "linger.ms").as_deref(),
            Some("9"),
            "extras tune what is not guarded"
        );
        assert_eq!(get(&raw, "client.id").as_deref(), Some("wa"));
        let out = settings.config(Role::OutputProducer {
            max_record_bytes: 7,
        });
        assert_eq!(get(&out, "message.timeout.ms").as_deref(), Some("0"));
        let consumer = settings.config(Role::GroupConsumer {
            group_id: "g",
            commit_interval: Duration::from_secs(1),
            session_timeout: Duration::from_secs(10),
            max_record_bytes: 4 << 20,
        });
        assert_eq!(
            get(&consumer, "enable.auto.offset.store").as_deref(),
            Some("false")
        );
        assert_eq!(
            get(&consumer, "auto.offset.reset").as_deref(),
            Some("earliest")
        );
        assert_eq!(
            get(&consumer, "heartbeat.interval.ms").as_deref(),
            Some("3333")
        );
        assert_eq!(get(&consumer, "fetch.wait.max.ms").as_deref(), Some("25"));
        let quick = settings
            .clone()
            .with_fetch_wait(Duration::from_millis(5))
            .config(Role::GroupConsumer {
                group_id: "g",
                commit_interval: Duration::from_secs(1),
                session_timeout: Duration::from_secs(10),
                max_record_bytes: 4 << 20,
            });
        assert_eq!(get(&quick, "fetch.wait.max.ms").as_deref(), Some("5"));
        let admin = settings.config(Role::Admin);
        assert_eq!(get(&admin, "bootstrap.servers").as_deref(), Some("b:9092"));
        assert_eq!(get(&admin, "acks"), None);
    }

    #[test]
    fn guarded_extras_are_refused() {
        let e = ClientSettings::new("b", vec![("acks".into(), "1".into())]).unwrap_err();
        assert!(e.to_string().contains("`acks`"));
    }
}

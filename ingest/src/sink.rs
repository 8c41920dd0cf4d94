//! Where verified bodies go: the raw topic.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use wa_kafka::{ClientSettings, ConfigError, Role};
use wa_schemas::contract::raw_record_bytes;

use crate::record::RawRecord;

/// Why a body could not be persisted.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The broker did not acknowledge in time.
    #[error("no acknowledgement from the broker within {0:?}")]
    Timeout(Duration),
    /// The broker or the client refused the record.
    #[error("the record was refused: {0}")]
    Kafka(#[from] KafkaError),
}

/// Persists raw records. `persist` resolves only once the record is durably stored.
pub trait RawSink: Send + Sync + 'static {
    /// Stores one record; `Ok` only after the broker acknowledged it.
    fn persist(&self, record: RawRecord) -> impl Future<Output = Result<(), PersistError>> + Send;
    /// Whether the sink can currently reach its brokers.
    fn ready(&self) -> bool;
    /// Delivers what is queued, within `timeout` (on shutdown).
    fn flush(&self, timeout: Duration);
    /// The topic records go to (for spans and metrics).
    fn topic(&self) -> &str;
}

/// Kafka connection settings of the producer.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// The raw topic.
    pub topic: String,
    /// Largest body; the producer's message size limit is set above it.
    pub max_body_bytes: usize,
    /// Delivery bound (`message.timeout.ms`).
    pub produce_timeout: Duration,
    /// `linger.ms`.
    pub linger: Duration,
    /// Extra librdkafka properties (`security.protocol`, ...), applied last; those that
    /// would weaken the guarantee are refused.
    pub extra: Vec<(String, String)>,
}

impl KafkaSettings {
    /// The producer configuration: durable, bounded, sized for the body limit.
    ///
    /// # Errors
    /// When an extra property would weaken the delivery guarantee.
    pub fn producer_config(&self) -> Result<ClientConfig, ConfigError> {
        let client = ClientSettings::new(self.brokers.clone(), self.extra.clone())?;
        Ok(client.config(Role::RawProducer {
            delivery_timeout: self.produce_timeout,
            max_record_bytes: raw_record_bytes(self.max_body_bytes),
            linger: self.linger,
        }))
    }
}

/// Why the sink could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// An extra property was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// librdkafka refused the configuration.
    #[error("cannot create the Kafka producer: {0}")]
    Kafka(#[from] KafkaError),
}

/// The Kafka sink: one producer shared by every request.
///
/// After a delivery fails (an outage), the producer is replaced by a new one, at most once
/// per [`REPLACE_INTERVAL`]. A timed-out idempotent producer otherwise bumps its epoch when
/// the broker returns, which Tansu 0.6.0 cannot handle (it panics and refuses every request
/// until restarted); a new producer registers afresh. On Kafka it costs one reconnect.
pub struct KafkaSink {
    settings: KafkaSettings,
    producer: Arc<ArcSwap<FutureProducer>>,
    replaced_at: Mutex<Instant>,
    ready: Arc<AtomicBool>,
    /// The metric attributes of every record (built once: a label per record allocates).
    destination: [opentelemetry::KeyValue; 1],
}

/// Shortest time between two producer replacements.
pub const REPLACE_INTERVAL: Duration = Duration::from_secs(1);

impl KafkaSink {
    /// Creates the producer (no network I/O yet) and a task that keeps `ready` current.
    ///
    /// # Errors
    /// When librdkafka refuses the configuration.
    pub fn new(settings: &KafkaSettings) -> Result<Self, SinkError> {
        let config = settings.producer_config()?;
        let producer: FutureProducer = config.create()?;
        let producer = Arc::new(ArcSwap::from_pointee(producer));
        let ready = Arc::new(AtomicBool::new(false));
        spawn_readiness_probe(
            Arc::downgrade(&producer),
            settings.topic.clone(),
            ready.clone(),
        );
        Ok(KafkaSink {
            settings: settings.clone(),
            producer,
            replaced_at: Mutex::new(Instant::now()),
            ready,
            destination: wa_telemetry::instruments::destination(&settings.topic),
        })
    }

    /// Replaces `failed` by a new producer, unless it was replaced already or recently.
    fn replace(&self, failed: &Arc<FutureProducer>) {
        let mut replaced_at = self.replaced_at.lock().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&self.producer.load(), failed) || replaced_at.elapsed() < REPLACE_INTERVAL {
            return;
        }
        let config = match self.settings.producer_config() {
            Ok(config) => config,
            Err(e) => return tracing::error!(error = %e, "cannot configure a new Kafka producer"),
        };
        match config.create::<FutureProducer>() {
            Ok(producer) => {
                self.producer.store(Arc::new(producer));
                *replaced_at = Instant::now();
                tracing::warn!("delivery failed: replaced the Kafka producer");
            }
            Err(e) => tracing::error!(error = %e, "cannot create a new Kafka producer"),
        }
    }
}

/// Asks the brokers for the raw topic's metadata every second, off the runtime's workers
/// (the call blocks), until the sink is dropped.
fn spawn_readiness_probe(
    producer: std::sync::Weak<ArcSwap<FutureProducer>>,
    topic: String,
    ready: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        loop {
            let Some(current) = producer.upgrade() else {
                return;
            };
            let probe = current.load_full();
            drop(current);
            let probe_topic = topic.clone();
            let ok = tokio::task::spawn_blocking(move || {
                probe
                    .client()
                    .fetch_metadata(Some(&probe_topic), Duration::from_secs(2))
                    .map(|m| {
                        m.topics()
                            .iter()
                            .any(|t| t.name() == probe_topic && t.error().is_none())
                    })
                    .unwrap_or(false)
            })
            .await
            .unwrap_or(false);
            if ready.swap(ok, Ordering::Relaxed) != ok {
                if ok {
                    tracing::info!(%topic, "brokers reachable, raw topic present");
                } else {
                    tracing::warn!(%topic, "brokers unreachable or raw topic missing");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

impl RawSink for KafkaSink {
    async fn persist(&self, record: RawRecord) -> Result<(), PersistError> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in record.headers.iter() {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
        let producer = self.producer.load_full();
        let mut kafka_record = FutureRecord::to(&self.settings.topic)
            .payload(&record.body[..])
            .headers(headers);
        if let Some(key) = &record.key {
            kafka_record = kafka_record.key(key);
        }
        // message.timeout.ms bounds the delivery; the outer timeout is a second guard so a
        // request can never hang past the bound.
        let timeout = self.settings.produce_timeout;
        let bound = timeout + Duration::from_millis(500);
        let started = Instant::now();
        let send = producer.send(kafka_record, Timeout::After(timeout));
        let result = match tokio::time::timeout(bound, send).await {
            Ok(Ok(delivery)) => {
                let span = tracing::Span::current();
                span.record("messaging.destination.partition.id", delivery.partition);
                span.record("messaging.kafka.offset", delivery.offset);
                let metrics = wa_telemetry::metrics();
                metrics.sent.add(1, &self.destination);
                metrics
                    .produce_duration
                    .record(started.elapsed().as_secs_f64(), &self.destination);
                return Ok(());
            }
            Ok(Err((e, _))) => Err(PersistError::Kafka(e)),
            Err(_) => Err(PersistError::Timeout(bound)),
        };
        self.replace(&producer);
        result
    }

    fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    fn topic(&self) -> &str {
        &self.settings.topic
    }

    fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.load().flush(timeout) {
            tracing::warn!(error = %e, "producer flush incomplete at shutdown");
        }
    }
}

//! The normalize service: a consumer group on the raw topic producing the mapped records.
//!
//! At-least-once: for each raw record, every output record (events and dead letters alike)
//! is produced, and the raw offset is stored for commit only once all of them have been
//! acknowledged by the brokers. Offsets are committed periodically (auto-commit of stored
//! offsets only), on rebalance and on shutdown. A crash between produce and commit re-emits
//! the same records with the same ids; consumers drop them by `event-id`.
//!
//! Order: one partition's raw records are mapped and handed to the idempotent producer in
//! offset order, and several stay in flight, so per-key order holds without a round trip per
//! record. Broker errors are retried by the producer without limit (`message.timeout.ms=0`)
//! rather than turned into dead letters; a record the brokers refuse for good stops the
//! service with an error, without committing, so a supervisor restarts it where it was.

pub mod dedup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use tokio::sync::mpsc;
use tracing::Instrument as _;
use wa_schemas::trace::TraceParent;

use crate::{Batch, Normalizer, RawMeta};
use dedup::DedupWindow;

/// Configuration of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Consumer group id.
    pub group_id: String,
    /// The raw topic.
    pub raw_topic: String,
    /// Raw records whose outputs may await acknowledgement at once.
    pub max_in_flight: usize,
    /// Capacity of the dedup window (0: off).
    pub dedup_window: usize,
    /// Largest raw record; fetch and produce sizes are set from it.
    pub max_record_bytes: usize,
    /// Extra librdkafka properties for both clients, applied last.
    pub extra: Vec<(String, String)>,
    /// How often stored offsets are committed.
    pub commit_interval: Duration,
    /// Consumer group session timeout: how soon a dead member's partitions move.
    pub session_timeout: Duration,
    /// Time the shutdown gets to drain acknowledgements and commit.
    pub shutdown_timeout: Duration,
}

impl ServiceConfig {
    /// A configuration with the documented defaults.
    pub fn new(brokers: impl Into<String>) -> Self {
        ServiceConfig {
            brokers: brokers.into(),
            group_id: "wa-normalize".into(),
            raw_topic: wa_schemas::topic::DEFAULT_RAW_TOPIC.into(),
            max_in_flight: 256,
            dedup_window: 0,
            max_record_bytes: 4 * 1024 * 1024,
            extra: Vec::new(),
            commit_interval: Duration::from_secs(1),
            session_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
        }
    }

    /// Outputs can be larger than their raw record: a dead letter carries a body that is not
    /// JSON in base64 (4/3 of it) inside JSON.
    fn max_output_bytes(&self) -> usize {
        self.max_record_bytes * 2 + 1024 * 1024
    }

    fn consumer_config(&self) -> ClientConfig {
        let fetch = (self.max_record_bytes + 1024 * 1024).max(50 * 1024 * 1024);
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group_id)
            // Commit only offsets stored after all outputs were acknowledged.
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set(
                "auto.commit.interval.ms",
                self.commit_interval.as_millis().to_string(),
            )
            .set("auto.offset.reset", "earliest")
            .set(
                "session.timeout.ms",
                self.session_timeout.as_millis().to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (self.session_timeout.as_millis() / 3).max(100).to_string(),
            )
            // Meta's ~3 MB batches must fit a fetch.
            .set(
                "max.partition.fetch.bytes",
                (self.max_record_bytes + 1024 * 1024).to_string(),
            )
            .set("fetch.max.bytes", fetch.to_string())
            .set(
                "receive.message.max.bytes",
                (fetch + 1024 * 1024).to_string(),
            );
        for (k, v) in &self.extra {
            c.set(k, v);
        }
        c
    }

    fn producer_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // Retry broker errors without limit: an outage delays output, never drops it.
            .set("message.timeout.ms", "0")
            .set("message.max.bytes", self.max_output_bytes().to_string())
            .set("linger.ms", "5");
        for (k, v) in &self.extra {
            c.set(k, v);
        }
        c
    }
}

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A client could not be created or subscribed.
    #[error("cannot set up the Kafka clients: {0}")]
    Setup(#[source] KafkaError),
    /// The brokers refused an output record for good; nothing was committed past it.
    #[error("an output record of raw {topic}/{partition}@{offset} was refused: {source}")]
    Refused {
        /// Raw topic.
        topic: String,
        /// Raw partition.
        partition: i32,
        /// Raw offset.
        offset: i64,
        /// The error.
        #[source]
        source: KafkaError,
    },
}

/// Logs the partitions this instance gains and loses: the first thing to look at when
/// instances scale out or die.
pub struct RebalanceLog;

impl rdkafka::ClientContext for RebalanceLog {}

impl rdkafka::consumer::ConsumerContext for RebalanceLog {
    fn post_rebalance(
        &self,
        _: &rdkafka::consumer::BaseConsumer<Self>,
        rebalance: &rdkafka::consumer::Rebalance<'_>,
    ) {
        use rdkafka::consumer::Rebalance;
        let list = |tpl: &rdkafka::TopicPartitionList| {
            tpl.elements()
                .iter()
                .map(|e| format!("{}/{}", e.topic(), e.partition()))
                .collect::<Vec<_>>()
                .join(",")
        };
        match rebalance {
            Rebalance::Assign(tpl) => {
                tracing::info!(partitions = %list(tpl), "partitions assigned")
            }
            Rebalance::Revoke(tpl) => tracing::info!(partitions = %list(tpl), "partitions revoked"),
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }
}

type GroupConsumer = StreamConsumer<RebalanceLog>;

/// One output record, as `--print` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    /// Topic name.
    pub topic: String,
    /// Key.
    pub key: Option<String>,
    /// JSON value.
    pub value: Vec<u8>,
}

/// The outputs of one raw record, awaiting acknowledgement.
struct Pending {
    partition: i32,
    offset: i64,
    deliveries: Vec<DeliveryFuture>,
    produced: Vec<Produced>,
}

/// Runs the service until `shutdown` resolves or an output is refused for good. Every
/// acknowledged output is also sent to `observer` when given.
///
/// # Errors
/// [`ServiceError`]; the committed offsets are then at or before the failure.
pub async fn run(
    config: ServiceConfig,
    normalizer: Arc<Normalizer>,
    shutdown: impl Future<Output = ()>,
    observer: Option<mpsc::UnboundedSender<Produced>>,
) -> Result<(), ServiceError> {
    let consumer: Arc<GroupConsumer> = Arc::new(
        config
            .consumer_config()
            .create_with_context(RebalanceLog)
            .map_err(ServiceError::Setup)?,
    );
    consumer
        .subscribe(&[&config.raw_topic])
        .map_err(ServiceError::Setup)?;
    let producer: FutureProducer = config
        .producer_config()
        .create()
        .map_err(ServiceError::Setup)?;
    tracing::info!(
        brokers = %config.brokers,
        group = %config.group_id,
        topic = %config.raw_topic,
        max_in_flight = config.max_in_flight,
        dedup_window = config.dedup_window,
        session_timeout = ?config.session_timeout,
        "normalize consuming"
    );

    let keep_copies = observer.is_some();
    let (to_acker, from_loop) = mpsc::channel::<Pending>(config.max_in_flight.max(1));
    let acker = tokio::spawn(acknowledge(
        from_loop,
        consumer.clone(),
        config.raw_topic.clone(),
        observer,
    ));
    let mut window = DedupWindow::new(config.dedup_window);
    let mut batch = Batch::new();
    let mut last_error_log = std::time::Instant::now() - Duration::from_secs(60);
    tokio::pin!(shutdown);
    let loop_result = loop {
        let message = tokio::select! {
            biased;
            () = &mut shutdown => break Ok(()),
            message = consumer.recv() => message,
        };
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                // Transport errors are reports: librdkafka reconnects by itself. They queue
                // up during an outage, so they are drained quickly (a long sleep per error
                // would leave the consumer far behind once the brokers are back), logged at
                // most once per second, and only a short pause guards against a hot loop.
                if last_error_log.elapsed() >= Duration::from_secs(1) {
                    tracing::warn!(error = %e, "consumer error; librdkafka retries");
                    last_error_log = std::time::Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let pending = produce_outputs(
            &message,
            &normalizer,
            &producer,
            &mut batch,
            &mut window,
            keep_copies,
        )
        .await;
        if to_acker.send(pending).await.is_err() {
            // The acker stopped: an output was refused; its error is the result.
            break Ok(());
        }
    };
    drop(to_acker);
    let acked = match tokio::time::timeout(config.shutdown_timeout, acker).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "acknowledgement task failed");
            Ok(())
        }
        Err(_) => {
            tracing::warn!(
                "outputs still unacknowledged at the shutdown timeout; they will be re-emitted"
            );
            Ok(())
        }
    };
    // Commit what was stored, whatever happened: stored offsets are all acknowledged.
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        if !matches!(e, KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) {
            tracing::warn!(error = %e, "final commit failed; the last records will be re-emitted");
        }
    }
    let flush_timeout = config.shutdown_timeout;
    let _ = tokio::task::spawn_blocking(move || producer.flush(flush_timeout)).await;
    tracing::info!("normalize stopped");
    loop_result.and(acked)
}

/// Maps one raw record and hands its outputs to the producer, in order.
async fn produce_outputs(
    message: &rdkafka::message::BorrowedMessage<'_>,
    normalizer: &Normalizer,
    producer: &FutureProducer,
    batch: &mut Batch,
    window: &mut DedupWindow,
    keep_copies: bool,
) -> Pending {
    let headers = message.headers();
    let header = |name: &str| {
        headers.and_then(|h| {
            h.iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(<[u8]>::to_vec)
        })
    };
    let received_at = header("received-at").and_then(|v| String::from_utf8(v).ok());
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).expect("the OS provides randomness");
    let trace = header("traceparent")
        .as_deref()
        .and_then(TraceParent::parse)
        .unwrap_or_else(|| TraceParent::root(random[..16].try_into().expect("16 bytes")));
    let traceparent = trace.child(random[16..].try_into().expect("8 bytes"));
    let tracestate = header("tracestate");
    let meta = RawMeta {
        topic: message.topic(),
        partition: Some(message.partition()),
        offset: Some(message.offset()),
        received_at: received_at.as_deref(),
    };
    let span = tracing::info_span!(
        "raw_record",
        partition = message.partition(),
        offset = message.offset(),
        traceparent = %traceparent,
    );
    produce_mapped(
        message,
        &meta,
        normalizer,
        producer,
        batch,
        window,
        keep_copies,
        &traceparent,
        tracestate.as_deref(),
    )
    .instrument(span)
    .await
}

/// The part of [`produce_outputs`] inside the raw record's span.
#[allow(clippy::too_many_arguments)]
async fn produce_mapped(
    message: &rdkafka::message::BorrowedMessage<'_>,
    meta: &RawMeta<'_>,
    normalizer: &Normalizer,
    producer: &FutureProducer,
    batch: &mut Batch,
    window: &mut DedupWindow,
    keep_copies: bool,
    traceparent: &str,
    tracestate: Option<&[u8]>,
) -> Pending {
    let meta = *meta;
    normalizer.map(message.payload().unwrap_or_default(), &meta, batch);
    let mut pending = Pending {
        partition: message.partition(),
        offset: message.offset(),
        deliveries: Vec::with_capacity(batch.len()),
        produced: Vec::new(),
    };
    let mut duplicates = 0usize;
    for record in batch.iter() {
        if window.check_and_insert(record.topic(), record.event_id) {
            duplicates += 1;
            continue;
        }
        let topic = normalizer.config().topics.name(record.topic());
        let mut kafka_headers = OwnedHeaders::new_with_capacity(10);
        for (name, value) in record.headers(&meta) {
            kafka_headers = kafka_headers.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        kafka_headers = kafka_headers.insert(Header {
            key: "traceparent",
            value: Some(traceparent.as_bytes()),
        });
        if let Some(state) = tracestate {
            kafka_headers = kafka_headers.insert(Header {
                key: "tracestate",
                value: Some(state),
            });
        }
        let mut out = FutureRecord::to(topic)
            .payload(record.value)
            .headers(kafka_headers);
        if let Some(key) = record.key {
            out = out.key(key);
        }
        tracing::debug!(
            topic,
            event_id = record.event_id,
            event_type = record.event_type.as_str(),
            "produce"
        );
        // A full local queue is back-pressure, not an error: wait and retry the same record,
        // so the order of this partition's outputs is kept.
        let delivery = loop {
            match producer.send_result(out) {
                Ok(delivery) => break delivery,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((e, back)) => {
                    // Refused before leaving the process (e.g. too large): retry after a pause,
                    // loudly; a supervisor or an operator must act.
                    tracing::error!(error = %e, topic, "output not accepted by the producer; retrying");
                    out = back;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        pending.deliveries.push(delivery);
        if keep_copies {
            pending.produced.push(Produced {
                topic: topic.to_owned(),
                key: record.key.map(str::to_owned),
                value: record.value.to_vec(),
            });
        }
    }
    tracing::debug!(records = batch.len(), duplicates, "mapped");
    pending
}

/// Awaits each raw record's deliveries in order and stores its offset once all are
/// acknowledged.
async fn acknowledge(
    mut pending: mpsc::Receiver<Pending>,
    consumer: Arc<GroupConsumer>,
    topic: String,
    observer: Option<mpsc::UnboundedSender<Produced>>,
) -> Result<(), ServiceError> {
    while let Some(record) = pending.recv().await {
        for delivery in record.deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => {
                    return Err(ServiceError::Refused {
                        topic,
                        partition: record.partition,
                        offset: record.offset,
                        source: e,
                    })
                }
                // The producer went away: only at shutdown; do not store this offset.
                Err(_) => return Ok(()),
            }
        }
        if let Err(e) = consumer.store_offset(&topic, record.partition, record.offset) {
            // Revoked in a rebalance meanwhile: the new owner re-emits it (same ids).
            tracing::debug!(error = %e, partition = record.partition, offset = record.offset, "offset not stored");
        }
        if let Some(observer) = &observer {
            for produced in record.produced {
                let _ = observer.send(produced);
            }
        }
    }
    Ok(())
}

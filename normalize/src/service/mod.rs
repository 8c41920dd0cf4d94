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
//! rather than turned into dead letters; a record that can never be stored (too large, not
//! authorized, no such topic: [`wa_kafka::failure`]) stops the service with an error that
//! says what to change, without committing, so a supervisor restarts it where it was.
//!
//! Media re-hosting (optional, [`MediaStage`]): the attachments of a raw record's events
//! are copied to object storage before its records go out; copies of later records run
//! meanwhile, and records still leave in offset order (`ordered`). The raw offset is stored
//! only once the copies and the records are both stored; a copy that keeps failing gives up
//! at the media deadline and the event goes out with the attachment's error.
//!
//! Rooms: [`config`] (settings), `consume` (the loop), `acker` (acknowledgements and
//! offsets), [`kafka_output`] (the Kafka sink), `rebalance` (partition logging), `media`
//! (re-hosting a record's attachments) and `ordered` (the in-order emitter behind it).

mod acker;
pub mod config;
mod consume;
pub mod kafka_output;
mod media;
mod ordered;
pub mod raw;
mod rebalance;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, Producer};
use tokio::sync::mpsc;

pub use config::{Assignment, ServiceConfig};
pub use kafka_output::KafkaOutput;
pub use media::MediaStage;
pub use raw::RawContext;
pub use rebalance::RebalanceLog;

use crate::dedup::DedupWindow;
use crate::sink::{OutputSink, Printed, SinkError};
use crate::{Batch, Normalizer};
use consume::GroupConsumer;

/// How the service is asked to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Stop consuming at once; outputs in flight are still awaited and committed.
    Now,
    /// First work off the raw topic up to these end offsets (partition → offset,
    /// exclusive), within the shutdown timeout: what ingest stored before it stopped.
    DrainTo(BTreeMap<i32, i64>),
}

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A client could not be created or subscribed.
    #[error("cannot set up the Kafka clients: {0}")]
    Setup(#[source] KafkaError),
    /// An output record of this raw record can never be stored; nothing was committed past it.
    #[error("an output record of raw {topic}/{partition}@{offset} was refused: {source}")]
    Refused {
        /// Raw topic.
        topic: String,
        /// Raw partition.
        partition: i32,
        /// Raw offset.
        offset: i64,
        /// Why.
        #[source]
        source: SinkError,
    },
}

/// Runs the service until `shutdown` says how to stop ([`Stop`]) or an output is refused
/// for good. With
/// `print`, every acknowledged output is also written to stdout as a JSON line.
///
/// # Errors
/// [`ServiceError`]; the committed offsets are then at or before the failure.
pub async fn run(
    config: ServiceConfig,
    normalizer: Arc<Normalizer>,
    shutdown: impl Future<Output = Stop>,
    print: bool,
) -> Result<(), ServiceError> {
    let (consumer, producer) = connect(&config).await?;
    tracing::info!(
        brokers = %config.client.brokers(),
        group = %config.group_id,
        topic = %config.raw_topic,
        max_in_flight = config.max_in_flight,
        dedup_window = config.dedup_window,
        session_timeout = ?config.session_timeout,
        "normalize consuming"
    );
    let output = KafkaOutput::new(producer.clone());
    config
        .ready
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let result = if print {
        serve(
            &config,
            &consumer,
            &Printed::new(output),
            &normalizer,
            shutdown,
        )
        .await
    } else {
        serve(&config, &consumer, &output, &normalizer, shutdown).await
    };
    config
        .ready
        .store(false, std::sync::atomic::Ordering::Relaxed);
    close(consumer, config.shutdown_timeout).await;
    let flush_timeout = config.shutdown_timeout;
    let _ = tokio::task::spawn_blocking(move || producer.flush(flush_timeout)).await;
    tracing::info!("normalize stopped");
    result
}

/// Commits what was stored (stored offsets are all acknowledged, whatever happened), then
/// closes the consumer, which leaves the group: a restarted service must not join while
/// this member still holds its partitions. Both block: off the runtime's workers.
async fn close(consumer: Arc<GroupConsumer>, timeout: std::time::Duration) {
    let closing = tokio::task::spawn_blocking(move || {
        let committed = consumer.commit_consumer_state(CommitMode::Sync);
        consumer.unsubscribe();
        match Arc::try_unwrap(consumer) {
            Ok(consumer) => drop(consumer),
            Err(_) => tracing::warn!("the consumer is still shared; it closes when released"),
        }
        committed
    });
    // A broker that stopped answering must not hold the shutdown: the offsets not
    // committed are re-emitted (same ids) at the next start.
    match tokio::time::timeout(timeout, closing).await {
        Ok(Ok(Err(e))) if !matches!(e, KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
            tracing::warn!(error = %e, "final commit failed; the last records will be re-emitted");
        }
        Err(_) => tracing::warn!("final commit timed out; the last records will be re-emitted"),
        _ => {}
    }
}

/// Creates the consumer (subscribed) and the producer off the runtime's workers: creating
/// a librdkafka client and subscribing block.
async fn connect(
    config: &ServiceConfig,
) -> Result<(Arc<GroupConsumer>, FutureProducer), ServiceError> {
    let consumer_config = config.client.config(config.consumer_role());
    let producer_config = config.client.config(config.producer_role());
    let topic = config.raw_topic.clone();
    let assignment = config.assignment.clone();
    tokio::task::spawn_blocking(move || {
        let consumer: GroupConsumer = consumer_config.create_with_context(RebalanceLog)?;
        match assignment {
            Assignment::Group => consumer.subscribe(&[&topic])?,
            Assignment::All => {
                let all = topic_partitions(&consumer, &topic)?;
                consumer.assign(&assigned(&topic, &all)?)?;
                tracing::info!(%topic, "consuming every partition (no group rebalances)");
            }
            Assignment::Partitions(wanted) => {
                let exist = topic_partitions(&consumer, &topic)?;
                if let Some(p) = wanted.iter().find(|p| !exist.contains(p)) {
                    tracing::error!(%topic, partition = p, existing = ?exist, "assigned partition does not exist; fix --assign-partitions");
                    return Err(KafkaError::Subscription(format!(
                        "partition {p} of {topic} does not exist (it has {}); fix --assign-partitions",
                        exist.len()
                    )));
                }
                consumer.assign(&assigned(&topic, &wanted)?)?;
                tracing::info!(%topic, partitions = ?wanted, "consuming the assigned partitions (no group rebalances)");
            }
        }
        let producer: FutureProducer = producer_config.create()?;
        Ok((Arc::new(consumer), producer))
    })
    .await
    .map_err(|_| ServiceError::Setup(KafkaError::Canceled))?
    .map_err(ServiceError::Setup)
}

/// The partition ids of `topic`.
fn topic_partitions(consumer: &GroupConsumer, topic: &str) -> Result<Vec<i32>, KafkaError> {
    let metadata = consumer.fetch_metadata(Some(topic), std::time::Duration::from_secs(10))?;
    Ok(metadata
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect())
}

/// `partitions` of `topic`, each from the group's committed offset.
fn assigned(topic: &str, partitions: &[i32]) -> Result<rdkafka::TopicPartitionList, KafkaError> {
    let mut list = rdkafka::TopicPartitionList::new();
    for &p in partitions {
        list.add_partition_offset(topic, p, rdkafka::Offset::Stored)?;
    }
    Ok(list)
}

/// The consume loop and the acker, until shutdown or a refusal; then the acker gets the
/// shutdown timeout to finish.
async fn serve<S: OutputSink>(
    config: &ServiceConfig,
    consumer: &Arc<GroupConsumer>,
    sink: &S,
    normalizer: &Normalizer,
    shutdown: impl Future<Output = Stop>,
) -> Result<(), ServiceError> {
    let (to_acker, from_loop) = mpsc::channel(config.max_in_flight.max(1));
    let acker = tokio::spawn(acker::run(
        from_loop,
        consumer.clone(),
        config.raw_topic.clone(),
    ));
    let window = DedupWindow::new(config.dedup_window);
    let looped = |route| consume::Loop {
        consumer,
        sink,
        normalizer,
        raw_topic: &config.raw_topic,
        route,
        batch: Batch::new(),
        last_error_log: std::time::Instant::now() - std::time::Duration::from_secs(60),
    };
    let looped = match &config.media {
        None => {
            looped(consume::Route::Direct { to_acker, window })
                .run(shutdown, config.shutdown_timeout)
                .await
        }
        Some(stage) => {
            let (to_emitter, items) = mpsc::channel(config.max_in_flight.max(1));
            let route = consume::Route::Media {
                stage: Arc::new(stage.clone()),
                to_emitter,
            };
            let topics = &normalizer.config().topics;
            let emitter = ordered::run(items, sink, topics, window, to_acker);
            let consuming = looped(route).run(shutdown, config.shutdown_timeout);
            with_emitter(consuming, emitter, config.shutdown_timeout).await
        }
    };
    let mut acker = acker;
    let acked = match tokio::time::timeout(config.shutdown_timeout, &mut acker).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "acknowledgement task failed");
            Ok(())
        }
        Err(_) => {
            tracing::warn!(
                "outputs still unacknowledged at the shutdown timeout; they will be re-emitted"
            );
            // It holds the consumer: it must end for the consumer to close.
            acker.abort();
            let _ = acker.await;
            Ok(())
        }
    };
    looped.and(acked)
}

/// Runs the consume loop beside the ordered emitter. Once the loop stops, the emitter gets
/// `timeout` to send what is queued (copies included); what it cannot is re-emitted at the
/// next start, since its offsets were never stored.
async fn with_emitter(
    consuming: impl Future<Output = Result<(), ServiceError>>,
    emitter: impl Future<Output = Result<(), ServiceError>>,
    timeout: std::time::Duration,
) -> Result<(), ServiceError> {
    tokio::pin!(emitter);
    let looped = tokio::select! {
        looped = consuming => looped,
        // A refusal: the loop stops with it.
        emitted = &mut emitter => return emitted,
    };
    match tokio::time::timeout(timeout, emitter).await {
        Ok(emitted) => looped.and(emitted),
        Err(_) => {
            tracing::warn!("records still waiting for media copies at the shutdown timeout; they will be re-emitted");
            looped
        }
    }
}

//! The consume loop: each raw record is mapped and its outputs handed to the sink, in
//! partition order, while the acker awaits their acknowledgements.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::Offset;
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::acker::Pending;
use super::media::{has_media, rehost_batch, MediaStage};
use super::ordered::{Item, Prepared};
use super::raw::RawContext;
use super::rebalance::RebalanceLog;
use super::{ServiceError, Stop};
use crate::dedup::DedupWindow;
use crate::sink::{emit, OutputSink};
use crate::{Batch, Normalizer};

pub(super) type GroupConsumer = StreamConsumer<RebalanceLog>;

/// What the loop needs besides the consumer.
pub(super) struct Loop<'l, S: OutputSink> {
    pub consumer: &'l GroupConsumer,
    pub sink: &'l S,
    pub normalizer: &'l Normalizer,
    pub raw_topic: &'l str,
    pub route: Route<S::Ack>,
    pub batch: Batch,
    pub last_error_log: Instant,
}

/// Where mapped records go.
pub(super) enum Route<A> {
    /// Straight to the sink, then their acknowledgements to the acker.
    Direct {
        to_acker: mpsc::Sender<Pending<A>>,
        window: DedupWindow,
    },
    /// Through media re-hosting: queued in offset order for the ordered emitter.
    Media {
        stage: Arc<MediaStage>,
        to_emitter: mpsc::Sender<Item>,
    },
}

impl<S: OutputSink> Loop<'_, S> {
    /// Consumes until `shutdown` says how to stop (then drains when asked, within
    /// `drain_timeout`), the acker stops, or an output can never be stored.
    pub(super) async fn run(
        mut self,
        shutdown: impl Future<Output = Stop>,
        drain_timeout: Duration,
    ) -> Result<(), ServiceError> {
        tokio::pin!(shutdown);
        let stop = loop {
            let message = tokio::select! {
                biased;
                stop = &mut shutdown => break stop,
                message = self.consumer.recv() => message,
            };
            if !self.handle(message).await? {
                return Ok(());
            }
        };
        match stop {
            Stop::Now => Ok(()),
            Stop::DrainTo(ends) => self.drain(&ends, drain_timeout).await,
        }
    }

    /// Keeps consuming until every assigned partition reached its end in `ends` (what
    /// ingest stored before it stopped), or `timeout`; what is left stays on the raw topic
    /// for the next start.
    async fn drain(
        &mut self,
        ends: &BTreeMap<i32, i64>,
        timeout: Duration,
    ) -> Result<(), ServiceError> {
        let deadline = Instant::now() + timeout;
        tracing::info!(?ends, "draining the raw topic up to what ingest stored");
        while !self.caught_up(ends) {
            if Instant::now() >= deadline {
                tracing::warn!("shutdown timeout: raw records left for the next start");
                return Ok(());
            }
            let recv = tokio::time::timeout(Duration::from_millis(100), self.consumer.recv());
            if let Ok(message) = recv.await {
                if !self.handle(message).await? {
                    return Ok(());
                }
            }
        }
        tracing::info!("drained");
        Ok(())
    }

    /// Whether this instance consumed every assigned partition up to its end.
    fn caught_up(&self, ends: &BTreeMap<i32, i64>) -> bool {
        let Ok(positions) = self.consumer.position() else {
            return false;
        };
        let assigned: BTreeMap<i32, Offset> = positions
            .elements_for_topic(self.raw_topic)
            .iter()
            .map(|e| (e.partition(), e.offset()))
            .collect();
        !assigned.is_empty()
            && assigned.iter().all(|(partition, position)| {
                let end = ends.get(partition).copied().unwrap_or(0);
                end <= 0 || matches!(position, Offset::Offset(p) if *p >= end)
            })
    }

    /// Maps and sends one received record; `false` when the acker has stopped.
    async fn handle(
        &mut self,
        message: Result<BorrowedMessage<'_>, KafkaError>,
    ) -> Result<bool, ServiceError> {
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                // Transport errors are reports: librdkafka reconnects by itself. They queue
                // up during an outage, so they are drained quickly (a long sleep per error
                // would leave the consumer far behind once the brokers are back), logged at
                // most once per second, and only a short pause guards against a hot loop.
                if self.last_error_log.elapsed() >= Duration::from_secs(1) {
                    tracing::warn!(error = %e, "consumer error; librdkafka retries");
                    self.last_error_log = Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Ok(true);
            }
        };
        match &mut self.route {
            Route::Direct { to_acker, window } => {
                let pending = map_and_send(
                    &message,
                    self.normalizer,
                    self.sink,
                    &mut self.batch,
                    window,
                )
                .await?;
                // A closed channel means the acker stopped on a refusal; its error is the result.
                Ok(to_acker.send(pending).await.is_ok())
            }
            Route::Media { stage, to_emitter } => {
                let item = map_and_queue(&message, self.normalizer, stage, &mut self.batch);
                // Closed: the emitter stopped on a refusal; its error is the result.
                Ok(to_emitter.send(item).await.is_ok())
            }
        }
    }
}

/// Reads a raw record's headers and opens its processing span, which continues the raw
/// record's trace and carries its lineage.
fn begin(message: &BorrowedMessage<'_>) -> (RawContext, tracing::Span) {
    let mut raw = RawContext::of(message);
    let span = tracing::info_span!(
        "raw_record",
        otel.name = %format_args!("{} process", message.topic()),
        otel.kind = "consumer",
        messaging.system = "kafka",
        messaging.operation.type = "process",
        messaging.destination.name = message.topic(),
        messaging.destination.partition.id = message.partition(),
        messaging.kafka.offset = message.offset(),
        partition = message.partition(),
        offset = message.offset(),
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    raw.continue_in(&span);
    wa_telemetry::context::record_ids(&span, raw.traceparent());
    wa_telemetry::metrics()
        .consumed
        .add(1, &wa_telemetry::instruments::destination(message.topic()));
    (raw, span)
}

/// Maps one raw record and queues it for the ordered emitter, its attachments' copies
/// already started.
fn map_and_queue(
    message: &BorrowedMessage<'_>,
    normalizer: &Normalizer,
    stage: &Arc<MediaStage>,
    batch: &mut Batch,
) -> Item {
    let (raw, span) = begin(message);
    let meta = raw.meta(message);
    span.in_scope(|| normalizer.map(message.payload().unwrap_or_default(), &meta, batch));
    let batch = std::mem::take(batch);
    let prepared = if has_media(&batch) {
        let (stage, original) = (stage.clone(), batch.clone());
        let copying = async move { rehost_batch(&stage, batch).await }.instrument(span.clone());
        Prepared::Rehosting(tokio::spawn(copying), original)
    } else {
        Prepared::Ready(batch)
    };
    Item {
        prepared,
        raw,
        topic: message.topic().to_owned(),
        partition: message.partition(),
        offset: message.offset(),
        span,
    }
}

/// Maps one raw record and hands its outputs to the sink, in order, inside a span that
/// carries the record's lineage and trace.
async fn map_and_send<S: OutputSink>(
    message: &BorrowedMessage<'_>,
    normalizer: &Normalizer,
    sink: &S,
    batch: &mut Batch,
    window: &mut DedupWindow,
) -> Result<Pending<S::Ack>, ServiceError> {
    let (raw, span) = begin(message);
    let meta = raw.meta(message);
    let trace = raw.trace();
    async {
        normalizer.map(message.payload().unwrap_or_default(), &meta, batch);
        let acks = emit(
            sink,
            &normalizer.config().topics,
            batch,
            &meta,
            trace,
            window,
            |_| true,
        )
        .await
        .map_err(|source| ServiceError::Refused {
            topic: meta.topic.to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            source,
        })?;
        tracing::debug!(records = batch.len(), sent = acks.len(), "mapped");
        Ok(Pending {
            partition: message.partition(),
            offset: message.offset(),
            acks,
            received_millis: raw.received_millis(),
        })
    }
    .instrument(span)
    .await
}

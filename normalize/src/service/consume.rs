//! The consume loop: each raw record is mapped and its outputs handed to the sink, in
//! partition order, while the acker awaits their acknowledgements.

use std::future::Future;
use std::time::{Duration, Instant};

use rdkafka::consumer::StreamConsumer;
use rdkafka::message::{BorrowedMessage, Message};
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::acker::Pending;
use super::raw::RawContext;
use super::rebalance::RebalanceLog;
use super::ServiceError;
use crate::dedup::DedupWindow;
use crate::sink::{emit, OutputSink};
use crate::{Batch, Normalizer};

pub(super) type GroupConsumer = StreamConsumer<RebalanceLog>;

/// Consumes until `shutdown` resolves, the acker stops, or an output can never be stored.
pub(super) async fn run<S: OutputSink>(
    consumer: &GroupConsumer,
    sink: &S,
    normalizer: &Normalizer,
    dedup_window: usize,
    to_acker: mpsc::Sender<Pending<S::Ack>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let mut window = DedupWindow::new(dedup_window);
    let mut batch = Batch::new();
    let mut last_error_log = Instant::now() - Duration::from_secs(60);
    tokio::pin!(shutdown);
    loop {
        let message = tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
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
                    last_error_log = Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let pending = map_and_send(&message, normalizer, sink, &mut batch, &mut window).await?;
        if to_acker.send(pending).await.is_err() {
            // The acker stopped: an output was refused; its error is the result.
            return Ok(());
        }
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
    let raw = RawContext::of(message);
    let meta = raw.meta(message);
    let span = tracing::info_span!(
        "raw_record",
        partition = message.partition(),
        offset = message.offset(),
        traceparent = %raw.traceparent(),
    );
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
        })
    }
    .instrument(span)
    .await
}

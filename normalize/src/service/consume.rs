//! The consume loop: each raw record is mapped and its outputs handed to the sink, in
//! partition order, while the acker awaits their acknowledgements.

use std::future::Future;
use std::time::{Duration, Instant};

use rdkafka::consumer::StreamConsumer;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use tokio::sync::mpsc;
use tracing::Instrument as _;
use wa_schemas::contract::raw_header;
use wa_schemas::trace::TraceParent;

use super::acker::Pending;
use super::rebalance::RebalanceLog;
use super::ServiceError;
use crate::dedup::DedupWindow;
use crate::sink::{emit, OutputSink, TraceHeaders};
use crate::{Batch, Normalizer, RawMeta};

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
    let header = |name: &str| {
        message.headers().and_then(|h| {
            h.iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(<[u8]>::to_vec)
        })
    };
    let received_at = header(raw_header::RECEIVED_AT).and_then(|v| String::from_utf8(v).ok());
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).expect("the OS provides randomness");
    let trace = header(raw_header::TRACEPARENT)
        .as_deref()
        .and_then(TraceParent::parse)
        .unwrap_or_else(|| TraceParent::root(random[..16].try_into().expect("16 bytes")));
    let traceparent = trace.child(random[16..].try_into().expect("8 bytes"));
    let tracestate = header(raw_header::TRACESTATE);
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
    let trace = TraceHeaders {
        traceparent: Some(&traceparent),
        tracestate: tracestate.as_deref(),
    };
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

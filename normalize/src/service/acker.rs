//! The acker: awaits each raw record's acknowledgements in order, and stores the raw
//! offset for commit only once all of them are in.

use std::future::Future;
use std::sync::Arc;

use rdkafka::consumer::Consumer;
use tokio::sync::mpsc;

use super::consume::GroupConsumer;
use super::ServiceError;
use crate::sink::SinkError;

/// The outputs of one raw record, awaiting acknowledgement.
pub(super) struct Pending<A> {
    pub partition: i32,
    pub offset: i64,
    pub acks: Vec<A>,
    /// When ingest received the webhook (Unix ms): the age is taken once the outputs are
    /// stored, so it is the latency a consumer of the output topics sees.
    pub received_millis: Option<i64>,
}

/// Records `wa.normalize.record.age` for a raw record whose outputs are all acknowledged.
fn record_age(received_millis: Option<i64>) {
    let Some(received) = received_millis else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let age = now.saturating_sub(received).max(0) as f64 / 1000.0;
    wa_telemetry::metrics().record_age.record(age, &[]);
}

/// Runs until the loop hangs up, or an output is refused for good.
pub(super) async fn run<A: Future<Output = Result<(), SinkError>>>(
    mut pending: mpsc::Receiver<Pending<A>>,
    consumer: Arc<GroupConsumer>,
    topic: String,
) -> Result<(), ServiceError> {
    while let Some(record) = pending.recv().await {
        for ack in record.acks {
            match ack.await {
                Ok(()) => {}
                // The sink went away: only at shutdown; do not store this offset.
                Err(SinkError::Closed) => return Ok(()),
                Err(source) => {
                    return Err(ServiceError::Refused {
                        topic,
                        partition: record.partition,
                        offset: record.offset,
                        source,
                    })
                }
            }
        }
        record_age(record.received_millis);
        if let Err(e) = consumer.store_offset(&topic, record.partition, record.offset) {
            // Revoked in a rebalance meanwhile: the new owner re-emits it (same ids).
            tracing::debug!(error = %e, partition = record.partition, offset = record.offset, "offset not stored");
        }
    }
    Ok(())
}

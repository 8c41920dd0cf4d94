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
        if let Err(e) = consumer.store_offset(&topic, record.partition, record.offset) {
            // Revoked in a rebalance meanwhile: the new owner re-emits it (same ids).
            tracing::debug!(error = %e, partition = record.partition, offset = record.offset, "offset not stored");
        }
    }
    Ok(())
}

//! With media re-hosting on: the outputs of each raw record go out in offset order, while
//! the copies of the records behind it already run (up to the in-flight window). A copy
//! never holds its record past the media deadline: on failure the record goes out with
//! the attachment's error instead.

use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::acker::Pending;
use super::raw::RawContext;
use super::ServiceError;
use crate::config::TopicNames;
use crate::dedup::DedupWindow;
use crate::sink::{emit, OutputSink};
use crate::Batch;

/// One raw record, mapped, on its way out.
pub(super) struct Item {
    pub prepared: Prepared,
    pub raw: RawContext,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub span: tracing::Span,
}

/// Its records, ready or being re-hosted.
pub(super) enum Prepared {
    /// No attachment to copy.
    Ready(Batch),
    /// The copies run in this task; the batch as mapped is kept in case the task fails.
    Rehosting(tokio::task::JoinHandle<Batch>, Batch),
}

impl Prepared {
    async fn records(self) -> Batch {
        match self {
            Prepared::Ready(batch) => batch,
            Prepared::Rehosting(task, original) => task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "media re-hosting task failed; the records keep Meta's URLs");
                original
            }),
        }
    }
}

/// Sends each item's records, in the order received, and hands their acknowledgements to
/// the acker; ends when the loop hangs up, or an output is refused for good.
pub(super) async fn run<S: OutputSink>(
    mut items: mpsc::Receiver<Item>,
    sink: &S,
    topics: &TopicNames,
    mut window: DedupWindow,
    to_acker: mpsc::Sender<Pending<S::Ack>>,
) -> Result<(), ServiceError> {
    while let Some(item) = items.recv().await {
        let Item {
            prepared,
            raw,
            topic,
            partition,
            offset,
            span,
        } = item;
        let batch = prepared.records().instrument(span.clone()).await;
        let meta = raw.meta_at(&topic, partition, offset);
        let acks = emit(
            sink,
            topics,
            &batch,
            &meta,
            raw.trace(),
            &mut window,
            |_| true,
        )
        .instrument(span.clone())
        .await
        .map_err(|source| ServiceError::Refused {
            topic: topic.clone(),
            partition,
            offset,
            source,
        })?;
        span.in_scope(|| tracing::debug!(records = batch.len(), sent = acks.len(), "mapped"));
        if to_acker
            .send(Pending {
                partition,
                offset,
                acks,
                received_millis: raw.received_millis(),
            })
            .await
            .is_err()
        {
            // The acker stopped on a refusal; its error is the result.
            return Ok(());
        }
    }
    Ok(())
}

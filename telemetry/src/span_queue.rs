//! A span processor whose queue is bounded and whose losses are counted: an unreachable or
//! slow collector never slows the pipeline, and `wa.telemetry.spans.dropped` says how many
//! spans it cost. (The SDK's batch processor drops too, but only logs how many.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

/// Spans waiting for export at most; past it new spans are dropped and counted.
pub const QUEUE_CAPACITY: usize = 4096;
/// Spans per export request.
const BATCH: usize = 512;
/// How long a span waits for its batch to fill.
const DELAY: Duration = Duration::from_secs(1);

enum Item {
    Span(Box<SpanData>),
    Flush(SyncSender<()>),
}

/// Spans dropped because the queue was full or their export failed.
#[derive(Debug, Default)]
pub struct Dropped(AtomicU64);

impl Dropped {
    /// How many so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// The processor; exports from a thread of its own.
#[derive(Debug)]
pub struct BoundedProcessor {
    queue: SyncSender<Item>,
    dropped: Arc<Dropped>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl BoundedProcessor {
    /// Starts the export thread over `exporter`, which reports `resource` with every batch.
    pub fn new<E: SpanExporter + 'static>(
        mut exporter: E,
        resource: &opentelemetry_sdk::Resource,
        dropped: Arc<Dropped>,
    ) -> Self {
        exporter.set_resource(resource);
        let (queue, items) = mpsc::sync_channel(QUEUE_CAPACITY);
        let counter = dropped.clone();
        let worker = std::thread::Builder::new()
            .name("otlp-spans".into())
            .spawn(move || export_loop(exporter, &items, &counter))
            .expect("a thread can be started");
        BoundedProcessor {
            queue,
            dropped,
            worker: Mutex::new(Some(worker)),
        }
    }
}

impl SpanProcessor for BoundedProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(Item::Span(Box::new(span)))
        {
            self.dropped.add(1);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        let (done, wait) = mpsc::sync_channel(1);
        self.queue
            .send(Item::Flush(done))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        wait.recv_timeout(Duration::from_secs(5))
            .map_err(|_| OTelSdkError::Timeout(Duration::from_secs(5)))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let (done, wait) = mpsc::sync_channel(1);
        let _ = self.queue.try_send(Item::Flush(done));
        let flushed = wait.recv_timeout(timeout);
        if let Some(worker) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            // The thread ends when every sender is gone; do not wait for a stuck export.
            drop(worker);
        }
        flushed.map_err(|_| OTelSdkError::Timeout(timeout))
    }
}

fn export_loop<E: SpanExporter>(exporter: E, items: &Receiver<Item>, dropped: &Dropped) {
    let mut batch: Vec<SpanData> = Vec::with_capacity(BATCH);
    let mut deadline = Instant::now() + DELAY;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match items.recv_timeout(wait) {
            Ok(Item::Span(span)) => {
                batch.push(*span);
                if batch.len() < BATCH {
                    continue;
                }
            }
            Ok(Item::Flush(done)) => {
                export(&exporter, &mut batch, dropped);
                let _ = done.send(());
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                export(&exporter, &mut batch, dropped);
                return;
            }
        }
        export(&exporter, &mut batch, dropped);
        deadline = Instant::now() + DELAY;
    }
}

fn export<E: SpanExporter>(exporter: &E, batch: &mut Vec<SpanData>, dropped: &Dropped) {
    if batch.is_empty() {
        return;
    }
    let spans = std::mem::take(batch);
    let n = spans.len();
    if let Err(e) = futures_executor::block_on(exporter.export(spans)) {
        dropped.add(n);
        tracing::debug!(error = %e, spans = n, "span export failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    #[test]
    fn spans_reach_the_exporter_and_a_full_queue_drops_and_counts() {
        let exporter = InMemorySpanExporter::default();
        let dropped = Arc::new(Dropped::default());
        let processor = BoundedProcessor::new(
            exporter.clone(),
            &opentelemetry_sdk::Resource::builder_empty().build(),
            dropped.clone(),
        );
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();
        let tracer = provider.tracer("test");
        tracer.in_span("one", |_| {});
        provider.force_flush().unwrap();
        assert_eq!(exporter.get_finished_spans().unwrap().len(), 1);
        assert_eq!(dropped.get(), 0);
        // Far more than the queue holds, faster than the thread exports: some are dropped,
        // and every span is either exported or counted.
        for _ in 0..QUEUE_CAPACITY * 4 {
            tracer.in_span("many", |_| {});
        }
        provider.force_flush().unwrap();
        let exported = exporter.get_finished_spans().unwrap().len() as u64;
        assert_eq!(exported + dropped.get(), 1 + QUEUE_CAPACITY as u64 * 4);
    }
}

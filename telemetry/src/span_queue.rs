//! A span processor whose queue is bounded and whose losses are counted: an unreachable or
//! slow collector never slows the pipeline, and `wa.telemetry.spans.dropped` says how many
//! spans it cost. (The SDK's batch processor drops too, but only logs how many.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

/// Spans waiting for export at most; past it new spans are dropped and counted.
pub const QUEUE_CAPACITY: usize = 4096;
/// Spans per export request.
const BATCH: usize = 512;
/// How long a span waits for its batch to fill.
const DELAY: Duration = Duration::from_secs(1);

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

/// What the request path and the export thread share. A span is pushed under a short lock
/// and the thread is woken only when a batch is full (or a flush is asked): waking it per
/// span cost ingest a fifth of its requests/s in context switches (measured).
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    spans: Vec<SpanData>,
    /// Flushes asked and flushes done: a flush waits until its number is done.
    flushes_asked: u64,
    flushes_done: u64,
    shutdown: bool,
}

/// The processor; exports from a thread of its own.
#[derive(Debug)]
pub struct BoundedProcessor {
    shared: Arc<Shared>,
    dropped: Arc<Dropped>,
}

impl BoundedProcessor {
    /// Starts the export thread over `exporter`, which reports `resource` with every batch.
    pub fn new<E: SpanExporter + 'static>(
        mut exporter: E,
        resource: &opentelemetry_sdk::Resource,
        dropped: Arc<Dropped>,
    ) -> Self {
        exporter.set_resource(resource);
        let shared = Arc::new(Shared::default());
        let (thread_shared, counter) = (shared.clone(), dropped.clone());
        std::thread::Builder::new()
            .name("otlp-spans".into())
            .spawn(move || export_loop(&exporter, &thread_shared, &counter))
            .expect("a thread can be started");
        BoundedProcessor { shared, dropped }
    }

    /// Asks the thread to export everything queued and waits up to `timeout` for it.
    fn flush(&self, timeout: Duration, shutdown: bool) -> OTelSdkResult {
        let mut state = self
            .shared
            .state
            .lock()
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        state.flushes_asked += 1;
        state.shutdown |= shutdown;
        let wanted = state.flushes_asked;
        self.shared.wake.notify_one();
        let (state, waited) = self
            .shared
            .done
            .wait_timeout_while(state, timeout, |s| s.flushes_done < wanted)
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        drop(state);
        if waited.timed_out() {
            Err(OTelSdkError::Timeout(timeout))
        } else {
            Ok(())
        }
    }
}

impl SpanProcessor for BoundedProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let Ok(mut state) = self.shared.state.lock() else {
            return self.dropped.add(1);
        };
        if state.spans.len() >= QUEUE_CAPACITY || state.shutdown {
            drop(state);
            return self.dropped.add(1);
        }
        state.spans.push(span);
        if state.spans.len() == BATCH {
            self.shared.wake.notify_one();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush(Duration::from_secs(5), false)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.flush(timeout, true)
    }
}

fn export_loop<E: SpanExporter>(exporter: &E, shared: &Shared, dropped: &Dropped) {
    loop {
        let Ok(state) = shared.state.lock() else {
            return;
        };
        let Ok((mut state, _)) = shared.wake.wait_timeout_while(state, DELAY, |s| {
            s.spans.len() < BATCH && s.flushes_asked == s.flushes_done && !s.shutdown
        }) else {
            return;
        };
        let mut spans = std::mem::take(&mut state.spans);
        let (asked, shutdown) = (state.flushes_asked, state.shutdown);
        drop(state);
        while !spans.is_empty() {
            let rest = spans.split_off(spans.len().min(BATCH));
            export(exporter, spans, dropped);
            spans = rest;
        }
        if let Ok(mut state) = shared.state.lock() {
            state.flushes_done = asked;
        }
        shared.done.notify_all();
        if shutdown {
            return;
        }
    }
}

fn export<E: SpanExporter>(exporter: &E, batch: Vec<SpanData>, dropped: &Dropped) {
    let n = batch.len();
    if let Err(e) = futures_executor::block_on(exporter.export(batch)) {
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

//! Mapping stored raw records again and producing their outputs (replay, redrive), with
//! the same keys, headers, lineage and ids as the live pipeline.

use std::collections::{BTreeMap, VecDeque};

use anyhow::Context as _;
use rdkafka::message::BorrowedMessage;
use rdkafka::producer::{FutureProducer, Producer};
use tokio::runtime::Handle;
use wa_kafka::{ClientSettings, Role};
use wa_normalize::dedup::DedupWindow;
use wa_normalize::service::kafka_output::KafkaAck;
use wa_normalize::service::{KafkaOutput, RawContext};
use wa_normalize::sink::emit;
use wa_normalize::{Batch, EventType, Normalizer, RecordRef, TopicNames};
use wa_schemas::contract::output_record_bytes;

/// Acknowledgements awaited at once.
const WINDOW: usize = 4096;

/// What a rerun did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Raw records read.
    pub read: u64,
    /// Raw records refused by `--verify`.
    pub refused: u64,
    /// Records produced, by topic.
    pub out: BTreeMap<String, u64>,
    /// Dead letters produced, by reason kind.
    pub dead_letters: BTreeMap<String, u64>,
    /// Dead letters not produced again (redrive), by reason kind.
    pub still_failing: BTreeMap<String, u64>,
}

impl Summary {
    /// Prints the summary on stdout, one fact a line.
    pub fn print(&self) {
        println!("raw records read: {}", self.read);
        if self.refused > 0 {
            println!("raw records refused by --verify: {}", self.refused);
        }
        for (topic, n) in &self.out {
            println!("records out to {topic}: {n}");
        }
        for (kind, n) in &self.dead_letters {
            println!("dead letters ({kind}): {n}");
        }
        for (kind, n) in &self.still_failing {
            println!("still failing, not dead-lettered again ({kind}): {n}");
        }
    }
}

/// The reason kind of a dead letter's value.
pub fn reason_kind(value: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(value)
        .ok()
        .and_then(|v| {
            v.pointer("/reason/kind")
                .and_then(|k| k.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Maps raw records and produces their outputs through the Kafka sink.
pub struct Rerun {
    normalizer: Normalizer,
    topics: TopicNames,
    output: KafkaOutput,
    producer: FutureProducer,
    pending: VecDeque<KafkaAck>,
    batch: Batch,
    handle: Handle,
    /// Whether dead letters are produced (replay) or only counted (redrive).
    produce_dead_letters: bool,
    /// Media re-hosting, as normalize does it, when configured.
    media: Option<wa_normalize::service::MediaStage>,
    pub summary: Summary,
}

impl Rerun {
    /// Produces to `topics` (already prefixed when asked); call from a blocking thread.
    pub fn new(
        settings: &ClientSettings,
        normalizer: Normalizer,
        topics: TopicNames,
        max_body_bytes: usize,
        produce_dead_letters: bool,
    ) -> anyhow::Result<Self> {
        let producer: FutureProducer = settings
            .config(Role::OutputProducer {
                max_record_bytes: output_record_bytes(max_body_bytes),
            })
            .create()
            .context("cannot create the Kafka producer")?;
        Ok(Rerun {
            normalizer,
            topics,
            output: KafkaOutput::new(producer.clone()),
            producer,
            pending: VecDeque::new(),
            batch: Batch::new(),
            handle: Handle::current(),
            produce_dead_letters,
            media: None,
            summary: Summary::default(),
        })
    }

    /// Re-hosts attachments as normalize does (`--media-store`), so a replay after fixing a
    /// token brings the copies the live run could not make.
    pub fn with_media(mut self, media: Option<wa_normalize::service::MediaStage>) -> Self {
        self.media = media;
        self
    }

    /// Maps one raw record and sends its outputs.
    pub fn record(&mut self, message: &BorrowedMessage<'_>) -> anyhow::Result<()> {
        let raw = RawContext::of(message);
        let meta = raw.meta(message);
        let payload = rdkafka::Message::payload(message).unwrap_or_default();
        self.normalizer.map(payload, &meta, &mut self.batch);
        if let Some(media) = &self.media {
            self.batch = self
                .handle
                .block_on(media.rehost(std::mem::take(&mut self.batch)));
        }
        self.summary.read += 1;
        let keep_dead_letters = self.produce_dead_letters;
        let keep = |r: &RecordRef<'_>| keep_dead_letters || r.event_type != EventType::DeadLetter;
        for record in self.batch.iter() {
            if record.event_type == EventType::DeadLetter {
                let kind = reason_kind(record.value);
                let counts = if keep(&record) {
                    &mut self.summary.dead_letters
                } else {
                    &mut self.summary.still_failing
                };
                *counts.entry(kind).or_default() += 1;
            }
            if keep(&record) {
                let topic = self.topics.name(record.topic()).to_owned();
                *self.summary.out.entry(topic).or_default() += 1;
            }
        }
        let mut no_dedup = DedupWindow::new(0);
        let acks = self.handle.block_on(emit(
            &self.output,
            &self.topics,
            &self.batch,
            &meta,
            raw.trace(),
            &mut no_dedup,
            keep,
        ))?;
        self.pending.extend(acks);
        while self.pending.len() > WINDOW {
            self.await_oldest()?;
        }
        Ok(())
    }

    fn await_oldest(&mut self) -> anyhow::Result<()> {
        if let Some(ack) = self.pending.pop_front() {
            self.handle
                .block_on(ack)
                .context("an output record was not stored")?;
        }
        Ok(())
    }

    /// Waits for every output to be stored; returns what was done.
    pub fn finish(mut self) -> anyhow::Result<Summary> {
        while !self.pending.is_empty() {
            self.await_oldest()?;
        }
        let _ = self.producer.flush(std::time::Duration::from_secs(30));
        Ok(self.summary)
    }
}

/// Runs a rerun's walk, whose librdkafka calls block, off the runtime workers; prints what
/// it did.
pub async fn run_blocking(
    what: &str,
    walk: impl FnOnce() -> anyhow::Result<Summary> + Send + 'static,
) -> anyhow::Result<()> {
    let summary = tokio::task::spawn_blocking(walk)
        .await
        .with_context(|| format!("the {what} task failed"))??;
    summary.print();
    Ok(())
}

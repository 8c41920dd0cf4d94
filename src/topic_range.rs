//! A range of a topic (`--from`, `--to`) and reading it without joining any group: what
//! replay, redrive and diff read.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use wa_kafka::{ClientSettings, Role};

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// The oldest record still stored.
    Beginning,
    /// The end of each partition when the command starts.
    Now,
    /// The first record stored at or after this time (epoch milliseconds).
    Time(i64),
    /// An offset per partition; unlisted partitions take the beginning (`--from`) or now
    /// (`--to`).
    Offsets(BTreeMap<i32, i64>),
}

/// Parses `beginning`, `now`, an RFC 3339 UTC time (`2026-11-25T10:02:00Z`), epoch
/// milliseconds, or `PARTITION:OFFSET,...`.
pub fn parse_bound(text: &str) -> Result<Bound, String> {
    let text = text.trim();
    match text {
        "beginning" => return Ok(Bound::Beginning),
        "now" => return Ok(Bound::Now),
        _ => {}
    }
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Bound::Time(millis));
    }
    if text.contains(':') && !text.contains('T') {
        let mut offsets = BTreeMap::new();
        for pair in text.split(',') {
            let parsed = pair
                .split_once(':')
                .and_then(|(p, o)| Some((p.trim().parse().ok()?, o.trim().parse().ok()?)));
            let (partition, offset) =
                parsed.ok_or_else(|| format!("{pair:?} is not PARTITION:OFFSET"))?;
            offsets.insert(partition, offset);
        }
        return Ok(Bound::Offsets(offsets));
    }
    wa_schemas::time::parse_rfc3339_millis(text).map(Bound::Time).ok_or_else(|| {
        format!(
            "{text:?} is not beginning, now, an RFC 3339 UTC time, epoch milliseconds or PARTITION:OFFSET,..."
        )
    })
}

/// The offsets to read in one partition: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRange {
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

/// A reader of `topic` that joins no group and commits nothing.
pub struct RangeReader {
    consumer: BaseConsumer,
    topic: String,
}

impl RangeReader {
    /// A reader of `topic`.
    pub fn new(
        settings: &ClientSettings,
        topic: &str,
        max_record_bytes: usize,
    ) -> anyhow::Result<Self> {
        let consumer = settings
            .config(Role::Reader { max_record_bytes })
            .create()
            .context("cannot create a Kafka reader")?;
        Ok(RangeReader {
            consumer,
            topic: topic.to_owned(),
        })
    }

    /// The offsets `from..to` cover in each partition.
    pub fn resolve(&self, from: &Bound, to: &Bound) -> anyhow::Result<Vec<PartitionRange>> {
        let timeout = Duration::from_secs(10);
        let metadata = self
            .consumer
            .fetch_metadata(Some(&self.topic), timeout)
            .with_context(|| format!("cannot read the metadata of {}", self.topic))?;
        let topic = metadata
            .topics()
            .first()
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .with_context(|| format!("topic {} does not exist", self.topic))?;
        let mut ranges = Vec::new();
        for partition in topic.partitions() {
            let id = partition.id();
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, id, timeout)
                .with_context(|| format!("cannot read the offsets of {}/{id}", self.topic))?;
            let start = self.offset(from, id, low, high, low)?.clamp(low, high);
            let end = self.offset(to, id, low, high, high)?.clamp(start, high);
            ranges.push(PartitionRange {
                partition: id,
                start,
                end,
            });
        }
        Ok(ranges)
    }

    fn offset(
        &self,
        bound: &Bound,
        partition: i32,
        low: i64,
        high: i64,
        unlisted: i64,
    ) -> anyhow::Result<i64> {
        Ok(match bound {
            Bound::Beginning => low,
            Bound::Now => high,
            Bound::Offsets(offsets) => offsets.get(&partition).copied().unwrap_or(unlisted),
            Bound::Time(millis) => {
                let mut query = TopicPartitionList::new();
                query.add_partition_offset(&self.topic, partition, Offset::Offset(*millis))?;
                let found = self
                    .consumer
                    .offsets_for_times(query, Duration::from_secs(10))
                    .context("cannot look up offsets by time")?;
                match found.elements().first().map(|e| e.offset()) {
                    Some(Offset::Offset(offset)) => offset,
                    // No record at or after that time.
                    _ => high,
                }
            }
        })
    }

    /// Calls `each` for every record of `ranges`, in offset order per partition.
    pub fn read(
        &self,
        ranges: &[PartitionRange],
        mut each: impl FnMut(&BorrowedMessage<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut left: BTreeMap<i32, i64> = BTreeMap::new();
        let mut assignment = TopicPartitionList::new();
        for range in ranges.iter().filter(|r| r.start < r.end) {
            assignment.add_partition_offset(
                &self.topic,
                range.partition,
                Offset::Offset(range.start),
            )?;
            left.insert(range.partition, range.end);
        }
        self.consumer.assign(&assignment)?;
        let mut idle_since = Instant::now();
        while !left.is_empty() {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    idle_since = Instant::now();
                    let partition = rdkafka::Message::partition(&message);
                    let offset = rdkafka::Message::offset(&message);
                    let Some(&end) = left.get(&partition) else {
                        continue;
                    };
                    if offset < end {
                        each(&message)?;
                    }
                    if offset + 1 >= end {
                        left.remove(&partition);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    left.remove(&partition);
                }
                Some(Err(e)) if is_transient(&e) => {}
                Some(Err(e)) => return Err(e).context("cannot read the topic"),
                None if idle_since.elapsed() > Duration::from_secs(60) => {
                    anyhow::bail!(
                        "no record arrived for 60 s; {} partitions unfinished",
                        left.len()
                    )
                }
                None => {}
            }
        }
        Ok(())
    }
}

fn is_transient(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown)
    )
}

/// Progress of long work on stderr: a line redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
pub struct Progress {
    what: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    shown: Instant,
    tty: bool,
}

impl Progress {
    /// Progress over `total` items.
    pub fn new(what: &'static str, total: u64) -> Self {
        Progress {
            what,
            total,
            done: 0,
            started: Instant::now(),
            shown: Instant::now(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// One more item done.
    pub fn tick(&mut self) {
        self.done += 1;
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        if self.shown.elapsed() >= every {
            self.show();
            self.shown = Instant::now();
        }
    }

    fn show(&self) {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done as f64 / seconds;
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 { left as f64 / rate } else { 0.0 };
        let line = format!(
            "{}: {} done, {left} left, {rate:.0}/s, about {eta:.0} s to go",
            self.what, self.done
        );
        if self.tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
    }

    /// Ends the progress line.
    pub fn finish(&self) {
        if self.tty {
            self.show();
            eprintln!();
        }
    }
}

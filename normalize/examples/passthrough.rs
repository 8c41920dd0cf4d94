//! Ceiling for normalize's benchmark: consume the raw topic and produce each record's body
//! unchanged to one output topic, with normalize's bookkeeping (the same consumer and
//! producer roles, at most `MAX_IN_FLIGHT` records awaiting their ack, a raw offset stored
//! only once its output is acknowledged, commits every second) and no mapping. Exits when
//! `RECORDS` outputs are acknowledged, printing the rate.
//!
//! `KAFKA_BROKERS=… RECORDS=50000 cargo run --release -p wa-normalize --example passthrough`

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use wa_kafka::client::{ClientSettings, Role};
use wa_schemas::contract::{output_record_bytes, raw_record_bytes, DEFAULT_MAX_BODY_BYTES};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = ClientSettings::new(env("KAFKA_BROKERS", "127.0.0.1:9092"), Vec::new())?;
    let raw = env("TOPIC_RAW", "whatsapp.raw");
    let out = env("TOPIC_OUT", "whatsapp.mo");
    let records: usize = env("RECORDS", "10000").parse()?;
    let window: usize = env("MAX_IN_FLIGHT", "256").parse()?;
    let consumer: StreamConsumer = settings
        .config(Role::GroupConsumer {
            group_id: &env("GROUP_ID", "bench-passthrough"),
            commit_interval: Duration::from_secs(1),
            session_timeout: Duration::from_secs(10),
            max_record_bytes: raw_record_bytes(DEFAULT_MAX_BODY_BYTES),
        })
        .create()?;
    let producer: FutureProducer = settings
        .config(Role::OutputProducer {
            max_record_bytes: output_record_bytes(DEFAULT_MAX_BODY_BYTES),
        })
        .create()?;
    let metadata = consumer.fetch_metadata(Some(&raw), Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        assignment.add_partition_offset(&raw, partition.id(), Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let start = Instant::now();
    let mut pending: VecDeque<(i32, i64, DeliveryFuture)> = VecDeque::new();
    let (mut acked, mut last_commit) = (0usize, Instant::now());
    while acked < records {
        while pending.len() < window && acked + pending.len() < records {
            let message = consumer.recv().await?;
            let record =
                FutureRecord::<[u8], [u8]>::to(&out).payload(message.payload().unwrap_or_default());
            let record = match message.key() {
                Some(key) => record.key(key),
                None => record,
            };
            let delivery = producer.send_result(record).map_err(|(e, _)| e)?;
            pending.push_back((message.partition(), message.offset(), delivery));
        }
        let Some((partition, offset, delivery)) = pending.pop_front() else {
            break;
        };
        delivery.await?.map_err(|(e, _)| e)?;
        consumer.store_offset(&raw, partition, offset)?;
        acked += 1;
        if last_commit.elapsed() >= Duration::from_secs(1) {
            consumer.commit_consumer_state(CommitMode::Async)?;
            last_commit = Instant::now();
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    consumer.commit_consumer_state(CommitMode::Sync)?;
    println!(
        "passthrough: {acked} records in {seconds:.2} s: {:.0} records/s",
        acked as f64 / seconds
    );
    Ok(())
}

//! Reading records back: the Kafka reader, the fixture bodies, text bodies with unique
//! wamids and the ids the mapping gives them, and the "every id arrived" checks.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use wa_normalize::{Batch, Normalizer, RawMeta};

use super::root;

/// A record read back from a topic.
#[derive(Debug, Clone)]
pub struct Read {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub headers: HashMap<String, String>,
    pub value: Vec<u8>,
}

impl Read {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.value).unwrap()
    }
    /// (raw partition, raw offset) of an output record.
    pub fn lineage(&self) -> (i32, i64) {
        (
            self.headers["raw-partition"].parse().unwrap(),
            self.headers["raw-offset"].parse().unwrap(),
        )
    }
}

/// Reads every record of `topics` from the beginning until `done` says so or nothing new
/// arrives for `idle` (after at least `min_wait`).
pub fn read_topics(
    bootstrap: &str,
    topics: &[&str],
    idle: Duration,
    timeout: Duration,
    mut done: impl FnMut(&[Read]) -> bool,
) -> Vec<Read> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "e2e-reader")
        .set("enable.auto.commit", "false")
        .set("max.partition.fetch.bytes", "20000000")
        .set("fetch.max.bytes", "60000000")
        .set("receive.message.max.bytes", "70000000")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in metadata.topics() {
        if topics.contains(&topic.name()) {
            for p in topic.partitions() {
                tpl.add_partition_offset(topic.name(), p.id(), Offset::Beginning)
                    .unwrap();
            }
        }
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let started = Instant::now();
    let mut last = Instant::now();
    while started.elapsed() < timeout {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_owned(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Read {
                    topic: m.topic().to_owned(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    headers,
                    value: m.payload().unwrap_or_default().to_vec(),
                });
                last = Instant::now();
                if done(&out) {
                    break;
                }
            }
            Some(Err(e)) => eprintln!("reader: {e}"),
            None => {
                if done(&out) || last.elapsed() > idle {
                    break;
                }
            }
        }
    }
    out
}

pub fn fixture_bodies() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("fixtures/bodies");
    let mut bodies: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    bodies.sort();
    bodies
}

pub fn expected_for(name: &str) -> Vec<serde_json::Value> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let path = root()
        .join("fixtures/expected")
        .join(format!("{stem}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

/// A text message body for business number `pnid` from `user`, with a unique wamid.
pub fn text_body(i: usize, pnid: &str, user: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"{pnid}"}},"contacts":[{{"profile":{{"name":"User {i}"}},"wa_id":"{user}"}}],"messages":[{{"from":"{user}","id":"wamid.E2E{i:06}","timestamp":"1767225600","type":"text","text":{{"body":"message {i}"}}}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

/// The ids the mapping gives a body's records (computed in-process).
pub fn expected_ids(body: &[u8]) -> Vec<String> {
    let mut batch = Batch::new();
    Normalizer::default().map(body, &RawMeta::default(), &mut batch);
    batch.iter().map(|r| r.event_id.to_owned()).collect()
}

pub fn ids_of(outputs: &[Read]) -> BTreeSet<String> {
    outputs
        .iter()
        .map(|r| r.headers["event-id"].clone())
        .collect()
}

/// `count` text bodies with wamids from `first` on, spread over `numbers.1` business numbers
/// (`numbers.0` and 5 digits) and `users.1` users (`users.0` and 7 digits).
pub fn text_bodies(
    first: usize,
    count: usize,
    numbers: (&str, usize),
    users: (&str, usize),
) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            text_body(
                first + i,
                &format!("{}{:05}", numbers.0, i % numbers.1),
                &format!("{}{:07}", users.0, i % users.1),
            )
        })
        .collect()
}

/// The ids the mapping gives every one of `bodies`.
pub fn expected_ids_of(bodies: &[Vec<u8>]) -> BTreeSet<String> {
    bodies.iter().flat_map(|b| expected_ids(b)).collect()
}

/// Reads `topic` until at least `count` records are there (or `idle` passes with none new).
pub fn read_at_least(
    bootstrap: &str,
    topic: &str,
    count: usize,
    idle: Duration,
    timeout: Duration,
) -> Vec<Read> {
    read_topics(bootstrap, &[topic], idle, timeout, |r| r.len() >= count)
}

/// Reads `topic` until every id of `want` is there (or `idle` passes with none new); the
/// records and their distinct ids.
pub fn read_until_all(
    bootstrap: &str,
    topic: &str,
    want: &BTreeSet<String>,
    idle: Duration,
    timeout: Duration,
) -> (Vec<Read>, BTreeSet<String>) {
    let outputs = read_topics(bootstrap, &[topic], idle, timeout, |r| {
        ids_of(r).is_superset(want)
    });
    let got = ids_of(&outputs);
    (outputs, got)
}

/// Fails with how many of `want` never arrived, and `logs` to tell why.
pub fn assert_all_arrived(got: &BTreeSet<String>, want: &BTreeSet<String>, logs: &str) {
    assert!(
        got.is_superset(want),
        "missing {} of {}\n{logs}",
        want.difference(got).count(),
        want.len()
    );
}

/// Duplicates (at-least-once) are the same record again: same id, same value.
pub fn assert_duplicates_identical(outputs: &[Read]) {
    let mut value_of: HashMap<&str, &[u8]> = HashMap::new();
    for record in outputs {
        let previous = value_of.insert(&record.headers["event-id"], &record.value);
        assert!(
            previous.is_none_or(|v| v == record.value.as_slice()),
            "a duplicate of {} differs",
            record.headers["event-id"]
        );
    }
}

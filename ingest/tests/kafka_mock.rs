//! The receiver with its real Kafka sink, against librdkafka's in-process mock cluster:
//! 200 only after the broker has the record, the exact bytes and headers on the raw topic,
//! 401 never produced, and 503 within the bound while the broker is down.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::{Offset, TopicPartitionList};
use wa_ingest::{KafkaSettings, KafkaSink};

const TOPIC: &str = "whatsapp.raw";

fn settings<C: rdkafka::ClientContext>(
    cluster: &MockCluster<'_, C>,
    timeout: Duration,
) -> KafkaSettings {
    KafkaSettings {
        brokers: cluster.bootstrap_servers(),
        topic: TOPIC.into(),
        max_body_bytes: 4 * 1024 * 1024,
        produce_timeout: timeout,
        linger: Duration::from_millis(1),
        extra: vec![],
    }
}

struct RawRead {
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
}

/// Reads every record of the raw topic's partition 0 from the start.
fn read_all(bootstrap: &str, expected: usize) -> Vec<RawRead> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "test-reader")
        .set("enable.auto.commit", "false")
        .set("fetch.max.bytes", "10485760")
        .set("max.partition.fetch.bytes", "10485760")
        .set("receive.message.max.bytes", "20000000")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(TOPIC, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < expected && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(RawRead {
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().unwrap_or_default().to_vec(),
                headers,
            });
        }
    }
    // Nothing beyond what was expected.
    if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
        panic!("unexpected extra record at offset {}", m.offset());
    }
    out
}

fn header<'r>(record: &'r RawRead, name: &str) -> Option<&'r [u8]> {
    record
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// A one-broker mock cluster with the raw topic, and ingest on it (`config`) whose producer
/// gives up on a record after `message_timeout`.
async fn on_mock_cluster(
    message_timeout: Duration,
    config: wa_ingest::IngestConfig,
) -> (
    MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    Server<KafkaSink>,
) {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic(TOPIC, 1, 1).unwrap();
    let sink = KafkaSink::new(&settings(&cluster, message_timeout)).unwrap();
    let server = Server::start(config, sink).await;
    (cluster, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_records_are_the_exact_bytes_with_key_and_headers() {
    let (cluster, server) = on_mock_cluster(Duration::from_secs(5), config()).await;

    let escaped = fixture("unicode-escaped.json");
    let raw_utf8 = fixture("edge-raw-utf8.json");
    let big = big_batch();
    assert!(big.len() > 2_900_000, "{}", big.len());
    let bodies = [escaped, raw_utf8, big];
    for body in &bodies {
        let reply = post_signed(server.addr, body, SECRET).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(reply.text().contains("requestId"));
    }
    // 401s between them must not be produced.
    assert_eq!(
        post_signed(server.addr, &bodies[0], "wrong").await.status,
        401
    );
    assert_eq!(
        request(server.addr, "POST", "/webhook", &[], &bodies[0])
            .await
            .status,
        401
    );

    let bootstrap = cluster.bootstrap_servers();
    let records = tokio::task::spawn_blocking(move || read_all(&bootstrap, 3))
        .await
        .unwrap();
    assert_eq!(records.len(), 3);
    for (record, body) in records.iter().zip(&bodies) {
        assert_eq!(
            record.value, *body,
            "the raw topic holds the body byte for byte"
        );
        assert_eq!(record.key.as_deref(), Some(&b"1065403500012345"[..]));
        let signature = wa_ingest::signature::sign(SECRET.as_bytes(), body);
        assert_eq!(
            header(record, "x-hub-signature-256"),
            Some(signature.as_bytes())
        );
        assert_eq!(
            header(record, "content-type"),
            Some(&b"application/json"[..])
        );
        let received = std::str::from_utf8(header(record, "received-at").unwrap()).unwrap();
        assert!(
            received.len() == 24 && received.ends_with('Z'),
            "{received}"
        );
        assert_eq!(header(record, "request-id").unwrap().len(), 36);
        assert!(header(record, "traceparent").unwrap().starts_with(b"00-"));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_is_a_503_within_the_bound_then_200_once_back() {
    let bound = Duration::from_secs(2);
    let mut cfg = config();
    cfg.produce_timeout = bound;
    let (cluster, server) = on_mock_cluster(bound, cfg).await;
    let body = fixture("text.json");
    assert_eq!(post_signed(server.addr, &body, SECRET).await.status, 200);

    cluster.broker_down(1).unwrap();
    let started = Instant::now();
    let reply = post_signed(server.addr, &body, SECRET).await;
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert!(reply.text().contains("retry later"));
    // The bound is the produce timeout (plus the guard's margin), not librdkafka's 300 s.
    assert!(took < bound + Duration::from_secs(3), "503 after {took:?}");

    cluster.broker_up(1).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = 0;
    while Instant::now() < deadline {
        status = post_signed(server.addr, &body, SECRET).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        status, 200,
        "the same request succeeds once the broker is back"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_broker() {
    let (cluster, server) = on_mock_cluster(Duration::from_secs(2), config()).await;
    let wait_for = |want: u16| {
        let addr = server.addr;
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let status = request(addr, "GET", "/readyz", &[], b"").await.status;
                if status == want || Instant::now() > deadline {
                    return status;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(wait_for(200).await, 200);
    cluster.broker_down(1).unwrap();
    assert_eq!(wait_for(503).await, 503);
    assert_eq!(
        request(server.addr, "GET", "/healthz", &[], b"")
            .await
            .status,
        200
    );
    cluster.broker_up(1).unwrap();
    assert_eq!(wait_for(200).await, 200);
    server.shutdown().await;
}

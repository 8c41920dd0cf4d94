//! The receiver over a socket with an in-memory sink: routing, handshake, signature, limits,
//! overload and shutdown. (The Kafka sink is tested against the mock cluster in
//! `kafka_mock.rs`.)

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tokio::sync::Notify;
use wa_ingest::record::RawRecord;
use wa_ingest::sink::{PersistError, RawSink};

/// Keeps what it is given; can be made to hold every persist until released.
#[derive(Clone, Default)]
struct MemorySink {
    stored: Arc<Mutex<Vec<RawRecord>>>,
    gate: Option<Arc<Notify>>,
    started: Arc<Notify>,
}

impl RawSink for MemorySink {
    async fn persist(&self, record: RawRecord) -> Result<(), PersistError> {
        self.started.notify_one();
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        self.stored.lock().unwrap().push(record);
        Ok(())
    }
    fn ready(&self) -> bool {
        true
    }
    fn flush(&self, _: Duration) {}
    fn topic(&self) -> &str {
        "whatsapp.raw"
    }
}

#[tokio::test]
async fn handshake_answers_the_challenge_or_refuses() {
    let server = Server::start(config(), MemorySink::default()).await;
    let ok = request(
        server.addr,
        "GET",
        "/webhook?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444",
        &[],
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text(), "1158201444");
    assert_eq!(ok.header("content-type"), Some("text/plain"));
    let wrong = request(
        server.addr,
        "GET",
        "/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        &[],
        b"",
    )
    .await;
    assert_eq!(wrong.status, 403);
    let missing = request(
        server.addr,
        "GET",
        "/webhook?hub.mode=subscribe&hub.verify_token=verify-me",
        &[],
        b"",
    )
    .await;
    assert_eq!(missing.status, 400);
    assert!(missing.text().contains("hub.challenge"));
    server.shutdown().await;
}

#[tokio::test]
async fn signed_bodies_are_stored_unchanged_and_others_never() {
    let sink = MemorySink::default();
    let server = Server::start(config(), sink.clone()).await;
    let body = fixture("unicode-escaped.json");
    assert_eq!(post_signed(server.addr, &body, SECRET).await.status, 200);
    assert_eq!(
        post_signed(server.addr, &body, "second_app_secret")
            .await
            .status,
        200
    );

    let wrong = post_signed(server.addr, &body, "not_the_secret").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("does not match"), "{}", wrong.text());
    let missing = request(server.addr, "POST", "/webhook", &[], &body).await;
    assert_eq!(missing.status, 401);
    let malformed = request(
        server.addr,
        "POST",
        "/webhook",
        &[("X-Hub-Signature-256", "sha1=abc")],
        &body,
    )
    .await;
    assert_eq!(malformed.status, 401);
    let mut tampered = body.clone();
    tampered[100] ^= 1;
    let sig = wa_ingest::signature::sign(SECRET.as_bytes(), &body);
    let changed = request(
        server.addr,
        "POST",
        "/webhook",
        &[("X-Hub-Signature-256", &sig)],
        &tampered,
    )
    .await;
    assert_eq!(changed.status, 401);

    let stored = sink.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 2, "only the two signed requests are stored");
    assert_eq!(&stored[0].body[..], &body[..]);
    assert_eq!(stored[0].key.as_deref(), Some("1065403500012345"));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let server = Server::start(config(), MemorySink::default()).await;
    let put = request(server.addr, "PUT", "/webhook", &[], b"").await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), Some("GET, POST"));
    for (method, path, status) in [
        ("GET", "/other", 404),
        ("DELETE", "/webhook", 405),
        ("POST", "/healthz", 405),
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
    ] {
        let reply = request(server.addr, method, path, &[], b"").await;
        assert_eq!(reply.status, status, "{method} {path}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_whether_declared_or_streamed() {
    let mut cfg = config();
    cfg.max_body_bytes = 1000;
    let sink = MemorySink::default();
    let server = Server::start(cfg, sink.clone()).await;
    let big = vec![b'x'; 5000];
    let declared = post_signed(server.addr, &big, SECRET).await;
    assert_eq!(declared.status, 413);
    // Chunked: no Content-Length, the limit is enforced while reading.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = "POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..5 {
        let _ = stream.write_all(b"3e8\r\n").await;
        let _ = stream.write_all(&[b'y'; 1000]).await;
        let _ = stream.write_all(b"\r\n").await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    assert_eq!(parse_reply(&raw).status, 413);
    assert!(sink.stored.lock().unwrap().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn past_the_in_flight_cap_requests_get_503_with_retry_after() {
    let mut cfg = config();
    cfg.max_in_flight = 2;
    let gate = Arc::new(tokio::sync::Notify::new());
    let sink = MemorySink {
        gate: Some(gate.clone()),
        ..MemorySink::default()
    };
    let server = Server::start(cfg, sink.clone()).await;
    let body = fixture("text.json");
    let addr = server.addr;
    let held: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move { post_signed(addr, &body, SECRET).await })
        })
        .collect();
    for _ in 0..2 {
        sink.started.notified().await;
    }
    let over = post_signed(addr, &body, SECRET).await;
    assert_eq!(over.status, 503);
    assert_eq!(over.header("retry-after"), Some("5"));
    gate.notify_waiters();
    // Release until both held requests are through.
    let mut replies = Vec::new();
    for h in held {
        loop {
            gate.notify_waiters();
            if h.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        replies.push(h.await.unwrap().status);
    }
    assert_eq!(replies, [200, 200]);
    assert_eq!(sink.stored.lock().unwrap().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn slow_bodies_time_out() {
    let mut cfg = config();
    cfg.body_read_timeout = Duration::from_millis(300);
    let server = Server::start(cfg, MemorySink::default()).await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"partial\":")
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
    assert_eq!(parse_reply(&raw).status, 408);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let sink = MemorySink {
        gate: Some(gate.clone()),
        ..MemorySink::default()
    };
    let server = Server::start(config(), sink.clone()).await;
    let addr = server.addr;
    let body = fixture("text.json");
    let in_flight = tokio::spawn(async move { post_signed(addr, &body, SECRET).await });
    sink.started.notified().await;
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // No new connections once shutdown started.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    gate.notify_waiters();
    assert_eq!(in_flight.await.unwrap().status, 200);
    stopping.await.unwrap();
    assert_eq!(sink.stored.lock().unwrap().len(), 1);
}

//! Ceiling for ingest's benchmark: the least a correct receiver does. hyper reads the body,
//! HMAC-SHA256 checks `X-Hub-Signature-256` in constant time, rdkafka produces the body with
//! ingest's producer settings (the same `Role::RawProducer`: idempotent, acks=all, the same
//! linger and delivery bound) and the answer waits for the broker's ack: 200, else 401 or
//! 503. No limits, no logs, no metrics, no traces. `bench/run.sh` runs it beside
//! `wa-pipeline ingest` on the same broker.
//!
//! `RECORD=bare` (the default) produces the body alone. `RECORD=design` produces the record
//! the design asks for: keyed by `phone_number_id`, with the five raw headers ingest sets
//! for a request without `tracestate` (Meta sends none), values of the same sizes. Each
//! header costs librdkafka and the broker it shares the cores with; that mode is the
//! ceiling for a receiver that must write the design's record.
//!
//! `KAFKA_BROKERS=127.0.0.1:9092 WHATSAPP_APP_SECRET=s LISTEN_ADDR=127.0.0.1:8082 \
//!   cargo run --release -p wa-ingest --example minimal_receiver`

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sha2::Sha256;
use wa_kafka::client::{ClientSettings, Role};
use wa_schemas::contract::raw_header;
use wa_schemas::contract::{raw_record_bytes, DEFAULT_MAX_BODY_BYTES, DEFAULT_RAW_TOPIC};

struct Receiver {
    secret: Vec<u8>,
    producer: FutureProducer,
    topic: String,
    /// `RECORD=design`: key and headers as ingest writes them.
    design_record: bool,
}

/// Header values of the sizes ingest writes (a request id, a timestamp, a traceparent).
const REQUEST_ID: &[u8] = b"0b4b2a52-7d1e-4c55-9a1e-3f0d2c8b7a61";
const RECEIVED_AT: &[u8] = b"2026-01-01T00:00:00.000Z";
const TRACEPARENT: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl Receiver {
    fn verified(&self, headers: &hyper::HeaderMap, body: &[u8]) -> bool {
        let Some(hex) = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("sha256="))
        else {
            return false;
        };
        let Ok(expected) = hex::decode(hex) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }

    async fn answer(&self, request: Request<Incoming>) -> u16 {
        let (parts, body) = request.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return 400;
        };
        if !self.verified(&parts.headers, &body) {
            return 401;
        }
        let mut record = FutureRecord::<str, [u8]>::to(&self.topic).payload(&body);
        if self.design_record {
            let signature = parts.headers.get("x-hub-signature-256");
            let content_type = parts.headers.get("content-type");
            let mut headers = OwnedHeaders::new_with_capacity(5);
            for (key, value) in [
                (raw_header::SIGNATURE, signature.map(|v| v.as_bytes())),
                (raw_header::RECEIVED_AT, Some(RECEIVED_AT)),
                (raw_header::REQUEST_ID, Some(REQUEST_ID)),
                (raw_header::TRACEPARENT, Some(TRACEPARENT)),
                (raw_header::CONTENT_TYPE, content_type.map(|v| v.as_bytes())),
            ] {
                headers = headers.insert(Header { key, value });
            }
            record = record.headers(headers);
            if let Some(key) = wa_ingest::key::phone_number_id(&body) {
                record = record.key(key);
            }
        }
        match self.producer.send(record, Duration::ZERO).await {
            Ok(_) => 200,
            Err(_) => 503,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let brokers = env("KAFKA_BROKERS", "127.0.0.1:9092");
    let producer: FutureProducer = ClientSettings::new(brokers, Vec::new())?
        .config(Role::RawProducer {
            delivery_timeout: Duration::from_secs(5),
            max_record_bytes: raw_record_bytes(DEFAULT_MAX_BODY_BYTES),
            linger: Duration::from_millis(env("LINGER_MS", "1").parse()?),
        })
        .create()?;
    let receiver = Arc::new(Receiver {
        secret: env("WHATSAPP_APP_SECRET", "").into_bytes(),
        producer,
        topic: env("TOPIC_RAW", DEFAULT_RAW_TOPIC),
        design_record: match env("RECORD", "bare").as_str() {
            "bare" => false,
            "design" => true,
            other => return Err(format!("RECORD={other}: use bare or design").into()),
        },
    });
    let listener = tokio::net::TcpListener::bind(env("LISTEN_ADDR", "127.0.0.1:8082")).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let receiver = receiver.clone();
                async move {
                    let status = receiver.answer(request).await;
                    let response = Response::builder()
                        .status(status)
                        .body(Full::new(Bytes::new()))
                        .expect("a static response");
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

//! The webhook receiver: answers Meta's handshake, verifies `X-Hub-Signature-256` on the raw
//! bytes, and stores each body unchanged on the raw topic, answering 200 only once the
//! broker acknowledged it and 503 when it cannot within the bound.
//!
//! Rooms: [`server`] (accept loop, connection cap, graceful drain), `body` (reading a
//! body within its size, time and memory limits), [`service`] (routing and the outcome of
//! each request; refusal warnings are budgeted by `wa_telemetry::log_limit`), [`handshake`], [`signature`], [`record`] (the raw record
//! and its headers), [`key`] (the record key), [`sink`] (the Kafka producer), [`error`]
//! (every error's status, in one place), [`config`].

pub(crate) mod body;
pub mod config;
pub(crate) mod error;
pub(crate) mod handshake;
pub mod key;
pub mod record;
pub mod server;
pub mod service;
pub mod signature;
pub mod sink;

pub use config::IngestConfig;
pub use service::Ingest;
pub use sink::{KafkaSettings, KafkaSink, RawSink};

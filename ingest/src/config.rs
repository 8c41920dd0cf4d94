//! Configuration of the receiver.

use std::net::SocketAddr;
use std::time::Duration;

use wa_schemas::contract::{DEFAULT_MAX_BODY_BYTES, DEFAULT_WEBHOOK_PATH};

use crate::signature::Secrets;

/// Everything the receiver needs; the binary fills it from flags and environment.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The webhook path, e.g. `/webhook`.
    pub path: String,
    /// Token of the GET handshake; `None` refuses every handshake.
    pub verify_token: Option<String>,
    /// App secrets the signature may be made with.
    pub secrets: Secrets,
    /// Largest body accepted; larger is 413.
    pub max_body_bytes: usize,
    /// Bound on persisting one body (delivery report included); past it, 503.
    pub produce_timeout: Duration,
    /// Verified requests being stored at once; past it, an immediate 503.
    pub max_in_flight: usize,
    /// Bytes of bodies being read or stored at once, across all requests; past it, 503.
    pub max_body_memory: usize,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Time a client has to send its body.
    pub body_read_timeout: Duration,
    /// Time in-flight requests get to finish on shutdown.
    pub shutdown_timeout: Duration,
    /// `Retry-After` seconds on 503.
    pub retry_after_secs: u32,
}

impl IngestConfig {
    /// A configuration with the documented defaults.
    pub fn new(listen: SocketAddr, secrets: Secrets) -> Self {
        IngestConfig {
            listen,
            path: DEFAULT_WEBHOOK_PATH.into(),
            verify_token: None,
            secrets,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            produce_timeout: Duration::from_secs(5),
            max_in_flight: 1024,
            max_body_memory: 256 * 1024 * 1024,
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            retry_after_secs: 5,
        }
    }
}

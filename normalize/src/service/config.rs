//! Configuration of the normalize service.

use std::time::Duration;

use wa_kafka::{ClientSettings, Role};
use wa_schemas::contract::{
    output_record_bytes, DEFAULT_GROUP_ID, DEFAULT_MAX_BODY_BYTES, DEFAULT_RAW_TOPIC,
};

/// Configuration of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The cluster and the extra client properties.
    pub client: ClientSettings,
    /// Consumer group id.
    pub group_id: String,
    /// The raw topic.
    pub raw_topic: String,
    /// Raw records whose outputs may await acknowledgement at once.
    pub max_in_flight: usize,
    /// Capacity of the dedup window (0: off).
    pub dedup_window: usize,
    /// Largest raw record; fetch and produce sizes are set from it.
    pub max_record_bytes: usize,
    /// How often stored offsets are committed.
    pub commit_interval: Duration,
    /// Consumer group session timeout: how soon a dead member's partitions move.
    pub session_timeout: Duration,
    /// Time the shutdown gets to drain acknowledgements and commit.
    pub shutdown_timeout: Duration,
    /// Consume every partition of the raw topic without taking part in the group's
    /// rebalances (offsets are still committed under the group id). For a single instance
    /// only: `run` on its embedded broker, where a killed member's partitions would
    /// otherwise stay assigned to it (Tansu 0.6.0 keeps group membership on disk and never
    /// evicts it).
    pub assign_all: bool,
}

impl ServiceConfig {
    /// A configuration with the documented defaults.
    pub fn new(client: ClientSettings) -> Self {
        ServiceConfig {
            client,
            group_id: DEFAULT_GROUP_ID.into(),
            raw_topic: DEFAULT_RAW_TOPIC.into(),
            max_in_flight: 256,
            dedup_window: 0,
            max_record_bytes: DEFAULT_MAX_BODY_BYTES,
            commit_interval: Duration::from_secs(1),
            session_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            assign_all: false,
        }
    }

    pub(super) fn consumer_role(&self) -> Role<'_> {
        Role::GroupConsumer {
            group_id: &self.group_id,
            commit_interval: self.commit_interval,
            session_timeout: self.session_timeout,
            max_record_bytes: self.max_record_bytes,
        }
    }

    pub(super) fn producer_role(&self) -> Role<'static> {
        Role::OutputProducer {
            max_record_bytes: output_record_bytes(self.max_record_bytes),
        }
    }
}

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
    /// Which raw partitions this instance consumes.
    pub assignment: Assignment,
    /// Set while the service consumes (its clients are up): readiness.
    pub ready: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Media re-hosting; `None` (the default) leaves attachments' URLs as mapped.
    pub media: Option<super::MediaStage>,
}

/// Which raw partitions an instance consumes.
///
/// Outside the group, offsets are still committed under the group id, so an instance can
/// move between the modes and resume where the group was. Why it exists: Tansu 0.6.0 keeps
/// group membership on disk and never evicts a member killed with SIGKILL, so its
/// partitions stall until a rebalance that never comes; static membership
/// (`group.instance.id`) made it rebalance in a loop (measured). Assigned partitions never
/// depend on the group coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Assignment {
    /// Join the consumer group; the broker spreads the partitions over the members.
    #[default]
    Group,
    /// Every partition of the raw topic (a single instance: `run` on its embedded broker).
    All,
    /// These partitions; instances must list disjoint sets that cover the topic.
    Partitions(Vec<i32>),
}

impl std::str::FromStr for Assignment {
    type Err = String;

    /// `group`, `all`, or partitions and ranges such as `0,1,4-7`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "group" => return Ok(Assignment::Group),
            "all" => return Ok(Assignment::All),
            _ => {}
        }
        let mut partitions = Vec::new();
        for part in text.split(',').map(str::trim) {
            let bad = || {
                format!("`{part}` is not a partition or range (use `group`, `all` or a list such as `0,1,4-7`)")
            };
            let (low, high) = part.split_once('-').unwrap_or((part, part));
            let low: i32 = low.trim().parse().map_err(|_| bad())?;
            let high: i32 = high.trim().parse().map_err(|_| bad())?;
            if low < 0 || high < low {
                return Err(bad());
            }
            partitions.extend(low..=high);
        }
        partitions.sort_unstable();
        partitions.dedup();
        Ok(Assignment::Partitions(partitions))
    }
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
            assignment: Assignment::Group,
            ready: Default::default(),
            media: None,
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

#[cfg(test)]
mod tests {
    use super::Assignment;

    #[test]
    fn assignments_parse_lists_and_ranges_and_refuse_the_rest() {
        assert_eq!("group".parse(), Ok(Assignment::Group));
        assert_eq!("all".parse(), Ok(Assignment::All));
        assert_eq!(
            "3, 0-1,1".parse(),
            Ok(Assignment::Partitions(vec![0, 1, 3]))
        );
        for bad in ["x", "2-1", "-1", "0,,1", "1-"] {
            let refused: Result<Assignment, _> = bad.parse();
            assert!(refused.is_err(), "{bad}");
        }
    }
}

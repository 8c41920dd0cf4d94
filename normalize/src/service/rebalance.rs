//! Logs the partitions this instance gains and loses (the first thing to look at when
//! instances scale out or die), and turns librdkafka's statistics into the consumer-lag
//! gauge.

use opentelemetry::KeyValue;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, TopicPartitionList};

/// The consumer's context.
pub struct RebalanceLog;

impl ClientContext for RebalanceLog {
    /// `wa.normalize.consumer.lag` per consumed partition (librdkafka reports -1 for
    /// partitions it does not consume; those are skipped).
    fn stats(&self, statistics: Statistics) {
        let lag = &wa_telemetry::metrics().lag;
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    lag.record(
                        p.consumer_lag,
                        &[
                            KeyValue::new("messaging.destination.name", topic.clone()),
                            KeyValue::new(
                                "messaging.destination.partition.id",
                                partition.to_string(),
                            ),
                        ],
                    );
                }
            }
        }
    }
}

impl ConsumerContext for RebalanceLog {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let list = |tpl: &TopicPartitionList| {
            tpl.elements()
                .iter()
                .map(|e| format!("{}/{}", e.topic(), e.partition()))
                .collect::<Vec<_>>()
                .join(",")
        };
        match rebalance {
            Rebalance::Assign(tpl) => {
                tracing::info!(partitions = %list(tpl), "partitions assigned")
            }
            Rebalance::Revoke(tpl) => tracing::info!(partitions = %list(tpl), "partitions revoked"),
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }
}

//! The Kafka [`OutputSink`]: normalize's idempotent producer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use wa_kafka::Failure;

use crate::sink::{OutRecord, OutputSink, SinkError};

/// Output records to Kafka.
pub struct KafkaOutput {
    producer: FutureProducer,
}

impl KafkaOutput {
    /// Sends through `producer`.
    pub fn new(producer: FutureProducer) -> Self {
        KafkaOutput { producer }
    }

    /// The producer (to flush it at shutdown).
    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }
}

/// A delivery report, as the sink's acknowledgement; counted in the messaging metrics.
pub struct KafkaAck {
    delivery: DeliveryFuture,
    topic: Box<str>,
    started: Instant,
}

impl Future for KafkaAck {
    type Output = Result<(), SinkError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut this.delivery)
            .poll(cx)
            .map(|delivery| match delivery {
                Ok(Ok(_)) => {
                    let destination = wa_telemetry::instruments::destination(&this.topic);
                    let metrics = wa_telemetry::metrics();
                    metrics.sent.add(1, &destination);
                    metrics
                        .produce_duration
                        .record(this.started.elapsed().as_secs_f64(), &destination);
                    Ok(())
                }
                Ok(Err((e, _))) => Err(permanent(&e, "the brokers refused it")),
                // The producer went away: only at shutdown.
                Err(_) => Err(SinkError::Closed),
            })
    }
}

fn permanent(e: &KafkaError, otherwise: &'static str) -> SinkError {
    let why = match wa_kafka::classify(e) {
        Failure::Permanent(why) => why,
        Failure::Transient => otherwise,
    };
    SinkError::Permanent {
        why,
        detail: e.to_string(),
    }
}

impl OutputSink for KafkaOutput {
    type Ack = KafkaAck;

    async fn send(&self, record: &OutRecord<'_>) -> Result<KafkaAck, SinkError> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            headers = headers.insert(Header {
                key,
                value: Some(*value),
            });
        }
        let mut out = FutureRecord::to(record.topic)
            .payload(record.value)
            .headers(headers);
        if let Some(key) = record.key {
            out = out.key(key);
        }
        let mut last_log: Option<Instant> = None;
        loop {
            match self.producer.send_result(out) {
                Ok(delivery) => {
                    return Ok(KafkaAck {
                        delivery,
                        topic: record.topic.into(),
                        started: Instant::now(),
                    })
                }
                // A full local queue is back-pressure, not an error: wait and retry the same
                // record, so the order of this partition's outputs is kept.
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((e, back)) => {
                    if let Failure::Permanent(why) = wa_kafka::classify(&e) {
                        return Err(SinkError::Permanent {
                            why,
                            detail: e.to_string(),
                        });
                    }
                    if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!(error = %e, topic = record.topic, "output not accepted by the producer; retrying");
                        last_log = Some(Instant::now());
                    }
                    out = back;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

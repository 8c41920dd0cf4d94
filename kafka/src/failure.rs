//! Which produce errors a retry can cure. A record the brokers refuse for good must stop
//! the service with a clear error (a supervisor or an operator acts); retrying it forever
//! would stall its partition without a word.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// What to do about a failed produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Wait and send the same record again: the brokers or the network may recover.
    Transient,
    /// No retry can succeed; says what an operator must change.
    Permanent(&'static str),
}

/// The non-retriable produce errors, each with what to change.
const PERMANENT: &[(RDKafkaErrorCode, &str)] = &[
    (RDKafkaErrorCode::MessageSizeTooLarge, TOO_LARGE),
    (RDKafkaErrorCode::InvalidMessageSize, TOO_LARGE),
    (RDKafkaErrorCode::MessageBatchTooLarge, TOO_LARGE),
    (
        RDKafkaErrorCode::InvalidRecord,
        "the broker rejects the record as invalid",
    ),
    (RDKafkaErrorCode::TopicAuthorizationFailed, AUTHORIZATION),
    (RDKafkaErrorCode::ClusterAuthorizationFailed, AUTHORIZATION),
    (
        RDKafkaErrorCode::TransactionalIdAuthorizationFailed,
        AUTHORIZATION,
    ),
    (
        RDKafkaErrorCode::SaslAuthenticationFailed,
        "the credentials are wrong: check the SASL options",
    ),
    (
        RDKafkaErrorCode::Authentication,
        "the credentials are wrong: check the SASL options",
    ),
    (RDKafkaErrorCode::UnknownTopic, UNKNOWN_TOPIC),
    (RDKafkaErrorCode::InvalidTopic, UNKNOWN_TOPIC),
    (
        RDKafkaErrorCode::UnsupportedForMessageFormat,
        "the topic's message format is too old for headers",
    ),
    (
        RDKafkaErrorCode::InvalidRequiredAcks,
        "the broker refuses acks=all",
    ),
    (
        RDKafkaErrorCode::InvalidArgument,
        "librdkafka refuses the record's arguments",
    ),
    (
        RDKafkaErrorCode::Fatal,
        "the producer hit a fatal error and must be recreated",
    ),
];

const TOO_LARGE: &str = "the record exceeds a size limit: raise the topic's max.message.bytes \
    (or the broker's message.max.bytes) to at least the configured limit";
const AUTHORIZATION: &str = "the client is not authorized to write the topic: grant it the ACL";
const UNKNOWN_TOPIC: &str =
    "the topic does not exist and is not auto-created: create it (--create-topics)";

/// The class of a produce error.
pub fn classify(error: &KafkaError) -> Failure {
    let Some(code) = error.rdkafka_error_code() else {
        return Failure::Transient;
    };
    PERMANENT
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(Failure::Transient, |(_, why)| Failure::Permanent(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_authorization_are_permanent_and_outages_transient() {
        let produce = |code| KafkaError::MessageProduction(code);
        assert!(
            matches!(classify(&produce(RDKafkaErrorCode::MessageSizeTooLarge)), Failure::Permanent(why) if why.contains("max.message.bytes"))
        );
        assert!(matches!(
            classify(&produce(RDKafkaErrorCode::TopicAuthorizationFailed)),
            Failure::Permanent(_)
        ));
        assert!(matches!(
            classify(&produce(RDKafkaErrorCode::UnknownTopic)),
            Failure::Permanent(_)
        ));
        for code in [
            RDKafkaErrorCode::MessageTimedOut,
            RDKafkaErrorCode::AllBrokersDown,
            RDKafkaErrorCode::QueueFull,
            RDKafkaErrorCode::NotLeaderForPartition,
            RDKafkaErrorCode::BrokerTransportFailure,
        ] {
            assert_eq!(classify(&produce(code)), Failure::Transient, "{code:?}");
        }
        assert_eq!(classify(&KafkaError::Canceled), Failure::Transient);
    }
}

//! Extra librdkafka properties the pipeline refuses: each would silently break a promise
//! the stages make (a 200 means stored, no raw record is skipped, outputs are not lost).

/// Why a set of extra properties cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The property would weaken a delivery guarantee.
    #[error("refusing Kafka property `{key}`: {why}; remove it from KAFKA_PROPERTIES")]
    Guarded {
        /// The property.
        key: String,
        /// What it would break, and where the setting lives instead.
        why: &'static str,
    },
    /// An item of the list is not `key=value`.
    #[error("Kafka property {0:?} is not key=value")]
    Malformed(String),
}

/// The refused keys (and their aliases), each with what it would break.
const GUARDED: &[(&str, &str)] = &[
    ("acks", ACKS),
    ("request.required.acks", ACKS),
    ("enable.idempotence", "the idempotent producer keeps retries in order and free of duplicates"),
    ("retries", RETRIES),
    ("message.send.max.retries", RETRIES),
    ("message.timeout.ms", TIMEOUT),
    ("delivery.timeout.ms", TIMEOUT),
    ("enable.auto.offset.store", STORE),
    ("enable.auto.commit", STORE),
    ("auto.commit.enable", STORE),
    ("auto.offset.reset", "a new consumer group must start at the beginning of the raw topic, or webhooks already answered 200 are never normalized"),
    ("isolation.level", "normalize reads committed records only"),
    ("transactional.id", "the pipeline does not use transactions (Tansu 0.6.0 has none)"),
    ("bootstrap.servers", "the brokers are set with --kafka-brokers / KAFKA_BROKERS"),
    ("metadata.broker.list", "the brokers are set with --kafka-brokers / KAFKA_BROKERS"),
    ("group.id", "the consumer group is set with --group-id / GROUP_ID"),
];

const ACKS: &str = "acks=all is what makes a 200 mean stored on every in-sync replica";
const RETRIES: &str = "the producer must retry until its delivery bound, never give up early";
const TIMEOUT: &str =
    "ingest bounds delivery with --produce-timeout, and normalize retries outputs without limit";
const STORE: &str =
    "normalize stores and commits a raw offset only after all of its outputs are acknowledged";

/// Refuses the properties that would weaken a guarantee.
///
/// # Errors
/// [`ConfigError::Guarded`] naming the first such key.
pub fn check(properties: &[(String, String)]) -> Result<(), ConfigError> {
    for (key, _) in properties {
        let normalized = key.trim().to_ascii_lowercase();
        if let Some((_, why)) = GUARDED.iter().find(|(k, _)| *k == normalized) {
            return Err(ConfigError::Guarded {
                key: key.clone(),
                why,
            });
        }
    }
    Ok(())
}

/// Parses `key=value,key=value` (the `KAFKA_PROPERTIES` form) and refuses guarded keys.
///
/// # Errors
/// [`ConfigError`] for a malformed item or a guarded key.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let properties = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::Malformed(pair.to_owned()))?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    check(&properties)?;
    Ok(properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmless_properties_pass_and_guarded_ones_are_named() {
        let ok = parse("client.id=wa, security.protocol=plaintext").unwrap();
        assert_eq!(ok[0], ("client.id".into(), "wa".into()));
        for key in [
            "acks",
            "ACKS",
            "enable.idempotence",
            "message.timeout.ms",
            "enable.auto.commit",
            "enable.auto.offset.store",
            "isolation.level",
            "auto.offset.reset",
            "retries",
        ] {
            let e = parse(&format!("linger.ms=5,{key}=1")).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(&format!("`{key}`")), "{text}");
            assert!(text.contains("KAFKA_PROPERTIES"), "{text}");
        }
        assert_eq!(
            parse("nonsense"),
            Err(ConfigError::Malformed("nonsense".into()))
        );
        assert!(parse("").unwrap().is_empty());
    }
}

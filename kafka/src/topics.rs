//! Creating the pipeline's topics (`--create-topics`).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::client::{ClientSettings, Role};

/// Why the topics could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// The admin client could not be made or the request failed.
    #[error("cannot create topics: {0}")]
    Admin(#[source] KafkaError),
    /// The brokers refused one topic.
    #[error("cannot create topic {name}: {code}")]
    Refused {
        /// The topic.
        name: String,
        /// The broker's answer.
        code: RDKafkaErrorCode,
    },
}

/// A topic to create: its name and, when it must take large records, `max.message.bytes`.
pub type TopicSpec<'a> = (&'a str, Option<usize>);

/// Creates the topics that do not exist yet; existing ones are left as they are.
///
/// # Errors
/// [`TopicError`] when the brokers cannot be asked or refuse a topic.
pub async fn ensure(
    settings: &ClientSettings,
    topics: &[TopicSpec<'_>],
    partitions: i32,
    replication: i32,
) -> Result<(), TopicError> {
    let config = settings.config(Role::Admin);
    // Creating a client and reading metadata block: off the runtime's workers. Only what is
    // missing is asked for: some brokers log an error for each topic that exists.
    let (admin, existing) = tokio::task::spawn_blocking(move || {
        let admin: AdminClient<DefaultClientContext> = config.create()?;
        let existing: Vec<String> = admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(10))
            .map(|m| m.topics().iter().map(|t| t.name().to_owned()).collect())
            .unwrap_or_default();
        Ok((admin, existing))
    })
    .await
    .map_err(|_| TopicError::Admin(KafkaError::Canceled))?
    .map_err(TopicError::Admin)?;
    let topics: Vec<&TopicSpec<'_>> = topics
        .iter()
        .filter(|(name, _)| !existing.iter().any(|e| e == name))
        .collect();
    if topics.is_empty() {
        return Ok(());
    }
    let sizes: Vec<Option<String>> = topics
        .iter()
        .map(|(_, s)| s.map(|s| s.to_string()))
        .collect();
    let new_topics: Vec<NewTopic> = topics
        .iter()
        .zip(&sizes)
        .map(|((name, _), size)| {
            let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
            match size {
                Some(size) => topic.set("max.message.bytes", size),
                None => topic,
            }
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(TopicError::Admin)?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions, "created topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(TopicError::Refused { name, code }),
        }
    }
    Ok(())
}

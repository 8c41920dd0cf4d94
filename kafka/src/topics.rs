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
    // Creating a client starts librdkafka's threads: keep it off the runtime's workers.
    let admin: AdminClient<DefaultClientContext> =
        tokio::task::spawn_blocking(move || config.create())
            .await
            .map_err(|_| TopicError::Admin(KafkaError::Canceled))?
            .map_err(TopicError::Admin)?;
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

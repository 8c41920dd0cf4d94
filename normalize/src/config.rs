//! What the mapping needs to know besides the body.

use std::collections::HashMap;

use wa_schemas::topic::DEFAULT_RAW_TOPIC;
use wa_schemas::Topic;

/// Kafka topic names of the outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicNames {
    /// MO events.
    pub mo: String,
    /// Postback events.
    pub postback: String,
    /// Delivery receipts.
    pub delivery: String,
    /// Account events.
    pub account_events: String,
    /// Coexistence events (history sync, Business-app echoes).
    pub coexistence: String,
    /// Dead letters.
    pub dead_letter: String,
}

impl Default for TopicNames {
    fn default() -> Self {
        TopicNames {
            mo: Topic::Mo.default_name().into(),
            postback: Topic::Postback.default_name().into(),
            delivery: Topic::Delivery.default_name().into(),
            account_events: Topic::AccountEvent.default_name().into(),
            coexistence: Topic::Coexistence.default_name().into(),
            dead_letter: Topic::DeadLetter.default_name().into(),
        }
    }
}

impl TopicNames {
    /// The same names under `prefix` (`replay.` → `replay.whatsapp.mo`).
    pub fn prefixed(&self, prefix: &str) -> TopicNames {
        let name = |t: Topic| format!("{prefix}{}", self.name(t));
        TopicNames {
            mo: name(Topic::Mo),
            postback: name(Topic::Postback),
            delivery: name(Topic::Delivery),
            account_events: name(Topic::AccountEvent),
            coexistence: name(Topic::Coexistence),
            dead_letter: name(Topic::DeadLetter),
        }
    }

    /// The configured name of `topic`.
    pub fn name(&self, topic: Topic) -> &str {
        match topic {
            Topic::Mo => &self.mo,
            Topic::Postback => &self.postback,
            Topic::Delivery => &self.delivery,
            Topic::AccountEvent => &self.account_events,
            Topic::Coexistence => &self.coexistence,
            Topic::DeadLetter => &self.dead_letter,
        }
    }
}

/// The default media URL template: Graph API's media endpoint, which answers (with the
/// business's access token) the media's download URL.
pub const DEFAULT_MEDIA_URL_TEMPLATE: &str = "https://graph.facebook.com/{media_id}";

/// Configuration of the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Output topic names.
    pub topics: TopicNames,
    /// `appId` per `phone_number_id`; numbers not listed use their `phone_number_id`.
    pub app_ids: HashMap<String, String>,
    /// Builds an attachment's `url` when Meta sends none: `{media_id}` is replaced by the
    /// media id.
    pub media_url_template: String,
    /// How deeply a message, status or account-event value may nest. Deeper ones become
    /// dead letters: what we emit must stay readable by consumers' JSON parsers (Python's
    /// and serde_json's default recursion limits are about 128 levels).
    pub max_depth: usize,
}

/// The default [`Config::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 64;

impl Default for Config {
    fn default() -> Self {
        Config {
            topics: TopicNames::default(),
            app_ids: HashMap::new(),
            media_url_template: DEFAULT_MEDIA_URL_TEMPLATE.into(),
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl Config {
    /// The `appId` of a business number.
    pub fn app_id<'a>(&'a self, phone_number_id: &'a str) -> &'a str {
        self.app_ids
            .get(phone_number_id)
            .map_or(phone_number_id, String::as_str)
    }
}

/// Where a raw record came from: lineage for the output headers and dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMeta<'a> {
    /// The raw topic.
    pub topic: &'a str,
    /// Its partition; `None` outside Kafka.
    pub partition: Option<i32>,
    /// Its offset; `None` outside Kafka.
    pub offset: Option<i64>,
    /// The raw record's `received-at` header.
    pub received_at: Option<&'a str>,
}

impl Default for RawMeta<'_> {
    fn default() -> Self {
        RawMeta {
            topic: DEFAULT_RAW_TOPIC,
            partition: None,
            offset: None,
            received_at: None,
        }
    }
}

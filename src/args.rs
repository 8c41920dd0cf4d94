//! Argument groups shared by several subcommands.

use std::collections::HashMap;

use clap::Args;
use wa_normalize::{Config, TopicNames};
use wa_schemas::contract::{DEFAULT_MAX_BODY_BYTES, DEFAULT_RAW_TOPIC};
use wa_schemas::Topic;

/// Options of the mapping shared by every subcommand that normalizes.
#[derive(Debug, Clone, Args)]
pub struct MappingArgs {
    /// Topic for MO events.
    #[arg(long, env = "TOPIC_MO", default_value = Topic::Mo.default_name())]
    pub topic_mo: String,
    /// Topic for postback events.
    #[arg(long, env = "TOPIC_POSTBACK", default_value = Topic::Postback.default_name())]
    pub topic_postback: String,
    /// Topic for delivery receipts.
    #[arg(long, env = "TOPIC_DELIVERY", default_value = Topic::Delivery.default_name())]
    pub topic_delivery: String,
    /// Topic for account events (non-`messages` changes).
    #[arg(long, env = "TOPIC_ACCOUNT_EVENTS", default_value = Topic::AccountEvent.default_name())]
    pub topic_account_events: String,
    /// Topic for coexistence events (history-sync messages, Business-app echoes).
    #[arg(long, env = "TOPIC_COEXISTENCE", default_value = Topic::Coexistence.default_name())]
    pub topic_coexistence: String,
    /// Topic for dead letters.
    #[arg(long, env = "TOPIC_DEAD_LETTER", default_value = Topic::DeadLetter.default_name())]
    pub topic_dead_letter: String,
    /// `appId` per business number: comma-separated `phone_number_id=app_id` pairs. Numbers
    /// not listed use their `phone_number_id`.
    #[arg(long, env = "APP_IDS", default_value = "", value_parser = parse_app_ids)]
    pub app_ids: AppIds,
    /// Attachment URL when Meta sends none; `{media_id}` is replaced by the media id.
    #[arg(
        long,
        env = "MEDIA_URL_TEMPLATE",
        default_value = wa_normalize::config::DEFAULT_MEDIA_URL_TEMPLATE
    )]
    pub media_url_template: String,
    /// How deeply a message, status or account-event value may nest; deeper ones become
    /// dead letters (`unsupported_field`), so every record stays readable by consumers'
    /// JSON parsers.
    #[arg(long, env = "MAX_DEPTH", default_value_t = wa_normalize::config::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
}

/// Parsed `--app-ids`.
#[derive(Debug, Clone, Default)]
pub struct AppIds(pub HashMap<String, String>);

fn parse_app_ids(text: &str) -> Result<AppIds, String> {
    let mut map = HashMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (number, app) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not phone_number_id=app_id"))?;
        let (number, app) = (number.trim(), app.trim());
        if number.is_empty() || app.is_empty() {
            return Err(format!("{pair:?} has an empty phone_number_id or app_id"));
        }
        if map.insert(number.to_owned(), app.to_owned()).is_some() {
            return Err(format!("phone_number_id {number} is listed twice"));
        }
    }
    Ok(AppIds(map))
}

impl MappingArgs {
    /// The mapping configuration these options describe.
    pub fn config(&self) -> Config {
        Config {
            topics: TopicNames {
                mo: self.topic_mo.clone(),
                postback: self.topic_postback.clone(),
                delivery: self.topic_delivery.clone(),
                account_events: self.topic_account_events.clone(),
                coexistence: self.topic_coexistence.clone(),
                dead_letter: self.topic_dead_letter.clone(),
            },
            app_ids: self.app_ids.0.clone(),
            media_url_template: self.media_url_template.clone(),
            max_depth: self.max_depth,
        }
    }
}

/// What every stage that talks to Kafka takes: the raw topic, the limits, the cluster.
#[derive(Debug, Clone, Args)]
pub struct StageArgs {
    #[command(flatten)]
    pub raw: RawTopicArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub kafka: crate::kafka::KafkaArgs,
}

/// The raw topic.
#[derive(Debug, Clone, Args)]
pub struct RawTopicArgs {
    /// The raw topic: ingest writes it, normalize reads it, dead letters and lineage name it.
    #[arg(long, env = "TOPIC_RAW", default_value = DEFAULT_RAW_TOPIC)]
    pub topic_raw: String,
}

/// Limits shared by ingest and normalize.
#[derive(Debug, Clone, Args)]
pub struct LimitsArgs {
    /// Largest accepted body in bytes (Meta's batches reach about 3 MB); larger is 413.
    /// Kafka clients are sized from it.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Time work in flight gets to finish on SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub shutdown_timeout: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_parse_and_reject_mistakes() {
        let ids = parse_app_ids(" 1=a_1 , 2=a_2 ").unwrap();
        assert_eq!(ids.0.get("1").map(String::as_str), Some("a_1"));
        assert_eq!(ids.0.len(), 2);
        assert!(parse_app_ids("").unwrap().0.is_empty());
        assert!(parse_app_ids("1").is_err());
        assert!(parse_app_ids("1=").is_err());
        assert!(parse_app_ids("1=a,1=b").is_err());
    }
}

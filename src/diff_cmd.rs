//! `wa-pipeline diff`: what a mapping change does to real traffic. Compares the records of
//! a prefixed replay with the live output topics for the same raw range, by event id.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use clap::Args;
use rdkafka::message::{Headers, Message};
use serde_json::Value;
use wa_kafka::ClientSettings;
use wa_schemas::contract::output_header;
use wa_schemas::Topic;

use crate::args::{MappingArgs, StageArgs};
use crate::topic_range::{parse_bound, Bound, PartitionRange, RangeReader};

/// `wa-pipeline diff`: its options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The prefix the replay wrote under (`replay.`).
    #[arg(long, env = "REPLAY_TOPIC_PREFIX")]
    pub topic_prefix: String,
    /// Start of the raw range the replay covered (forms as for `replay`).
    #[arg(long, default_value = "beginning", value_parser = parse_bound)]
    pub from: Bound,
    /// End of the raw range the replay covered (exclusive).
    #[arg(long, default_value = "now", value_parser = parse_bound)]
    pub to: Bound,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub stage: StageArgs,
}

/// Records by (topic role, event id): their JSON values.
type Side = BTreeMap<(Topic, String), Value>;

/// Prints added, removed and changed events, then a count line.
pub async fn run(args: DiffArgs) -> anyhow::Result<()> {
    let stage = &args.stage;
    let settings = stage.kafka.settings(stage.kafka.brokers()?)?;
    let live = args.mapping.config().topics;
    let replayed = live.prefixed(&args.topic_prefix);
    let max_body = stage.limits.max_body_bytes;
    let raw_topic = stage.raw.topic_raw.clone();
    let (from, to) = (args.from.clone(), args.to.clone());
    let lines = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let raw = RangeReader::new(&settings, &raw_topic, max_body)?.resolve(&from, &to)?;
        let read = |names: &wa_normalize::TopicNames| -> anyhow::Result<Side> {
            let mut side = Side::new();
            for topic in Topic::ALL {
                read_side(
                    &settings,
                    names.name(topic),
                    topic,
                    &raw,
                    max_body,
                    &mut side,
                )?;
            }
            Ok(side)
        };
        Ok(compare(&read(&live)?, &read(&replayed)?, &live))
    })
    .await
    .context("the diff task failed")??;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// Reads `name` whole, keeping the records whose lineage lies in `raw`.
fn read_side(
    settings: &ClientSettings,
    name: &str,
    topic: Topic,
    raw: &[PartitionRange],
    max_body: usize,
    side: &mut Side,
) -> anyhow::Result<()> {
    let reader = RangeReader::new(settings, name, max_body)?;
    let ranges = reader.resolve(&Bound::Beginning, &Bound::Now)?;
    reader.read(&ranges, |message| {
        let header = |key: &str| {
            message.headers().and_then(|h| {
                h.iter()
                    .find(|h| h.key == key)
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok().map(str::to_owned))
            })
        };
        let lineage = header(output_header::RAW_PARTITION)
            .and_then(|p| p.parse::<i32>().ok())
            .zip(header(output_header::RAW_OFFSET).and_then(|o| o.parse::<i64>().ok()));
        let in_range = lineage.is_some_and(|(p, o)| {
            raw.iter()
                .any(|r| r.partition == p && (r.start..r.end).contains(&o))
        });
        if let (true, Some(id)) = (in_range, header(output_header::EVENT_ID)) {
            let value = serde_json::from_slice(message.payload().unwrap_or_default())
                .unwrap_or(Value::Null);
            side.insert((topic, id), value);
        }
        Ok(())
    })
}

/// The report lines: `added`, `removed`, `changed` (with each changed field), then counts.
fn compare(live: &Side, replayed: &Side, names: &wa_normalize::TopicNames) -> Vec<String> {
    let ids: BTreeSet<&(Topic, String)> = live.keys().chain(replayed.keys()).collect();
    let (mut same, mut added, mut removed, mut changed) = (0, 0, 0, 0);
    let mut lines = Vec::new();
    for key @ (topic, id) in ids {
        let name = names.name(*topic);
        match (live.get(key), replayed.get(key)) {
            (Some(a), Some(b)) if a == b => same += 1,
            (Some(a), Some(b)) => {
                changed += 1;
                for field in changed_fields(a, b) {
                    let (old, new) = (&a[&field], &b[&field]);
                    lines.push(format!("changed {name} {id}: {field} {old} -> {new}"));
                }
            }
            (None, Some(_)) => {
                added += 1;
                lines.push(format!("added {name} {id}"));
            }
            (Some(_), None) => {
                removed += 1;
                lines.push(format!("removed {name} {id}"));
            }
            (None, None) => {}
        }
    }
    lines.push(format!(
        "diff: {same} same, {added} added, {removed} removed, {changed} changed"
    ));
    lines
}

/// The top-level fields whose values differ.
fn changed_fields(a: &Value, b: &Value) -> Vec<String> {
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    keys(a)
        .union(&keys(b))
        .filter(|k| a.get(k.as_str()) != b.get(k.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_added_removed_and_the_changed_fields() {
        let names = wa_normalize::TopicNames::default();
        let live: Side = [
            (
                (Topic::Mo, "a".into()),
                json!({"appId": "1", "message": "hi"}),
            ),
            ((Topic::Mo, "b".into()), json!({"appId": "1"})),
            ((Topic::Delivery, "c".into()), json!({"x": 1})),
        ]
        .into();
        let replayed: Side = [
            (
                (Topic::Mo, "a".into()),
                json!({"appId": "app-x", "message": "hi"}),
            ),
            ((Topic::Delivery, "c".into()), json!({"x": 1})),
            ((Topic::Postback, "d".into()), json!({})),
        ]
        .into();
        let lines = compare(&live, &replayed, &names);
        assert_eq!(
            lines,
            [
                "changed whatsapp.mo a: appId \"1\" -> \"app-x\"",
                "removed whatsapp.mo b",
                "added whatsapp.postback d",
                "diff: 1 same, 1 added, 1 removed, 1 changed",
            ]
        );
    }
}

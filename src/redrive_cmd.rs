//! `wa-pipeline redrive`: re-run the raw records behind dead letters through today's
//! mapping. What maps now goes to the output topics; what still fails is reported, not
//! dead-lettered a second time.

use std::collections::BTreeSet;

use clap::Args;
use rdkafka::Message as _;
use wa_normalize::Normalizer;

use crate::args::{MappingArgs, StageArgs};
use crate::rerun::{reason_kind, Rerun};
use crate::topic_range::{parse_bound, Bound, PartitionRange, Progress, RangeReader};

/// `wa-pipeline redrive`: its options.
#[derive(Debug, Args)]
pub struct RedriveArgs {
    /// Where to start in the dead-letter topic (forms as for `replay`).
    #[arg(long, default_value = "beginning", value_parser = parse_bound)]
    pub from: Bound,
    /// Where to stop in the dead-letter topic (exclusive).
    #[arg(long, default_value = "now", value_parser = parse_bound)]
    pub to: Bound,
    /// Only dead letters of these reason kinds (comma-separated, e.g.
    /// `unsupported_field,missing_field`); all when empty.
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Produce under this prefix instead of to the live output topics.
    #[arg(long, env = "REPLAY_TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub media: crate::media_args::MediaArgs,
}

/// A raw record a dead letter points at.
type Lineage = (String, i32, i64);

/// Redrives and prints a summary.
pub async fn run(args: RedriveArgs) -> anyhow::Result<()> {
    let stage = &args.stage;
    let settings = stage.kafka.settings(stage.kafka.brokers()?)?;
    crate::kafka::KafkaArgs::probe(&settings).await?;
    let config = args.mapping.config();
    let media = args.media.stage(&config.media_url_template).await?;
    let dead_letter_topic = config.topics.dead_letter.clone();
    let topics = config.topics.prefixed(&args.topic_prefix);
    let max_body = stage.limits.max_body_bytes;
    crate::rerun::run_blocking("redrive", move || {
        let lineages = dead_letters(&settings, &dead_letter_topic, &args, max_body)?;
        let mut rerun = Rerun::new(&settings, Normalizer::new(config), topics, max_body, false)?
            .with_media(media);
        let mut progress = Progress::new("redrive", lineages.len() as u64);
        for (topic, partition, offset) in &lineages {
            let reader = RangeReader::new(&settings, topic, max_body)?;
            let range = PartitionRange {
                partition: *partition,
                start: *offset,
                end: offset + 1,
            };
            reader.read(&[range], |message| rerun.record(message))?;
            progress.tick();
        }
        progress.finish();
        rerun.finish()
    })
    .await
}

/// The raw records behind the selected dead letters, each once.
fn dead_letters(
    settings: &wa_kafka::ClientSettings,
    topic: &str,
    args: &RedriveArgs,
    max_body: usize,
) -> anyhow::Result<BTreeSet<Lineage>> {
    let reader = RangeReader::new(settings, topic, max_body)?;
    let ranges = reader.resolve(&args.from, &args.to)?;
    let mut lineages = BTreeSet::new();
    reader.read(&ranges, |message| {
        let value = message.payload().unwrap_or_default();
        if !args.kinds.is_empty() && !args.kinds.contains(&reason_kind(value)) {
            return Ok(());
        }
        let letter: serde_json::Value = serde_json::from_slice(value).unwrap_or_default();
        let lineage = (
            letter["rawTopic"].as_str(),
            letter["rawPartition"].as_i64(),
            letter["rawOffset"].as_i64(),
        );
        match lineage {
            (Some(raw), Some(partition), Some(offset)) => {
                let partition = i32::try_from(partition).unwrap_or_default();
                lineages.insert((raw.to_owned(), partition, offset));
            }
            _ => tracing::warn!(
                offset = message.offset(),
                "dead letter without lineage: skipped"
            ),
        }
        Ok(())
    })?;
    Ok(lineages)
}

//! `wa-pipeline replay`: re-run a range of the stored raw webhooks through today's
//! mapping, to the live output topics or to prefixed ones for a side-by-side run. It joins
//! no consumer group and moves no offset of normalize's.

use anyhow::Context as _;
use clap::Args;
use wa_ingest::signature::Secrets;
use wa_normalize::Normalizer;

use crate::args::{MappingArgs, StageArgs};
use crate::rerun::Rerun;
use crate::topic_range::{parse_bound, Bound, Progress, RangeReader};

/// `wa-pipeline replay`: its options.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Where to start in the raw topic: `beginning`, `now`, an RFC 3339 UTC time, epoch
    /// milliseconds, or `PARTITION:OFFSET,...`.
    #[arg(long, default_value = "beginning", value_parser = parse_bound)]
    pub from: Bound,
    /// Where to stop (exclusive), in the same forms; `now` is the end when the command starts.
    #[arg(long, default_value = "now", value_parser = parse_bound)]
    pub to: Bound,
    /// Produce to the output topics under this prefix (`replay.` → `replay.whatsapp.mo`),
    /// for a side-by-side run; empty: the live output topics.
    #[arg(long, env = "REPLAY_TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,
    /// Re-check each raw record's stored signature against the app secrets; records that do
    /// not verify are counted, skipped and reported.
    #[arg(long)]
    pub verify: bool,
    /// App secret(s) for `--verify`, comma-separated.
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub media: crate::media_args::MediaArgs,
}

/// Replays the range and prints a summary.
pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let stage = &args.stage;
    let settings = stage.kafka.settings(stage.kafka.brokers()?)?;
    crate::kafka::KafkaArgs::probe(&settings).await?;
    let secrets = match (args.verify, args.app_secret.as_deref()) {
        (false, _) => None,
        (true, Some(text)) => {
            Some(Secrets::parse_list(text).context("invalid WHATSAPP_APP_SECRET")?)
        }
        (true, None) => anyhow::bail!("--verify needs the app secrets: set WHATSAPP_APP_SECRET"),
    };
    let config = args.mapping.config();
    let media = args.media.stage(&config.media_url_template).await?;
    let topics = config.topics.prefixed(&args.topic_prefix);
    stage
        .kafka
        .create_topics(&settings, None, Some(&topics), &stage.limits)
        .await?;
    let max_body = stage.limits.max_body_bytes;
    let raw_topic = stage.raw.topic_raw.clone();
    let (from, to) = (args.from.clone(), args.to.clone());
    crate::rerun::run_blocking("replay", move || {
        let reader = RangeReader::new(&settings, &raw_topic, max_body)?;
        let ranges = reader.resolve(&from, &to)?;
        let total = ranges.iter().map(|r| (r.end - r.start) as u64).sum();
        let mut rerun = Rerun::new(&settings, Normalizer::new(config), topics, max_body, true)?
            .with_media(media);
        let mut progress = Progress::new("replay", total);
        reader.read(&ranges, |message| {
            progress.tick();
            if let Some(secrets) = &secrets {
                if !verified(secrets, message) {
                    rerun.summary.read += 1;
                    rerun.summary.refused += 1;
                    return Ok(());
                }
            }
            rerun.record(message)
        })?;
        progress.finish();
        rerun.finish()
    })
    .await
}

/// Whether a raw record's stored signature matches its body; logs the ones that do not.
fn verified(secrets: &Secrets, message: &rdkafka::message::BorrowedMessage<'_>) -> bool {
    use rdkafka::Message as _;
    let raw = wa_normalize::service::RawContext::of(message);
    let body = message.payload().unwrap_or_default();
    match secrets.verify(raw.signature(), body) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(
                partition = message.partition(),
                offset = message.offset(),
                error = %e,
                "raw record does not verify: skipped"
            );
            false
        }
    }
}

//! `wa-pipeline run` (the default): ingest and normalize in one process, on the configured
//! brokers or on the embedded one (`embedded.rs`).

use std::sync::Arc;

use std::collections::BTreeMap;

use anyhow::Context as _;
use clap::Args;
use wa_ingest::signature::{sign, Secrets};
use wa_normalize::service::Stop;
use wa_normalize::Normalizer;

use crate::args::{MappingArgs, StageArgs};
use crate::embedded::{BrokerArgs, Embedded};
use crate::ingest_cmd::IngestArgs;
use crate::normalize_cmd::NormalizeArgs;
use crate::topic_range::{Bound, RangeReader};

/// Options of `run`: those of ingest and normalize together.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Echo every output record to stdout as one JSON line (the `normalize-file` format).
    #[arg(long, env = "PRINT_RECORDS", default_value_t = false)]
    pub print: bool,
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub normalize: NormalizeArgs,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub broker: BrokerArgs,
    #[command(flatten)]
    pub admin: crate::admin::AdminArgs,
}

/// The sample body of the printed example request.
const SAMPLE_BODY: &[u8] = include_bytes!("../fixtures/bodies/text.json");
const SAMPLE_PATH: &str = "fixtures/bodies/text.json";

/// Runs ingest and normalize until SIGTERM/SIGINT.
pub async fn run(mut args: RunArgs) -> anyhow::Result<()> {
    let shutdown = crate::shutdown::on_signal();
    // The embedded broker lives as long as this process.
    let (brokers, embedded) = brokers(&args).await?;
    let secrets = secrets_or_generated(&mut args)?;
    let (listener, ingest) =
        crate::ingest_cmd::build(&args.ingest, secrets, &args.stage, &brokers).await?;
    let normalizer = Arc::new(Normalizer::new(args.mapping.config()));
    let mut settings = args.stage.kafka.settings(&brokers)?;
    if embedded.is_some() {
        settings = settings.with_fetch_wait(crate::embedded::FETCH_WAIT);
    }
    let mut config = args.normalize.config(settings, &args.stage);
    config.media = args
        .normalize
        .media
        .stage(&args.mapping.media_url_template)
        .await?;
    // One instance on its own broker: no group rebalances to get stuck in.
    if embedded.is_some() {
        config.assignment = wa_normalize::service::Assignment::All;
    }
    let checks = vec![
        crate::ingest_cmd::readiness(&ingest),
        crate::normalize_cmd::readiness(&config),
    ];
    crate::admin::start(&args.admin, checks).await?;
    let (stop, stop_rx) = tokio::sync::watch::channel(None);
    let normalize = tokio::spawn(crate::normalize_cmd::run_supervised(
        config, normalizer, stop_rx, args.print,
    ));
    wa_ingest::server::serve(listener, ingest, crate::shutdown::wait(shutdown.clone())).await;
    // Ingest has stopped accepting and flushed: normalize works off what it stored.
    let _ = stop.send(Some(drain_target(&args, &brokers).await));
    let normalized = normalize.await.context("the normalize task failed")?;
    normalized.context("normalize stopped with an error")?;
    // Last: normalize has committed what it worked off; the rest is on disk for next time.
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    Ok(())
}

/// Where normalize stops on shutdown: the end of each raw partition once ingest stopped,
/// or at once when the ends cannot be read.
async fn drain_target(args: &RunArgs, brokers: &str) -> Stop {
    let settings = match args.stage.kafka.settings(brokers) {
        Ok(settings) => settings,
        Err(_) => return Stop::Now,
    };
    let (topic, max_body) = (
        args.stage.raw.topic_raw.clone(),
        args.stage.limits.max_body_bytes,
    );
    let ends = tokio::task::spawn_blocking(move || -> anyhow::Result<BTreeMap<i32, i64>> {
        let reader = RangeReader::new(&settings, &topic, max_body)?;
        let ranges = reader.resolve(&Bound::Beginning, &Bound::Now)?;
        Ok(ranges.iter().map(|r| (r.partition, r.end)).collect())
    })
    .await;
    match ends {
        Ok(Ok(ends)) => Stop::DrainTo(ends),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot read the raw topic's end; normalize stops at once");
            Stop::Now
        }
        Err(_) => Stop::Now,
    }
}

/// The configured brokers (topics created when asked), or an embedded broker's.
async fn brokers(args: &RunArgs) -> anyhow::Result<(String, Option<Embedded>)> {
    let stage = &args.stage;
    let configured = stage
        .kafka
        .kafka_brokers
        .as_deref()
        .filter(|b| !b.trim().is_empty());
    if let Some(brokers) = configured {
        let settings = stage.kafka.settings(brokers)?;
        crate::kafka::KafkaArgs::probe(&settings).await?;
        let outputs = args.mapping.config().topics;
        let raw = Some(stage.raw.topic_raw.as_str());
        stage
            .kafka
            .create_topics(&settings, raw, Some(&outputs), &stage.limits)
            .await?;
        return Ok((brokers.to_owned(), None));
    }
    let outputs = args.mapping.config().topics;
    let max_body = stage.limits.max_body_bytes;
    let embedded = Embedded::start(&args.broker, &stage.raw.topic_raw, &outputs, max_body).await?;
    let brokers = embedded.bootstrap().to_owned();
    eprintln!(
        "\nNo KAFKA_BROKERS configured: started the embedded broker at {brokers}\nIt keeps \
         every record on disk in {} (--data-dir); a restart on the same directory finds \
         them again. Any Kafka client can read its topics at that address.\n",
        args.broker.data_dir.display()
    );
    Ok((brokers, Some(embedded)))
}

/// The configured app secrets, or one generated for this run (printed with a ready
/// request); likewise the handshake token.
fn secrets_or_generated(args: &mut RunArgs) -> anyhow::Result<Secrets> {
    let configured = args
        .ingest
        .app_secret
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    let secrets = if configured {
        args.ingest.secrets()?
    } else {
        let secret = random_hex(32);
        print_example(&secret, args);
        args.ingest.app_secret = Some(secret.clone());
        Secrets::parse_list(&secret).expect("a generated secret is valid")
    };
    if args
        .ingest
        .verify_token
        .as_deref()
        .is_none_or(str::is_empty)
    {
        let token = random_hex(16);
        eprintln!(
            "No WHATSAPP_VERIFY_TOKEN configured: the handshake token for this run is {token}\n"
        );
        args.ingest.verify_token = Some(token);
    }
    Ok(secrets)
}

fn random_hex(bytes: usize) -> String {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).expect("the OS provides randomness");
    wa_schemas::trace::hex(&random)
}

/// Prints the generated secret and a ready request, signed, with a fixture body.
fn print_example(secret: &str, args: &RunArgs) {
    let (path, body) = if std::path::Path::new(SAMPLE_PATH).is_file() {
        (
            SAMPLE_PATH.to_owned(),
            std::fs::read(SAMPLE_PATH).unwrap_or_else(|_| SAMPLE_BODY.to_vec()),
        )
    } else {
        let path = std::env::temp_dir().join("wa-pipeline-sample.json");
        let _ = std::fs::write(&path, SAMPLE_BODY);
        (path.display().to_string(), SAMPLE_BODY.to_vec())
    };
    let signature = sign(secret.as_bytes(), &body);
    eprintln!(
        "No WHATSAPP_APP_SECRET configured: generated one for this run (requests are still \
         verified):\n  WHATSAPP_APP_SECRET={secret}\n\nTry it: post a signed sample webhook \
         (sign any body with `wa-pipeline sign --secret {secret} FILE`):\n  curl -sS -X POST \
         http://{}{} -H 'Content-Type: application/json' -H 'X-Hub-Signature-256: {signature}' \
         --data-binary @{path}\n",
        args.ingest.listen, args.ingest.path
    );
}

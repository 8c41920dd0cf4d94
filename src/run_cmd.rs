//! `wa-pipeline run` (the default): ingest and normalize in one process, on the configured
//! brokers or on an embedded one; and `wa-pipeline normalize` alone.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use rdkafka::mocking::MockCluster;
use tokio::sync::mpsc;
use wa_ingest::signature::{sign, Secrets};
use wa_normalize::service::Produced;
use wa_normalize::Normalizer;
use wa_schemas::Topic;

use crate::cli::{LimitsArgs, MappingArgs, NormalizeCommand, RawTopicArgs};
use crate::ingest_cmd::IngestArgs;
use crate::kafka::KafkaArgs;
use crate::normalize_cmd::NormalizeArgs;

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
    pub raw: RawTopicArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

/// The sample body of the printed example request.
const SAMPLE_BODY: &[u8] = include_bytes!("../fixtures/bodies/text.json");
const SAMPLE_PATH: &str = "fixtures/bodies/text.json";

/// Runs ingest and normalize until SIGTERM/SIGINT.
pub async fn run(mut args: RunArgs) -> anyhow::Result<()> {
    let shutdown = crate::shutdown::on_signal();
    // The embedded broker lives as long as this process.
    let mut embedded = None;
    let brokers = match args
        .kafka
        .kafka_brokers
        .as_deref()
        .filter(|b| !b.trim().is_empty())
    {
        Some(brokers) => {
            let brokers = brokers.to_owned();
            if args.kafka.create_topics {
                create_all_topics(
                    &args.kafka,
                    &brokers,
                    &args.mapping,
                    &args.raw,
                    &args.limits,
                )
                .await?;
            }
            brokers
        }
        None => {
            let cluster = embedded.insert(embedded_broker(&args.mapping, &args.raw)?);
            let brokers = cluster.bootstrap_servers();
            eprintln!(
                "\nNo KAFKA_BROKERS configured: started an embedded broker (librdkafka's mock \
                 cluster) at {brokers}\nAny Kafka client can read its topics there. It keeps \
                 nothing on disk: everything is gone when this process stops.\n"
            );
            brokers
        }
    };
    let secrets = match args
        .ingest
        .app_secret
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(_) => args.ingest.secrets()?,
        None => {
            let secret = random_hex(32);
            print_example(&secret, &args);
            args.ingest.app_secret = Some(secret.clone());
            Secrets::parse_list(&secret).expect("a generated secret is valid")
        }
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

    let (listener, ingest) = crate::ingest_cmd::build(
        &args.ingest,
        secrets,
        &args.raw.topic_raw,
        &args.limits,
        &args.kafka,
        &brokers,
    )
    .await?;
    let normalizer = Arc::new(Normalizer::new(args.mapping.config()));
    let config = args.normalize.config(
        &brokers,
        &args.raw.topic_raw,
        &args.kafka,
        args.limits.max_body_bytes,
        args.limits.shutdown_timeout,
    );
    let (observer, printer) = printer(args.print);
    let normalize = tokio::spawn(crate::normalize_cmd::run_supervised(
        config,
        normalizer,
        shutdown.clone(),
        observer,
    ));
    wa_ingest::server::serve(listener, ingest, crate::shutdown::wait(shutdown.clone())).await;
    let normalized = normalize.await.context("the normalize task failed")?;
    if let Some(printer) = printer {
        let _ = printer.await;
    }
    normalized.context("normalize stopped with an error")?;
    // The mock cluster keeps nothing: the process exit takes it, without waiting for
    // outside clients that are still attached to disconnect.
    std::mem::forget(embedded);
    Ok(())
}

/// Runs normalize alone until SIGTERM/SIGINT.
pub async fn normalize(command: NormalizeCommand) -> anyhow::Result<()> {
    let brokers = command.kafka.brokers()?.to_owned();
    if command.kafka.create_topics {
        create_all_topics(
            &command.kafka,
            &brokers,
            &command.mapping,
            &command.raw,
            &command.limits,
        )
        .await?;
    }
    let normalizer = Arc::new(Normalizer::new(command.mapping.config()));
    let config = command.normalize.config(
        &brokers,
        &command.raw.topic_raw,
        &command.kafka,
        command.limits.max_body_bytes,
        command.limits.shutdown_timeout,
    );
    let shutdown = crate::shutdown::on_signal();
    crate::normalize_cmd::run_supervised(config, normalizer, shutdown, None)
        .await
        .context("normalize stopped with an error")
}

async fn create_all_topics(
    kafka: &KafkaArgs,
    brokers: &str,
    mapping: &MappingArgs,
    raw: &RawTopicArgs,
    limits: &LimitsArgs,
) -> anyhow::Result<()> {
    let config = mapping.config();
    let output_bytes = 2 * limits.max_body_bytes + 1024 * 1024;
    let mut topics = vec![(
        raw.topic_raw.as_str(),
        Some(crate::ingest_cmd::raw_topic_bytes(limits)),
    )];
    topics.extend(Topic::ALL.map(|t| (config.topics.name(t), Some(output_bytes))));
    crate::kafka::ensure_topics(
        &kafka.client_config(brokers),
        &topics,
        kafka.topic_partitions,
        kafka.topic_replication,
    )
    .await
}

/// librdkafka's mock cluster with the raw and output topics created (it has no
/// CreateTopics API).
fn embedded_broker(
    mapping: &MappingArgs,
    raw: &RawTopicArgs,
) -> anyhow::Result<MockCluster<'static, rdkafka::producer::DefaultProducerContext>> {
    let cluster = MockCluster::new(1).context("cannot start the embedded broker")?;
    let config = mapping.config();
    cluster
        .create_topic(&raw.topic_raw, 3, 1)
        .context("cannot create the raw topic")?;
    for topic in Topic::ALL {
        cluster
            .create_topic(config.topics.name(topic), 3, 1)
            .context("cannot create an output topic")?;
    }
    Ok(cluster)
}

/// With `--print`, a task writing each acknowledged output record to stdout.
fn printer(
    enabled: bool,
) -> (
    Option<mpsc::UnboundedSender<Produced>>,
    Option<tokio::task::JoinHandle<()>>,
) {
    if !enabled {
        return (None, None);
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Produced>();
    let task = tokio::spawn(async move {
        while let Some(record) = rx.recv().await {
            let mut stdout = std::io::stdout().lock();
            if crate::normalize_file::write_line(
                &mut stdout,
                &record.topic,
                record.key.as_deref(),
                &record.value,
            )
            .and_then(|()| stdout.flush())
            .is_err()
            {
                return;
            }
        }
    });
    (Some(tx), Some(task))
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

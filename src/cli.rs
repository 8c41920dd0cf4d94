//! Command-line interface: subcommands and their options (flags with environment variables).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use wa_normalize::{Config, TopicNames};

/// WhatsApp Business Platform webhooks → Kafka → documented, schema-described events.
#[derive(Debug, Parser)]
#[command(name = "wa-pipeline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `run`, the default subcommand.
    #[command(flatten)]
    pub run: Box<crate::run_cmd::RunArgs>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest and normalize in one process (the default). With no brokers configured it
    /// starts an embedded broker; with no app secret it generates one for the run.
    Run(Box<crate::run_cmd::RunArgs>),
    /// Map webhook bodies offline: one JSON line per output record on stdout.
    NormalizeFile(Box<NormalizeFileArgs>),
    /// Write the JSON Schemas of the output topics.
    Schemas(SchemasArgs),
    /// Receive Meta's webhooks: verify them and store each body on the raw topic.
    Ingest(Box<IngestCommand>),
    /// Map raw records to events: a consumer group on the raw topic.
    Normalize(Box<NormalizeCommand>),
    /// Print the X-Hub-Signature-256 header value of a body.
    Sign(SignArgs),
}

#[derive(Debug, Args)]
pub struct IngestCommand {
    #[command(flatten)]
    pub ingest: crate::ingest_cmd::IngestArgs,
    #[command(flatten)]
    pub raw: RawTopicArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub kafka: crate::kafka::KafkaArgs,
}

#[derive(Debug, Args)]
pub struct NormalizeCommand {
    #[command(flatten)]
    pub normalize: crate::normalize_cmd::NormalizeArgs,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub raw: RawTopicArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub kafka: crate::kafka::KafkaArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The app secret (the first one when the variable holds a comma-separated list).
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The body file; `-` reads stdin.
    pub file: PathBuf,
}

/// Options of the mapping shared by every subcommand that normalizes.
#[derive(Debug, Clone, Args)]
pub struct MappingArgs {
    /// Topic for MO events.
    #[arg(long, env = "TOPIC_MO", default_value = "whatsapp.mo")]
    pub topic_mo: String,
    /// Topic for postback events.
    #[arg(long, env = "TOPIC_POSTBACK", default_value = "whatsapp.postback")]
    pub topic_postback: String,
    /// Topic for delivery receipts.
    #[arg(long, env = "TOPIC_DELIVERY", default_value = "whatsapp.delivery")]
    pub topic_delivery: String,
    /// Topic for account events (non-`messages` changes).
    #[arg(
        long,
        env = "TOPIC_ACCOUNT_EVENTS",
        default_value = "whatsapp.account-events"
    )]
    pub topic_account_events: String,
    /// Topic for dead letters.
    #[arg(
        long,
        env = "TOPIC_DEAD_LETTER",
        default_value = "whatsapp.dead-letter"
    )]
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
}

/// Parsed `--app-ids`.
#[derive(Debug, Clone, Default)]
pub struct AppIds(pub std::collections::HashMap<String, String>);

fn parse_app_ids(text: &str) -> Result<AppIds, String> {
    let mut map = std::collections::HashMap::new();
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
                dead_letter: self.topic_dead_letter.clone(),
            },
            app_ids: self.app_ids.0.clone(),
            media_url_template: self.media_url_template.clone(),
        }
    }
}

/// The raw topic.
#[derive(Debug, Clone, Args)]
pub struct RawTopicArgs {
    /// The raw topic: ingest writes it, normalize reads it, dead letters and lineage name it.
    #[arg(long, env = "TOPIC_RAW", default_value = "whatsapp.raw")]
    pub topic_raw: String,
}

/// Limits shared by ingest and normalize.
#[derive(Debug, Clone, Args)]
pub struct LimitsArgs {
    /// Largest accepted body in bytes (Meta's batches reach about 3 MB); larger is 413.
    /// Kafka clients are sized from it.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Time work in flight gets to finish on SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub shutdown_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct NormalizeFileArgs {
    /// Webhook body files; `-` reads one body from stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub raw: RawTopicArgs,
}

#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Directory to write `<topic>.schema.json` files into (created when missing).
    #[arg(long, default_value = "schemas/json")]
    pub out: PathBuf,
    /// Also write the generated event documentation (`schemas/README.md`) here.
    #[arg(long)]
    pub docs: Option<PathBuf>,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    match command {
        Command::Run(args) => {
            runtime()?.block_on(crate::run_cmd::run(*args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Normalize(args) => {
            runtime()?.block_on(crate::run_cmd::normalize(*args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign(args) => {
            let secret = args.secret.split(',').next().unwrap_or("").trim();
            anyhow::ensure!(!secret.is_empty(), "the secret is empty");
            let body = if args.file.as_os_str() == "-" {
                let mut body = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
                    .context("cannot read the body from stdin")?;
                body
            } else {
                std::fs::read(&args.file)
                    .with_context(|| format!("cannot read {}", args.file.display()))?
            };
            println!("{}", wa_ingest::signature::sign(secret.as_bytes(), &body));
            Ok(ExitCode::SUCCESS)
        }
        Command::NormalizeFile(args) => crate::normalize_file::run(&args),
        Command::Ingest(args) => {
            runtime()?.block_on(crate::ingest_cmd::run(*args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schemas(args) => {
            let written = wa_schemas::generate::write_all(&args.out)
                .with_context(|| format!("cannot write schemas into {}", args.out.display()))?;
            for path in written {
                tracing::info!(path = %path.display(), "wrote schema");
            }
            if let Some(docs) = &args.docs {
                std::fs::write(docs, wa_schemas::docs::readme())
                    .with_context(|| format!("cannot write {}", docs.display()))?;
                tracing::info!(path = %docs.display(), "wrote documentation");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
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

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

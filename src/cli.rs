//! Command-line interface: parses the subcommands and dispatches to their modules, each of
//! which owns its options and its `run`.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::broker_cmd::BrokerCommand;
use crate::diff_cmd::DiffArgs;
use crate::ingest_cmd::IngestCommand;
use crate::normalize_cmd::NormalizeCommand;
use crate::normalize_file::NormalizeFileArgs;
use crate::redrive_cmd::RedriveArgs;
use crate::replay_cmd::ReplayArgs;
use crate::run_cmd::RunArgs;
use crate::schemas_cmd::SchemasArgs;
use crate::sign_cmd::SignArgs;

/// WhatsApp Business Platform webhooks → Kafka → documented, schema-described events.
#[derive(Debug, Parser)]
#[command(name = "wa-pipeline", version, about)]
pub struct Cli {
    /// Log lines as `text` or `json` (one object per line, with `trace_id` and `span_id`).
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: wa_telemetry::LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `run`, the default subcommand.
    #[command(flatten)]
    pub run: Box<RunArgs>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest and normalize in one process (the default). With no brokers configured it
    /// starts an embedded broker; with no app secret it generates one for the run.
    Run(Box<RunArgs>),
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
    /// Re-run a range of the stored raw webhooks through today's mapping.
    Replay(Box<ReplayArgs>),
    /// Re-run the raw records behind dead letters; report what still fails.
    Redrive(Box<RedriveArgs>),
    /// Compare a prefixed replay with the live output topics, by event id.
    Diff(Box<DiffArgs>),
    /// The embedded broker alone (durable, sqlite in --data-dir), with the pipeline's topics.
    Broker(Box<BrokerCommand>),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Run(cli.run)) {
        Command::Run(args) => on_runtime(crate::run_cmd::run(*args))?,
        Command::Normalize(args) => on_runtime(crate::normalize_cmd::run(*args))?,
        Command::Ingest(args) => on_runtime(crate::ingest_cmd::run(*args))?,
        Command::NormalizeFile(args) => return crate::normalize_file::run(&args),
        Command::Sign(args) => crate::sign_cmd::run(&args)?,
        Command::Schemas(args) => crate::schemas_cmd::run(&args)?,
        Command::Replay(args) => on_runtime(crate::replay_cmd::run(*args))?,
        Command::Redrive(args) => on_runtime(crate::redrive_cmd::run(*args))?,
        Command::Diff(args) => on_runtime(crate::diff_cmd::run(*args))?,
        Command::Broker(args) => on_runtime(crate::broker_cmd::run(*args))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a command on a multi-threaded runtime. Its own timeouts bound the shutdown; a
/// librdkafka call still blocked after them (a broker that stopped answering) must not
/// keep the process alive, so blocking tasks get 5 s more.
fn on_runtime(
    command: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(command);
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

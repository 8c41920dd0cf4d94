//! `wa-pipeline`: WhatsApp Business Platform webhooks to Kafka, normalized.
//!
//! Rooms: `cli` parses and dispatches; each `*_cmd` module owns one subcommand's options
//! and its `run` (`normalize_file` is `normalize-file`); `topic_range` and `rerun` serve
//! replay, redrive and diff; `args` holds the option groups
//! several commands share, `kafka` the Kafka options; `shutdown` the signal handling;
//! `duration` parses durations.

mod args;
mod broker_cmd;
mod cli;
mod diff_cmd;
mod duration;
mod embedded;
mod ingest_cmd;
mod kafka;
mod normalize_cmd;
mod normalize_file;
mod redrive_cmd;
mod replay_cmd;
mod rerun;
mod run_cmd;
mod schemas_cmd;
mod shutdown;
mod sign_cmd;
mod topic_range;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    init_tracing();
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The log filter without `RUST_LOG`: ours at info, the embedded broker's at warn.
const DEFAULT_LOG_FILTER: &str = "info,tansu_broker=warn,tansu_storage=warn,tansu_service=warn,tansu_sans_io=warn,tansu_schema=warn,tansu_auth=warn,libsql=warn";

/// Logs go to stderr (stdout carries records), filtered by `RUST_LOG` (default
/// [`DEFAULT_LOG_FILTER`]).
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

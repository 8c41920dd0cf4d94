//! `wa-pipeline`: WhatsApp Business Platform webhooks to Kafka, normalized.
//!
//! Rooms: `cli` parses and dispatches; each `*_cmd` module owns one subcommand's options
//! and its `run` (`normalize_file` is `normalize-file`); `topic_range` and `rerun` serve
//! replay, redrive and diff; `args` holds the option groups
//! several commands share, `kafka` the Kafka options, `media_args` the media re-hosting
//! options; `shutdown` the signal handling;
//! `duration` parses durations.

mod admin;
mod args;
mod broker_cmd;
mod cli;
mod diff_cmd;
mod duration;
mod embedded;
mod ingest_cmd;
mod kafka;
mod media_args;
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

/// Rust's allocations go to mimalloc. Under glibc's malloc, memory freed on another thread
/// than the one that took it (request buffers, delivery futures, between tokio's workers and
/// librdkafka's threads) contended for the workers' arena locks: most of the futex calls of
/// ingest's workers under load (`bench/RESULTS.md`). librdkafka's own allocations stay
/// with the C library.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    // Logs on stderr (stdout carries records), traces and metrics: before anything else.
    let telemetry = match wa_telemetry::Telemetry::init(cli.log_format) {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    admin::set_prometheus(telemetry.prometheus());
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

//! `wa-pipeline broker`: the embedded broker alone, with the pipeline's topics, until
//! SIGTERM/SIGINT; for tests and for users who want a durable local broker.

use clap::Args;

use crate::args::{LimitsArgs, MappingArgs, RawTopicArgs};
use crate::embedded::{BrokerArgs, Embedded};

/// `wa-pipeline broker`: its options.
#[derive(Debug, Args)]
pub struct BrokerCommand {
    #[command(flatten)]
    pub broker: BrokerArgs,
    #[command(flatten)]
    pub mapping: MappingArgs,
    #[command(flatten)]
    pub raw: RawTopicArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
}

/// Serves until a signal; prints the bootstrap address on stdout once ready.
pub async fn run(command: BrokerCommand) -> anyhow::Result<()> {
    let outputs = command.mapping.config().topics;
    let embedded = Embedded::start(
        &command.broker,
        &command.raw.topic_raw,
        &outputs,
        command.limits.max_body_bytes,
    )
    .await?;
    println!("{}", embedded.bootstrap());
    tracing::info!(
        bootstrap = embedded.bootstrap(),
        data_dir = %command.broker.data_dir.display(),
        "embedded broker ready"
    );
    crate::shutdown::signal().await;
    embedded.stop().await;
    Ok(())
}

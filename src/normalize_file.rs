//! `wa-pipeline normalize-file`: the mapping offline, for inspection and scripting.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use wa_normalize::dedup::DedupWindow;
use wa_normalize::sink::{emit, LineSink, TraceHeaders};
use wa_normalize::{Batch, Normalizer, RawMeta};

use crate::args::{MappingArgs, RawTopicArgs};

/// `wa-pipeline normalize-file`: its options.
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

/// Prints every record of every body as a JSON line, through the same sink seam the
/// service uses. Exits non-zero only when an input cannot be read; dead letters are normal
/// output.
pub fn run(args: &NormalizeFileArgs) -> anyhow::Result<ExitCode> {
    let normalizer = Normalizer::new(args.mapping.config());
    let meta = RawMeta {
        topic: &args.raw.topic_raw,
        ..RawMeta::default()
    };
    let sink = LineSink::new(BufWriter::new(io::stdout()));
    let mut batch = Batch::new();
    let mut no_dedup = DedupWindow::new(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?;
    for path in &args.paths {
        let body = read(path)?;
        normalizer.map(&body, &meta, &mut batch);
        let topics = &normalizer.config().topics;
        let trace = TraceHeaders::default();
        runtime
            .block_on(emit(
                &sink,
                topics,
                &batch,
                &meta,
                trace,
                &mut no_dedup,
                |_| true,
            ))
            .context("cannot write to stdout")?;
    }
    sink.into_inner()
        .flush()
        .context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        io::stdin()
            .read_to_end(&mut body)
            .context("cannot read the body from stdin")?;
        Ok(body)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

//! `wa-pipeline normalize-file`: the mapping offline, for inspection and scripting.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::value::RawValue;
use wa_normalize::{Batch, Normalizer, RawMeta};

use crate::cli::NormalizeFileArgs;

/// One output line: `{"topic": ..., "key": ..., "value": ...}`.
#[derive(serde::Serialize)]
struct Line<'a> {
    topic: &'a str,
    key: Option<&'a str>,
    value: &'a RawValue,
}

/// Prints every record of every body. Exits non-zero only when an input cannot be read;
/// dead letters are normal output.
pub fn run(args: &NormalizeFileArgs) -> anyhow::Result<ExitCode> {
    let config = args.mapping.config();
    let raw_topic = args.raw.topic_raw.clone();
    let normalizer = Normalizer::new(config);
    let meta = RawMeta {
        topic: &raw_topic,
        ..RawMeta::default()
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut batch = Batch::new();
    for path in &args.paths {
        let body = if path.as_os_str() == "-" {
            let mut body = Vec::new();
            io::stdin()
                .read_to_end(&mut body)
                .context("cannot read the body from stdin")?;
            body
        } else {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        };
        normalizer.map(&body, &meta, &mut batch);
        write_batch(&mut out, &normalizer, &batch).context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the records of a batch as JSON lines.
pub fn write_batch(out: &mut impl Write, normalizer: &Normalizer, batch: &Batch) -> io::Result<()> {
    for record in batch.iter() {
        let topic = normalizer.config().topics.name(record.topic());
        write_line(out, topic, record.key, record.value)?;
    }
    Ok(())
}

/// Writes one record as a JSON line: `{"topic": ..., "key": ..., "value": ...}`.
pub fn write_line(
    out: &mut impl Write,
    topic: &str,
    key: Option<&str>,
    value: &[u8],
) -> io::Result<()> {
    let value = std::str::from_utf8(value)
        .ok()
        .and_then(|text| serde_json::from_str::<&RawValue>(text).ok())
        .ok_or_else(|| io::Error::other("a record value is not JSON"))?;
    serde_json::to_writer(&mut *out, &Line { topic, key, value })?;
    out.write_all(b"\n")
}

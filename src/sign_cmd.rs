//! `wa-pipeline sign`: the `X-Hub-Signature-256` value of a body.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

/// `wa-pipeline sign`: its options.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The app secret (the first one when the variable holds a comma-separated list).
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The body file; `-` reads stdin.
    pub file: PathBuf,
}

/// Prints the header value on stdout.
pub fn run(args: &SignArgs) -> anyhow::Result<()> {
    let secret = args.secret.split(',').next().unwrap_or("").trim();
    anyhow::ensure!(!secret.is_empty(), "the secret is empty");
    let body = if args.file.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
            .context("cannot read the body from stdin")?;
        body
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    println!("{}", wa_ingest::signature::sign(secret.as_bytes(), &body));
    Ok(())
}

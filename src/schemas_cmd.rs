//! `wa-pipeline schemas`: writes the JSON Schemas (and the generated documentation).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

/// `wa-pipeline schemas`: its options.
#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Directory to write `<topic>.schema.json` files into (created when missing).
    #[arg(long, default_value = "schemas/json")]
    pub out: PathBuf,
    /// Also write the generated event documentation (`schemas/README.md`) here.
    #[arg(long)]
    pub docs: Option<PathBuf>,
}

/// Writes the files.
pub fn run(args: &SchemasArgs) -> anyhow::Result<()> {
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
    Ok(())
}

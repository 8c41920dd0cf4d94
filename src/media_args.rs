//! The media re-hosting options of `normalize` and `run` (off unless `--media-store` is set).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use wa_kafka::Secret;
use wa_media::graph::{Graph, DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION};
use wa_media::{AccessTokens, Limits, MediaStore, Rehoster, UrlStyle};
use wa_normalize::service::MediaStage;

/// Media re-hosting: attachments copied from Meta to object storage, `url` pointing there.
#[derive(Debug, Clone, Args)]
pub struct MediaArgs {
    /// Where to copy attachments: `s3://bucket/prefix/`, `gs://bucket/prefix/`,
    /// `az://container/prefix/` (credentials from each store's standard variables:
    /// `AWS_*`, `GOOGLE_*`, `AZURE_*`), or a local directory (`file:///dir` or a path).
    /// Unset: re-hosting is off and attachments keep Meta's URL or the template's.
    #[arg(long, env = "MEDIA_STORE")]
    pub media_store: Option<String>,
    /// The Graph API access token for every business number not listed in
    /// `--media-access-tokens`.
    #[arg(long, env = "WHATSAPP_ACCESS_TOKEN", value_parser = crate::kafka::secret, hide_env_values = true)]
    pub media_access_token: Option<Secret>,
    /// A file holding that token.
    #[arg(
        long,
        env = "WHATSAPP_ACCESS_TOKEN_FILE",
        conflicts_with = "media_access_token"
    )]
    pub media_access_token_file: Option<PathBuf>,
    /// Tokens per business: `id=token` pairs separated by commas or new lines, where id is a
    /// `phone_number_id` or a WABA id (the number's own wins over its WABA's).
    #[arg(long, env = "WHATSAPP_ACCESS_TOKENS", value_parser = crate::kafka::secret, hide_env_values = true)]
    pub media_access_tokens: Option<Secret>,
    /// A file holding those pairs, one per line.
    #[arg(
        long,
        env = "WHATSAPP_ACCESS_TOKENS_FILE",
        conflicts_with = "media_access_tokens"
    )]
    pub media_access_tokens_file: Option<PathBuf>,
    /// The Graph API's base URL.
    #[arg(long, env = "GRAPH_API_URL", default_value = DEFAULT_GRAPH_URL)]
    pub media_graph_url: String,
    /// The Graph API version of the media calls.
    #[arg(long, env = "GRAPH_API_VERSION", default_value = DEFAULT_GRAPH_VERSION)]
    pub media_graph_version: String,
    /// Name copies `<this><key>` (a CDN or public bucket in front of the store) instead of
    /// pre-signed URLs.
    #[arg(long, env = "MEDIA_PUBLIC_URL")]
    pub media_public_url: Option<String>,
    /// Lifetime of pre-signed URLs (S3 allows at most 7 days).
    #[arg(long, env = "MEDIA_URL_TTL", default_value = "7d", value_parser = crate::duration::parse)]
    pub media_url_ttl: Duration,
    /// Attachments copied at once, across every record in flight; each holds its file in
    /// memory until stored, so memory is bounded by this times `--media-max-bytes`.
    #[arg(long, env = "MEDIA_CONCURRENCY", default_value_t = Limits::default().concurrency)]
    pub media_concurrency: usize,
    /// Bound of one Graph API request.
    #[arg(long, env = "MEDIA_TIMEOUT", default_value = "30s", value_parser = crate::duration::parse)]
    pub media_timeout: Duration,
    /// Bound of one attachment's copy, retries included: past it the event goes out with
    /// the attachment's error. Records behind it wait at most this long.
    #[arg(long, env = "MEDIA_DEADLINE", default_value = "60s", value_parser = crate::duration::parse)]
    pub media_deadline: Duration,
    /// Largest file copied (Meta's largest, a document, is 100 MB); larger ones get
    /// `too_large`.
    #[arg(long, env = "MEDIA_MAX_BYTES", default_value_t = Limits::default().max_bytes)]
    pub media_max_bytes: u64,
}

impl MediaArgs {
    /// The media stage these options describe, its store checked; `None` when off.
    ///
    /// # Errors
    /// A store that cannot be opened or reached, unreadable token files, or no token.
    pub async fn stage(&self, url_template: &str) -> anyhow::Result<Option<MediaStage>> {
        let Some(location) = self.media_store.as_deref() else {
            if self.media_access_token.is_some() || self.media_access_tokens.is_some() {
                tracing::warn!(
                    "access tokens are set but --media-store is not: media re-hosting is off"
                );
            }
            return Ok(None);
        };
        let default =
            crate::kafka::secret_from(&self.media_access_token, &self.media_access_token_file)?;
        let pairs =
            crate::kafka::secret_from(&self.media_access_tokens, &self.media_access_tokens_file)?;
        let tokens = AccessTokens::parse(
            default.as_ref().map(Secret::expose),
            pairs.as_ref().map_or("", Secret::expose),
        )?;
        anyhow::ensure!(
            !tokens.is_empty(),
            "media re-hosting (--media-store) needs the Graph API access token: set WHATSAPP_ACCESS_TOKEN or WHATSAPP_ACCESS_TOKENS (or their _FILE variants)"
        );
        let style = match &self.media_public_url {
            Some(base) => UrlStyle::Public(base.clone()),
            None => UrlStyle::Presigned(self.media_url_ttl),
        };
        let store = MediaStore::open(location, style)?;
        store.check_writable().await.with_context(|| {
            format!("cannot write to the media store {location:?}: check its credentials (AWS_*, GOOGLE_*, AZURE_*), that the bucket exists and that they may write to it")
        })?;
        let graph = Graph::new(
            &self.media_graph_url,
            &self.media_graph_version,
            self.media_timeout,
        )?;
        let limits = Limits {
            concurrency: self.media_concurrency.max(1),
            deadline: self.media_deadline,
            max_bytes: self.media_max_bytes,
        };
        tracing::info!(?store, graph = %self.media_graph_url, version = %self.media_graph_version, concurrency = limits.concurrency, deadline = ?limits.deadline, "media re-hosting on");
        Ok(Some(MediaStage {
            rehoster: Arc::new(Rehoster::new(graph, store, tokens, limits)),
            url_template: url_template.to_owned(),
        }))
    }
}

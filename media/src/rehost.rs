//! One attachment from Meta to our store, bounded in time and concurrency.
//!
//! 1. The token for the business number (or its WABA, or the default).
//! 2. With Meta's SHA-256 from the webhook, the content-addressed key is known at once: when
//!    the store has it (a retry, a replay, the same file sent twice) nothing is fetched.
//! 3. The bytes: from the webhook's `url` when it carries one (no metadata call), else, or
//!    when that URL no longer answers, from the metadata's fresh download URL.
//! 4. The SHA-256 is checked against Meta's before anything is stored.
//!
//! Transient failures (5xx, 429, timeouts) are retried with backoff until the
//! per-attachment deadline; the others give up at once. Either way the caller gets an
//! [`AttachmentError`] and the event goes out with the fallback URL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use tokio::sync::Semaphore;
use wa_schemas::inner::{AttachmentError, AttachmentErrorKind};

use wa_telemetry::log_limit::LogLimit;

use crate::checksum::{key_for, Sha256Sum};
use crate::graph::{Failure, Graph};
use crate::store::MediaStore;
use crate::tokens::AccessTokens;

/// What one attachment's copy needs to know, from the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct MediaRequest<'a> {
    /// Meta's media id.
    pub media_id: &'a str,
    /// The business number the message came to.
    pub phone_number_id: &'a str,
    /// Its WhatsApp Business Account.
    pub waba_id: &'a str,
    /// The MIME type the webhook gave.
    pub mime_type: &'a str,
    /// The webhook's SHA-256 (base64), `""` when absent.
    pub sha256: &'a str,
    /// The webhook's pre-signed `url`, `""` when absent.
    pub url: &'a str,
}

/// Where the copy is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosted {
    /// The URL a consumer fetches it by.
    pub url: String,
    /// Its key in the store.
    pub storage_key: String,
    /// Its size, when known (not fetched again for a copy already stored).
    pub file_size: Option<u64>,
    /// It was stored already: nothing was fetched or written.
    pub already_stored: bool,
}

/// Bounds of the work.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attachments copied at once (each holds its file in memory until stored).
    pub concurrency: usize,
    /// The most time one attachment may take, retries included; past it the event goes out
    /// with the error.
    pub deadline: Duration,
    /// Largest file copied.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrency: 4,
            deadline: Duration::from_secs(60),
            max_bytes: 100 * 1024 * 1024,
        }
    }
}

/// Copies attachments; shared by every raw record in flight.
#[derive(Debug)]
pub struct Rehoster {
    graph: Graph,
    store: MediaStore,
    tokens: AccessTokens,
    limits: Limits,
    permits: Arc<Semaphore>,
    /// A replay of old media, or an outage, fails every attachment: a bounded log.
    failure_logs: LogLimit,
}

/// Failed copies logged per second; the rest are counted in `wa.logs.suppressed`.
const FAILURES_LOGGED_PER_SECOND: u32 = 20;

/// The first retry waits this long; each next one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl Rehoster {
    /// A re-hoster over these parts.
    pub fn new(graph: Graph, store: MediaStore, tokens: AccessTokens, limits: Limits) -> Self {
        let permits = Arc::new(Semaphore::new(limits.concurrency.max(1)));
        Rehoster {
            graph,
            store,
            tokens,
            limits,
            permits,
            failure_logs: LogLimit::new(FAILURES_LOGGED_PER_SECOND, Duration::from_secs(1)),
        }
    }

    /// Its store.
    pub fn store(&self) -> &MediaStore {
        &self.store
    }

    /// Copies one attachment, or says why it could not; never longer than the deadline,
    /// the wait for a concurrency slot included, so a record with a hundred attachments
    /// during a Graph API outage still goes out after one deadline.
    pub async fn rehost(&self, request: &MediaRequest<'_>) -> Result<Hosted, AttachmentError> {
        let started = Instant::now();
        let copy = async {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.attempts(request, started).await
        };
        let outcome = match tokio::time::timeout(self.limits.deadline, copy).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::new(
                AttachmentErrorKind::Unavailable,
                format!(
                    "gave up after the deadline of {:?} (--media-deadline)",
                    self.limits.deadline
                ),
                false,
            )),
        };
        let metrics = wa_telemetry::metrics();
        metrics
            .media_duration
            .record(started.elapsed().as_secs_f64(), &[]);
        match outcome {
            Ok(hosted) => {
                let outcome = if hosted.already_stored {
                    "already_stored"
                } else {
                    "stored"
                };
                metrics.media.add(1, &[KeyValue::new("outcome", outcome)]);
                tracing::debug!(media_id = request.media_id, key = %hosted.storage_key, outcome, "media re-hosted");
                Ok(hosted)
            }
            Err(failure) => {
                metrics.media.add(
                    1,
                    &[
                        KeyValue::new("outcome", "failed"),
                        KeyValue::new("error.kind", failure.kind.as_str()),
                    ],
                );
                match self.failure_logs.admit() {
                    Some(suppressed) => tracing::warn!(
                        media_id = request.media_id,
                        phone_number_id = request.phone_number_id,
                        kind = failure.kind.as_str(),
                        detail = %failure.detail,
                        suppressed,
                        "media not re-hosted; the event keeps the fallback URL"
                    ),
                    None => metrics.logs_suppressed.add(1, &[]),
                }
                Err(AttachmentError {
                    kind: failure.kind,
                    detail: shortened(failure.detail),
                })
            }
        }
    }

    /// Retries transient failures with backoff; the deadline is the caller's.
    async fn attempts(
        &self,
        request: &MediaRequest<'_>,
        started: Instant,
    ) -> Result<Hosted, Failure> {
        let token = self
            .tokens
            .for_business(request.phone_number_id, request.waba_id)
            .ok_or_else(|| {
                Failure::new(
                    AttachmentErrorKind::NoToken,
                    format!(
                        "no access token for phone_number_id {} or WABA {} (--media-access-tokens)",
                        request.phone_number_id, request.waba_id
                    ),
                    false,
                )
            })?;
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.once(request, token).await {
                Err(failure) if failure.retriable => {
                    let left = self.limits.deadline.saturating_sub(started.elapsed());
                    if left <= backoff {
                        return Err(Failure {
                            retriable: false,
                            ..failure
                        });
                    }
                    tracing::debug!(media_id = request.media_id, detail = %failure.detail, ?backoff, "media copy failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                outcome => return outcome,
            }
        }
    }

    /// One try of the whole copy.
    async fn once(&self, request: &MediaRequest<'_>, token: &str) -> Result<Hosted, Failure> {
        let declared = Sha256Sum::parse(request.sha256);
        if let Some(sum) = &declared {
            let key = key_for(self.store.prefix(), sum, request.mime_type);
            if self.stored(&key).await? {
                return self.hosted(key, None, true).await;
            }
        }
        let (bytes, mime_type, expected) = self.fetch(request, token, declared).await?;
        let actual = Sha256Sum::of(&bytes);
        if let Some(expected) = expected.filter(|e| *e != actual) {
            return Err(Failure::new(
                AttachmentErrorKind::ChecksumMismatch,
                format!(
                    "the downloaded {} bytes have SHA-256 {}, Meta says {}",
                    bytes.len(),
                    actual.hex(),
                    expected.hex()
                ),
                false,
            ));
        }
        let key = key_for(self.store.prefix(), &actual, &mime_type);
        let size = bytes.len() as u64;
        if self.stored(&key).await? {
            return self.hosted(key, Some(size), true).await;
        }
        self.store
            .put(&key, bytes, &mime_type)
            .await
            .map_err(|e| store_failure("storing the media", &e))?;
        self.hosted(key, Some(size), false).await
    }

    /// The bytes, their MIME type, and the checksum to hold them to.
    async fn fetch(
        &self,
        request: &MediaRequest<'_>,
        token: &str,
        declared: Option<Sha256Sum>,
    ) -> Result<(bytes::Bytes, String, Option<Sha256Sum>), Failure> {
        let max = self.limits.max_bytes;
        if !request.url.is_empty() {
            match self.graph.download(request.url, token, max).await {
                Ok(bytes) => return Ok((bytes, request.mime_type.to_owned(), declared)),
                // An expired or refused webhook URL: the metadata gives a fresh one.
                Err(f)
                    if matches!(
                        f.kind,
                        AttachmentErrorKind::NotFound | AttachmentErrorKind::Unauthorized
                    ) =>
                {
                    tracing::debug!(media_id = request.media_id, detail = %f.detail, "the webhook's media URL failed; asking the Graph API");
                }
                Err(f) => return Err(f),
            }
        }
        let info = self
            .graph
            .metadata(request.media_id, request.phone_number_id, token)
            .await?;
        if let Some(size) = info.file_size.filter(|&s| s > max) {
            return Err(Failure::new(
                AttachmentErrorKind::TooLarge,
                format!("Meta says the file has {size} bytes, over the limit of {max} (--media-max-bytes)"),
                false,
            ));
        }
        let expected = declared.or_else(|| Sha256Sum::parse(&info.sha256));
        let bytes = self.graph.download(&info.url, token, max).await?;
        let mime_type = if request.mime_type.is_empty() {
            info.mime_type
        } else {
            request.mime_type.to_owned()
        };
        Ok((bytes, mime_type, expected))
    }

    async fn stored(&self, key: &str) -> Result<bool, Failure> {
        self.store
            .exists(key)
            .await
            .map_err(|e| store_failure("looking up the media in the store", &e))
    }

    async fn hosted(
        &self,
        key: String,
        file_size: Option<u64>,
        already_stored: bool,
    ) -> Result<Hosted, Failure> {
        let url = self
            .store
            .url_for(&key)
            .await
            .map_err(|e| store_failure("signing the media URL", &e))?;
        Ok(Hosted {
            url,
            storage_key: key,
            file_size,
            already_stored,
        })
    }
}

/// Details go into every consumer's record: a store's XML error body need not.
const MAX_DETAIL: usize = 400;

fn shortened(mut detail: String) -> String {
    if detail.len() > MAX_DETAIL {
        let mut end = MAX_DETAIL;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
        detail.push('…');
    }
    detail
}

fn store_failure(what: &str, e: &object_store::Error) -> Failure {
    Failure::new(
        AttachmentErrorKind::StoreFailed,
        format!("{what}: {e}"),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_shortened_on_a_character_boundary() {
        assert_eq!(shortened("short".into()), "short");
        let long = "é".repeat(MAX_DETAIL);
        let cut = shortened(long);
        assert!(cut.len() <= MAX_DETAIL + '…'.len_utf8() && cut.ends_with('…'));
    }
}

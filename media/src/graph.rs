//! Meta's two media calls: `GET /{version}/{media-id}` (the metadata, with a download URL
//! valid for about 5 minutes) and `GET <download URL>` (the bytes), both with the business's
//! access token as a bearer token; and how their answers are classified.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;
use wa_schemas::inner::AttachmentErrorKind;

use crate::ConfigError;

/// The default Graph API base URL.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
/// The default Graph API version.
pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";

/// A failed call: what kind, what Meta said, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind recorded on the attachment when the copy is given up.
    pub kind: AttachmentErrorKind,
    /// For people: status, Graph error code and message; never the token.
    pub detail: String,
    /// Transient (5xx, 429, timeouts, connection errors): worth another try.
    pub retriable: bool,
}

impl Failure {
    pub(crate) fn new(
        kind: AttachmentErrorKind,
        detail: impl Into<String>,
        retriable: bool,
    ) -> Self {
        Failure {
            kind,
            detail: detail.into(),
            retriable,
        }
    }
}

/// The metadata `GET /{media-id}` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaInfo {
    /// Where to download the bytes (expires after about 5 minutes).
    pub url: String,
    /// The file's MIME type.
    #[serde(default)]
    pub mime_type: String,
    /// The file's SHA-256 (hex).
    #[serde(default)]
    pub sha256: String,
    /// Its size in bytes (Meta sends a string).
    #[serde(default, deserialize_with = "size")]
    pub file_size: Option<u64>,
}

fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Size>::deserialize(d)? {
        Some(Size::Number(n)) => Some(n),
        Some(Size::Text(t)) => t.trim().parse().ok(),
        None => None,
    })
}

/// A Graph API client.
#[derive(Debug, Clone)]
pub struct Graph {
    http: reqwest::Client,
    base: Url,
    version: String,
}

impl Graph {
    /// A client for `base` (e.g. `https://graph.facebook.com`) and `version` (`v24.0`), each
    /// request bounded by `timeout`.
    ///
    /// # Errors
    /// A base that is not an http(s) URL.
    pub fn new(base: &str, version: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let mut base = Url::parse(base).map_err(|_| ConfigError::GraphUrl(base.to_owned()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ConfigError::GraphUrl(base.to_string()));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("wa-pipeline/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::GraphUrl(format!("{base}: {e}")))?;
        Ok(Graph {
            http,
            base,
            version: version.trim_matches('/').to_owned(),
        })
    }

    /// The media's metadata; `phone_number_id` makes Meta check the media is that number's.
    ///
    /// # Errors
    /// A classified [`Failure`].
    pub async fn metadata(
        &self,
        media_id: &str,
        phone_number_id: &str,
        token: &str,
    ) -> Result<MediaInfo, Failure> {
        let mut url = self
            .base
            .join(&format!("{}/", self.version))
            .and_then(|u| u.join(media_id))
            .map_err(|e| {
                Failure::new(
                    AttachmentErrorKind::NotFound,
                    format!("media id {media_id:?}: {e}"),
                    false,
                )
            })?;
        if !phone_number_id.is_empty() {
            url.query_pairs_mut()
                .append_pair("phone_number_id", phone_number_id);
        }
        let response = self.get(url, token).await?;
        let body = response
            .bytes()
            .await
            .map_err(|e| transport("reading the media metadata", e))?;
        serde_json::from_slice::<MediaInfo>(&body).map_err(|e| {
            Failure::new(
                AttachmentErrorKind::Unavailable,
                format!("the media metadata is not what Meta documents: {e}"),
                true,
            )
        })
    }

    /// The file at `url`, at most `max_bytes` of it.
    ///
    /// # Errors
    /// A classified [`Failure`]; [`AttachmentErrorKind::TooLarge`] as soon as the size is
    /// known to exceed the limit.
    pub async fn download(&self, url: &str, token: &str, max_bytes: u64) -> Result<Bytes, Failure> {
        let url = Url::parse(url).map_err(|e| {
            Failure::new(
                AttachmentErrorKind::NotFound,
                format!("download URL: {e}"),
                false,
            )
        })?;
        if !self.may_carry_token(&url) {
            return Err(Failure::new(
                AttachmentErrorKind::Unauthorized,
                format!("the download URL's host {:?} is neither https nor the Graph API's; the token is not sent there", url.host_str().unwrap_or("")),
                false,
            ));
        }
        let mut response = self.get(url, token).await?;
        let too_large = |n: u64| {
            Failure::new(
                AttachmentErrorKind::TooLarge,
                format!(
                    "the file has {n} bytes, over the limit of {max_bytes} (--media-max-bytes)"
                ),
                false,
            )
        };
        if let Some(n) = response.content_length().filter(|&n| n > max_bytes) {
            return Err(too_large(n));
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport("downloading the media", e))?
        {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.freeze())
    }

    /// The token goes only over TLS, or to the configured Graph host itself (a local
    /// stand-in in tests).
    fn may_carry_token(&self, url: &Url) -> bool {
        url.scheme() == "https"
            || (url.host_str() == self.base.host_str()
                && url.port_or_known_default() == self.base.port_or_known_default())
    }

    async fn get(&self, url: Url, token: &str) -> Result<reqwest::Response, Failure> {
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| transport("calling the Graph API", e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        Err(classify(status, &body))
    }
}

fn transport(what: &str, e: reqwest::Error) -> Failure {
    // reqwest's Display names the URL, which may carry Meta's signed query: leave it out.
    let e = e.without_url();
    let why = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Failure::new(
        AttachmentErrorKind::Unavailable,
        format!("{what} {why}: {e}"),
        true,
    )
}

/// Meta's error object: `{"error": {"message", "type", "code", "error_subcode", ...}}`.
#[derive(Debug, Default, Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<i64>,
}

/// What an error answer means for the copy.
pub fn classify(status: StatusCode, body: &[u8]) -> Failure {
    #[derive(Deserialize)]
    struct Envelope {
        error: GraphError,
    }
    let error = serde_json::from_slice::<Envelope>(body)
        .map(|e| e.error)
        .unwrap_or_default();
    let code = error.code;
    let detail = match code {
        Some(code) => format!("HTTP {status}, Graph error {code}: {}", error.message),
        None => format!("HTTP {status}"),
    };
    use AttachmentErrorKind::*;
    let (kind, retriable) = match (status.as_u16(), code) {
        // Rate limits (HTTP 429, Graph 4, 80007, 130429) and server trouble pass.
        (429, _) | (_, Some(4 | 80007 | 130429)) => (Unavailable, true),
        (500..=599, _) => (Unavailable, true),
        (401 | 403, _) | (_, Some(190 | 10 | 200)) => (Unauthorized, false),
        (404 | 410, _) | (_, Some(100)) => (NotFound, false),
        _ => (Unavailable, false),
    };
    Failure::new(kind, detail, retriable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_meta_documents_them() {
        let graph = |code: i64| format!(r#"{{"error":{{"message":"m","code":{code}}}}}"#);
        let kind = |status: u16, body: &str| {
            let f = classify(StatusCode::from_u16(status).unwrap(), body.as_bytes());
            (f.kind, f.retriable)
        };
        use AttachmentErrorKind::*;
        assert_eq!(kind(401, &graph(190)), (Unauthorized, false));
        assert_eq!(kind(400, &graph(100)), (NotFound, false));
        assert_eq!(kind(404, ""), (NotFound, false));
        assert_eq!(kind(500, ""), (Unavailable, true));
        assert_eq!(kind(400, &graph(4)), (Unavailable, true));
        assert_eq!(kind(429, ""), (Unavailable, true));
        assert_eq!(kind(400, &graph(131_000)), (Unavailable, false));
    }

    #[test]
    fn file_size_is_read_as_meta_sends_it() {
        let info: MediaInfo = serde_json::from_str(
            r#"{"url":"u","mime_type":"m","sha256":"s","file_size":"303833","id":"1"}"#,
        )
        .unwrap();
        assert_eq!(info.file_size, Some(303_833));
    }

    #[test]
    fn the_token_goes_only_over_tls_or_to_the_graph_host() {
        let graph = Graph::new("http://127.0.0.1:9", "v24.0", Duration::from_secs(1)).unwrap();
        assert!(graph.may_carry_token(&Url::parse("https://lookaside.fbsbx.com/x").unwrap()));
        assert!(graph.may_carry_token(&Url::parse("http://127.0.0.1:9/dl/1").unwrap()));
        assert!(!graph.may_carry_token(&Url::parse("http://example.com/x").unwrap()));
        assert!(Graph::new("ftp://x", "v1", Duration::from_secs(1)).is_err());
    }
}

//! Meta's SHA-256 of a media file (base64 in webhooks, hex from the media endpoint) and the
//! content-addressed key our copy is stored under.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256Sum(pub [u8; 32]);

impl Sha256Sum {
    /// Meta's text: 64 hex digits or the base64 of the 32 bytes; `None` for anything else
    /// (absent, or not a SHA-256), which is then not trusted as a checksum.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = if text.len() == 64 {
            hex::decode(text).ok()?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(text).ok())?
        };
        Some(Sha256Sum(bytes.try_into().ok()?))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Sum(Sha256::digest(bytes).into())
    }

    /// Lower-case hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The key of a file: `<prefix><hex sha256><.ext>`. The same bytes always get the same key,
/// so a retry or a replay finds the copy and stores nothing twice.
pub fn key_for(prefix: &str, sum: &Sha256Sum, mime_type: &str) -> String {
    format!("{prefix}{}{}", sum.hex(), extension(mime_type))
}

/// A file extension for the MIME types WhatsApp sends, so a downloaded copy opens; `""` for
/// others.
pub fn extension(mime_type: &str) -> &'static str {
    let essence = mime_type.split(';').next().unwrap_or("").trim();
    match essence.to_ascii_lowercase().as_str() {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/webp" => ".webp",
        "image/gif" => ".gif",
        "video/mp4" => ".mp4",
        "video/3gpp" => ".3gp",
        "audio/ogg" => ".ogg",
        "audio/mpeg" => ".mp3",
        "audio/mp4" => ".m4a",
        "audio/aac" => ".aac",
        "audio/amr" => ".amr",
        "application/pdf" => ".pdf",
        "application/json" => ".json",
        "text/plain" => ".txt",
        "application/zip" => ".zip",
        "application/msword" => ".doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => ".docx",
        "application/vnd.ms-excel" => ".xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => ".xlsx",
        "application/vnd.ms-powerpoint" => ".ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => ".pptx",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_name_the_same_digest() {
        let sum = Sha256Sum::of(b"hello");
        let hex = sum.hex();
        let b64 = base64::engine::general_purpose::STANDARD.encode(sum.0);
        assert_eq!(Sha256Sum::parse(&hex), Some(sum));
        assert_eq!(Sha256Sum::parse(&b64), Some(sum));
        assert_eq!(Sha256Sum::parse(&hex.to_uppercase()), Some(sum));
        // 28 bytes, as in a made-up example body: not a SHA-256.
        assert_eq!(
            Sha256Sum::parse("ZmFrZXZvaWNlbWFpbHNoYTI1NmhlcmUwMDAwMDA="),
            None
        );
        assert_eq!(Sha256Sum::parse(""), None);
    }

    #[test]
    fn keys_are_content_addressed_with_an_extension() {
        let sum = Sha256Sum::of(b"x");
        let key = key_for("wa/", &sum, "audio/ogg; codecs=opus");
        assert_eq!(key, format!("wa/{}.ogg", sum.hex()));
        assert_eq!(key_for("", &sum, "application/x-unknown"), sum.hex());
    }
}

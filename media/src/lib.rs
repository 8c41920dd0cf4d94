//! Media re-hosting: an attachment's file is fetched from Meta's Graph API (`GET
//! /{version}/{media-id}` for its metadata, then its download URL, both with the business's
//! access token), checked against Meta's SHA-256 and copied to object storage under a
//! content-addressed key, so the event's `url` is one a consumer can fetch.
//!
//! Rooms: [`tokens`] (access tokens by business number or WABA), [`checksum`] (Meta's
//! SHA-256 and the content-addressed key), [`graph`] (the two Graph calls and how their
//! failures are classified), [`store`] (the object store and the URLs of its objects),
//! [`rehost`] (one attachment from Meta to the store, bounded in time and concurrency);
//! `standin` (feature `standin`): a local stand-in of Meta's two media endpoints for tests.
//!
//! A failure never loses the event: [`Rehoster::rehost`] always answers, either where the
//! copy is or an [`AttachmentError`] saying why there is none.

pub mod checksum;
pub mod graph;
pub mod rehost;
pub mod store;
pub mod tokens;

#[cfg(feature = "standin")]
pub mod standin;

pub use rehost::{Hosted, Limits, MediaRequest, Rehoster};
pub use store::{MediaStore, UrlStyle};
pub use tokens::AccessTokens;
pub use wa_schemas::inner::{AttachmentError, AttachmentErrorKind};

/// A configuration mistake, found at startup.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The store URL or its credentials.
    #[error("media store {url:?}: {detail} (fix --media-store or the store's standard variables)")]
    Store {
        /// The URL as given.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// An access-token list entry.
    #[error("access tokens: {0} (use id=token pairs, separated by commas or new lines)")]
    Tokens(String),
    /// The Graph API base URL.
    #[error("Graph API base URL {0:?} is not an http(s) URL (fix --media-graph-url)")]
    GraphUrl(String),
}

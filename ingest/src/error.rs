//! What can go wrong with a request, and the one place it becomes an HTTP answer.

use std::time::Duration;

use crate::signature::SignatureError;

/// Why a request was not answered 200.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No route for this path.
    #[error("not found")]
    NotFound,
    /// The path exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// A handshake parameter is missing.
    #[error("missing query parameter {0}")]
    MissingParameter(&'static str),
    /// The handshake was refused.
    #[error("verification refused: {0}")]
    HandshakeRefused(&'static str),
    /// The signature is missing, malformed or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The body is larger than the limit.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The client did not send the body in time.
    #[error("body not received within {0:?}")]
    BodyTimeout(Duration),
    /// The body could not be read from the connection.
    #[error("cannot read the body: {0}")]
    BodyRead(String),
    /// Too many requests are being persisted already.
    #[error("too many requests in flight")]
    Overloaded,
    /// The broker did not acknowledge the record in time, or refused it.
    #[error("cannot persist the event: {0}")]
    Persist(String),
}

impl IngestError {
    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            IngestError::NotFound => 404,
            IngestError::MethodNotAllowed(_) => 405,
            IngestError::MissingParameter(_) | IngestError::BodyRead(_) => 400,
            IngestError::HandshakeRefused(_) => 403,
            IngestError::Signature(_) => 401,
            IngestError::TooLarge(_) => 413,
            IngestError::BodyTimeout(_) => 408,
            IngestError::Overloaded | IngestError::Persist(_) => 503,
        }
    }

    /// The short reason in the response body. Internal failures get a generic text; their
    /// detail goes to the log.
    pub fn public_reason(&self) -> String {
        match self {
            IngestError::Persist(_) => "the event could not be stored in time; retry later".into(),
            other => other.to_string(),
        }
    }
}

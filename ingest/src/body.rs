//! Reading a request body within its limits: the size limit (413), the read timeout (408),
//! and a memory budget shared by every body being read, taken frame by frame as bytes
//! arrive, so a slow client holds only what it actually sent and cannot take the storage
//! slots that verified requests need.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Body;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::IngestError;

/// A body read whole, with the share of the memory budget it holds until dropped.
pub struct ReadBody {
    pub bytes: Bytes,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Reads `body` (at most `limit` bytes, within `timeout`), taking its bytes from `budget`.
///
/// # Errors
/// [`IngestError::TooLarge`], [`IngestError::BodyTimeout`], [`IngestError::BodyRead`], or
/// [`IngestError::Overloaded`] when the budget is spent.
pub async fn read<B>(
    body: B,
    limit: usize,
    timeout: Duration,
    budget: &Arc<Semaphore>,
) -> Result<ReadBody, IngestError>
where
    B: Body<Data = Bytes> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let frames = async {
        let mut body = std::pin::pin!(body);
        let mut bytes = BytesMut::new();
        let mut held: Option<OwnedSemaphorePermit> = None;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| IngestError::BodyRead(e.into().to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if bytes.len() + data.len() > limit {
                return Err(IngestError::TooLarge(limit));
            }
            let n = u32::try_from(data.len()).map_err(|_| IngestError::TooLarge(limit))?;
            let more = budget
                .clone()
                .try_acquire_many_owned(n)
                .map_err(|_| IngestError::Overloaded)?;
            match &mut held {
                Some(permit) => permit.merge(more),
                None => held = Some(more),
            }
            bytes.extend_from_slice(&data);
        }
        Ok(ReadBody {
            bytes: bytes.freeze(),
            _budget: held,
        })
    };
    tokio::time::timeout(timeout, frames)
        .await
        .map_err(|_| IngestError::BodyTimeout(timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[tokio::test]
    async fn the_budget_is_held_while_the_body_lives_and_returned_after() {
        let budget = Arc::new(Semaphore::new(10));
        let body = read(
            Full::new(Bytes::from_static(b"12345678")),
            100,
            Duration::from_secs(1),
            &budget,
        )
        .await
        .ok()
        .unwrap();
        assert_eq!(&body.bytes[..], b"12345678");
        assert_eq!(budget.available_permits(), 2);
        let second = read(
            Full::new(Bytes::from_static(b"abc")),
            100,
            Duration::from_secs(1),
            &budget,
        )
        .await;
        assert!(matches!(second, Err(IngestError::Overloaded)));
        drop(body);
        assert_eq!(budget.available_permits(), 10);
        let too_large = read(
            Full::new(Bytes::from_static(b"12345678")),
            4,
            Duration::from_secs(1),
            &budget,
        )
        .await;
        assert!(matches!(too_large, Err(IngestError::TooLarge(4))));
        assert_eq!(
            budget.available_permits(),
            10,
            "a refused body returns its share"
        );
    }
}

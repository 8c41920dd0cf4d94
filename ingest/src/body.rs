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
    /// Held as long as the bytes are.
    pub budget: Option<OwnedSemaphorePermit>,
}

/// The bytes read so far. A webhook body usually arrives in one frame: it is kept as hyper
/// gave it (copying it was an allocation and a copy per webhook), and the frames are copied
/// into one buffer only when a second one comes.
#[derive(Default)]
struct Frames {
    first: Bytes,
    joined: Option<BytesMut>,
}

impl Frames {
    fn len(&self) -> usize {
        self.joined.as_ref().map_or(self.first.len(), BytesMut::len)
    }

    fn push(&mut self, data: Bytes) {
        match &mut self.joined {
            Some(joined) => joined.extend_from_slice(&data),
            None if self.first.is_empty() => self.first = data,
            None => {
                let mut joined = BytesMut::with_capacity(self.first.len() + data.len());
                joined.extend_from_slice(&self.first);
                joined.extend_from_slice(&data);
                self.first = Bytes::new();
                self.joined = Some(joined);
            }
        }
    }

    fn into_bytes(self) -> Bytes {
        self.joined.map_or(self.first, BytesMut::freeze)
    }
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
        let mut bytes = Frames::default();
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
            bytes.push(data);
        }
        Ok(ReadBody {
            bytes: bytes.into_bytes(),
            budget: held,
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
    use hyper::body::Frame;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A body that arrives in the given frames.
    struct Chunked(VecDeque<Bytes>);

    impl Body for Chunked {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    async fn read_frames(frames: &[&'static [u8]], limit: usize) -> Result<Bytes, IngestError> {
        let body = Chunked(frames.iter().map(|f| Bytes::from_static(f)).collect());
        let budget = Arc::new(Semaphore::new(1000));
        read(body, limit, Duration::from_secs(1), &budget)
            .await
            .map(|b| b.bytes)
    }

    #[tokio::test]
    async fn frames_are_joined_in_order_and_a_single_one_is_kept_as_is() {
        let one: &'static [u8] = b"{\"object\":1}";
        let single = read_frames(&[one], 100).await.ok().unwrap();
        assert_eq!(single.as_ptr(), one.as_ptr(), "one frame is not copied");
        let joined = read_frames(&[b"ab", b"", b"cd", b"e"], 100)
            .await
            .ok()
            .unwrap();
        assert_eq!(&joined[..], b"abcde");
        let empty = read_frames(&[], 100).await.ok().unwrap();
        assert!(empty.is_empty());
        let over = read_frames(&[b"abc", b"def"], 5).await;
        assert!(matches!(over, Err(IngestError::TooLarge(5))));
    }

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

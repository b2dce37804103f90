//! Byte sources that behave unlike a plain slice, for the readers' tests.

use airlock_core::source::{ByteSource, SourceError};

/// Returns at most 100 bytes a read, wherever the source ends: a source
/// breaking the `read_at` contract by returning short reads mid-file.
pub struct ShortReadSource<'a>(pub &'a [u8]);

impl ByteSource for ShortReadSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.0.read_at(offset, len.min(100)).await
    }
}

/// A source whose reads are not ready at once (like a browser `Blob`): each
/// read yields to the executor once before answering.
pub struct YieldingSource<'a>(pub &'a [u8]);

struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

impl ByteSource for YieldingSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        YieldOnce(false).await;
        self.0.read_at(offset, len).await
    }
}

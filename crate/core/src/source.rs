//! Random-access byte sources: the one way the tar reader looks at a file.
//!
//! A [`ByteSource`] answers "give me `len` bytes at `offset`". Natively that is
//! a positional read on a file (`airlock_cli::source::FileSource`); in the browser it is
//! `Blob.slice(..).arrayBuffer()` (implemented at the edge, not here); in tests
//! it is a byte slice. The futures are not `Send`: browser futures are not.
//!
//! Offsets and lengths of whole sources are `u64` (wasm32's `usize` is 32
//! bits); a single read is a `usize` because it lands in memory.
//!
//! Contract: `read_at` returns exactly `len` bytes, or fewer only when the
//! source ends first (an offset at or past the end gives an empty vector).
//! Callers that need every byte use [`read_exact_at`].

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a read from a [`ByteSource`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The underlying file, blob or stream failed.
    #[error("reading {len} bytes at offset {offset}: {message}")]
    Io {
        offset: u64,
        len: usize,
        message: String,
    },
    /// The source ended before all requested bytes were read.
    #[error("unexpected end of data: wanted {wanted} bytes at offset {offset}, the source has only {got}")]
    UnexpectedEof { offset: u64, wanted: u64, got: u64 },
}

/// A random-access, read-only sequence of bytes.
#[allow(async_fn_in_trait)] // futures are deliberately not Send (browser sources)
pub trait ByteSource {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Whether the source has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `len` bytes at `offset`. Returns fewer bytes only at the end of
    /// the source.
    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError>;

    /// Reads up to `buf.len()` bytes at `offset` into `buf`, returning how
    /// many were read: all of them, or fewer only at the end of the source.
    /// Sources that can fill a caller's buffer directly (files) override
    /// this, so that streaming readers reuse one buffer; the default copies
    /// from [`ByteSource::read_at`].
    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let bytes = self.read_at(offset, buf.len()).await?;
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }
}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let total = <[u8]>::len(self);
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
        let end = start.saturating_add(len).min(total);
        Ok(self[start..end].to_vec())
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let total = <[u8]>::len(self);
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
        let end = start.saturating_add(buf.len()).min(total);
        buf[..end - start].copy_from_slice(&self[start..end]);
        Ok(end - start)
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.as_slice().read_at(offset, len).await
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.as_slice().read_into(offset, buf).await
    }
}

impl<S: ByteSource + ?Sized> ByteSource for &S {
    fn len(&self) -> u64 {
        (**self).len()
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        (**self).read_at(offset, len).await
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        (**self).read_into(offset, buf).await
    }
}

/// Reads exactly `len` bytes at `offset`, or fails with
/// [`SourceError::UnexpectedEof`].
pub async fn read_exact_at<S: ByteSource + ?Sized>(
    src: &S,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, SourceError> {
    let bytes = src.read_at(offset, len).await?;
    if bytes.len() != len {
        return Err(SourceError::UnexpectedEof {
            offset,
            wanted: len as u64,
            got: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// Wraps a source and counts the bytes read and the calls made, so tests and
/// benchmarks can show that indexing reads headers only.
#[derive(Debug, Default)]
pub struct CountingSource<S> {
    inner: S,
    bytes: AtomicU64,
    calls: AtomicU64,
}

impl<S> CountingSource<S> {
    pub fn new(inner: S) -> Self {
        CountingSource {
            inner,
            bytes: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }

    /// Bytes returned by `read_at` so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Calls to `read_at` so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Resets both counters to zero.
    pub fn reset(&self) {
        self.bytes.store(0, Ordering::Relaxed);
        self.calls.store(0, Ordering::Relaxed);
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: ByteSource> ByteSource for CountingSource<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let out = self.inner.read_at(offset, len).await?;
        self.bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(out)
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let n = self.inner.read_into(offset, buf).await?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Polls a future once and returns its output if it is ready. Works on
/// every target; in-memory sources are always ready.
pub fn now_or_never<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        now_or_never(f).expect("in-memory reads are ready at once")
    }

    #[test]
    fn slice_reads_are_clamped_at_the_end() {
        let data: Vec<u8> = (0u8..10).collect();
        assert_eq!(block_on(data.read_at(2, 3)).unwrap(), vec![2, 3, 4]);
        assert_eq!(block_on(data.read_at(8, 5)).unwrap(), vec![8, 9]);
        assert!(block_on(data.read_at(10, 5)).unwrap().is_empty());
        assert!(block_on(data.read_at(u64::MAX, usize::MAX))
            .unwrap()
            .is_empty());
        assert_eq!(ByteSource::len(&data), 10);
    }

    #[test]
    fn read_exact_reports_short_reads() {
        let data = vec![1u8; 4];
        assert_eq!(
            block_on(read_exact_at(&data, 2, 4)),
            Err(SourceError::UnexpectedEof {
                offset: 2,
                wanted: 4,
                got: 2
            })
        );
    }

    #[test]
    fn read_into_fills_the_buffer_or_stops_at_the_end() {
        let data: Vec<u8> = (0u8..10).collect();
        let mut buf = [0u8; 4];
        assert_eq!(block_on(data.read_into(2, &mut buf)), Ok(4));
        assert_eq!(buf, [2, 3, 4, 5]);
        assert_eq!(block_on(data.read_into(8, &mut buf)), Ok(2));
        assert_eq!(&buf[..2], &[8, 9]);
        assert_eq!(block_on(data.read_into(u64::MAX, &mut buf)), Ok(0));
        let counted = CountingSource::new(&data);
        assert_eq!(block_on(counted.read_into(7, &mut buf)), Ok(3));
        assert_eq!((counted.calls(), counted.bytes_read()), (1, 3));
    }

    #[test]
    fn counting_source_counts() {
        let src = CountingSource::new(vec![0u8; 100]);
        block_on(src.read_at(0, 10)).unwrap();
        block_on(src.read_at(95, 10)).unwrap();
        assert_eq!(src.calls(), 2);
        assert_eq!(src.bytes_read(), 15);
        src.reset();
        assert_eq!(src.calls(), 0);
    }
}

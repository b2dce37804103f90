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

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a read from a [`ByteSource`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The underlying file, blob or stream failed.
    #[error("reading {len} bytes at offset {offset}: {message}")]
    Io {
        /// Offset of the read.
        offset: u64,
        /// Bytes asked for.
        len: usize,
        /// The source's own message (an IO error, a `Blob` read failure).
        message: String,
    },
    /// The source ended before all requested bytes were read.
    #[error("unexpected end of data: wanted {wanted} bytes at offset {offset}, the source has only {got}")]
    UnexpectedEof {
        /// Offset of the read.
        offset: u64,
        /// Bytes asked for.
        wanted: u64,
        /// Bytes the source returned.
        got: u64,
    },
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

    /// Every byte of the source, when it holds them in memory (a byte
    /// slice; a small tar the page read whole). Readers over such a source
    /// read from it directly: no windows, nothing kept twice. `None` (the
    /// default) for sources that read on demand, and for wrappers that
    /// watch each read ([`CountingSource`]).
    fn in_memory(&self) -> Option<&[u8]> {
        None
    }
}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn in_memory(&self) -> Option<&[u8]> {
        Some(self)
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

    fn in_memory(&self) -> Option<&[u8]> {
        Some(self)
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

    fn in_memory(&self) -> Option<&[u8]> {
        (**self).in_memory()
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

/// Remembers what is read through it, up to `limit` bytes, and answers
/// later reads of bytes it holds from memory. [`crate::archive::Archive::open`]
/// reads the tar's headers in windows through one, so the bundle layers those
/// windows already covered are not read again.
#[derive(Debug)]
pub struct KeepingSource<'a, S: ?Sized> {
    inner: &'a S,
    /// Reads kept, by offset.
    kept: RefCell<BTreeMap<u64, Vec<u8>>>,
    bytes: Cell<u64>,
    limit: u64,
    keeping: Cell<bool>,
}

impl<'a, S: ByteSource + ?Sized> KeepingSource<'a, S> {
    /// A source reading through `inner` that keeps what it reads, up to `limit` bytes in all.
    pub fn new(inner: &'a S, limit: u64) -> Self {
        KeepingSource {
            inner,
            kept: RefCell::new(BTreeMap::new()),
            bytes: Cell::new(0),
            limit,
            keeping: Cell::new(true),
        }
    }

    /// Later reads are answered from what is held, but no longer kept.
    pub fn stop_keeping(&self) {
        self.keeping.set(false);
    }

    /// Bytes held.
    pub fn kept_bytes(&self) -> u64 {
        self.bytes.get()
    }

    /// Whether all of `range` is held.
    pub fn holds(&self, range: std::ops::Range<u64>) -> bool {
        let len = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(usize::MAX);
        self.lookup(range.start, len).is_some()
    }

    fn lookup(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let kept = self.kept.borrow();
        // Windows overlap by less than a block, so the holder is one of the
        // last two starting at or before `offset`.
        for (&start, bytes) in kept.range(..=offset).rev().take(2) {
            let Ok(rel) = usize::try_from(offset - start) else {
                continue;
            };
            if let Some(end) = rel.checked_add(len).filter(|&e| e <= bytes.len()) {
                return Some(bytes[rel..end].to_vec());
            }
        }
        None
    }
}

impl<S: ByteSource + ?Sized> ByteSource for KeepingSource<'_, S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn in_memory(&self) -> Option<&[u8]> {
        self.inner.in_memory()
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        if let Some(bytes) = self.lookup(offset, len) {
            return Ok(bytes);
        }
        let bytes = self.inner.read_at(offset, len).await?;
        let size = bytes.len() as u64;
        // A source in memory is not kept a second time.
        if self.keeping.get()
            && self.inner.in_memory().is_none()
            && size > 0
            && self.bytes.get() + size <= self.limit
        {
            self.bytes.set(self.bytes.get() + size);
            let old = self.kept.borrow_mut().insert(offset, bytes.clone());
            if let Some(old) = old {
                self.bytes.set(self.bytes.get() - old.len() as u64);
            }
        }
        Ok(bytes)
    }
}

/// Reads several byte ranges in few reads: ranges whose combined span (from
/// the lowest start to the highest end) is at most `max_span` bytes are read
/// together, the bytes between them included, so a read never covers more
/// than `max_span` bytes unless one range alone is longer. Returns each
/// range's bytes in the order given; a range the source ends within comes
/// back short (the [`ByteSource::read_at`] contract).
pub async fn read_ranges<S: ByteSource + ?Sized>(
    src: &S,
    ranges: &[std::ops::Range<u64>],
    max_span: u64,
) -> Result<Vec<Vec<u8>>, SourceError> {
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    order.sort_by_key(|&i| (ranges[i].start, ranges[i].end));
    let mut out = vec![Vec::new(); ranges.len()];
    let mut i = 0;
    while i < order.len() {
        let start = ranges[order[i]].start;
        let mut end = ranges[order[i]].end.max(start);
        let mut j = i + 1;
        while j < order.len() {
            let next_end = ranges[order[j]].end.max(end);
            if next_end - start > max_span {
                break;
            }
            end = next_end;
            j += 1;
        }
        let len = usize::try_from(end - start).map_err(|_| SourceError::Io {
            offset: start,
            len: usize::MAX,
            message: format!("a read of {} bytes does not fit in memory", end - start),
        })?;
        let bytes = src.read_at(start, len).await?;
        for &k in &order[i..j] {
            let r = &ranges[k];
            let from = ((r.start - start) as usize).min(bytes.len());
            let to = ((r.end.max(r.start) - start) as usize).min(bytes.len());
            out[k] = bytes[from..to].to_vec();
        }
        i = j;
    }
    Ok(out)
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
    /// Counts the reads made through `inner`; both counters start at zero.
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

    /// The wrapped source.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the source.
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
    fn a_source_in_memory_is_not_kept_again() {
        let data: Vec<u8> = (0u8..=255).collect();
        assert_eq!(data.in_memory(), Some(&data[..]));
        let counted = CountingSource::new(&data[..]);
        assert_eq!(counted.in_memory(), None, "counting watches every read");

        let direct = KeepingSource::new(&data[..], 1 << 20);
        assert_eq!(direct.in_memory(), Some(&data[..]));
        assert_eq!(block_on(direct.read_at(10, 20)).unwrap(), &data[10..30]);
        assert_eq!(direct.kept_bytes(), 0);

        let kept = KeepingSource::new(&counted, 1 << 20);
        assert_eq!(block_on(kept.read_at(10, 20)).unwrap(), &data[10..30]);
        assert_eq!(kept.kept_bytes(), 20);
        assert_eq!(block_on(kept.read_at(15, 5)).unwrap(), &data[15..20]);
        assert_eq!(
            counted.calls(),
            1,
            "the second read came from what was kept"
        );
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

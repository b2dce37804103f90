//! Native edge of [`ByteSource`]: files read with positional reads, and
//! a minimal executor for the (immediately ready) futures they return.

use std::fs::File;
use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use airlock_core::source::{ByteSource, SourceError};

/// A file read with positional reads (`pread`); no shared cursor, so one
/// `FileSource` can serve many readers.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    /// Opens `path` read-only and records its length.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<FileSource> {
        FileSource::new(File::open(path)?)
    }

    /// Wraps an open file; its length is taken now.
    pub fn new(file: File) -> std::io::Result<FileSource> {
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    fn read_at_sync(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let want = len.min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
        let mut buf = vec![0u8; want];
        let done = self.read_into_sync(offset, &mut buf)?;
        buf.truncate(done);
        Ok(buf)
    }

    /// Positional reads into `buf` until it is full or the file ends.
    fn read_into_sync(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let want = buf
            .len()
            .min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
        let mut done = 0usize;
        while done < want {
            match pread(&self.file, &mut buf[done..want], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(SourceError::Io {
                        offset,
                        len: buf.len(),
                        message: e.to_string(),
                    })
                }
            }
        }
        Ok(done)
    }
}

#[cfg(unix)]
fn pread(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn pread(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read_at_sync(offset, len)
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.read_into_sync(offset, buf)
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread, parking between polls.
/// Meant for native callers of the async readers, whose futures are ready at
/// once.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_source_reads_positionally() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"hello world").unwrap();
        let src = FileSource::open(f.path()).unwrap();
        assert_eq!(src.len(), 11);
        assert_eq!(block_on(src.read_at(6, 5)).unwrap(), b"world");
        assert_eq!(block_on(src.read_at(6, 50)).unwrap(), b"world");
        assert!(block_on(src.read_at(11, 5)).unwrap().is_empty());
        assert!(block_on(src.read_at(1 << 40, 5)).unwrap().is_empty());
    }
}

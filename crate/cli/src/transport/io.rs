//! Positional file IO and the readers that stream request bodies: byte
//! ranges of shared memory or of the tar file (no shared cursor, so many
//! uploads read one tar at once), size and sha256 checks on what is
//! streamed, progress counting, and blob downloads written in place.

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use airlock_core::digest::{Digest, Hasher};
use airlock_core::go::flate::GoGzipWriter;
use airlock_core::registry::http::{BlobSink, TransportError, TransportErrorKind};

use crate::dir_source::PositionalRead;

/// Reads a range of shared bytes without copying them.
pub(super) struct SharedSlice {
    pub(super) data: Arc<Vec<u8>>,
    pub(super) pos: usize,
    pub(super) end: usize,
}

impl Read for SharedSlice {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads a byte range of a file with positional reads (no shared cursor,
/// so many uploads can read the same tar at once).
pub(super) struct RangeReader {
    pub(super) file: Arc<dyn PositionalRead>,
    pub(super) pos: u64,
    pub(super) remaining: u64,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.remaining) as usize;
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF in tar file",
            ));
        }
        self.pos += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Copies a blob body into `file` at `sink.offset` with positional writes,
/// checking its size and sha256 (ggcr's messages).
pub(super) fn write_blob_at(
    reader: &mut dyn Read,
    file: &File,
    sink: &BlobSink,
) -> Result<(), TransportError> {
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(TransportError::new(
                    TransportErrorKind::Io,
                    format!("reading blob {}: {e}", sink.digest),
                ))
            }
        };
        if written + n as u64 > sink.size {
            return Err(TransportError::new(
                TransportErrorKind::Source,
                format!(
                    "error verifying size; got more than {}, want {}",
                    sink.size, sink.size
                ),
            ));
        }
        write_all_at(file, &buf[..n], sink.offset + written).map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("writing blob {}: {e}", sink.digest),
            )
        })?;
        hasher.update(&buf[..n]);
        written += n as u64;
    }
    if written != sink.size {
        return Err(TransportError::new(
            TransportErrorKind::Io,
            format!("error verifying size; got {written}, want {}", sink.size),
        ));
    }
    let got = hasher.finish();
    if got != sink.digest {
        return Err(TransportError::new(
            TransportErrorKind::Source,
            format!(
                "error verifying sha256 checksum after reading {written} bytes; got \"{got}\", want \"{}\"",
                sink.digest
            ),
        ));
    }
    Ok(())
}

/// Writes all of `buf` at `pos` (positional: no shared cursor).
pub fn write_all_at(file: &File, mut buf: &[u8], mut pos: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = write_at(file, buf, pos)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes"));
        }
        buf = &buf[n..];
        pos += n as u64;
    }
    Ok(())
}

/// The Go-BestSpeed gzip of a byte range (a docker-archive layer sent
/// compressed), produced while it is read: one 256 KiB read buffer and the
/// encoder's 64 KiB block, never the layer. `skip` bytes of the compressed
/// stream are dropped first (a body that resumes an upload).
pub(super) struct GzipRangeReader {
    pub(super) inner: RangeReader,
    gz: Option<GoGzipWriter>,
    input: Vec<u8>,
    out: Vec<u8>,
    /// Next byte of `out` to hand out.
    at: usize,
    skip: u64,
}

impl GzipRangeReader {
    pub(super) fn new(inner: RangeReader, skip: u64) -> GzipRangeReader {
        GzipRangeReader {
            inner,
            gz: Some(GoGzipWriter::new()),
            input: vec![0u8; 256 << 10],
            out: Vec::with_capacity(300 << 10),
            at: 0,
            skip,
        }
    }

    /// Refills `out`; false at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        while self.out.is_empty() {
            let Some(gz) = self.gz.as_mut() else {
                return Ok(false);
            };
            if self.inner.remaining == 0 {
                if let Some(gz) = self.gz.take() {
                    gz.finish(&mut self.out);
                }
            } else {
                let n = self.inner.read(&mut self.input)?;
                gz.write(&self.input[..n], &mut self.out);
            }
        }
        Ok(true)
    }
}

impl Read for GzipRangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at == self.out.len() && !self.fill()? {
                return Ok(0);
            }
            let avail = self.out.len() - self.at;
            if self.skip > 0 {
                let n = (avail as u64).min(self.skip) as usize;
                self.at += n;
                self.skip -= n as u64;
                continue;
            }
            let n = avail.min(buf.len());
            buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
    }
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::write_at(file, buf, pos)
}

#[cfg(windows)]
fn write_at(file: &File, buf: &[u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_write(file, buf, pos)
}

/// Where a [`VerifyingReader`] leaves a content error for `execute`.
#[derive(Default)]
pub(super) struct SourceCheck {
    pub(super) error: Option<Arc<Mutex<Option<TransportError>>>>,
}

impl SourceCheck {
    pub(super) fn take_error(&mut self) -> Option<TransportError> {
        self.error
            .take()
            .and_then(|s| s.lock().ok().and_then(|mut g| g.take()))
    }
}

/// Checks size (and, for whole blobs, sha256) of what is streamed, and
/// fails the upload before its last byte if the source is corrupt.
pub(super) struct VerifyingReader {
    pub(super) inner: Box<dyn Read + Send>,
    pub(super) hasher: Option<Hasher>,
    pub(super) expected: Digest,
    pub(super) length: u64,
    pub(super) read: u64,
    pub(super) error: Arc<Mutex<Option<TransportError>>>,
}

impl VerifyingReader {
    fn fail(&mut self, message: String) -> io::Error {
        if let Ok(mut g) = self.error.lock() {
            *g = Some(TransportError::new(
                TransportErrorKind::Source,
                message.clone(),
            ));
        }
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.length - self.read;
        if remaining == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(remaining) as usize;
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                let msg = format!("reading blob {}: {e}", self.expected);
                return Err(self.fail(msg));
            }
        };
        if n == 0 {
            let msg = format!(
                "error verifying size; got {}, want {}",
                self.read, self.length
            );
            return Err(self.fail(msg));
        }
        self.read += n as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
            if self.read == self.length {
                let got = self.hasher.take().map(Hasher::finish);
                if got != Some(self.expected) {
                    let msg = format!(
                        "error verifying sha256 checksum after reading {} bytes; got {:?}, want {:?}",
                        self.read,
                        got.map(|d| d.to_string()).unwrap_or_default(),
                        self.expected.to_string()
                    );
                    return Err(self.fail(msg));
                }
            }
        }
        Ok(n)
    }
}

/// Counts body bytes and reports progress every MiB.
pub(super) struct CountingReader<'a, 'p> {
    pub(super) inner: &'a mut Box<dyn Read + Send>,
    pub(super) sent: u64,
    pub(super) last_report: u64,
    pub(super) progress: &'p mut dyn FnMut(u64),
}

impl Read for CountingReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent += n as u64;
        if self.sent - self.last_report >= 1 << 20 {
            self.last_report = self.sent;
            (self.progress)(self.sent);
        }
        Ok(n)
    }
}

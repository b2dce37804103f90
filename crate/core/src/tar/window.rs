//! Coalesced reads for the tar indexer: one read covers many small entries.
//!
//! Reading one 512-byte header per read costs a round trip per entry, which
//! is what dominates opening a tar of a thousand small entries in the
//! browser (`Blob.slice` is ~1 ms a read). A [`WindowReader`] instead reads
//! *windows* starting at the header it needs and serves the following
//! headers from memory while they fall inside the window.
//!
//! How long a window is: after an entry whose body is small (at most
//! [`Windows::small`] bytes) the next window is twice the last one, up to
//! [`Windows::max`]; after a large body it is one block again, so a large
//! layer is skipped by arithmetic and at most one window's worth of a large
//! body is ever read speculatively. The number of reads therefore grows
//! with the tar's bytes in small entries (`bytes / max` plus the doubling
//! steps after each large entry), not with its entry count.
//!
//! [`Windows::HEADERS_ONLY`] turns windows off: every read is exactly the
//! bytes asked for (one block per header), as [`super::index`] does; so
//! does a source that holds all its bytes ([`ByteSource::in_memory`]).

use crate::source::{ByteSource, SourceError};

use super::header::BLOCK;

/// How the indexer reads: window sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Longest window read at once; 0 turns windows off.
    pub max: usize,
    /// Bodies up to this many bytes count as small: the window after them
    /// grows. Larger bodies reset it to one block.
    pub small: u64,
}

impl Windows {
    /// One read per header block (and per PAX or long-name body).
    pub const HEADERS_ONLY: Windows = Windows { max: 0, small: 0 };
    /// What [`crate::archive::Archive::open`] uses: windows up to 4 MiB,
    /// bodies up to 32 KiB are small. (A `Blob.slice` read costs the page
    /// ~4 ms however short; 4 MiB instead of 1 MiB took the 5,000-image
    /// repository from 26 reads to 18.)
    pub const DEFAULT: Windows = Windows {
        max: 4 << 20,
        small: 32 << 10,
    };
}

impl Default for Windows {
    fn default() -> Self {
        Windows::DEFAULT
    }
}

/// Serves reads from the last window read, reading a new window on a miss.
pub(crate) struct WindowReader<'a, S: ?Sized> {
    src: &'a S,
    opts: Windows,
    /// Offset of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
    /// The read that filled `buf` came back short: the source ends at
    /// `start + buf.len()`.
    short: bool,
    /// Length asked for by the read that filled `buf`.
    last_len: usize,
    /// The body before the next header was small: speculate on a miss.
    dense: bool,
}

impl<'a, S: ByteSource + ?Sized> WindowReader<'a, S> {
    pub(crate) fn new(src: &'a S, opts: Windows) -> Self {
        WindowReader {
            src,
            opts,
            start: 0,
            buf: Vec::new(),
            short: false,
            last_len: 0,
            dense: false,
        }
    }

    /// Records the size of the body just passed; decides the next window.
    pub(crate) fn passed_body(&mut self, size: u64) {
        self.dense = size <= self.opts.small;
    }

    /// `len` bytes at `offset`, fewer only where the source ends: the
    /// [`ByteSource::read_at`] contract, served from the window when it
    /// holds them.
    pub(crate) async fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        // Windows save reads; a source in memory needs none.
        if self.opts.max == 0 || self.src.in_memory().is_some() {
            return self.src.read_at(offset, len).await;
        }
        if let Some(bytes) = self.cached(offset, len) {
            return Ok(bytes.to_vec());
        }
        let window = if self.dense {
            self.last_len.saturating_mul(2).clamp(BLOCK, self.opts.max)
        } else {
            BLOCK
        };
        let ask = len.max(window);
        let bytes = self.src.read_at(offset, ask).await?;
        self.short = bytes.len() < ask;
        self.start = offset;
        self.buf = bytes;
        self.last_len = ask;
        Ok(self.buf[..len.min(self.buf.len())].to_vec())
    }

    /// The bytes at `offset..offset + len` if the window holds all of them,
    /// or holds the start of them and reaches the end of the source.
    fn cached(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let rel = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        if rel > self.buf.len() {
            return None;
        }
        let end = rel.checked_add(len)?;
        if end <= self.buf.len() {
            Some(&self.buf[rel..end])
        } else if self.short {
            Some(&self.buf[rel..])
        } else {
            None
        }
    }
}

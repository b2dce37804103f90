//! Writing tars byte-for-byte as Go's `archive/tar` does for imgpkg.
//!
//! imgpkg writes every entry with `tar.Header{Mode: 0644, Typeflag: '0',
//! Size, Name}`; the header bytes are [`crate::go::tar::header`]'s. This
//! module refuses names Airlock's reader would refuse (empty, absolute, with
//! `..` or NUL, ending in a slash) and streams entries with their sizes
//! enforced.

use std::io::{self, Read, Write};

use super::header::{self, BLOCK, BLOCK_SIZE};
use crate::go::{self, tar::GoTarError};

/// imgpkg's entry mode.
pub const DEFAULT_MODE: u32 = 0o644;

/// The end-of-archive marker: two zero blocks.
pub const END_OF_ARCHIVE: [u8; 1024] = [0; 1024];

/// Why a tar could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TarWriteError {
    /// Writing to the underlying `Write` failed.
    #[error("writing the tar: {0}")]
    Io(#[from] io::Error),
    /// The name is one Airlock's reader would refuse (empty, absolute, with `..` or NUL, ending in
    /// `/`).
    #[error("tar entry name {name:?} cannot be written: {reason}")]
    BadName {
        /// The name that was given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The mode or the size does not fit a header (Go's
    /// [`GoTarError::ModeTooLarge`] and [`GoTarError::SizeTooLarge`]).
    #[error(transparent)]
    Unencodable(GoTarError),
    /// [`ustar_header`] was asked for an entry that only a PAX header can describe (a name that
    /// does not split, or 8 GiB or more).
    #[error("tar entry '{name}' (size {size}) needs a PAX header; a plain USTAR header cannot describe it")]
    NeedsPax {
        /// The entry's name.
        name: String,
        /// Its size, in bytes.
        size: u64,
    },
    /// More bytes were written for the entry than its header declares.
    #[error("tar entry '{name}': more data than the {size} bytes its header declares")]
    DataTooLong {
        /// The entry's name.
        name: String,
        /// The declared size, in bytes.
        size: u64,
    },
    /// The next entry was started, or the archive finished, before the current entry's data was
    /// complete.
    #[error(
        "tar entry '{name}': only {written} of the {size} bytes its header declares were written"
    )]
    DataTooShort {
        /// The entry's name.
        name: String,
        /// The declared size, in bytes.
        size: u64,
        /// Bytes written so far.
        written: u64,
    },
    /// Data was written before any entry was started.
    #[error("no tar entry has been started")]
    NoEntry,
    /// An entry or data was written after [`TarWriter::finish`].
    #[error("the tar archive is already finished")]
    Finished,
}

/// The single USTAR header block Go writes for a regular file `name` of
/// `size` bytes with permission bits `mode` (uid/gid 0, mtime 0, empty owner
/// names). Fails with [`TarWriteError::NeedsPax`] when Go would use PAX
/// instead; [`entry_header`] handles every case.
pub fn ustar_header(name: &str, size: u64, mode: u32) -> Result<[u8; 512], TarWriteError> {
    check(name)?;
    go::tar::ustar_header(&regular(name, size, mode))
        .map_err(from_go)?
        .ok_or_else(|| TarWriteError::NeedsPax {
            name: name.to_string(),
            size,
        })
}

/// Every header byte Go writes before the data of a regular file: one USTAR
/// block, or a PAX extended header (block, records, padding) and a block.
pub fn entry_header(name: &str, size: u64, mode: u32) -> Result<Vec<u8>, TarWriteError> {
    check(name)?;
    go::tar::header(&regular(name, size, mode)).map_err(from_go)
}

fn regular(name: &str, size: u64, mode: u32) -> go::tar::Header<'_> {
    go::tar::Header {
        name,
        size,
        mode,
        kind: go::tar::Kind::Regular,
    }
}

fn from_go(e: GoTarError) -> TarWriteError {
    match e {
        GoTarError::ModeTooLarge { .. } | GoTarError::SizeTooLarge { .. } => {
            TarWriteError::Unencodable(e)
        }
        GoTarError::TrailingSlash { name } => TarWriteError::BadName {
            name,
            reason: "a regular file name cannot end with a slash",
        },
        GoTarError::NulInPaxPath { name } => TarWriteError::BadName {
            name,
            reason: "the name contains a NUL byte",
        },
        GoTarError::PaxTooLong { name, .. } => TarWriteError::BadName {
            name,
            reason: "too long for a PAX header",
        },
    }
}

/// Rejects names our reader would reject (Go checks mode and size).
fn check(name: &str) -> Result<(), TarWriteError> {
    let bad = |reason| {
        Err(TarWriteError::BadName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("the name is empty");
    }
    if name.contains('\0') {
        return bad("the name contains a NUL byte");
    }
    if name.starts_with('/') {
        return bad("the name is an absolute path");
    }
    if name.split('/').any(|c| c == "..") {
        return bad("the name has a '..' component");
    }
    if name.ends_with('/') {
        return bad("a regular file name cannot end with a slash");
    }
    Ok(())
}

struct Current {
    name: String,
    size: u64,
    written: u64,
}

/// Writes a tar of regular files to `W`, sequentially.
///
/// ```
/// use airlock_core::tar::TarWriter;
/// let mut tw = TarWriter::new(Vec::new());
/// tw.append_data("manifest.json", b"[]").unwrap();
/// let bytes = tw.finish().unwrap();
/// assert_eq!(bytes.len(), 512 + 512 + 1024);
/// ```
pub struct TarWriter<W: Write> {
    w: W,
    current: Option<Current>,
    position: u64,
    finished: bool,
}

impl<W: Write> TarWriter<W> {
    /// A writer that has written nothing yet; the first call must start an entry.
    pub fn new(w: W) -> Self {
        TarWriter {
            w,
            current: None,
            position: 0,
            finished: false,
        }
    }

    /// Bytes written to `W` so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Finishes the previous entry and writes the header of a regular file
    /// with mode 0644; its `size` bytes of data follow through
    /// [`write_data`](Self::write_data) or [`Write`].
    pub fn start_entry(&mut self, name: &str, size: u64) -> Result<(), TarWriteError> {
        self.start_entry_with_mode(name, size, DEFAULT_MODE)
    }

    /// Like [`start_entry`](Self::start_entry) with explicit permission bits.
    pub fn start_entry_with_mode(
        &mut self,
        name: &str,
        size: u64,
        mode: u32,
    ) -> Result<(), TarWriteError> {
        if self.finished {
            return Err(TarWriteError::Finished);
        }
        let hdr = entry_header(name, size, mode)?;
        self.close_entry()?;
        self.put(&hdr)?;
        self.current = Some(Current {
            name: name.to_string(),
            size,
            written: 0,
        });
        Ok(())
    }

    /// Writes data of the current entry; fails rather than write more than
    /// its header declared.
    pub fn write_data(&mut self, data: &[u8]) -> Result<(), TarWriteError> {
        if self.finished {
            return Err(TarWriteError::Finished);
        }
        let cur = self.current.as_mut().ok_or(TarWriteError::NoEntry)?;
        if data.len() as u64 > cur.size - cur.written {
            return Err(TarWriteError::DataTooLong {
                name: cur.name.clone(),
                size: cur.size,
            });
        }
        cur.written += data.len() as u64;
        self.put(data)
    }

    /// Writes a whole entry from memory.
    pub fn append_data(&mut self, name: &str, data: &[u8]) -> Result<(), TarWriteError> {
        self.start_entry(name, data.len() as u64)?;
        self.write_data(data)
    }

    /// Writes a whole entry of exactly `size` bytes read from `r`; fails if
    /// `r` ends early or has more.
    pub fn append_reader<R: Read>(
        &mut self,
        name: &str,
        size: u64,
        mut r: R,
    ) -> Result<(), TarWriteError> {
        self.start_entry(name, size)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = size;
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = match r.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(TarWriteError::DataTooShort {
                        name: name.to_string(),
                        size,
                        written: size - left,
                    })
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            self.write_data(&buf[..n])?;
            left -= n as u64;
        }
        let mut extra = [0u8; 1];
        loop {
            match r.read(&mut extra) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(TarWriteError::DataTooLong {
                        name: name.to_string(),
                        size,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Completes the last entry, writes the two zero blocks, flushes and
    /// returns the inner writer.
    pub fn finish(mut self) -> Result<W, TarWriteError> {
        if self.finished {
            return Err(TarWriteError::Finished);
        }
        self.close_entry()?;
        self.put(&END_OF_ARCHIVE)?;
        self.w.flush()?;
        self.finished = true;
        Ok(self.w)
    }

    fn close_entry(&mut self) -> Result<(), TarWriteError> {
        if let Some(cur) = self.current.take() {
            if cur.written != cur.size {
                return Err(TarWriteError::DataTooShort {
                    name: cur.name,
                    size: cur.size,
                    written: cur.written,
                });
            }
            let pad = header::padding(cur.size) as usize;
            self.put(&[0u8; BLOCK][..pad])?;
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), TarWriteError> {
        self.w.write_all(bytes)?;
        self.position += bytes.len() as u64;
        Ok(())
    }
}

impl<W: Write> Write for TarWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_data(buf).map_err(|e| match e {
            TarWriteError::Io(e) => e,
            other => io::Error::other(other),
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

const _: () = assert!(BLOCK_SIZE as usize == BLOCK);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_names_and_modes_are_refused() {
        for name in ["", "/abs", "a/../b", "dir/", "nul\0"] {
            assert!(
                matches!(
                    ustar_header(name, 1, 0o644),
                    Err(TarWriteError::BadName { .. })
                ),
                "{name:?}"
            );
        }
        assert!(matches!(
            ustar_header("a", 1, 0o10000000),
            Err(TarWriteError::Unencodable(GoTarError::ModeTooLarge { .. }))
        ));
        assert!(matches!(
            entry_header("a", u64::MAX, 0o644),
            Err(TarWriteError::Unencodable(GoTarError::SizeTooLarge { .. }))
        ));
        assert!(matches!(
            ustar_header("a", 8 << 30, 0o644),
            Err(TarWriteError::NeedsPax { .. })
        ));
    }

    #[test]
    fn writer_enforces_sizes() {
        let mut tw = TarWriter::new(Vec::new());
        tw.start_entry("a", 3).unwrap();
        assert!(matches!(
            tw.write_data(b"abcd"),
            Err(TarWriteError::DataTooLong { .. })
        ));
        tw.write_data(b"ab").unwrap();
        assert!(matches!(
            tw.start_entry("b", 0),
            Err(TarWriteError::DataTooShort { written: 2, .. })
        ));
        let mut tw = TarWriter::new(Vec::new());
        assert!(matches!(
            tw.append_reader("a", 3, &b"abcd"[..]),
            Err(TarWriteError::DataTooLong { .. })
        ));
        let mut tw = TarWriter::new(Vec::new());
        assert!(matches!(
            tw.append_reader("a", 5, &b"abcd"[..]),
            Err(TarWriteError::DataTooShort { written: 4, .. })
        ));
    }
}

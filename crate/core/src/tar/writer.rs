//! Writing tars byte-for-byte as Go's `archive/tar` does for imgpkg.
//!
//! imgpkg writes every entry with `tar.Header{Mode: 0644, Typeflag: '0',
//! Size, Name}`. Go then picks the first format that can encode the header:
//! USTAR (splitting a long ASCII name into prefix and name when it can), else
//! PAX: an `x` header named `PaxHeaders.0/<name>` holding `path` and/or
//! `size` records (sorted by key), followed by a USTAR-magic header whose
//! fields that did not fit are written as zero or truncated.

use std::io::{self, Read, Write};

use super::header::{self, Block, BLOCK, BLOCK_SIZE};
use super::reader::MAX_SPECIAL_FILE_SIZE;

/// imgpkg's entry mode.
pub const DEFAULT_MODE: u32 = 0o644;

/// The end-of-archive marker: two zero blocks.
pub const END_OF_ARCHIVE: [u8; 1024] = [0; 1024];

const NAME_SIZE: usize = 100;
const PREFIX_SIZE: usize = 155;

/// Why a tar could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TarWriteError {
    #[error("writing the tar: {0}")]
    Io(#[from] io::Error),
    #[error("tar entry name {name:?} cannot be written: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("tar entry '{name}': mode {mode:o} does not fit a tar header")]
    BadMode { name: String, mode: u32 },
    #[error("tar entry '{name}': size {size} is larger than a tar can describe")]
    SizeTooLarge { name: String, size: u64 },
    #[error("tar entry '{name}' (size {size}) needs a PAX header; a plain USTAR header cannot describe it")]
    NeedsPax { name: String, size: u64 },
    #[error("tar entry '{name}': more data than the {size} bytes its header declares")]
    DataTooLong { name: String, size: u64 },
    #[error(
        "tar entry '{name}': only {written} of the {size} bytes its header declares were written"
    )]
    DataTooShort {
        name: String,
        size: u64,
        written: u64,
    },
    #[error("no tar entry has been started")]
    NoEntry,
    #[error("the tar archive is already finished")]
    Finished,
}

/// The single USTAR header block Go writes for a regular file `name` of
/// `size` bytes with permission bits `mode` (uid/gid 0, mtime 0, empty owner
/// names). Fails with [`TarWriteError::NeedsPax`] when Go would use PAX
/// instead; [`entry_header`] handles every case.
pub fn ustar_header(name: &str, size: u64, mode: u32) -> Result<[u8; 512], TarWriteError> {
    check(name, size, mode)?;
    if !header::fits_in_octal(12, size) {
        return Err(TarWriteError::NeedsPax {
            name: name.to_string(),
            size,
        });
    }
    let (prefix, base) = if name.len() <= NAME_SIZE {
        ("", name)
    } else {
        split_ustar_path(name).ok_or_else(|| TarWriteError::NeedsPax {
            name: name.to_string(),
            size,
        })?
    };
    if !name.is_ascii() {
        return Err(TarWriteError::NeedsPax {
            name: name.to_string(),
            size,
        });
    }
    let mut b = template(base.as_bytes(), size, mode);
    header::format_string(&mut b[header::USTAR_PREFIX], prefix.as_bytes());
    header::set_ustar_format_and_checksum(&mut b);
    Ok(b)
}

/// Every header byte Go writes before the data of a regular file: one USTAR
/// block, or a PAX extended header (block, records, padding) and a block.
pub fn entry_header(name: &str, size: u64, mode: u32) -> Result<Vec<u8>, TarWriteError> {
    match ustar_header(name, size, mode) {
        Ok(b) => return Ok(b.to_vec()),
        Err(TarWriteError::NeedsPax { .. }) => {}
        Err(e) => return Err(e),
    }
    // Records Go derives from the header, in sorted key order.
    let mut records = String::new();
    if !name.is_ascii() || name.len() > NAME_SIZE {
        records.push_str(&pax_record("path", name));
    }
    if !header::fits_in_octal(12, size) {
        records.push_str(&pax_record("size", &size.to_string()));
    }
    if records.len() as u64 > MAX_SPECIAL_FILE_SIZE {
        return Err(TarWriteError::BadName {
            name: name.to_string(),
            reason: "too long for a PAX header",
        });
    }

    let mut out = Vec::with_capacity(3 * BLOCK + records.len());
    // The extended header, written as Go's writeRawFile does.
    let mut x = [0u8; BLOCK];
    let mut xname = to_ascii(&pax_header_name(name));
    xname.truncate(NAME_SIZE);
    let xname = xname.trim_end_matches('/');
    header::format_string(&mut x[header::NAME], xname.as_bytes());
    header::format_octal(&mut x[header::MODE], 0);
    header::format_octal(&mut x[header::UID], 0);
    header::format_octal(&mut x[header::GID], 0);
    header::format_octal(&mut x[header::SIZE], records.len() as u64);
    header::format_octal(&mut x[header::MTIME], 0);
    x[header::TYPEFLAG] = b'x';
    header::set_ustar_format_and_checksum(&mut x);
    out.extend_from_slice(&x);
    out.extend_from_slice(records.as_bytes());
    out.resize(
        out.len() + header::padding(records.len() as u64) as usize,
        0,
    );

    // The entry's own header: non-ASCII dropped, long values truncated,
    // numbers that do not fit written as zero.
    let mut b = template(to_ascii(name).as_bytes(), size, mode);
    header::set_ustar_format_and_checksum(&mut b);
    out.extend_from_slice(&b);
    Ok(out)
}

/// Go's `templateV7Plus` for imgpkg's headers.
fn template(name: &[u8], size: u64, mode: u32) -> Block {
    let mut b = [0u8; BLOCK];
    header::format_string(&mut b[header::NAME], name);
    header::format_octal(&mut b[header::MODE], u64::from(mode));
    header::format_octal(&mut b[header::UID], 0);
    header::format_octal(&mut b[header::GID], 0);
    header::format_octal(&mut b[header::SIZE], size);
    header::format_octal(&mut b[header::MTIME], 0);
    b[header::TYPEFLAG] = b'0';
    header::format_octal(&mut b[header::DEVMAJOR], 0);
    header::format_octal(&mut b[header::DEVMINOR], 0);
    b
}

/// Rejects what Go or our reader would reject.
fn check(name: &str, size: u64, mode: u32) -> Result<(), TarWriteError> {
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
    if !header::fits_in_octal(8, u64::from(mode)) {
        return Err(TarWriteError::BadMode {
            name: name.to_string(),
            mode,
        });
    }
    if size > i64::MAX as u64 {
        return Err(TarWriteError::SizeTooLarge {
            name: name.to_string(),
            size,
        });
    }
    Ok(())
}

/// Go's `splitUSTARPath`.
fn split_ustar_path(name: &str) -> Option<(&str, &str)> {
    let bytes = name.as_bytes();
    let mut length = bytes.len();
    if length <= NAME_SIZE || !name.is_ascii() {
        return None;
    } else if length > PREFIX_SIZE + 1 {
        length = PREFIX_SIZE + 1;
    } else if bytes[length - 1] == b'/' {
        length -= 1;
    }
    let i = bytes[..length].iter().rposition(|&c| c == b'/')?;
    let nlen = bytes.len() - i - 1;
    if i == 0 || nlen > NAME_SIZE || nlen == 0 || i > PREFIX_SIZE {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Go's `toASCII`: drop non-ASCII characters and NULs.
fn to_ascii(s: &str) -> String {
    s.chars().filter(|&c| c.is_ascii() && c != '\0').collect()
}

/// Go's `formatPAXRecord`: `"<len> <key>=<value>\n"`, the length counting
/// itself.
fn pax_record(key: &str, value: &str) -> String {
    let mut size = key.len() + value.len() + 3;
    size += size.to_string().len();
    let mut record = format!("{size} {key}={value}\n");
    if record.len() != size {
        record = format!("{} {key}={value}\n", record.len());
    }
    record
}

/// `path.Join(dir, "PaxHeaders.0", file)` for a name without `..` that is
/// not absolute (so `path.Clean` only drops empty and `.` components).
fn pax_header_name(name: &str) -> String {
    let (dir, file) = match name.rfind('/') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    let joined = format!("{dir}/PaxHeaders.0/{file}");
    let parts: Vec<&str> = joined
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
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
    fn pax_records_count_their_own_length() {
        assert_eq!(pax_record("size", "10737418240"), "20 size=10737418240\n");
        assert_eq!(pax_record("path", "a"), "9 path=a\n");
        // 3 + 4 + 90 = 97, +2 digits = 99: stays two digits.
        let v = "x".repeat(90);
        assert_eq!(pax_record("path", &v).len(), 99);
        // 3 + 4 + 92 = 99, +2 = 101: three digits after all.
        let v = "x".repeat(92);
        let r = pax_record("path", &v);
        assert!(r.starts_with("102 "), "{r}");
        assert_eq!(r.len(), 102);
    }

    #[test]
    fn pax_header_names_follow_path_join() {
        assert_eq!(pax_header_name("a.tar.gz"), "PaxHeaders.0/a.tar.gz");
        assert_eq!(pax_header_name("d/e/f"), "d/e/PaxHeaders.0/f");
        assert_eq!(pax_header_name("./d//f"), "d/PaxHeaders.0/f");
    }

    #[test]
    fn ustar_paths_split_like_go() {
        let long = format!("{}/{}", "p".repeat(60), "n".repeat(60));
        assert_eq!(split_ustar_path(&long), Some((&long[..60], &long[61..])));
        assert_eq!(split_ustar_path("short"), None);
        assert_eq!(split_ustar_path(&"x".repeat(120)), None);
        let too_long_base = format!("p/{}", "n".repeat(101));
        assert_eq!(split_ustar_path(&too_long_base), None);
    }

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
            Err(TarWriteError::BadMode { .. })
        ));
        assert!(matches!(
            entry_header("a", u64::MAX, 0o644),
            Err(TarWriteError::SizeTooLarge { .. })
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

//! Go's `archive/tar` header writer (Go 1.23), for the headers imgpkg and its
//! image builder give it.
//!
//! Reproduced from `archive/tar`: `writer.go` (`Writer.WriteHeader`,
//! `writeUSTARHeader`, `writePAXHeader`, `writeRawFile`, `templateV7Plus`,
//! `splitUSTARPath`), `common.go` (`Header.allowedFormats` for the fields
//! set here), `format.go` (`block.setFormat`, the checksum) and `strconv.go`
//! (`formatString`, `formatOctal`, `fitsInOctal`, `formatPAXRecord`,
//! `toASCII`).
//!
//! The header is `tar.Header{Name, Size, Mode, Typeflag}` with every other
//! field zero: ModTime the zero `time.Time` (written as the Unix epoch),
//! Uid/Gid 0, Uname/Gname/Linkname empty, Format unknown. Go picks the first
//! format that can encode it:
//!
//! * USTAR when the name is ASCII and fits 100 bytes, or splits at a slash
//!   into a prefix of at most 155 bytes and a name of at most 100, and the
//!   size fits 11 octal digits (below 8 GiB);
//! * otherwise PAX: an extended header `x` named `path.Join(dir,
//!   "PaxHeaders.0", file)` holding the `path` and/or `size` records (sorted
//!   by key), then a header block whose name is the ASCII part of the name
//!   truncated to 100 bytes (a truncation ending in `/` has that slash
//!   replaced by NUL) and whose numbers that do not fit are zero.
//!
//! [`header`] returns exactly what `WriteHeader` writes; data, padding and
//! the end-of-archive blocks are the caller's (see [`padding`]).

use crate::go::path;
use crate::tar::header::{self as layout, Block, BLOCK};
use crate::tar::MAX_SPECIAL_FILE_SIZE;

const NAME_SIZE: usize = 100;
const PREFIX_SIZE: usize = 155;
const TYPE_XHEADER: u8 = b'x';

/// The entry types written here (`tar.TypeReg`, `tar.TypeDir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file (typeflag `'0'`, `tar.TypeReg`).
    Regular,
    /// A directory (typeflag `'5'`, `tar.TypeDir`); imgpkg gives directories size 0.
    Directory,
}

impl Kind {
    fn typeflag(self) -> u8 {
        match self {
            Kind::Regular => b'0',
            Kind::Directory => b'5',
        }
    }
}

/// The fields of `tar.Header` that are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The entry's full name, as Go's `Header.Name` (split into prefix and name, or moved to a PAX
    /// `path` record, as needed).
    pub name: &'a str,
    /// Data bytes that follow the header; 8 GiB or more needs a PAX `size` record.
    pub size: u64,
    /// Permission bits (Go's `Mode`, here never negative).
    pub mode: u32,
    /// Regular file or directory.
    pub kind: Kind,
}

/// Why Go's `WriteHeader` would refuse the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoTarError {
    /// The mode has bits above the 21 that the header's 8-byte octal field holds.
    #[error("tar entry '{name}': mode {mode:o} does not fit a tar header")]
    ModeTooLarge {
        /// The entry's name.
        name: String,
        /// The mode that was given.
        mode: u32,
    },
    /// The size is above `i64::MAX` (Go's `Header.Size` is an `int64`).
    #[error("tar entry '{name}': size {size} is larger than a tar can describe")]
    SizeTooLarge {
        /// The entry's name.
        name: String,
        /// The size that was given, in bytes.
        size: u64,
    },
    /// A regular file's name ends in `/` (Go refuses to write a regular file under a directory
    /// name).
    #[error("tar entry '{name}': a regular file name cannot end with a slash")]
    TrailingSlash {
        /// The entry's name.
        name: String,
    },
    /// The name needs a PAX `path` record, and PAX records cannot hold a NUL byte.
    #[error("tar entry {name:?}: a name that needs a PAX header cannot contain NUL")]
    NulInPaxPath {
        /// The entry's name.
        name: String,
    },
    /// The PAX records would be larger than Go's `maxSpecialFileSize` (1 MiB).
    #[error("tar entry {name:?}: its PAX records ({len} bytes) exceed Go's limit of {limit}")]
    PaxTooLong {
        /// The entry's name.
        name: String,
        /// Length of the encoded PAX records, in bytes.
        len: usize,
        /// The limit they exceed, in bytes.
        limit: u64,
    },
}

/// The header block when Go writes the entry as USTAR, `None` when it needs
/// PAX.
pub fn ustar_header(h: &Header) -> Result<Option<Block>, GoTarError> {
    Ok(match plan(h)? {
        Plan::Ustar => Some(ustar_block(h)),
        Plan::Pax(_) => None,
    })
}

/// Every byte Go's `WriteHeader` writes for `h`: one USTAR block, or a PAX
/// extended header (block, records, padding) followed by a block.
pub fn header(h: &Header) -> Result<Vec<u8>, GoTarError> {
    let records = match plan(h)? {
        Plan::Ustar => return Ok(ustar_block(h).to_vec()),
        Plan::Pax(records) => records,
    };
    let data: String = records
        .iter()
        .map(|(k, v)| format_pax_record(k, v))
        .collect();
    if data.len() as u64 > MAX_SPECIAL_FILE_SIZE {
        return Err(GoTarError::PaxTooLong {
            name: h.name.to_string(),
            len: data.len(),
            limit: MAX_SPECIAL_FILE_SIZE,
        });
    }
    let (dir, file) = path::split(h.name);
    let pax_name = path::join(&[dir, "PaxHeaders.0", file]);
    let mut out = Vec::with_capacity(3 * BLOCK + data.len());
    out.extend_from_slice(&raw_file_block(&pax_name, data.len() as u64, TYPE_XHEADER));
    out.extend_from_slice(data.as_bytes());
    out.resize(out.len() + padding(data.len() as u64) as usize, 0);

    let mut b = template(to_ascii(h.name).as_bytes(), h);
    set_format_and_checksum(&mut b);
    out.extend_from_slice(&b);
    Ok(out)
}

/// Zero bytes after `size` data bytes up to the next 512-byte block.
pub fn padding(size: u64) -> u64 {
    layout::padding(size)
}

enum Plan {
    Ustar,
    /// PAX records, sorted by key.
    Pax(Vec<(&'static str, String)>),
}

/// `Header.allowedFormats` and the choice in `WriteHeader`.
fn plan(h: &Header) -> Result<Plan, GoTarError> {
    let name = h.name;
    if !fits_in_octal(8, u64::from(h.mode)) {
        return Err(GoTarError::ModeTooLarge {
            name: name.to_string(),
            mode: h.mode,
        });
    }
    if h.size > i64::MAX as u64 {
        return Err(GoTarError::SizeTooLarge {
            name: name.to_string(),
            size: h.size,
        });
    }
    if h.kind == Kind::Regular && name.ends_with('/') {
        return Err(GoTarError::TrailingSlash {
            name: name.to_string(),
        });
    }
    let mut ustar = true;
    let mut records = Vec::new();
    if !name.is_ascii() || name.len() > NAME_SIZE {
        if split_ustar_path(name).is_none() {
            ustar = false;
        }
        records.push(("path", name.to_string()));
    }
    if !fits_in_octal(12, h.size) {
        ustar = false;
        records.push(("size", h.size.to_string()));
    }
    if ustar {
        return Ok(Plan::Ustar);
    }
    if name.contains('\0') && records.iter().any(|(k, _)| *k == "path") {
        // formatPAXRecord's validPAXRecord.
        return Err(GoTarError::NulInPaxPath {
            name: name.to_string(),
        });
    }
    Ok(Plan::Pax(records))
}

/// `writeUSTARHeader`.
fn ustar_block(h: &Header) -> Block {
    let (prefix, base) = split_ustar_path(h.name).unwrap_or(("", h.name));
    let mut b = template(base.as_bytes(), h);
    format_string(&mut b[layout::USTAR_PREFIX], prefix.as_bytes());
    set_format_and_checksum(&mut b);
    b
}

/// `templateV7Plus` for a header with only Name, Size, Mode and Typeflag.
fn template(name: &[u8], h: &Header) -> Block {
    let mut b = [0u8; BLOCK];
    format_string(&mut b[layout::NAME], name);
    format_octal(&mut b[layout::MODE], u64::from(h.mode));
    format_octal(&mut b[layout::UID], 0);
    format_octal(&mut b[layout::GID], 0);
    format_octal(&mut b[layout::SIZE], h.size);
    format_octal(&mut b[layout::MTIME], 0); // the zero time.Time is written as the epoch
    b[layout::TYPEFLAG] = h.kind.typeflag();
    format_octal(&mut b[layout::DEVMAJOR], 0);
    format_octal(&mut b[layout::DEVMINOR], 0);
    b
}

/// `writeRawFile`'s header: the name made ASCII, cut to 100 bytes and
/// stripped of trailing slashes; only size and type set.
fn raw_file_block(name: &str, size: u64, typeflag: u8) -> Block {
    let mut name = to_ascii(name);
    name.truncate(NAME_SIZE);
    let name = name.trim_end_matches('/');
    let mut b = [0u8; BLOCK];
    format_string(&mut b[layout::NAME], name.as_bytes());
    format_octal(&mut b[layout::MODE], 0);
    format_octal(&mut b[layout::UID], 0);
    format_octal(&mut b[layout::GID], 0);
    format_octal(&mut b[layout::SIZE], size);
    format_octal(&mut b[layout::MTIME], 0);
    b[layout::TYPEFLAG] = typeflag;
    set_format_and_checksum(&mut b);
    b
}

/// Whether `x` fits an `n`-byte octal field with its NUL terminator.
fn fits_in_octal(n: usize, x: u64) -> bool {
    let bits = (n as u32 - 1) * 3;
    n >= 22 || x < (1u64 << bits)
}

/// `formatString`: copy `s` (truncated if needed), NUL-terminate if there is
/// room, and keep a truncated name from ending in a slash.
fn format_string(b: &mut [u8], s: &[u8]) {
    let n = s.len().min(b.len());
    b[..n].copy_from_slice(&s[..n]);
    if s.len() < b.len() {
        b[s.len()] = 0;
    }
    if s.len() > b.len() && b[b.len() - 1] == b'/' {
        // len(strings.TrimRight(s[:len(b)-1], "/"))
        let mut k = b.len() - 1;
        while k > 0 && s[k - 1] == b'/' {
            k -= 1;
        }
        b[k] = 0;
    }
}

/// `formatOctal`: zero-padded octal leaving room for a NUL; a value that
/// does not fit is written as zero (PAX carries it).
fn format_octal(b: &mut [u8], x: u64) {
    let x = if fits_in_octal(b.len(), x) { x } else { 0 };
    let width = b.len() - 1;
    let s = format!("{x:0width$o}");
    format_string(b, s.as_bytes());
}

/// `setFormat(FormatUSTAR)` / `setFormat(FormatPAX)` (the same bytes): magic,
/// version, then the checksum as six octal digits, NUL, space.
fn set_format_and_checksum(b: &mut Block) {
    b[layout::MAGIC].copy_from_slice(layout::MAGIC_USTAR);
    b[layout::VERSION].copy_from_slice(layout::VERSION_USTAR);
    let (unsigned, _) = layout::checksums(b);
    let chk = layout::CHKSUM;
    format_octal(&mut b[chk.start..chk.end - 1], unsigned);
    b[chk.end - 1] = b' ';
}

/// `splitUSTARPath`: a long ASCII name split at a slash into a prefix of at
/// most 155 bytes and a non-empty name of at most 100.
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

/// `formatPAXRecord`: `"<len> <key>=<value>\n"`, the length counting itself.
fn format_pax_record(key: &str, value: &str) -> String {
    let mut size = key.len() + value.len() + 3;
    size += size.to_string().len();
    let record = format!("{size} {key}={value}\n");
    if record.len() != size {
        return format!("{} {key}={value}\n", record.len());
    }
    record
}

/// `toASCII`: an ASCII string as is, otherwise its ASCII characters but NUL.
fn to_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.chars().filter(|&c| c.is_ascii() && c != '\0').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(name: &str, size: u64) -> Header<'_> {
        Header {
            name,
            size,
            mode: 0o644,
            kind: Kind::Regular,
        }
    }

    #[test]
    fn octal_formatting_follows_go() {
        let mut f = [0xaau8; 12];
        format_octal(&mut f, 0o14135);
        assert_eq!(&f, b"00000014135\0");
        format_octal(&mut f, 8 << 30); // does not fit: zero
        assert_eq!(&f, b"00000000000\0");
        let mut m = [0u8; 8];
        format_octal(&mut m, 0o644);
        assert_eq!(&m, b"0000644\0");
        assert!(fits_in_octal(12, (8 << 30) - 1));
        assert!(!fits_in_octal(12, 8 << 30));
    }

    #[test]
    fn string_formatting_truncates_and_strips_trailing_slash() {
        let mut b = [0xaau8; 4];
        format_string(&mut b, b"ab");
        assert_eq!(&b, b"ab\0\xaa");
        format_string(&mut b, b"abc//x");
        assert_eq!(&b, b"abc\0");
        format_string(&mut b, b"abcd");
        assert_eq!(&b, b"abcd");
    }

    #[test]
    fn pax_records_count_their_own_length() {
        assert_eq!(
            format_pax_record("size", "10737418240"),
            "20 size=10737418240\n"
        );
        assert_eq!(format_pax_record("path", "a"), "9 path=a\n");
        // 3 + 4 + 90 = 97, +2 digits = 99: stays two digits.
        assert_eq!(format_pax_record("path", &"x".repeat(90)).len(), 99);
        // 3 + 4 + 92 = 99, +2 = 101: three digits after all.
        let r = format_pax_record("path", &"x".repeat(92));
        assert!(r.starts_with("102 "), "{r}");
        assert_eq!(r.len(), 102);
    }

    #[test]
    fn ustar_paths_split_like_go() {
        let long = format!("{}/{}", "p".repeat(60), "n".repeat(60));
        assert_eq!(split_ustar_path(&long), Some((&long[..60], &long[61..])));
        assert_eq!(split_ustar_path("short"), None);
        assert_eq!(split_ustar_path(&"x".repeat(120)), None);
        assert_eq!(split_ustar_path(&format!("p/{}", "n".repeat(101))), None);
    }

    #[test]
    fn refusals_follow_go() {
        let too_big_mode = Header {
            mode: 0o10000000,
            ..reg("a", 1)
        };
        assert!(matches!(
            header(&too_big_mode),
            Err(GoTarError::ModeTooLarge { .. })
        ));
        assert!(matches!(
            header(&reg("a", u64::MAX)),
            Err(GoTarError::SizeTooLarge { .. })
        ));
        assert!(matches!(
            header(&reg("dir/", 0)),
            Err(GoTarError::TrailingSlash { .. })
        ));
        let dir = Header {
            kind: Kind::Directory,
            ..reg("dir/", 0)
        };
        assert_eq!(header(&dir).unwrap().len(), BLOCK);
        assert!(matches!(
            header(&reg("é\0", 0)),
            Err(GoTarError::NulInPaxPath { .. })
        ));
        let huge = "d/".repeat(600_000);
        assert!(matches!(
            header(&reg(&huge[..huge.len() - 1], 0)),
            Err(GoTarError::PaxTooLong { .. })
        ));
        assert_eq!(ustar_header(&reg("a", 8 << 30)).unwrap(), None);
    }
}

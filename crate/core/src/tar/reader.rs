//! Indexing a tar by reading its headers only.
//!
//! [`index`] walks the archive from offset 0, reading one 512-byte block per
//! header (plus the bodies of PAX and GNU long-name headers, at most 1 MiB
//! each) and skipping over file data by arithmetic. The cost therefore grows
//! with the number of entries, not with the size of the archive.
//! [`index_with`] does the same walk reading coalesced windows (see
//! [`Windows`]): one read covers many small entries, large bodies are still
//! skipped, and entries and errors are exactly those of [`index`].
//!
//! Accepted: V7, USTAR (with prefix), PAX (`x` records for `path`, `size`,
//! and so on; `g` global headers are skipped), GNU (`L` long names, `K` long
//! links, base-256 numbers, old sparse headers indexed as stored) and star.
//! This is what Go's `archive/tar` reader accepts, which is what imgpkg uses.
//!
//! Rejected, each with its own [`TarError`] variant naming the offset and,
//! where known, the entry: a first block that is not a tar header, a header
//! or data that runs past the end of the file, bad checksums and numbers,
//! malformed PAX records, names that are empty, absolute, contain `..` or are
//! not UTF-8, and duplicate names.

use std::collections::HashMap;

use super::header::{self, Block, Format, BLOCK, BLOCK_SIZE};
use super::pax::{apply_pax, parse_pax, PaxError};
use super::window::{WindowReader, Windows};
use crate::source::{read_exact_at, ByteSource, SourceError};

/// Largest PAX or GNU long-name body read (Go's `maxSpecialFileSize`).
pub const MAX_SPECIAL_FILE_SIZE: u64 = 1 << 20;

/// What kind of entry a header describes (its typeflag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// `0`, or NUL on a name without a trailing slash.
    Regular,
    /// `1`
    HardLink,
    /// `2`
    Symlink,
    /// `3`
    CharDevice,
    /// `4`
    BlockDevice,
    /// `5`, or NUL on a name with a trailing slash (old archives).
    Directory,
    /// `6`
    Fifo,
    /// `7`: stored like a regular file.
    Contiguous,
    /// GNU `S`: an old-style sparse file; `size` is the bytes stored in the
    /// archive, not the expanded size.
    GnuSparse,
    /// Any other typeflag; its data is skipped by its size.
    Other(u8),
}

impl EntryKind {
    fn from_typeflag(flag: u8, name: &[u8]) -> EntryKind {
        match flag {
            b'0' => EntryKind::Regular,
            0 if name.ends_with(b"/") => EntryKind::Directory,
            0 => EntryKind::Regular,
            b'1' => EntryKind::HardLink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' => EntryKind::Directory,
            b'6' => EntryKind::Fifo,
            b'7' => EntryKind::Contiguous,
            b'S' => EntryKind::GnuSparse,
            other => EntryKind::Other(other),
        }
    }

    /// Types whose header size is ignored: they never have data (Go's
    /// `isHeaderOnlyType`).
    fn is_header_only(flag: u8) -> bool {
        matches!(flag, b'1'..=b'6')
    }
}

/// One entry of a tar, located but not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Full name (after USTAR prefix, PAX `path` and GNU long names).
    pub name: String,
    /// Offset of the first header block that belongs to this entry,
    /// including any PAX or GNU extension headers before its own header.
    pub header_offset: u64,
    /// Offset of the first data byte.
    pub data_offset: u64,
    /// Number of data bytes stored in the archive (0 for links, directories
    /// and devices).
    pub size: u64,
    /// What kind of entry this is (file, directory, link, ...).
    pub kind: EntryKind,
    /// Permission and mode bits as stored.
    pub mode: u32,
}

impl TarEntry {
    /// `data_offset..data_offset + size`.
    pub fn data_range(&self) -> std::ops::Range<u64> {
        self.data_offset..self.data_offset + self.size
    }

    /// Offset just past this entry's data and padding, where the next header
    /// starts.
    pub fn end_offset(&self) -> u64 {
        self.data_offset + self.size + header::padding(self.size)
    }
}

/// The entries of a tar, in file order, with lookup by exact name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarIndex {
    entries: Vec<TarEntry>,
    by_name: HashMap<String, usize>,
    end: u64,
}

impl TarIndex {
    /// The entry with exactly this name.
    pub fn get(&self, name: &str) -> Option<&TarEntry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[TarEntry] {
        &self.entries
    }

    /// Iterates the entries in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, TarEntry> {
        self.entries.iter()
    }

    /// Number of entries (extension headers are not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tar has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Offset where the archive's contents end: the start of the end-of-archive
    /// zero blocks, or the end of the file when they are missing. New entries
    /// would be appended here.
    pub fn end_offset(&self) -> u64 {
        self.end
    }
}

impl<'a> IntoIterator for &'a TarIndex {
    type Item = &'a TarEntry;
    type IntoIter = std::slice::Iter<'a, TarEntry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Why a tar could not be indexed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    /// The [`ByteSource`] failed to read.
    #[error("reading the tar: {0}")]
    Source(#[from] SourceError),
    /// The source has zero bytes.
    #[error("not a tar archive: the file is empty")]
    Empty,
    /// The first block is not a tar header: its checksum does not match, or the file is shorter
    /// than one block.
    #[error("not a tar archive: {reason}")]
    NotTar {
        /// What was found instead, for the message.
        reason: String,
    },
    /// A header's checksum field matches neither Go's unsigned nor its signed sum of the block.
    #[error("invalid tar header at offset {offset}: checksum field {stored:?} matches neither computed sum ({unsigned} unsigned, {signed} signed)")]
    BadChecksum {
        /// Offset of the header block.
        offset: u64,
        /// The checksum field as stored (lossily decoded).
        stored: String,
        /// The unsigned sum of the block.
        unsigned: u64,
        /// The signed sum of the block (old tars summed bytes as `i8`).
        signed: i64,
    },
    /// The file ends inside a 512-byte header block.
    #[error("truncated tar: the header at offset {offset} has only {got} of 512 bytes")]
    TruncatedHeader {
        /// Offset of the header block.
        offset: u64,
        /// How many bytes of it the file holds.
        got: u64,
    },
    /// An entry's declared data runs past the end of the file.
    #[error("truncated tar: entry '{name}' (header at offset {offset}) declares {size} bytes of data at offset {data_offset}, past the end of the file at {file_len}")]
    DataBeyondEof {
        /// The entry's name.
        name: String,
        /// Offset of its header.
        offset: u64,
        /// Offset of its first data byte.
        data_offset: u64,
        /// Declared data size, in bytes.
        size: u64,
        /// Length of the file, in bytes.
        file_len: u64,
    },
    /// The zero padding after an entry's data runs past the end of the file.
    #[error("truncated tar: the padding after entry '{name}' (header at offset {offset}) runs past the end of the file at {file_len}")]
    TruncatedPadding {
        /// The entry's name.
        name: String,
        /// Offset of its header.
        offset: u64,
        /// Length of the file, in bytes.
        file_len: u64,
    },
    /// A numeric header field (size, mode, ...) is neither octal nor base-256.
    #[error("invalid tar header at offset {offset}: field {field} is {raw:?}, not a valid number")]
    BadNumber {
        /// Offset of the header block.
        offset: u64,
        /// The field's name (`size`, `mode`, ...).
        field: &'static str,
        /// The field's raw bytes, lossily decoded.
        raw: String,
    },
    /// A PAX or GNU long-name entry is larger than [`MAX_SPECIAL_FILE_SIZE`].
    #[error("invalid tar header at offset {offset}: {what} of {size} bytes is larger than the {limit}-byte limit")]
    SpecialTooLarge {
        /// Offset of the header block.
        offset: u64,
        /// What the entry is (`PAX header` or `GNU long name`).
        what: &'static str,
        /// Its declared size, in bytes.
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A PAX record is malformed.
    #[error("invalid PAX header at offset {offset}: {reason}")]
    BadPaxRecord {
        /// Offset of the PAX header block.
        offset: u64,
        /// Which rule the record breaks.
        #[source]
        reason: PaxError,
    },
    /// A GNU sparse entry's header cannot be decoded.
    #[error("invalid GNU sparse header at offset {offset}: {reason}")]
    BadSparseHeader {
        /// Offset of the header block.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A zero block is followed by a non-zero block, so the end-of-archive marker is not one.
    #[error("invalid tar: the zero block at offset {offset} is followed by a non-zero block")]
    DataAfterZeroBlock {
        /// Offset of the zero block.
        offset: u64,
    },
    /// A PAX or GNU extension header is the last thing in the tar.
    #[error("invalid tar: the extended header at offset {offset} is not followed by an entry")]
    DanglingExtendedHeader {
        /// Offset of the extension header.
        offset: u64,
    },
    /// An entry's name is empty.
    #[error("invalid tar entry at offset {offset}: the name is empty")]
    EmptyName {
        /// Offset of its header.
        offset: u64,
    },
    /// An entry's name has a `..` component, so extracting it could escape the target directory.
    #[error("unsafe tar entry name '{name}' at offset {offset}: it has a '..' component")]
    ParentDirName {
        /// The entry's name.
        name: String,
        /// Offset of its header.
        offset: u64,
    },
    /// An entry's name starts with `/`.
    #[error("unsafe tar entry name '{name}' at offset {offset}: it is an absolute path")]
    AbsoluteName {
        /// The entry's name.
        name: String,
        /// Offset of its header.
        offset: u64,
    },
    /// An entry's name is not valid UTF-8.
    #[error("tar entry name at offset {offset} is not valid UTF-8: '{lossy}'")]
    NonUtf8Name {
        /// The name with invalid bytes replaced by U+FFFD.
        lossy: String,
        /// Offset of its header.
        offset: u64,
    },
    /// Two entries have exactly the same name; which one a reader takes would be ambiguous.
    #[error(
        "duplicate tar entry '{name}': first at offset {first_offset}, again at offset {offset}"
    )]
    DuplicateName {
        /// The name they share.
        name: String,
        /// Offset of the first entry's header.
        first_offset: u64,
        /// Offset of the second entry's header.
        offset: u64,
    },
    /// An entry is larger than the caller allows ([`read_entry`]'s limit).
    #[error("tar entry '{name}' has {size} bytes, more than the {limit} bytes allowed here")]
    EntryTooLarge {
        /// The entry's name.
        name: String,
        /// Its size, in bytes.
        size: u64,
        /// The caller's limit, in bytes.
        limit: u64,
    },
}

/// Result of reading one block position.
enum BlockRead {
    /// Clean end of file: no bytes at all.
    Eof,
    /// Fewer than 512 bytes before the end of the file.
    Partial(u64),
    Full(Box<Block>),
}

async fn read_block<S: ByteSource + ?Sized>(
    src: &mut WindowReader<'_, S>,
    offset: u64,
) -> Result<BlockRead, TarError> {
    let bytes = src.read(offset, BLOCK).await?;
    Ok(match bytes.len() {
        0 => BlockRead::Eof,
        BLOCK => {
            let mut b = Box::new([0u8; BLOCK]);
            b.copy_from_slice(&bytes);
            BlockRead::Full(b)
        }
        n => BlockRead::Partial(n as u64),
    })
}

/// Extension state carried from PAX / GNU meta headers to the next entry.
#[derive(Default)]
struct Pending {
    /// Offset of the first meta header of the chain.
    start: Option<u64>,
    pax: Vec<(String, Vec<u8>)>,
    pax_offset: u64,
    gnu_long_name: Vec<u8>,
}

/// Reads every header of the tar in `src` and returns its entries: one read
/// per header block (and per PAX or GNU long-name body).
pub async fn index<S: ByteSource + ?Sized>(src: &S) -> Result<TarIndex, TarError> {
    index_with(src, Windows::HEADERS_ONLY).await
}

/// [`index`], reading in coalesced windows (see [`Windows`]): the same
/// entries and the same errors, in fewer reads when entries are small.
pub async fn index_with<S: ByteSource + ?Sized>(
    src: &S,
    windows: Windows,
) -> Result<TarIndex, TarError> {
    let file_len = src.len();
    let src = &mut WindowReader::new(src, windows);
    if file_len == 0 {
        return Err(TarError::Empty);
    }
    let mut out = TarIndex::default();
    let mut pending = Pending::default();
    let mut pos: u64 = 0;

    loop {
        let block = match read_block(src, pos).await? {
            BlockRead::Eof => {
                if pos == 0 {
                    return Err(TarError::Empty);
                }
                break;
            }
            BlockRead::Partial(got) if pos == 0 => {
                return Err(TarError::NotTar {
                    reason: format!("the file has only {got} bytes; a tar header has 512"),
                })
            }
            BlockRead::Partial(got) => return Err(TarError::TruncatedHeader { offset: pos, got }),
            BlockRead::Full(b) => b,
        };

        if block.iter().all(|&c| c == 0) {
            // End of archive: a zero block, then a second one or the end of
            // the file.
            match read_block(src, pos + BLOCK_SIZE).await? {
                BlockRead::Eof => {}
                BlockRead::Partial(got) => {
                    return Err(TarError::TruncatedHeader {
                        offset: pos + BLOCK_SIZE,
                        got,
                    })
                }
                BlockRead::Full(b) if b.iter().all(|&c| c == 0) => {}
                BlockRead::Full(_) => return Err(TarError::DataAfterZeroBlock { offset: pos }),
            }
            break;
        }

        let format = match header::format_of(&block) {
            Ok(f) => f,
            Err(m) if pos == 0 => {
                return Err(TarError::NotTar {
                    reason: not_tar_reason(&block, &m),
                })
            }
            Err(m) => {
                return Err(TarError::BadChecksum {
                    offset: pos,
                    stored: m.stored,
                    unsigned: m.unsigned,
                    signed: m.signed,
                })
            }
        };

        let raw = parse_raw_header(&block, format, pos)?;
        let data_offset = pos + BLOCK_SIZE;

        match raw.typeflag {
            b'x' | b'g' => {
                let body =
                    read_special(src, &raw, pos, data_offset, file_len, "PAX header").await?;
                let records = parse_pax(&body).map_err(|reason| TarError::BadPaxRecord {
                    offset: pos,
                    reason,
                })?;
                if raw.typeflag == b'x' {
                    pending.start.get_or_insert(pos);
                    pending.pax = records;
                    pending.pax_offset = pos;
                } else {
                    // Go hands a global header to its caller as an entry of
                    // its own, which ends any pending extension chain.
                    pending = Pending::default();
                }
                src.passed_body(raw.size as u64);
                pos = next_header(data_offset, raw.size as u64);
            }
            b'L' | b'K' => {
                let body =
                    read_special(src, &raw, pos, data_offset, file_len, "GNU long name").await?;
                pending.start.get_or_insert(pos);
                if raw.typeflag == b'L' {
                    pending.gnu_long_name = header::c_string(&body).to_vec();
                }
                src.passed_body(raw.size as u64);
                pos = next_header(data_offset, raw.size as u64);
            }
            flag => {
                let entry_start = pending.start.unwrap_or(pos);
                let mut name = raw.name;
                let mut size = raw.size;
                for (key, value) in &pending.pax {
                    if value.is_empty() {
                        continue; // Go keeps the header's own value
                    }
                    apply_pax(key, value, &mut name, &mut size).map_err(|reason| {
                        TarError::BadPaxRecord {
                            offset: pending.pax_offset,
                            reason,
                        }
                    })?;
                }
                if !pending.gnu_long_name.is_empty() {
                    name = std::mem::take(&mut pending.gnu_long_name);
                }
                let name = validate_name(name, pos)?;
                if size < 0 {
                    return Err(TarError::BadNumber {
                        offset: pos,
                        field: "size",
                        raw: size.to_string(),
                    });
                }
                let kind = EntryKind::from_typeflag(flag, name.as_bytes());
                let size = if EntryKind::is_header_only(flag) {
                    0
                } else {
                    size as u64
                };

                let mut data_offset = data_offset;
                if kind == EntryKind::GnuSparse {
                    data_offset = skip_gnu_sparse_extensions(src, &block, format, pos).await?;
                }

                let data_end = data_offset
                    .checked_add(size)
                    .filter(|&end| end <= file_len)
                    .ok_or_else(|| TarError::DataBeyondEof {
                        name: name.clone(),
                        offset: pos,
                        data_offset,
                        size,
                        file_len,
                    })?;
                let next = data_end + header::padding(size);
                if next > file_len && data_end != file_len {
                    return Err(TarError::TruncatedPadding {
                        name,
                        offset: pos,
                        file_len,
                    });
                }

                if let Some(&first) = out.by_name.get(&name) {
                    return Err(TarError::DuplicateName {
                        name,
                        first_offset: out.entries[first].header_offset,
                        offset: entry_start,
                    });
                }
                out.by_name.insert(name.clone(), out.entries.len());
                out.entries.push(TarEntry {
                    name,
                    header_offset: entry_start,
                    data_offset,
                    size,
                    kind,
                    mode: raw.mode,
                });
                pending = Pending::default();
                src.passed_body(size);
                pos = next.min(file_len);
            }
        }
    }

    if let Some(start) = pending.start {
        return Err(TarError::DanglingExtendedHeader { offset: start });
    }
    out.end = pos;
    Ok(out)
}

/// Reads an entry's data into memory, refusing entries larger than `limit`
/// bytes (sizes come from the archive and are not trusted).
pub async fn read_entry<S: ByteSource + ?Sized>(
    src: &S,
    entry: &TarEntry,
    limit: u64,
) -> Result<Vec<u8>, TarError> {
    if entry.size > limit {
        return Err(TarError::EntryTooLarge {
            name: entry.name.clone(),
            size: entry.size,
            limit,
        });
    }
    Ok(read_exact_at(src, entry.data_offset, entry.size as usize).await?)
}

fn next_header(data_offset: u64, size: u64) -> u64 {
    data_offset + size + header::padding(size)
}

/// Header fields common to every typeflag.
struct RawHeader {
    typeflag: u8,
    name: Vec<u8>,
    size: i64,
    mode: u32,
}

fn parse_raw_header(b: &Block, format: Format, offset: u64) -> Result<RawHeader, TarError> {
    let num = |field: &'static str, range: std::ops::Range<usize>| {
        header::parse_numeric(&b[range.clone()]).ok_or_else(|| TarError::BadNumber {
            offset,
            field,
            raw: header::lossy(&b[range]),
        })
    };
    let size = num("size", header::SIZE)?;
    let mode = num("mode", header::MODE)?;
    num("uid", header::UID)?;
    num("gid", header::GID)?;
    num("mtime", header::MTIME)?;
    if format != Format::V7 {
        num("devmajor", header::DEVMAJOR)?;
        num("devminor", header::DEVMINOR)?;
    }
    let mode = u32::try_from(mode).map_err(|_| TarError::BadNumber {
        offset,
        field: "mode",
        raw: header::lossy(&b[header::MODE]),
    })?;

    let mut prefix: &[u8] = &[];
    match format {
        Format::Ustar => prefix = header::c_string(&b[header::USTAR_PREFIX]),
        Format::Star => prefix = header::c_string(&b[header::STAR_PREFIX]),
        Format::Gnu => {
            // Go before 1.8 wrote a USTAR prefix into GNU headers; Go reads
            // such a prefix when the atime/ctime fields do not parse.
            let bad_time = |r: std::ops::Range<usize>| {
                b[r.start] != 0 && header::parse_numeric(&b[r]).is_none()
            };
            if bad_time(header::GNU_ATIME) || bad_time(header::GNU_CTIME) {
                let p = header::c_string(&b[header::USTAR_PREFIX]);
                if p.is_ascii() {
                    prefix = p;
                }
            }
        }
        Format::V7 => {}
    }
    let base = header::c_string(&b[header::NAME]);
    let name = if prefix.is_empty() {
        base.to_vec()
    } else {
        [prefix, b"/", base].concat()
    };
    Ok(RawHeader {
        typeflag: b[header::TYPEFLAG],
        name,
        size,
        mode,
    })
}

/// Reads the body of a PAX or GNU long-name header, bounded in size.
async fn read_special<S: ByteSource + ?Sized>(
    src: &mut WindowReader<'_, S>,
    raw: &RawHeader,
    offset: u64,
    data_offset: u64,
    file_len: u64,
    what: &'static str,
) -> Result<Vec<u8>, TarError> {
    if raw.size < 0 {
        return Err(TarError::BadNumber {
            offset,
            field: "size",
            raw: raw.size.to_string(),
        });
    }
    let size = raw.size as u64;
    if size > MAX_SPECIAL_FILE_SIZE {
        return Err(TarError::SpecialTooLarge {
            offset,
            what,
            size,
            limit: MAX_SPECIAL_FILE_SIZE,
        });
    }
    if data_offset + size > file_len {
        return Err(TarError::DataBeyondEof {
            name: String::from_utf8_lossy(&raw.name).into_owned(),
            offset,
            data_offset,
            size,
            file_len,
        });
    }
    let body = src.read(data_offset, size as usize).await?;
    if body.len() as u64 != size {
        return Err(SourceError::UnexpectedEof {
            offset: data_offset,
            wanted: size,
            got: body.len() as u64,
        }
        .into());
    }
    Ok(body)
}

/// Skips the extension blocks of an old GNU sparse header; returns where the
/// data starts.
async fn skip_gnu_sparse_extensions<S: ByteSource + ?Sized>(
    src: &mut WindowReader<'_, S>,
    block: &Block,
    format: Format,
    offset: u64,
) -> Result<u64, TarError> {
    if format != Format::Gnu {
        return Err(TarError::BadSparseHeader {
            offset,
            reason: "a sparse entry needs a GNU header",
        });
    }
    let mut pos = offset + BLOCK_SIZE;
    let mut extended = block[header::GNU_IS_EXTENDED] != 0;
    while extended {
        match read_block(src, pos).await? {
            BlockRead::Full(b) => extended = b[header::GNU_EXT_IS_EXTENDED] != 0,
            BlockRead::Partial(got) => return Err(TarError::TruncatedHeader { offset: pos, got }),
            BlockRead::Eof => {
                return Err(TarError::TruncatedHeader {
                    offset: pos,
                    got: 0,
                })
            }
        }
        pos += BLOCK_SIZE;
    }
    Ok(pos)
}

fn validate_name(name: Vec<u8>, offset: u64) -> Result<String, TarError> {
    let name = String::from_utf8(name).map_err(|e| TarError::NonUtf8Name {
        lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
        offset,
    })?;
    if name.is_empty() {
        return Err(TarError::EmptyName { offset });
    }
    if name.starts_with('/') {
        return Err(TarError::AbsoluteName { name, offset });
    }
    if name.split('/').any(|c| c == "..") {
        return Err(TarError::ParentDirName { name, offset });
    }
    Ok(name)
}

fn not_tar_reason(block: &Block, m: &header::ChecksumMismatch) -> String {
    let hint = if block.starts_with(&[0x1f, 0x8b]) {
        "; the file starts like gzip data (imgpkg tars are never compressed)"
    } else if block.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "; the file starts like zstd data"
    } else {
        ""
    };
    format!(
        "the first block is not a tar header (checksum field {:?} does not match its computed sum {}){hint}",
        m.stored, m.unsigned
    )
}

//! A directory read as if it were a tar: an OCI image layout given as a
//! directory (`skopeo copy … oci:DIR`) goes through the same readers as an
//! `oci-archive` tar.
//!
//! [`DirSource::open`] walks the directory (names sorted, `/`-separated,
//! relative to it) and lays its regular files end to end in one virtual byte
//! range; the [`TarIndex`] it returns has one entry per file, directory and
//! symbolic link, each regular file's data at its place in that range. The
//! core's format readers then work unchanged on ([`DirSource`], index) —
//! same checks, same errors: a symlinked `index.json` is refused as in a tar
//! — and the copy reads blob bodies from the same range
//! ([`PositionalRead`]). Files are opened for each read and never held open,
//! so a layout of many thousands of blobs needs no file descriptors.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use airlock_core::source::{ByteSource, SourceError};
use airlock_core::tar::{EntryKind, TarEntry, TarIndex};

/// Bytes read by absolute position, from any thread: a tar file, or a
/// [`DirSource`]'s files laid end to end. Blob uploads read their bodies
/// through it.
pub trait PositionalRead: Send + Sync {
    /// Reads up to `buf.len()` bytes at `pos`; `Ok(0)` at the end.
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize>;
}

impl PositionalRead for File {
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, pos)
    }

    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, pos)
    }
}

#[derive(Debug)]
struct DirFile {
    /// Start in the virtual range.
    offset: u64,
    size: u64,
    path: PathBuf,
}

/// A directory's regular files laid end to end (see the module docs).
#[derive(Debug)]
pub struct DirSource {
    root: PathBuf,
    files: Vec<DirFile>,
    len: u64,
}

/// The deepest directory nesting followed.
const MAX_DEPTH: usize = 32;

impl DirSource {
    /// Walks `root` and returns the source and its tar-like index. Symbolic
    /// links are listed (as links, never followed); entries other than
    /// files, directories and links are listed as such for the readers to
    /// refuse.
    pub fn open(root: &Path) -> io::Result<(DirSource, TarIndex)> {
        let mut src = DirSource {
            root: root.to_path_buf(),
            files: Vec::new(),
            len: 0,
        };
        let mut entries = Vec::new();
        src.walk(root, "", 0, &mut entries)?;
        Ok((src, TarIndex::from_entries(entries)))
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn walk(
        &mut self,
        dir: &Path,
        prefix: &str,
        depth: usize,
        out: &mut Vec<TarEntry>,
    ) -> io::Result<()> {
        if depth > MAX_DEPTH {
            return Err(io::Error::other(format!(
                "{}: directories nested deeper than {MAX_DEPTH} levels",
                dir.display()
            )));
        }
        let mut names: Vec<_> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let Some(text) = name.to_str() else {
                return Err(io::Error::other(format!(
                    "{}: the name is not UTF-8",
                    path.display()
                )));
            };
            let rel = format!("{prefix}{text}");
            let meta = std::fs::symlink_metadata(&path)?;
            let ft = meta.file_type();
            let mut entry = TarEntry {
                name: rel.clone(),
                header_offset: self.len,
                data_offset: self.len,
                size: 0,
                kind: EntryKind::Other(0),
                mode: mode_of(&meta),
            };
            if ft.is_symlink() {
                entry.kind = EntryKind::Symlink;
                out.push(entry);
            } else if ft.is_dir() {
                entry.kind = EntryKind::Directory;
                entry.name.push('/');
                out.push(entry);
                self.walk(&path, &format!("{rel}/"), depth + 1, out)?;
            } else if ft.is_file() {
                entry.kind = EntryKind::Regular;
                entry.size = meta.len();
                self.files.push(DirFile {
                    offset: self.len,
                    size: meta.len(),
                    path,
                });
                self.len += meta.len();
                out.push(entry);
            } else {
                out.push(entry);
            }
        }
        Ok(())
    }

    /// Index of the file holding `pos` (or the first after it).
    fn file_at(&self, pos: u64) -> usize {
        self.files.partition_point(|f| f.offset + f.size <= pos)
    }

    fn read_sync(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        let mut done = 0usize;
        let mut i = self.file_at(pos);
        while done < buf.len() {
            let Some(f) = self.files.get(i) else { break };
            let at = pos + done as u64;
            if f.size == 0 || at >= f.offset + f.size {
                i += 1;
                continue;
            }
            let file = File::open(&f.path)?;
            let rel = at - f.offset;
            let want = (buf.len() - done).min(usize::try_from(f.size - rel).unwrap_or(usize::MAX));
            let mut got = 0;
            while got < want {
                match file.read_at(&mut buf[done + got..done + want], rel + got as u64) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "{}: the file shrank while being read (was {} bytes)",
                                f.path.display(),
                                f.size
                            ),
                        ))
                    }
                    Ok(n) => got += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            done += want;
            i += 1;
        }
        Ok(done)
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    0o644
}

impl PositionalRead for DirSource {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        self.read_sync(buf, pos)
    }
}

impl ByteSource for DirSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let want = len.min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
        let mut buf = vec![0u8; want];
        let n = self.read_into(offset, &mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let want = buf
            .len()
            .min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
        self.read_sync(&mut buf[..want], offset)
            .map_err(|e| SourceError::Io {
                offset,
                len: want,
                message: format!("{}: {e}", self.root.display()),
            })
    }
}

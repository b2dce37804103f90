//! What `inspect`, `verify`, `plan --tar` and `copy --tar` read: a tar file
//! of any of the three formats, opened with its headers read once
//! ([`formats::open_any`]), or a directory holding an OCI image layout (or an
//! extracted docker-archive), read through the same format readers
//! ([`DirSource`]).

use std::path::Path;
use std::sync::Arc;

use airlock_cli::dir_source::DirSource;
use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::{NativeSetupError, NativeTransport};
use airlock_core::archive::Archive;
use airlock_core::formats::{self, AnyArchive, Format, FormatError, ImageArchive, OpenError};
use airlock_core::source::{ByteSource, CountingSource, SourceError};

use crate::error::CliError;
use crate::tarball::Source;

/// The bytes of an OCI layout or docker-archive: a tar file, or a directory.
pub enum ArchiveSource {
    /// A tar file (reads counted, as for imgpkg tars).
    Tar(Source),
    /// A directory, its files laid end to end.
    Dir(Arc<DirSource>),
}

impl ByteSource for ArchiveSource {
    fn len(&self) -> u64 {
        match self {
            ArchiveSource::Tar(s) => s.len(),
            ArchiveSource::Dir(d) => d.len(),
        }
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        match self {
            ArchiveSource::Tar(s) => s.inner().read_at(offset, len).await,
            ArchiveSource::Dir(d) => d.read_at(offset, len).await,
        }
    }

    async fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        match self {
            ArchiveSource::Tar(s) => s.inner().read_into(offset, buf).await,
            ArchiveSource::Dir(d) => d.read_into(offset, buf).await,
        }
    }
}

impl ArchiveSource {
    /// The transport, reading blob bodies from these bytes.
    pub fn attach(
        &self,
        transport: NativeTransport,
        path: &Path,
    ) -> Result<NativeTransport, NativeSetupError> {
        match self {
            ArchiveSource::Tar(_) => transport.with_tar_path(path),
            ArchiveSource::Dir(d) => Ok(transport.with_tar_bytes(d.clone())),
        }
    }
}

/// What a path on the command line holds.
pub enum Opened {
    /// An imgpkg tar, opened by the imgpkg reader.
    Imgpkg(Source, Box<Archive>),
    /// An OCI layout or docker-archive (a tar or a directory).
    Image(ArchiveSource, Box<ImageArchive>),
}

/// Opens `path`: a tar of any format (headers read once), or a directory.
pub fn open(path: &Path) -> Result<Opened, CliError> {
    let bad = |source| CliError::Format {
        path: path.display().to_string(),
        source: Box::new(source),
    };
    if path.is_dir() {
        return open_dir(path).map_err(bad);
    }
    let src = FileSource::open(path).map_err(|source| CliError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let src = CountingSource::new(src);
    match block_on(formats::open_any(&src)) {
        Ok(AnyArchive::Imgpkg(a)) => Ok(Opened::Imgpkg(src, a)),
        Ok(AnyArchive::Image(a)) => Ok(Opened::Image(ArchiveSource::Tar(src), a)),
        Err(OpenError::Imgpkg(source)) => Err(CliError::Archive {
            path: path.display().to_string(),
            source,
        }),
        Err(OpenError::Format(e)) => Err(bad(e)),
    }
}

fn open_dir(path: &Path) -> Result<Opened, FormatError> {
    let (dir, entries) = DirSource::open(path).map_err(|e| FormatError::Invalid {
        entry: path.display().to_string(),
        message: format!("reading the directory: {e}"),
    })?;
    let format = block_on(formats::detect::detect(&dir, &entries))?;
    if format == Format::Imgpkg {
        return Err(FormatError::Invalid {
            entry: path.display().to_string(),
            message: "a directory is read as an OCI image layout (oci-layout + index.json + blobs/sha256/) or an extracted docker-archive; an imgpkg tar must stay a tar file".into(),
        });
    }
    let archive = block_on(formats::open(&dir, entries, format))?;
    Ok(Opened::Image(
        ArchiveSource::Dir(Arc::new(dir)),
        Box::new(archive),
    ))
}

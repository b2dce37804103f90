//! Opening a tar whatever its format: the entries are indexed once (in
//! coalesced windows, as [`Archive::open`] does), the format told by
//! [`detect`](super::detect::detect), and the tar read by the imgpkg reader
//! or by [`super::open`]. The page opens every tar this way.

use super::{detect, FormatError, ImageArchive};
use crate::archive::{Archive, ArchiveError, MAX_KEPT};
use crate::imageset::{ImageSet, Problem};
use crate::source::{ByteSource, KeepingSource};
use crate::tar::{self, Windows};
use crate::verify::{self, BlobCheck};

pub use super::Format;

/// An opened tar: an imgpkg tarball, or an OCI layout / docker-archive.
#[derive(Debug, Clone)]
pub enum AnyArchive {
    /// `imgpkg copy --to-tar` (or `airlock copy --to-tar`).
    Imgpkg(Box<Archive>),
    /// An OCI image layout or a docker-archive.
    Image(Box<ImageArchive>),
}

/// Why a tar cannot be opened: the imgpkg reader's or the image formats'
/// error, worded as the CLI words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// An imgpkg tar that cannot be read (or a tar that is no tar).
    #[error("{0}")]
    Imgpkg(#[from] ArchiveError),
    /// An OCI layout or docker-archive that cannot be read, or a tar of no
    /// known format.
    #[error("{0}")]
    Format(#[from] FormatError),
}

/// Indexes the tar once, tells its format and opens it.
pub async fn open_any<S: ByteSource + ?Sized>(src: &S) -> Result<AnyArchive, OpenError> {
    let keep = &KeepingSource::new(src, MAX_KEPT);
    let entries = tar::index_with(keep, Windows::DEFAULT)
        .await
        .map_err(ArchiveError::Tar)?;
    keep.stop_keeping();
    match detect::detect(keep, &entries).await? {
        Format::Imgpkg => Ok(AnyArchive::Imgpkg(Box::new(
            Archive::open_indexed(keep, entries).await?,
        ))),
        format => Ok(AnyArchive::Image(Box::new(
            super::open(keep, entries, format).await?,
        ))),
    }
}

impl AnyArchive {
    /// Which format the tar is.
    pub fn format(&self) -> Format {
        match self {
            AnyArchive::Imgpkg(_) => Format::Imgpkg,
            AnyArchive::Image(a) => a.format,
        }
    }

    /// Size of the tar file.
    pub fn size(&self) -> u64 {
        match self {
            AnyArchive::Imgpkg(a) => a.size,
            AnyArchive::Image(a) => a.size,
        }
    }

    /// The manifests, indexes and bundles read from the tar.
    pub fn set(&self) -> &ImageSet {
        match self {
            AnyArchive::Imgpkg(a) => &a.set,
            AnyArchive::Image(a) => &a.set,
        }
    }

    /// Every blob kept as a tar range, to hash before pushing (an OCI
    /// layout's or docker-archive's blob of the wrong size is not hashed:
    /// [`Self::structural_problems`] names it).
    pub fn blob_checks(&self) -> Vec<BlobCheck> {
        match self {
            AnyArchive::Imgpkg(a) => verify::blob_checks(a),
            AnyArchive::Image(a) => a
                .blob_checks
                .iter()
                .filter(|c| verify::size_problem(c).is_none())
                .cloned()
                .collect(),
        }
    }

    /// Problems found without hashing blobs (what `airlock verify` lists
    /// before the hashes).
    pub fn structural_problems(&self) -> Vec<Problem> {
        match self {
            AnyArchive::Imgpkg(a) => verify::structural(a),
            AnyArchive::Image(a) => a.structural_problems(),
        }
    }
}

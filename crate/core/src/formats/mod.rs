//! Image tarballs other than imgpkg's: OCI image layouts (`oci-archive`,
//! `docker save` since Docker 25) and classic `docker save` /
//! `docker-archive` tars.
//!
//! [`detect`] tells the format of an opened tar from its entries (headers
//! only, plus a small `manifest.json` when one is present);
//! [`oci_layout`] and [`docker_archive`] read the two formats into the same
//! [`ImageSet`] the imgpkg reader builds, with layer blobs located as tar
//! ranges (never read at open); [`destination`] maps the images to
//! destination repositories and builds one [`crate::planner`] plan per
//! repository plus the ImagesLock for `--lock-output`; [`docker_gzip`]
//! sends docker-archive layers gzip-compressed. [`open_any`] opens a tar of
//! any of the three formats reading its headers once.

pub mod any;
pub mod destination;
pub mod detect;
pub mod docker_archive;
pub mod docker_gzip;
mod entries;
pub mod oci_layout;

use crate::digest::Digest;
use crate::imageset::{ImageSet, NodeId};
use crate::reference::Reference;
use crate::source::ByteSource;
use crate::tar::{self, TarError, TarIndex};
use crate::verify::BlobCheck;

pub use any::{open_any, AnyArchive, OpenError};
pub use detect::Format;

/// Why an OCI layout or docker-archive cannot be read. Every message names
/// the entry, descriptor or reference at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Tar(#[from] TarError),
    #[error("the tar matches no image format Airlock reads: expected an imgpkg tar (manifest.json + sha256-*.tar.gz), an OCI layout (oci-layout + index.json + blobs/sha256/) or a docker-archive (manifest.json of [{{\"Config\", \"RepoTags\", \"Layers\"}}]); its first entries are {first:?}")]
    NoFormat { first: Vec<String> },
    #[error("entry {name:?}: {why}; Airlock reads only regular files inside the archive")]
    UnsafeEntry { name: String, why: &'static str },
    #[error("{referenced_by} names {what} {digest}, but the tar has no entry {entry:?}")]
    MissingBlob {
        referenced_by: String,
        what: &'static str,
        digest: Digest,
        entry: String,
    },
    #[error(
        "entry {entry:?}: {size} bytes, more than the {limit} bytes Airlock reads for a {what}"
    )]
    TooLarge {
        entry: String,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("entry {entry:?}: its sha256 is {actual}, but {referenced_by} names it as {expected}")]
    DigestMismatch {
        entry: String,
        referenced_by: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("entry {entry:?}: {actual} bytes, but {referenced_by} says {expected}")]
    SizeMismatch {
        entry: String,
        referenced_by: String,
        expected: u64,
        actual: u64,
    },
    #[error("{entry}: {message}")]
    Invalid { entry: String, message: String },
    #[error("{entry}: {field} is {value:?}, not a valid image reference: {message}")]
    BadReference {
        entry: String,
        field: &'static str,
        value: String,
        message: String,
    },
}

/// One named (or unnamed) top-level image of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    pub node: NodeId,
    /// The reference the archive gives it (`org.opencontainers.image.ref.name`,
    /// `io.containerd.image.name`, a `RepoTags` entry), normalised; `None`
    /// when the archive names it not at all (or only by a bare tag).
    pub name: Option<Reference>,
    /// A bare tag (an OCI `ref.name` such as `1.27` without a repository).
    pub tag: Option<String>,
}

/// An opened OCI layout or docker-archive.
#[derive(Debug, Clone)]
pub struct ImageArchive {
    pub format: Format,
    /// Size of the tar file.
    pub size: u64,
    pub entries: TarIndex,
    /// Nodes: manifests and indexes, top-level ones in [`ImageSet::top`].
    pub set: ImageSet,
    /// Every top-level image with its name, in archive order (one per name).
    pub images: Vec<ArchiveImage>,
    /// Every blob kept as a tar range, to hash before pushing.
    pub blob_checks: Vec<BlobCheck>,
}

/// Reads the tar's entries and tells its format.
pub async fn open_index<S: ByteSource + ?Sized>(
    src: &S,
) -> Result<(TarIndex, Format), FormatError> {
    let entries = tar::index(src).await?;
    let format = detect::detect(src, &entries).await?;
    Ok((entries, format))
}

/// Opens an OCI layout or docker-archive whose entries and format are known.
pub async fn open<S: ByteSource + ?Sized>(
    src: &S,
    entries: TarIndex,
    format: Format,
) -> Result<ImageArchive, FormatError> {
    match format {
        Format::OciLayout => oci_layout::open(src, entries).await,
        Format::DockerArchive => docker_archive::open(src, entries).await,
        Format::Imgpkg => Err(FormatError::Invalid {
            entry: "manifest.json".into(),
            message: "this is an imgpkg tar; open it with airlock_core::archive::Archive".into(),
        }),
    }
}

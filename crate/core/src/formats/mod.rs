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
//! repository plus the ImagesLock for `--lock-output`.

pub mod any;
pub mod destination;
pub mod detect;
pub mod docker_archive;
mod entries;
pub mod oci_layout;

use crate::digest::Digest;
use crate::imageset::{ImageSet, NodeId, Problem};
use crate::reference::Reference;
use crate::source::ByteSource;
use crate::tar::{self, TarError, TarIndex};
use crate::verify::{self, BlobCheck};

pub use any::{open_any, AnyArchive, OpenError};
pub use detect::Format;

/// Why an OCI layout or docker-archive cannot be read. Every message names
/// the entry, descriptor or reference at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The tar itself could not be indexed.
    #[error("{0}")]
    Tar(#[from] TarError),
    /// The tar's entries match none of the formats [`detect`] knows.
    #[error("the tar matches no image format Airlock reads: expected an imgpkg tar (manifest.json + sha256-*.tar.gz), an OCI layout (oci-layout + index.json + blobs/sha256/) or a docker-archive (manifest.json of [{{\"Config\", \"RepoTags\", \"Layers\"}}]); its first entries are {first:?}")]
    NoFormat {
        /// The first few entry names, to show what the tar holds instead.
        first: Vec<String>,
    },
    /// An entry's name, or a path a docker-archive's `manifest.json` gives, is absolute or has a
    /// `..` component; or an entry Airlock reads is a link or not a regular file.
    #[error("entry {name:?}: {why}; Airlock reads only regular files inside the archive")]
    UnsafeEntry {
        /// The entry name or path as written.
        name: String,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// A descriptor or `Layers` entry names a blob the tar does not hold.
    #[error("{referenced_by} names {what} {digest}, but the tar has no entry {entry:?}")]
    MissingBlob {
        /// The document that names it (`index.json`, a manifest's digest, a `manifest.json`
        /// element).
        referenced_by: String,
        /// What the blob is for (`manifest`, `config`, `layer`).
        what: &'static str,
        /// The blob's digest.
        digest: Digest,
        /// The entry name where the blob should be.
        entry: String,
    },
    /// A document Airlock parses (index, manifest, config) is larger than it reads into memory.
    #[error(
        "entry {entry:?}: {size} bytes, more than the {limit} bytes Airlock reads for a {what}"
    )]
    TooLarge {
        /// The entry's name.
        entry: String,
        /// What the document is (`manifest`, `config`, ...).
        what: &'static str,
        /// Its size, in bytes.
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A blob read at open (manifest, index, config) does not hash to the digest it is named by.
    #[error("entry {entry:?}: its sha256 is {actual}, but {referenced_by} names it as {expected}")]
    DigestMismatch {
        /// The entry's name.
        entry: String,
        /// The document that names it.
        referenced_by: String,
        /// The digest it is named by.
        expected: Digest,
        /// The digest of the entry's bytes.
        actual: Digest,
    },
    /// A blob's size differs from the size its descriptor gives.
    #[error("entry {entry:?}: {actual} bytes, but {referenced_by} says {expected}")]
    SizeMismatch {
        /// The entry's name.
        entry: String,
        /// The descriptor's owner.
        referenced_by: String,
        /// The descriptor's size, in bytes.
        expected: u64,
        /// The entry's size, in bytes.
        actual: u64,
    },
    /// A document is malformed or inconsistent (bad JSON, missing field, wrong media type, missing
    /// entry, an imgpkg tar passed to [`open`]).
    #[error("{entry}: {message}")]
    Invalid {
        /// The entry or document at fault.
        entry: String,
        /// What is wrong with it.
        message: String,
    },
    /// A name annotation or `RepoTags` entry is not a valid image reference.
    #[error("{entry}: {field} is {value:?}, not a valid image reference: {message}")]
    BadReference {
        /// The entry holding it.
        entry: String,
        /// The field (`RepoTags`, `io.containerd.image.name`, ...).
        field: &'static str,
        /// The value as written.
        value: String,
        /// Why the reference parser refuses it.
        message: String,
    },
}

/// One named (or unnamed) top-level image of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The image's node in [`ImageArchive::set`].
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
    /// Which of the two formats it is.
    pub format: Format,
    /// Size of the tar file.
    pub size: u64,
    /// The tar's entries (headers only).
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

impl ArchiveImage {
    /// How `inspect` names it: the reference, `(tag 1.27)` for a bare tag,
    /// `(unnamed)`.
    pub fn label(&self) -> String {
        match (&self.name, &self.tag) {
            (Some(r), _) => r.name(),
            (None, Some(t)) => format!("(tag {t})"),
            (None, None) => "(unnamed)".to_string(),
        }
    }
}

/// One top-level image as `airlock inspect --json` lists it (`images`) and
/// the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageName {
    /// The normalised reference, when the archive names the image.
    pub name: Option<String>,
    /// Its tag (also for a bare-tag name).
    pub tag: Option<String>,
    /// The manifest or index digest.
    pub digest: String,
    /// [`ArchiveImage::label`].
    pub label: String,
    /// The tree node ([`crate::inspect::Tree::nodes`]).
    pub node: NodeId,
}

impl ImageArchive {
    /// Every top-level image with its name, in archive order.
    pub fn names(&self) -> Vec<ImageName> {
        self.images
            .iter()
            .map(|i| ImageName {
                name: i.name.as_ref().map(|n| n.name()),
                tag: i.tag.clone(),
                digest: self.set.nodes[i.node].digest.to_string(),
                label: i.label(),
                node: i.node,
            })
            .collect()
    }

    /// Problems found without hashing: opening already checked every
    /// manifest and config, so these are the blobs whose stored size is not
    /// the size their descriptor gives ([`verify::size_problem`]).
    pub fn structural_problems(&self) -> Vec<Problem> {
        let mut out = self.set.problems.clone();
        out.extend(self.blob_checks.iter().filter_map(verify::size_problem));
        out
    }
}

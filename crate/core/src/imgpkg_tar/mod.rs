//! The imgpkg tarball (`imgpkg copy --to-tar` / `--tar`, spec §1): a plain
//! tar holding `manifest.json` first, then one `sha256-<hex>.tar.gz` entry per
//! distinct layer blob, sorted by digest.
//!
//! Reading: [`crate::tar::index`] the file, then [`read_manifest_json`] and
//! [`layer_entry`] to find blobs by exact name, as imgpkg does.
//!
//! Writing: [`write_imgpkg_tar`] sequentially to any `Write`; or, for callers
//! that stream bytes themselves (the browser), [`manifest_entry`],
//! [`layer_header`], [`crate::tar::padding`] and
//! [`crate::tar::END_OF_ARCHIVE`], which give the same bytes piece by piece.

pub mod manifest_json;

use std::io::{Read, Write};

use crate::digest::{Digest, Hasher};
use crate::source::ByteSource;
use crate::tar::{self, TarEntry, TarError, TarIndex, TarWriteError, TarWriter};
pub use manifest_json::{
    ConfigDescriptor, ImageDescriptor, ImageOrIndex, IndexDescriptor, LayerDescriptor,
    ManifestDescriptor, ManifestJsonError,
};

/// Name of the index entry.
pub const MANIFEST_JSON: &str = "manifest.json";

/// Largest `manifest.json` read into memory (its size comes from the tar).
pub const MAX_MANIFEST_JSON_SIZE: u64 = 256 << 20;

/// Why an imgpkg tar could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ImgpkgTarError {
    /// The tar could not be indexed or an entry read.
    #[error(transparent)]
    Tar(#[from] TarError),
    /// Writing the tar failed.
    #[error(transparent)]
    Write(#[from] TarWriteError),
    /// `manifest.json` is malformed or one of its fields is unusable.
    #[error(transparent)]
    ManifestJson(#[from] ManifestJsonError),
    /// imgpkg's own message, used for `manifest.json` and layers alike.
    #[error("file {name} not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)")]
    FileNotFound {
        /// The missing entry (`manifest.json` or a `sha256-<hex>.tar.gz` layer).
        name: String,
    },
    /// [`write_imgpkg_tar`] was given the same blob twice with different sizes.
    #[error("layer {digest} is given twice, with sizes {first} and {second}")]
    ConflictingLayerSize {
        /// The blob's digest.
        digest: Digest,
        /// The first size given, in bytes.
        first: u64,
        /// The second size given, in bytes.
        second: u64,
    },
    /// ggcr's message for a blob whose content does not match its digest.
    /// A blob's bytes do not hash to the digest it is stored under.
    #[error(
        "error verifying sha256 checksum after reading {len} bytes; got \"{got}\", want \"{want}\""
    )]
    LayerDigestMismatch {
        /// How many bytes were read and hashed.
        len: u64,
        /// The digest of those bytes.
        got: Digest,
        /// The digest the blob is named by.
        want: Digest,
    },
}

/// Reads and parses `manifest.json` from an indexed tar.
pub async fn read_manifest_json<S: ByteSource + ?Sized>(
    src: &S,
    index: &TarIndex,
) -> Result<Vec<ImageOrIndex>, ImgpkgTarError> {
    let entry = index
        .get(MANIFEST_JSON)
        .ok_or_else(|| ImgpkgTarError::FileNotFound {
            name: MANIFEST_JSON.to_string(),
        })?;
    let bytes = tar::read_entry(src, entry, MAX_MANIFEST_JSON_SIZE).await?;
    Ok(manifest_json::parse(&bytes)?)
}

/// The tar entry holding the blob `digest`.
pub fn layer_entry<'a>(
    index: &'a TarIndex,
    digest: &Digest,
) -> Result<&'a TarEntry, ImgpkgTarError> {
    let name = digest.tar_entry_name();
    index
        .get(&name)
        .ok_or(ImgpkgTarError::FileNotFound { name })
}

/// The `manifest.json` entry: header, JSON bytes and padding.
pub fn manifest_entry(manifest: &[ImageOrIndex]) -> Vec<u8> {
    let json = manifest_json::to_json(manifest);
    let mut out = tar::entry_header(MANIFEST_JSON, json.len() as u64, tar::DEFAULT_MODE)
        .expect("manifest.json always has a valid header");
    out.extend_from_slice(&json);
    out.resize(out.len() + tar::padding(json.len() as u64) as usize, 0);
    out
}

/// The header bytes of a layer entry `sha256-<hex>.tar.gz` of `size` bytes
/// (PAX when `size` is 8 GiB or more, as Go does).
pub fn layer_header(digest: &Digest, size: u64) -> Result<Vec<u8>, TarWriteError> {
    tar::entry_header(&digest.tar_entry_name(), size, tar::DEFAULT_MODE)
}

/// One layer blob to store: its digest, size and content.
pub struct LayerBlob<R> {
    /// The blob's digest (its entry is `sha256-<hex>.tar.gz`).
    pub digest: Digest,
    /// Its size in bytes; exactly this many are read from `reader`.
    pub size: u64,
    /// The blob's bytes.
    pub reader: R,
}

/// Writes a complete imgpkg tar: `manifest.json`, then each distinct blob in
/// digest order, then the end marker. Blobs given twice are written once (a
/// second copy with another size is an error). Each blob's content is hashed
/// as it is copied and must match its digest. Which blobs to pass (for
/// example without non-distributable layers) is the caller's choice; see
/// [`manifest_json::layers_to_write`].
pub fn write_imgpkg_tar<W: Write, R: Read>(
    w: W,
    manifest: &[ImageOrIndex],
    layers: impl IntoIterator<Item = LayerBlob<R>>,
) -> Result<W, ImgpkgTarError> {
    let mut blobs: Vec<LayerBlob<R>> = layers.into_iter().collect();
    blobs.sort_by_key(|b| b.digest);
    let mut tw = TarWriter::new(w);
    tw.append_data(MANIFEST_JSON, &manifest_json::to_json(manifest))?;
    let mut last: Option<(Digest, u64)> = None;
    for blob in blobs {
        if let Some((d, first)) = last {
            if d == blob.digest {
                if first != blob.size {
                    return Err(ImgpkgTarError::ConflictingLayerSize {
                        digest: d,
                        first,
                        second: blob.size,
                    });
                }
                continue;
            }
        }
        last = Some((blob.digest, blob.size));
        let mut hashing = HashingReader {
            inner: blob.reader,
            hasher: Hasher::new(),
        };
        tw.append_reader(&blob.digest.tar_entry_name(), blob.size, &mut hashing)?;
        let len = hashing.hasher.len();
        let got = hashing.hasher.finish();
        if got != blob.digest {
            return Err(ImgpkgTarError::LayerDigestMismatch {
                len,
                got,
                want: blob.digest,
            });
        }
    }
    Ok(tw.finish()?)
}

struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

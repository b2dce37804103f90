//! A bundle image's single layer: a gzipped tar holding `.imgpkg/` and the
//! bundle's files, read whole into memory (bounded).

use std::io::Read;
use std::sync::Arc;

use crate::imageset::BundleFile;
use crate::tar::{self, EntryKind, TarError};

/// The largest bundle layer read (compressed), and its uncompressed limit.
pub const MAX_BUNDLE_LAYER: u64 = 256 << 20;

/// Why a bundle layer cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleLayerError {
    /// The layer is not valid gzip (the decompressor's message).
    #[error("decompressing the bundle layer: {0}")]
    Decompress(String),
    /// The layer decompresses to more than [`MAX_BUNDLE_LAYER`] bytes.
    #[error("the bundle layer uncompresses to more than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The decompressed layer is not a valid tar.
    #[error("reading the bundle layer's tar: {0}")]
    Tar(#[source] TarError),
}

/// Reads a bundle image's ImagesLock from its single layer, with imgpkg's
/// rules and error texts (spec §2.2).
pub async fn read_bundle_layer(layer_gz: &[u8]) -> Result<Vec<BundleFile>, BundleLayerError> {
    let mut out = Vec::new();
    // Go's gzip reader (ggcr's layer reader) is multistream: concatenated
    // members read as one stream.
    let mut dec = flate2::read::MultiGzDecoder::new(layer_gz).take(MAX_BUNDLE_LAYER + 1);
    let mut tar_bytes = Vec::new();
    dec.read_to_end(&mut tar_bytes)
        .map_err(|e| BundleLayerError::Decompress(e.to_string()))?;
    if tar_bytes.len() as u64 > MAX_BUNDLE_LAYER {
        return Err(BundleLayerError::TooLarge {
            limit: MAX_BUNDLE_LAYER,
        });
    }
    let index = tar::index(tar_bytes.as_slice())
        .await
        .map_err(BundleLayerError::Tar)?;
    for e in index.iter() {
        if e.kind != EntryKind::Regular && e.kind != EntryKind::Contiguous {
            continue;
        }
        let start = e.data_offset as usize;
        let end = start + e.size as usize;
        let path = clean_path(&e.name);
        out.push(BundleFile {
            path,
            mode: e.mode,
            contents: Arc::new(tar_bytes[start..end].to_vec()),
        });
    }
    Ok(out)
}

/// A bundle layer's entry name relative to the bundle root: Go's
/// `path.Clean("/" + name)` without its leading slash, so `.` and empty
/// elements go and `..` cannot climb above the root (`"."` for the root).
pub fn clean_path(name: &str) -> String {
    let rooted = crate::go::path::clean(&format!("/{name}"));
    match &rooted[1..] {
        "" => ".".to_string(),
        rel => rel.to_string(),
    }
}

/// The path of the ImagesLock inside a bundle.
pub const IMAGES_YML: &str = ".imgpkg/images.yml";

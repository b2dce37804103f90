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
    #[error("decompressing the bundle layer: {0}")]
    Decompress(String),
    #[error("the bundle layer uncompresses to more than {limit} bytes")]
    TooLarge { limit: u64 },
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

/// Go's `path.Clean` for the relative names found in bundle layers.
pub fn clean_path(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The path of the ImagesLock inside a bundle.
pub const IMAGES_YML: &str = ".imgpkg/images.yml";

//! The tar destination (`imgpkg copy … --to-tar`): an [`ImageSet`] becomes
//! imgpkg's `manifest.json` descriptors and the exact byte layout of the
//! tar, so a writer can lay down every header first and then fill each
//! layer's data at its offset, in any order (imgpkg does the same with
//! `--concurrency` above 1; the bytes equal a sequential write).
//!
//! ```text
//!  0                      manifest.json entry (header, JSON, padding)
//!  layers[0].header_offset  header of sha256-<hex>.tar.gz   (sorted by digest)
//!  layers[0].data_offset    blob bytes, then zero padding
//!  …
//!  total_size - 1024        end of archive (two zero blocks)
//! ```

use std::collections::{BTreeMap, HashSet};

use crate::digest::Digest;
use crate::imageset::{ImageSet, Node, NodeId, NodeKind};
use crate::imgpkg_tar::manifest_json::{
    ConfigDescriptor, ImageDescriptor, ImageOrIndex, IndexDescriptor, LayerDescriptor,
    ManifestDescriptor,
};
use crate::imgpkg_tar::{layer_header, manifest_entry};
use crate::manifest::media_type;
use crate::plan::BlobSource;
use crate::tar::{padding, TarWriteError, END_OF_ARCHIVE};

/// One layer entry of the tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSlot {
    /// The blob's digest (the entry is `sha256-<hex>.tar.gz`).
    pub digest: Digest,
    /// The blob's size, in bytes.
    pub size: u64,
    /// Where the entry's header starts.
    pub header_offset: u64,
    /// The entry's header bytes (USTAR, or PAX for 8 GiB and more).
    pub header: Vec<u8>,
    /// Where the blob's bytes go.
    pub data_offset: u64,
    /// Where to fetch it from (the first image that has it).
    pub source: BlobSource,
}

/// The complete layout of the tar to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarLayout {
    /// The `manifest.json` content: one descriptor per top-level node.
    pub descriptors: Vec<ImageOrIndex>,
    /// The `manifest.json` entry (header + JSON + padding), at offset 0.
    pub manifest_entry: Vec<u8>,
    /// Layer entries, sorted by digest, each digest once.
    pub layers: Vec<LayerSlot>,
    /// Offset of the end-of-archive marker.
    pub end_offset: u64,
    /// Size of the finished file.
    pub total_size: u64,
    /// imgpkg's warnings (non-distributable layers left out, or the flag
    /// given for nothing).
    pub warnings: Vec<String>,
}

impl TarLayout {
    /// The end-of-archive bytes, written at [`TarLayout::end_offset`].
    pub fn end_marker() -> &'static [u8] {
        &END_OF_ARCHIVE
    }
}

fn image_descriptor(set: &ImageSet, id: NodeId) -> ImageDescriptor {
    let n = &set.nodes[id];
    let NodeKind::Image {
        config_digest,
        config_raw,
        layers,
        ..
    } = &n.kind
    else {
        unreachable!("image_descriptor of an index")
    };
    let layers: Vec<LayerDescriptor> = layers
        .iter()
        .map(|l| LayerDescriptor {
            media_type: l.media_type.clone(),
            digest: l.digest.to_string(),
            diff_id: l.diff_id.clone(),
            size: l.size,
        })
        .collect();
    ImageDescriptor {
        refs: Some(vec![n.source.clone()]),
        layers: (!layers.is_empty()).then_some(layers),
        config: ConfigDescriptor {
            digest: config_digest.to_string(),
            raw: String::from_utf8_lossy(config_raw).into_owned(),
        },
        manifest: manifest_descriptor(n),
        tag: n.tag.clone(),
        orig_ref: n.orig_ref.clone(),
        labels: labels(&n.labels),
    }
}

/// A node's `MediaType`, `Digest` and `Raw` (an image's `Manifest`; an
/// index has the same three fields inline).
fn manifest_descriptor(n: &Node) -> ManifestDescriptor {
    ManifestDescriptor {
        media_type: n.media_type.clone(),
        digest: n.digest.to_string(),
        raw: String::from_utf8_lossy(&n.raw).into_owned(),
    }
}

fn labels(l: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!l.is_empty()).then(|| l.clone())
}

fn index_descriptor(set: &ImageSet, id: NodeId) -> IndexDescriptor {
    let n = &set.nodes[id];
    let NodeKind::Index { children } = &n.kind else {
        unreachable!("index_descriptor of an image")
    };
    let mut images = Vec::new();
    let mut indexes = Vec::new();
    for &c in children {
        if set.nodes[c].is_index() {
            indexes.push(index_descriptor(set, c));
        } else {
            images.push(image_descriptor(set, c));
        }
    }
    let ManifestDescriptor {
        media_type,
        digest,
        raw,
    } = manifest_descriptor(n);
    IndexDescriptor {
        refs: Some(vec![n.source.clone()]),
        images: (!images.is_empty()).then_some(images),
        indexes: (!indexes.is_empty()).then_some(indexes),
        media_type,
        digest,
        raw,
        tag: n.tag.clone(),
        orig_ref: n.orig_ref.clone(),
        labels: labels(&n.labels),
    }
}

/// `manifest.json` for the set's top-level items, sorted by imgpkg's key.
pub fn descriptors(set: &ImageSet) -> Vec<ImageOrIndex> {
    let mut out: Vec<ImageOrIndex> = set
        .top
        .iter()
        .map(|&id| {
            if set.nodes[id].is_index() {
                ImageOrIndex {
                    image_index: Some(index_descriptor(set, id)),
                    image: None,
                }
            } else {
                ImageOrIndex {
                    image_index: None,
                    image: Some(image_descriptor(set, id)),
                }
            }
        })
        .collect();
    out.sort_by_cached_key(|d| d.sort_key());
    out
}

/// Lays out the tar for `set`. Non-distributable layers are listed in
/// `manifest.json` but get no entry unless `include_non_distributable`.
pub fn layout(set: &ImageSet, include_non_distributable: bool) -> Result<TarLayout, TarWriteError> {
    let descriptors = descriptors(set);
    let mut blobs: BTreeMap<Digest, (u64, BlobSource)> = BTreeMap::new();
    let mut skipped: BTreeMap<String, Vec<Digest>> = BTreeMap::new();
    let mut nd_seen = false;
    fn walk(
        set: &ImageSet,
        id: NodeId,
        include: bool,
        blobs: &mut BTreeMap<Digest, (u64, BlobSource)>,
        skipped: &mut BTreeMap<String, Vec<Digest>>,
        nd_seen: &mut bool,
    ) {
        let n = &set.nodes[id];
        match &n.kind {
            NodeKind::Image { layers, .. } => {
                for l in layers {
                    if media_type::is_non_distributable(&l.media_type) {
                        *nd_seen = true;
                        if !include {
                            let list = skipped.entry(n.source.clone()).or_default();
                            if !list.contains(&l.digest) {
                                list.push(l.digest);
                            }
                            continue;
                        }
                    }
                    blobs
                        .entry(l.digest)
                        .or_insert_with(|| (l.size, l.source.clone()));
                }
            }
            NodeKind::Index { children } => {
                for &c in children {
                    walk(set, c, include, blobs, skipped, nd_seen);
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for &id in &set.top {
        if seen.insert(set.nodes[id].digest) {
            walk(
                set,
                id,
                include_non_distributable,
                &mut blobs,
                &mut skipped,
                &mut nd_seen,
            );
        }
    }
    let manifest_entry = manifest_entry(&descriptors);
    let mut pos = manifest_entry.len() as u64;
    let mut layers = Vec::with_capacity(blobs.len());
    for (digest, (size, source)) in blobs {
        let header = layer_header(&digest, size)?;
        let data_offset = pos + header.len() as u64;
        layers.push(LayerSlot {
            digest,
            size,
            header_offset: pos,
            header,
            data_offset,
            source,
        });
        pos = data_offset + size + padding(size);
    }
    let mut warnings = Vec::new();
    if !skipped.is_empty() {
        let mut w = "Skipped the followings layer(s) due to it being non-distributable. If you would like to include non-distributable layers, use the --include-non-distributable-layers flag".to_string();
        for (src, digests) in &skipped {
            w.push_str(&format!("\n - Image: {src}\n   Layers:"));
            for d in digests {
                w.push_str(&format!("\n     - {d}"));
            }
        }
        warnings.push(w);
    } else if include_non_distributable && !nd_seen {
        warnings.push("'--include-non-distributable-layers' flag provided, but no images contained a non-distributable layer.".to_string());
    }
    Ok(TarLayout {
        descriptors,
        manifest_entry,
        layers,
        end_offset: pos,
        total_size: pos + END_OF_ARCHIVE.len() as u64,
        warnings,
    })
}

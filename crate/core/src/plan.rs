//! The relocation plan: everything a copy into one destination repository
//! will do, computed purely from the source (tar contents or registry
//! metadata), the destination and the options. The copy engine executes a
//! plan; the CLI and the page preview it.
//!
//! Push order (imgpkg `ImageSet.Import` + `CopyToRepository`, hardened so a
//! tag never points at incomplete content):
//!
//! 1. every item in [`RelocationPlan::items`], concurrently: resolve its
//!    upload tag and skip the item when the tag already points at its digest;
//!    otherwise upload missing blobs, then index children by digest, then the
//!    manifest by its upload tag;
//! 2. verify every upload tag resolves to the item's digest;
//! 3. every [`RelocationPlan::locations`] image (one per bundle), the same way,
//!    followed by its extra tags;
//! 4. [`RelocationPlan::tags`]: the original tags (root bundle, `-i` image,
//!    cosign `.sig`).

use std::sync::Arc;

use crate::digest::Digest;
use crate::reference::{Reference, Repository};

/// What kind of thing an item is, for display and for the lock output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// An imgpkg bundle (its config has the `dev.carvel.imgpkg.bundle` label).
    Bundle,
    /// A plain image manifest.
    Image,
    /// An image index (pushed after its children).
    Index,
    /// A manifest listed by an index; pushed by digest, never tagged.
    IndexChild,
    /// The `sha256-<bundle>.image-locations.imgpkg` image.
    Locations,
    /// A cosign `.sig` image.
    Signature,
}

impl ItemKind {
    /// The kebab-case name used in tables, JSON and lock output (`index-child`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            ItemKind::Bundle => "bundle",
            ItemKind::Image => "image",
            ItemKind::Index => "index",
            ItemKind::IndexChild => "index-child",
            ItemKind::Locations => "locations",
            ItemKind::Signature => "signature",
        }
    }
}

/// Where a blob's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSource {
    /// A byte range of the source tar (the entry's data).
    TarEntry {
        /// Offset of the entry's first data byte in the tar.
        offset: u64,
        /// Number of bytes.
        size: u64,
    },
    /// Bytes held in memory (configs from `manifest.json`, locations layers).
    Inline(Arc<Vec<u8>>),
    /// The same digest in a source repository (registry to registry copy):
    /// mounted when on the same registry, otherwise streamed.
    Registry {
        /// The source repository holding the blob.
        repository: Repository,
    },
    /// Not copied: a non-distributable layer without
    /// `--include-non-distributable-layers`.
    Skip,
}

/// One blob (config or layer) a manifest needs at the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBlob {
    /// The blob's digest.
    pub digest: Digest,
    /// Its size in bytes, as the manifest's descriptor gives it.
    pub size: u64,
    /// The descriptor's media type.
    pub media_type: String,
    /// Where its bytes come from.
    pub source: BlobSource,
}

/// A manifest to PUT, with what must exist before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedManifest {
    /// The manifest's digest.
    pub digest: Digest,
    /// Its media type (the `Content-Type` of the PUT).
    pub media_type: String,
    /// The exact bytes to PUT (never re-serialized).
    pub raw: Arc<Vec<u8>>,
    /// Config first, then layers in manifest order (empty for an index).
    pub blobs: Vec<PlannedBlob>,
    /// For an index: its child manifests, pushed by digest before it,
    /// depth first.
    pub children: Vec<PlannedManifest>,
}

/// A top-level thing to copy: an image, index, bundle, signature or
/// locations image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    /// What the item is.
    pub kind: ItemKind,
    /// Where it came from (`Refs[0]` of the tar, or the registry reference).
    pub source: String,
    /// The `image:` value of the ImagesLock that referenced it, if any.
    pub orig_ref: Option<String>,
    /// `REPO@sha256:…`.
    pub destination: Reference,
    /// The manifest to push, with everything it needs.
    pub manifest: PlannedManifest,
    /// The first tag is the upload tag (the manifest is PUT by it, and it is
    /// checked first to skip work already done); the others are applied
    /// right after (the locations image's `sha256-<hex>.imgpkg`; with
    /// `--repo-based-tags`, the tag of the same digest reached through another
    /// source repository).
    pub tags: Vec<String>,
}

/// A final tag: PUT `raw` as `REPO:tag` once everything else is in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTag {
    /// The tag to set at the destination.
    pub tag: String,
    /// The digest of the manifest it points at.
    pub digest: Digest,
    /// The manifest's media type (the `Content-Type` of the PUT).
    pub media_type: String,
    /// The manifest's exact bytes, PUT again under the tag.
    pub raw: Arc<Vec<u8>>,
}

/// The complete plan for one copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocationPlan {
    /// The destination repository.
    pub repository: Repository,
    /// Step 1: images, indexes, bundles and signatures.
    pub items: Vec<PlannedItem>,
    /// Step 3: one locations image per bundle.
    pub locations: Vec<PlannedItem>,
    /// Step 4: original tags.
    pub tags: Vec<PlannedTag>,
}

impl RelocationPlan {
    /// Every distinct blob the plan may upload, by digest (first source wins).
    pub fn unique_blobs(&self) -> Vec<&PlannedBlob> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        fn walk<'a>(
            m: &'a PlannedManifest,
            seen: &mut std::collections::HashSet<Digest>,
            out: &mut Vec<&'a PlannedBlob>,
        ) {
            for c in &m.children {
                walk(c, seen, out);
            }
            for b in &m.blobs {
                if seen.insert(b.digest) {
                    out.push(b);
                }
            }
        }
        for item in self.items.iter().chain(&self.locations) {
            walk(&item.manifest, &mut seen, &mut out);
        }
        out
    }
}

//! The set of images, indexes and bundles to relocate, independent of where
//! it came from (an imgpkg tar, or a registry walk), and the bundle graph
//! built over it.
//!
//! An [`ImageSet`] is what the planner plans and what `inspect` shows. Every
//! node keeps its manifest (and config) raw bytes; blobs carry a
//! [`BlobSource`] telling the copy engine where their bytes are.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::digest::Digest;
use crate::lock::ImagesLock;
use crate::manifest::{ConfigFile, Manifest, Platform};
use crate::plan::BlobSource;

/// Label imgpkg puts on the root bundle's descriptor in a tar.
pub use crate::imgpkg_tar::manifest_json::ROOT_BUNDLE_LABEL;

/// Index of a node in [`ImageSet::nodes`].
pub type NodeId = usize;

/// A layer (or any non-config blob) of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The layer descriptor's media type.
    pub media_type: String,
    /// The blob's digest.
    pub digest: Digest,
    /// The DiffID recorded in the tar ("" for non-layer media types).
    pub diff_id: String,
    /// The blob's size, in bytes.
    pub size: u64,
    /// Where the blob's bytes come from (a tar range, memory, a source repository), or that it
    /// is skipped.
    pub source: BlobSource,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// An image manifest.
    Image {
        /// The config's digest.
        config_digest: Digest,
        /// The config's exact bytes.
        config_raw: Arc<Vec<u8>>,
        /// Parsed config, if it parses.
        config: Option<Box<ConfigFile>>,
        /// The manifest's layers (and other non-config blobs), in manifest order.
        layers: Vec<Layer>,
    },
    /// An image index.
    Index {
        /// Children in the index's `manifests[]` order.
        children: Vec<NodeId>,
    },
}

/// One manifest (image or index) in the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `Refs[0]`: where it was read from (`repo@sha256:…`).
    pub source: String,
    /// The digest the source claims for the manifest.
    pub digest: Digest,
    /// The manifest's media type.
    pub media_type: String,
    /// Exact manifest bytes.
    pub raw: Arc<Vec<u8>>,
    /// Parsed manifest, if the bytes parse.
    pub manifest: Option<Manifest>,
    /// Tag to recreate at the destination ("" = none).
    pub tag: String,
    /// The `image:` value of the ImagesLock that referenced it ("" = unknown).
    pub orig_ref: String,
    /// Labels from `manifest.json` (the root-bundle label).
    pub labels: BTreeMap<String, String>,
    /// Whether it is an image or an index, with what each holds.
    pub kind: NodeKind,
    /// The index this node is a child of (index children are not top level).
    pub parent: Option<NodeId>,
    /// Platform from the parent index's descriptor.
    pub platform: Option<Platform>,
}

impl Node {
    /// True when the config carries `dev.carvel.imgpkg.bundle`.
    pub fn is_bundle(&self) -> bool {
        matches!(&self.kind, NodeKind::Image { config: Some(c), .. } if c.is_bundle())
    }

    /// Whether it carries the root-bundle label ([`ROOT_BUNDLE_LABEL`]): the bundle the tar was
    /// made from.
    pub fn is_root_bundle(&self) -> bool {
        self.labels.contains_key(ROOT_BUNDLE_LABEL)
    }

    /// Whether it is an image index.
    pub fn is_index(&self) -> bool {
        matches!(self.kind, NodeKind::Index { .. })
    }

    /// A cosign signature item (`Tag` = `sha256-<hex>.sig`).
    pub fn is_signature(&self) -> bool {
        self.tag
            .strip_suffix(".sig")
            .is_some_and(|t| Digest::parse_tag_form(t).is_ok())
    }

    /// Total size of the layers (not counting configs and manifests).
    pub fn layers_size(&self) -> u64 {
        match &self.kind {
            NodeKind::Image { layers, .. } => layers.iter().map(|l| l.size).sum(),
            NodeKind::Index { .. } => 0,
        }
    }
}

/// A file inside a bundle's single layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Path inside the bundle, e.g. `.imgpkg/images.yml` or `config/app.yml`.
    pub path: String,
    /// Mode bits as stored in the layer.
    pub mode: u32,
    /// The file's bytes.
    pub contents: Arc<Vec<u8>>,
}

/// An entry of a bundle's ImagesLock, resolved against the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleImage {
    /// Normalised `image:` value (ggcr `Name()`).
    pub image: String,
    /// The digest the lock gives.
    pub digest: Digest,
    /// The node with that digest in the set, if present.
    pub node: Option<NodeId>,
}

/// A bundle's contents, read from its layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// The bundle's node in the set.
    pub node: NodeId,
    /// The bundle's manifest digest.
    pub digest: Digest,
    /// Regular files of the bundle layer, in layer order.
    pub files: Vec<BundleFile>,
    /// `.imgpkg/images.yml` bytes.
    pub images_yml: Arc<Vec<u8>>,
    /// `.imgpkg/images.yml`, parsed.
    pub lock: ImagesLock,
    /// The lock's entries resolved against the set, in lock order.
    pub images: Vec<BundleImage>,
}

impl Bundle {
    /// The file at exactly `path`, if the bundle has it.
    pub fn file(&self, path: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// A problem found while reading or verifying a source. `subject` names the
/// file, entry, descriptor or reference at fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file, entry, descriptor or reference at fault.
    pub subject: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    /// A problem with `subject` and `message`.
    pub fn new(subject: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// Everything to relocate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageSet {
    /// Every node; a [`NodeId`] indexes this.
    pub nodes: Vec<Node>,
    /// Top-level nodes (entries of `manifest.json`, or the copy roots).
    pub top: Vec<NodeId>,
    /// Bundles whose layer could be read, by node.
    pub bundles: BTreeMap<NodeId, Bundle>,
    /// Problems found while building the set (bad descriptors, unreadable
    /// bundles, images a bundle names but the set lacks).
    pub problems: Vec<Problem>,
}

impl ImageSet {
    /// Records the bundle read from node `id` (its digest is the node's).
    pub fn insert_bundle(
        &mut self,
        id: NodeId,
        files: Vec<BundleFile>,
        images_yml: Arc<Vec<u8>>,
        lock: ImagesLock,
        images: Vec<BundleImage>,
    ) {
        let bundle = Bundle {
            node: id,
            digest: self.nodes[id].digest,
            files,
            images_yml,
            lock,
            images,
        };
        self.bundles.insert(id, bundle);
    }

    /// The root bundle (labelled in the tar, or the `-b` source).
    pub fn root_bundle(&self) -> Option<NodeId> {
        self.top
            .iter()
            .copied()
            .find(|&id| self.nodes[id].is_root_bundle())
    }

    /// Node ids by manifest digest (first wins).
    pub fn by_digest(&self) -> HashMap<Digest, NodeId> {
        let mut m = HashMap::new();
        for (id, n) in self.nodes.iter().enumerate() {
            m.entry(n.digest).or_insert(id);
        }
        m
    }

    /// Bundles reachable from the root bundle, root first, each once
    /// (breadth first). Empty when there is no root bundle.
    pub fn bundle_graph(&self) -> Vec<NodeId> {
        let Some(root) = self.root_bundle() else {
            return Vec::new();
        };
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            if let Some(b) = self.bundles.get(&out[i]) {
                for img in &b.images {
                    if let Some(n) = img.node {
                        if self.nodes[n].is_bundle() && !out.contains(&n) {
                            out.push(n);
                        }
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// Whether any top-level node is a bundle.
    pub fn has_bundles(&self) -> bool {
        self.top.iter().any(|&id| self.nodes[id].is_bundle())
    }
}

//! A display model of an opened source: the bundle/image tree with sizes,
//! media types, platforms and bundle files. Shared by `airlock inspect`
//! (text and `--json`) and the web page.

use crate::imageset::{ImageSet, NodeId, NodeKind, Problem};
use crate::manifest::media_type;
use crate::plan::BlobSource;

/// A layer of an image in the tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeLayer {
    /// The blob's digest (`sha256:<hex>`).
    pub digest: String,
    /// The layer descriptor's media type.
    pub media_type: String,
    /// The blob's size, in bytes (compressed).
    pub size: u64,
    /// The blob is in the tar.
    pub present: bool,
    /// A foreign (non-distributable) layer, which imgpkg copies only with
    /// `--include-non-distributable-layers`.
    pub non_distributable: bool,
}

/// One image or index of the tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeNode {
    /// The node's id in the [`ImageSet`] (children and bundles refer to it).
    pub id: NodeId,
    /// `bundle`, `image`, `index` or `signature`.
    pub kind: &'static str,
    /// The manifest digest (`sha256:<hex>`).
    pub digest: String,
    /// `Refs[0]`: where it was read from (`repo@sha256:...`).
    pub source: String,
    /// Tag to recreate at the destination ("" for none).
    pub tag: String,
    /// The manifest's media type.
    pub media_type: String,
    /// Whether it is the root bundle (the one the tar was made from).
    pub root: bool,
    /// Sum of layer sizes (for an index: of its children).
    pub size: u64,
    /// `os/architecture[/variant]` from the parent index's descriptor.
    pub platform: Option<String>,
    /// The config's media type (images only).
    pub config_media_type: Option<String>,
    /// The config blob (images only).
    pub config_digest: Option<String>,
    /// The config's size in bytes (images only).
    pub config_size: Option<u64>,
    /// The image's layers, in manifest order (empty for an index).
    pub layers: Vec<TreeLayer>,
    /// Index children, or the images a bundle's images.yml names (present ones).
    pub children: Vec<NodeId>,
}

/// A regular file of a bundle's layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeFile {
    /// Path inside the bundle (`.imgpkg/images.yml`, `config/app.yml`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Mode bits as stored.
    pub mode: u32,
}

/// An entry of a bundle's `.imgpkg/images.yml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeBundleImage {
    /// The `image:` value, normalised.
    pub image: String,
    /// Its digest.
    pub digest: String,
    /// The node with that digest, when the source holds it.
    pub node: Option<NodeId>,
}

/// A bundle with its files and the images it names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeBundle {
    /// The bundle's node.
    pub node: NodeId,
    /// The bundle's manifest digest.
    pub digest: String,
    /// The files of its layer, in layer order.
    pub files: Vec<TreeFile>,
    /// The entries of its `.imgpkg/images.yml`, in file order.
    pub images: Vec<TreeBundleImage>,
}

/// The display tree of a source (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tree {
    /// Every node; [`TreeNode::id`] indexes this.
    pub nodes: Vec<TreeNode>,
    /// Top-level nodes in display order: the root bundle first.
    pub top: Vec<NodeId>,
    /// The root bundle, when the source has one.
    pub root: Option<NodeId>,
    /// Every bundle of the source, with its files and images.
    pub bundles: Vec<TreeBundle>,
    /// Problems found while reading the source (a missing blob, a bad manifest, ...).
    pub problems: Vec<Problem>,
    /// Distinct blobs and their total size.
    pub blob_count: usize,
    /// Total size of the distinct blobs, in bytes.
    pub blob_bytes: u64,
}

fn node_size(set: &ImageSet, id: NodeId) -> u64 {
    match &set.nodes[id].kind {
        NodeKind::Image { layers, .. } => layers.iter().map(|l| l.size).sum(),
        NodeKind::Index { children } => children.iter().map(|&c| node_size(set, c)).sum(),
    }
}

/// Builds the display tree of a set.
pub fn tree(set: &ImageSet) -> Tree {
    let mut nodes = Vec::with_capacity(set.nodes.len());
    for (id, n) in set.nodes.iter().enumerate() {
        let kind = if n.is_signature() {
            "signature"
        } else if n.is_bundle() {
            "bundle"
        } else if n.is_index() {
            "index"
        } else {
            "image"
        };
        let (config_digest, config_size) = match &n.kind {
            NodeKind::Image {
                config_digest,
                config_raw,
                ..
            } => (
                Some(config_digest.to_string()),
                Some(config_raw.len() as u64),
            ),
            NodeKind::Index { .. } => (None, None),
        };
        let (layers, config_mt, children) = match &n.kind {
            NodeKind::Image { layers, .. } => (
                layers
                    .iter()
                    .map(|l| TreeLayer {
                        digest: l.digest.to_string(),
                        media_type: l.media_type.clone(),
                        size: l.size,
                        present: matches!(
                            l.source,
                            BlobSource::TarEntry { .. } | BlobSource::Registry { .. }
                        ),
                        non_distributable: media_type::is_non_distributable(&l.media_type),
                    })
                    .collect(),
                match &n.manifest {
                    Some(crate::manifest::Manifest::Image(m)) => Some(m.config.media_type.clone()),
                    _ => None,
                },
                set.bundles
                    .get(&id)
                    .map(|b| b.images.iter().filter_map(|i| i.node).collect())
                    .unwrap_or_default(),
            ),
            NodeKind::Index { children } => (Vec::new(), None, children.clone()),
        };
        nodes.push(TreeNode {
            id,
            kind,
            digest: n.digest.to_string(),
            source: n.source.clone(),
            tag: n.tag.clone(),
            media_type: n.media_type.clone(),
            root: n.is_root_bundle(),
            size: node_size(set, id),
            platform: n.platform.as_ref().map(|p| p.to_string()),
            config_media_type: config_mt,
            config_digest,
            config_size,
            layers,
            children,
        });
    }
    let root = set.root_bundle();
    let mut top = set.top.clone();
    top.sort_by_key(|&id| (Some(id) != root, !set.nodes[id].is_bundle()));
    let bundles = set
        .bundles
        .values()
        .map(|b| TreeBundle {
            node: b.node,
            digest: b.digest.to_string(),
            files: b
                .files
                .iter()
                .map(|f| TreeFile {
                    path: f.path.clone(),
                    size: f.contents.len() as u64,
                    mode: f.mode,
                })
                .collect(),
            images: b
                .images
                .iter()
                .map(|i| TreeBundleImage {
                    image: i.image.clone(),
                    digest: i.digest.to_string(),
                    node: i.node,
                })
                .collect(),
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut blob_bytes = 0;
    for n in &set.nodes {
        if let NodeKind::Image { layers, .. } = &n.kind {
            for l in layers {
                if seen.insert(l.digest) {
                    blob_bytes += l.size;
                }
            }
        }
    }
    Tree {
        nodes,
        top,
        root,
        bundles,
        problems: set.problems.clone(),
        blob_count: seen.len(),
        blob_bytes,
    }
}

/// `1.5 KiB`-style sizes.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl Tree {
    /// An indented text rendering, root bundle first, nested bundles and
    /// index children below their parents.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let mut shown = std::collections::HashSet::new();
        for &id in &self.top {
            self.render_node(id, 0, &mut shown, &mut out);
        }
        out
    }

    fn render_node(
        &self,
        id: NodeId,
        depth: usize,
        shown: &mut std::collections::HashSet<NodeId>,
        out: &mut String,
    ) {
        let n = &self.nodes[id];
        let pad = "  ".repeat(depth);
        if depth == 0 && !n.root && shown.contains(&id) {
            return;
        }
        let mut line = format!("{pad}{} {}", n.kind, n.source);
        if n.root {
            line.push_str(" (root bundle)");
        }
        if !n.tag.is_empty() {
            line.push_str(&format!(" tag {}", n.tag));
        }
        if let Some(p) = &n.platform {
            line.push_str(&format!(" [{p}]"));
        }
        line.push_str(&format!(" {} {}", human_size(n.size), n.media_type));
        out.push_str(&line);
        out.push('\n');
        if !shown.insert(id) && depth > 0 {
            out.push_str(&format!("{pad}  (shown above)\n"));
            return;
        }
        if let Some(b) = self.bundles.iter().find(|b| b.node == id) {
            for f in &b.files {
                out.push_str(&format!(
                    "{pad}  file {} ({})\n",
                    f.path,
                    human_size(f.size)
                ));
            }
            for i in &b.images {
                if i.node.is_none() {
                    out.push_str(&format!("{pad}  MISSING {}\n", i.image));
                }
            }
        }
        for l in &n.layers {
            let mut note = String::new();
            if l.non_distributable {
                note.push_str(" non-distributable");
            }
            if !l.present {
                note.push_str(" (not in tar)");
            }
            out.push_str(&format!(
                "{pad}  layer {} {} {}{note}\n",
                l.digest,
                human_size(l.size),
                l.media_type
            ));
        }
        for &c in &n.children {
            self.render_node(c, depth + 1, shown, out);
        }
    }
}

//! A display model of an opened source: the bundle/image tree with sizes,
//! media types, platforms and bundle files. Shared by `airlock inspect`
//! (text and `--json`) and the web page.

use crate::imageset::{ImageSet, NodeId, NodeKind, Problem};
use crate::manifest::media_type;
use crate::plan::BlobSource;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeLayer {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    /// The blob is in the tar.
    pub present: bool,
    pub non_distributable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeNode {
    pub id: NodeId,
    /// `bundle`, `image`, `index` or `signature`.
    pub kind: &'static str,
    pub digest: String,
    pub source: String,
    pub tag: String,
    pub media_type: String,
    pub root: bool,
    /// Sum of layer sizes (for an index: of its children).
    pub size: u64,
    pub platform: Option<String>,
    pub config_media_type: Option<String>,
    /// The config blob (images only).
    pub config_digest: Option<String>,
    pub config_size: Option<u64>,
    pub layers: Vec<TreeLayer>,
    /// Index children, or the images a bundle's images.yml names (present ones).
    pub children: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeFile {
    pub path: String,
    pub size: u64,
    pub mode: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeBundleImage {
    pub image: String,
    pub digest: String,
    pub node: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeBundle {
    pub node: NodeId,
    pub digest: String,
    pub files: Vec<TreeFile>,
    pub images: Vec<TreeBundleImage>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tree {
    pub nodes: Vec<TreeNode>,
    /// Top-level nodes in display order: the root bundle first.
    pub top: Vec<NodeId>,
    pub root: Option<NodeId>,
    pub bundles: Vec<TreeBundle>,
    pub problems: Vec<Problem>,
    /// Distinct blobs and their total size.
    pub blob_count: usize,
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

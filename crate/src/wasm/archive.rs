//! `openArchive(file)` and the `Archive` object the page works with:
//! the tree, bundle files, verify inputs, the plan preview and the copy.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::blob_source::BlobSource;
use super::error::{Code, WasmError};
use crate::archive::{Archive as CoreArchive, ArchiveError};
use crate::imageset::{ImageSet, NodeId, NodeKind};
use crate::manifest::{media_type, Manifest};
use crate::planner::{self, PlanOptions, PlanOutput};
use crate::plan::BlobSource as PlanBlobSource;
use crate::reference::Repository;
use crate::verify;

/// Serializes for JS: maps as plain objects, u64 as numbers.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, WasmError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| WasmError::new(Code::Internal, format!("serializing for JS: {e}")))
}

fn archive_error(e: ArchiveError) -> WasmError {
    match e {
        ArchiveError::Tar(t) => WasmError::new(Code::NotTar, format!("not a readable tar: {t}")),
        other => WasmError::new(Code::Format, other.to_string()),
    }
}

/// JS: `await openArchive(file)`. Reads the tar headers, `manifest.json`
/// and the bundle layers only. Throws `E_NOT_TAR`, `E_FORMAT`, `E_READ`.
#[wasm_bindgen(js_name = openArchive)]
pub async fn open_archive(file: web_sys::Blob) -> Result<Archive, JsValue> {
    let source = BlobSource::new(file);
    let core = CoreArchive::open(&source).await.map_err(archive_error)?;
    Ok(Archive { source, core })
}

/// An opened imgpkg tarball.
#[wasm_bindgen]
pub struct Archive {
    pub(crate) source: BlobSource,
    pub(crate) core: CoreArchive,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TreeJs {
    /// The root bundle's source reference, if the tar has one.
    root: Option<String>,
    items: Vec<ItemJs>,
    bundles: Vec<BundleJs>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemJs {
    kind: &'static str,
    digest: String,
    source: String,
    tag: String,
    media_type: String,
    size: u64,
    platform: Option<String>,
    /// True for an image a bundle names that the tar does not hold.
    missing: bool,
    layers: Vec<LayerJs>,
    children: Vec<ItemJs>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerJs {
    role: &'static str,
    digest: String,
    size: u64,
    media_type: String,
    present: bool,
    non_distributable: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BundleJs {
    digest: String,
    source: String,
    files: Vec<FileJs>,
}

#[derive(Serialize)]
struct FileJs {
    path: String,
    size: u64,
}

fn kind_of(set: &ImageSet, id: NodeId) -> &'static str {
    let n = &set.nodes[id];
    if n.is_bundle() {
        "bundle"
    } else if n.is_index() {
        "index"
    } else if n.is_signature() {
        "signature"
    } else {
        "image"
    }
}

fn item(set: &ImageSet, id: NodeId, path: &mut Vec<NodeId>, shown: &mut HashSet<NodeId>) -> ItemJs {
    let n = &set.nodes[id];
    shown.insert(id);
    path.push(id);
    let mut layers = Vec::new();
    let mut children = Vec::new();
    let mut size = n.raw.len() as u64;
    match &n.kind {
        NodeKind::Image {
            config_digest,
            config_raw,
            layers: ls,
            ..
        } => {
            let config_mt = match &n.manifest {
                Some(Manifest::Image(m)) => m.config.media_type.clone(),
                _ => String::new(),
            };
            size += config_raw.len() as u64;
            layers.push(LayerJs {
                role: "config",
                digest: config_digest.to_string(),
                size: config_raw.len() as u64,
                media_type: config_mt,
                present: true,
                non_distributable: false,
            });
            for l in ls {
                size += l.size;
                layers.push(LayerJs {
                    role: "layer",
                    digest: l.digest.to_string(),
                    size: l.size,
                    media_type: l.media_type.clone(),
                    present: !matches!(l.source, PlanBlobSource::Skip),
                    non_distributable: media_type::is_non_distributable(&l.media_type),
                });
            }
        }
        NodeKind::Index { children: cs } => {
            for &c in cs {
                if !path.contains(&c) {
                    let child = item(set, c, path, shown);
                    size += child.size;
                    children.push(child);
                }
            }
        }
    }
    if let Some(b) = set.bundles.get(&id) {
        for img in &b.images {
            match img.node {
                Some(c) if !path.contains(&c) => children.push(item(set, c, path, shown)),
                Some(_) => {}
                None => children.push(ItemJs {
                    kind: "image",
                    digest: img.digest.to_string(),
                    source: img.image.clone(),
                    tag: String::new(),
                    media_type: String::new(),
                    size: 0,
                    platform: None,
                    missing: true,
                    layers: Vec::new(),
                    children: Vec::new(),
                }),
            }
        }
    }
    path.pop();
    ItemJs {
        kind: kind_of(set, id),
        digest: n.digest.to_string(),
        source: n.source.clone(),
        tag: n.tag.clone(),
        media_type: n.media_type.clone(),
        size,
        platform: n.platform.as_ref().map(|p| p.to_string()),
        missing: false,
        layers,
        children,
    }
}

fn tree(set: &ImageSet) -> TreeJs {
    let mut shown = HashSet::new();
    let mut items = Vec::new();
    let root = set.root_bundle();
    if let Some(r) = root {
        items.push(item(set, r, &mut Vec::new(), &mut shown));
    }
    // Everything not reached from the root (plain image tars, signatures,
    // images no bundle names), in manifest.json order.
    for &id in &set.top {
        if !shown.contains(&id) {
            items.push(item(set, id, &mut Vec::new(), &mut shown));
        }
    }
    let order: Vec<NodeId> = {
        let mut g = set.bundle_graph();
        for &id in set.bundles.keys() {
            if !g.contains(&id) {
                g.push(id);
            }
        }
        g
    };
    let bundles = order
        .into_iter()
        .filter_map(|id| set.bundles.get(&id).map(|b| (id, b)))
        .map(|(id, b)| BundleJs {
            digest: b.digest.to_string(),
            source: set.nodes[id].source.clone(),
            files: b
                .files
                .iter()
                .map(|f| FileJs {
                    path: f.path.clone(),
                    size: f.contents.len() as u64,
                })
                .collect(),
        })
        .collect();
    TreeJs {
        root: root.map(|r| set.nodes[r].source.clone()),
        items,
        bundles,
    }
}

/// Options for `plan()` and `copy()`, from JS.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PlanArgs {
    pub repository: String,
    pub repo_based_tags: bool,
    pub include_non_distributable_layers: bool,
    pub cosign_signatures: bool,
}

impl PlanArgs {
    pub(crate) fn from_js(v: JsValue) -> Result<PlanArgs, WasmError> {
        serde_wasm_bindgen::from_value(v)
            .map_err(|e| WasmError::new(Code::Argument, format!("invalid options: {e}")))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanJs {
    repository: String,
    images: Vec<planner::PlanRow>,
    lock: Option<String>,
    lock_error: Option<String>,
    /// Bundle digest → `.imgpkg/images.yml` as `imgpkg pull` writes it.
    images_yml: BTreeMap<String, String>,
    warnings: Vec<String>,
}

impl Archive {
    pub(crate) fn plan_output(&self, args: &PlanArgs) -> Result<PlanOutput, WasmError> {
        let repo = Repository::parse(args.repository.trim()).map_err(|e| {
            WasmError::new(
                Code::Argument,
                format!("'{}' is not a repository: {e}", args.repository.trim()),
            )
        })?;
        planner::plan(
            &self.core.set,
            &repo,
            PlanOptions {
                repo_based_tags: args.repo_based_tags,
                include_non_distributable_layers: args.include_non_distributable_layers,
            },
        )
        .map_err(|e| WasmError::new(Code::Format, e.to_string()))
    }
}

#[wasm_bindgen]
impl Archive {
    /// Size of the tar in bytes.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.core.size as f64
    }

    /// `{root, items: [{kind, digest, source, tag, mediaType, size, platform,
    /// missing, layers: [{role, digest, size, mediaType, present,
    /// nonDistributable}], children: […]}], bundles: [{digest, source,
    /// files: [{path, size}]}]}`.
    pub fn tree(&self) -> Result<JsValue, JsValue> {
        Ok(to_js(&tree(&self.core.set))?)
    }

    /// A bundle file's contents as text (invalid UTF-8 replaced).
    #[wasm_bindgen(js_name = bundleFile)]
    pub fn bundle_file(&self, bundle_digest: &str, path: &str) -> Result<String, JsValue> {
        let bundle = self
            .core
            .set
            .bundles
            .values()
            .find(|b| b.digest.to_string() == bundle_digest)
            .ok_or_else(|| {
                WasmError::new(Code::Argument, format!("no bundle {bundle_digest} in this tar"))
            })?;
        let file = bundle.file(path).ok_or_else(|| {
            WasmError::new(Code::Argument, format!("no file '{path}' in bundle {bundle_digest}"))
        })?;
        Ok(String::from_utf8_lossy(&file.contents).into_owned())
    }

    /// `[{name, offset, size, expectedSize, digest}]`: every layer entry to
    /// hash (the verify workers read `offset..offset+size`).
    #[wasm_bindgen(js_name = blobsToVerify)]
    pub fn blobs_to_verify(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct B {
            name: String,
            offset: u64,
            size: u64,
            expected_size: u64,
            digest: String,
        }
        let out: Vec<B> = verify::blob_checks(&self.core)
            .into_iter()
            .map(|c| B {
                name: c.name,
                offset: c.offset,
                size: c.size,
                expected_size: c.expected_size,
                digest: c.digest.to_string(),
            })
            .collect();
        Ok(to_js(&out)?)
    }

    /// `[{subject, message}]`: problems found without hashing layers.
    #[wasm_bindgen(js_name = verifyStructure)]
    pub fn verify_structure(&self) -> Result<JsValue, JsValue> {
        Ok(to_js(&verify::structural(&self.core))?)
    }

    /// The preview: `{repository, images: [{kind, source, destination,
    /// tags}], lock, lockError, imagesYml: {bundleDigest: text}, warnings}`.
    /// Throws `E_ARGUMENT` for a bad repository.
    pub fn plan(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let args = PlanArgs::from_js(options)?;
        let out = self.plan_output(&args)?;
        let (lock, lock_error) = match &out.lock_output {
            Ok(l) => (Some(l.clone()), None),
            Err(e) => (None, Some(e.clone())),
        };
        let js = PlanJs {
            repository: out.plan.repository.name(),
            images: out.rows(),
            lock,
            lock_error,
            images_yml: out
                .bundles
                .iter()
                .map(|b| (b.digest.to_string(), b.pulled_images_yml.clone()))
                .collect(),
            warnings: out.warnings.clone(),
        };
        Ok(to_js(&js)?)
    }
}

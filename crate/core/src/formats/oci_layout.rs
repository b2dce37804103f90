//! Reading an OCI image layout held in a tar (`oci-archive`, and `docker
//! save` since Docker 25): `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
//!
//! Every manifest and index reachable from `index.json` is read (they are
//! small) and checked against its digest and size; configs likewise; layers
//! are located as tar ranges and hashed later ([`super::ImageArchive::blob_checks`]).
//! The bytes pushed are the layout's bytes: nothing is re-serialized, so
//! nested and multi-platform indexes, artifacts and referrers (`subject`)
//! travel unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::entries::{blob, check_names, read_required_json, read_verified, regular};
use super::{ArchiveImage, Format, FormatError, ImageArchive};
use crate::digest::Digest;
use crate::imageset::{ImageSet, Layer, Node, NodeId, NodeKind};
use crate::manifest::{media_type, ConfigFile, Manifest, Platform};
use crate::plan::BlobSource;
use crate::reference::Reference;
use crate::source::ByteSource;
use crate::tar::TarIndex;
use crate::verify::BlobCheck;

/// The annotation naming an image in an OCI layout (a full reference, or
/// only a tag).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation Docker and containerd put beside [`REF_NAME`]: the full
/// reference.
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// Deepest index nesting followed.
const MAX_DEPTH: usize = 16;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutFile {
    image_layout_version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexJson {
    #[serde(default)]
    media_type: Option<String>,
    manifests: Vec<TopDescriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopDescriptor {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: HashMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

/// Opens the layout in a tar whose entries are indexed.
pub async fn open<S: ByteSource + ?Sized>(
    src: &S,
    entries: TarIndex,
) -> Result<ImageArchive, FormatError> {
    check_names(&entries)?;
    let lf: LayoutFile = read_required_json(
        src,
        &entries,
        "oci-layout",
        "oci-layout file",
        r#"expected {"imageLayoutVersion": "1.0.0"}"#,
    )
    .await?;
    if !lf.image_layout_version.starts_with("1.") {
        return Err(FormatError::Invalid {
            entry: "oci-layout".into(),
            message: format!(
                "imageLayoutVersion {:?} is not a 1.x version",
                lf.image_layout_version
            ),
        });
    }
    let index: IndexJson = read_required_json(
        src,
        &entries,
        "index.json",
        "index.json",
        "not an OCI image index",
    )
    .await?;
    if let Some(mt) = &index.media_type {
        if mt != media_type::OCI_INDEX {
            return Err(FormatError::Invalid {
                entry: "index.json".into(),
                message: format!("mediaType is {mt:?}, expected {:?}", media_type::OCI_INDEX),
            });
        }
    }
    let mut r = Reader {
        src,
        entries: &entries,
        set: ImageSet::default(),
        by_digest: HashMap::new(),
        checks: Vec::new(),
    };
    let mut images = Vec::new();
    for (i, d) in index.manifests.iter().enumerate() {
        let subject = format!("index.json manifests[{i}]");
        let digest = Digest::parse(&d.digest).map_err(|e| FormatError::Invalid {
            entry: subject.clone(),
            message: format!("digest {:?}: {e}", d.digest),
        })?;
        let (name, tag) = name_of(&subject, &d.annotations)?;
        let label = name
            .as_ref()
            .map(|n| n.name())
            .unwrap_or_else(|| subject.clone());
        let node = r
            .manifest(
                &digest,
                d.size,
                &d.media_type,
                &label,
                None,
                d.platform.clone(),
                0,
            )
            .await?;
        if !r.set.top.contains(&node) {
            r.set.top.push(node);
        }
        images.push(ArchiveImage { node, name, tag });
    }
    let Reader { set, checks, .. } = r;
    Ok(ImageArchive {
        format: Format::OciLayout,
        size: src.len(),
        entries,
        set,
        images,
        blob_checks: checks,
    })
}

/// The image's name from its annotations: `io.containerd.image.name` (a full
/// reference), else `org.opencontainers.image.ref.name` (a full reference,
/// or a bare tag).
fn name_of(
    subject: &str,
    ann: &HashMap<String, String>,
) -> Result<(Option<Reference>, Option<String>), FormatError> {
    let bad = |field: &'static str, value: &str, e: crate::reference::ReferenceError| {
        FormatError::BadReference {
            entry: subject.to_string(),
            field,
            value: value.to_string(),
            message: e.to_string(),
        }
    };
    if let Some(n) = ann.get(CONTAINERD_NAME) {
        let r = Reference::parse(n).map_err(|e| bad(CONTAINERD_NAME, n, e))?;
        let tag = r.tag().map(str::to_string);
        return Ok((Some(r), tag));
    }
    if let Some(n) = ann.get(REF_NAME) {
        if n.contains('/') || n.contains(':') || n.contains('@') {
            let r = Reference::parse(n).map_err(|e| bad(REF_NAME, n, e))?;
            let tag = r.tag().map(str::to_string);
            return Ok((Some(r), tag));
        }
        // A bare tag, e.g. `1.27` (skopeo `oci-archive:x.tar:1.27`).
        Reference::parse_tag(&format!("tag-check:{n}")).map_err(|e| bad(REF_NAME, n, e))?;
        return Ok((None, Some(n.clone())));
    }
    Ok((None, None))
}

struct Reader<'a, S: ?Sized> {
    src: &'a S,
    entries: &'a TarIndex,
    set: ImageSet,
    by_digest: HashMap<Digest, NodeId>,
    checks: Vec<BlobCheck>,
}

impl<S: ByteSource + ?Sized> Reader<'_, S> {
    #[allow(clippy::too_many_arguments)]
    async fn manifest(
        &mut self,
        digest: &Digest,
        size: u64,
        described_as: &str,
        referenced_by: &str,
        parent: Option<NodeId>,
        platform: Option<Platform>,
        depth: usize,
    ) -> Result<NodeId, FormatError> {
        if let Some(&id) = self.by_digest.get(digest) {
            return Ok(id);
        }
        if depth > MAX_DEPTH {
            return Err(FormatError::Invalid {
                entry: referenced_by.to_string(),
                message: format!("indexes nested deeper than {MAX_DEPTH} levels"),
            });
        }
        let e = blob(self.entries, digest, referenced_by, "manifest")?;
        let raw = read_verified(self.src, e, digest, Some(size), referenced_by, "manifest").await?;
        let m = Manifest::parse(raw.clone(), Some(described_as)).map_err(|err| {
            FormatError::Invalid {
                entry: e.name.clone(),
                message: err.to_string(),
            }
        })?;
        let source = if depth == 0 {
            referenced_by.to_string()
        } else {
            format!("{referenced_by} > {digest}")
        };
        let id = self.set.nodes.len();
        let raw = Arc::new(raw);
        match &m {
            Manifest::Index(ix) => {
                self.set.nodes.push(Node {
                    source: source.clone(),
                    digest: *digest,
                    media_type: ix.media_type.clone(),
                    raw,
                    manifest: Some(m.clone()),
                    tag: String::new(),
                    orig_ref: String::new(),
                    labels: Default::default(),
                    kind: NodeKind::Index {
                        children: Vec::new(),
                    },
                    parent,
                    platform,
                });
                self.by_digest.insert(*digest, id);
                let mut kids = Vec::new();
                for (i, c) in ix.manifests.iter().enumerate() {
                    let by = format!("{} manifests[{i}]", e.name);
                    let kid = Box::pin(self.manifest(
                        &c.digest,
                        c.size,
                        &c.media_type,
                        &by,
                        Some(id),
                        c.platform.clone(),
                        depth + 1,
                    ))
                    .await?;
                    kids.push(kid);
                }
                if let NodeKind::Index { children } = &mut self.set.nodes[id].kind {
                    *children = kids;
                }
            }
            Manifest::Image(im) => {
                let by = format!("{} config", e.name);
                let ce = blob(self.entries, &im.config.digest, &by, "config")?;
                let config_raw = read_verified(
                    self.src,
                    ce,
                    &im.config.digest,
                    Some(im.config.size),
                    &by,
                    "config",
                )
                .await?;
                let config = ConfigFile::parse(config_raw.clone()).ok().map(Box::new);
                let mut layers = Vec::new();
                for (i, l) in im.layers.iter().enumerate() {
                    let by = format!("{} layers[{i}]", e.name);
                    let found = regular(self.entries, &super::entries::blob_name(&l.digest))?;
                    let source = match found {
                        Some(le) => {
                            if le.size != l.size {
                                return Err(FormatError::SizeMismatch {
                                    entry: le.name.clone(),
                                    referenced_by: by,
                                    expected: l.size,
                                    actual: le.size,
                                });
                            }
                            self.checks.push(BlobCheck {
                                name: le.name.clone(),
                                offset: le.data_offset,
                                size: le.size,
                                expected_size: l.size,
                                digest: l.digest,
                            });
                            BlobSource::TarEntry {
                                offset: le.data_offset,
                                size: le.size,
                            }
                        }
                        None if media_type::is_non_distributable(&l.media_type) => BlobSource::Skip,
                        None => {
                            return Err(FormatError::MissingBlob {
                                referenced_by: by,
                                what: "layer",
                                digest: l.digest,
                                entry: super::entries::blob_name(&l.digest),
                            })
                        }
                    };
                    layers.push(Layer {
                        media_type: l.media_type.clone(),
                        digest: l.digest,
                        diff_id: String::new(),
                        size: l.size,
                        source,
                    });
                }
                self.set.nodes.push(Node {
                    source,
                    digest: *digest,
                    media_type: im.media_type.clone(),
                    raw,
                    manifest: Some(m.clone()),
                    tag: String::new(),
                    orig_ref: String::new(),
                    labels: Default::default(),
                    kind: NodeKind::Image {
                        config_digest: im.config.digest,
                        config_raw: Arc::new(config_raw),
                        config,
                        layers,
                    },
                    parent,
                    platform,
                });
                self.by_digest.insert(*digest, id);
            }
        }
        Ok(id)
    }
}

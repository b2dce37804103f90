//! Reading a `docker save` / `docker-archive` tar (before Docker 25): a
//! `manifest.json` of `[{"Config", "RepoTags", "Layers"}]`, configs and
//! uncompressed layer tars. The archive holds no manifests, so one is built
//! per image ([`build_manifest`]): its config is the archive's config JSON
//! byte for byte (the image ID stays the same) and its layers are the
//! archive's layer tars as they are, `application/vnd.oci.image.layer.v1.tar`,
//! each at its diff ID from the config's `rootfs.diff_ids`, so anyone can
//! recompute every digest from the archive. Hashing the layers (the blob
//! checks) verifies each one against its diff ID.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

use super::entries::{check_names, read_required_json, read_small, regular};
use super::{ArchiveImage, Format, FormatError, ImageArchive};
use crate::digest::Digest;
use crate::imageset::{ImageSet, Layer, Node, NodeKind};
use crate::manifest::{media_type, ConfigFile, Manifest};
use crate::plan::BlobSource;
use crate::reference::Reference;
use crate::source::ByteSource;
use crate::tar::TarIndex;
use crate::verify::BlobCheck;

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigRootFs {
    rootfs: RootFs,
}

/// The manifest Airlock builds for a docker-archive image: OCI media types,
/// keys in this order, no whitespace.
pub fn build_manifest(
    config_digest: &Digest,
    config_size: u64,
    layers: &[(Digest, u64)],
) -> Vec<u8> {
    build_manifest_with(
        config_digest,
        config_size,
        layers,
        media_type::OCI_LAYER_TAR,
    )
}

/// [`build_manifest`] with every layer of `layer_media_type` (the gzip media
/// type when the layers are sent compressed: [`super::docker_gzip`]).
pub fn build_manifest_with(
    config_digest: &Digest,
    config_size: u64,
    layers: &[(Digest, u64)],
    layer_media_type: &str,
) -> Vec<u8> {
    let mut s = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"{}\",\"digest\":\"{}\",\"size\":{}}},\"layers\":[",
        media_type::OCI_MANIFEST,
        media_type::OCI_CONFIG,
        config_digest,
        config_size
    );
    for (i, (d, size)) in layers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"mediaType\":\"{layer_media_type}\",\"digest\":\"{d}\",\"size\":{size}}}"
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

fn path_field(subject: &str, field: &str, p: &str) -> Result<(), FormatError> {
    if p.starts_with('/') || p.split('/').any(|c| c == "..") {
        return Err(FormatError::UnsafeEntry {
            name: p.to_string(),
            why: if p.starts_with('/') {
                "an absolute path named by manifest.json"
            } else {
                "a path with a \"..\" component named by manifest.json"
            },
        });
    }
    if p.is_empty() {
        return Err(FormatError::Invalid {
            entry: subject.to_string(),
            message: format!("{field} is empty"),
        });
    }
    Ok(())
}

/// Opens the docker-archive in a tar whose entries are indexed.
pub async fn open<S: ByteSource + ?Sized>(
    src: &S,
    entries: TarIndex,
) -> Result<ImageArchive, FormatError> {
    check_names(&entries)?;
    let list: Vec<Entry> = read_required_json(
        src,
        &entries,
        "manifest.json",
        "manifest.json",
        r#"expected [{"Config", "RepoTags", "Layers"}]"#,
    )
    .await?;
    let mut set = ImageSet::default();
    let mut images = Vec::new();
    let mut checks = Vec::new();
    let mut checked: HashSet<Digest> = HashSet::new();
    for (i, d) in list.iter().enumerate() {
        let subject = format!("manifest.json[{i}]");
        path_field(&subject, "Config", &d.config)?;
        let ce = regular(&entries, &d.config)?.ok_or_else(|| FormatError::Invalid {
            entry: subject.clone(),
            message: format!("Config names {:?}, which is not in the tar", d.config),
        })?;
        let config_raw = read_small(src, ce, "config").await?;
        let config_digest = Digest::of(&config_raw);
        let rootfs: ConfigRootFs =
            serde_json::from_slice(&config_raw).map_err(|e| FormatError::Invalid {
                entry: ce.name.clone(),
                message: format!("not an image config with rootfs.diff_ids: {e}"),
            })?;
        if rootfs.rootfs.diff_ids.len() != d.layers.len() {
            return Err(FormatError::Invalid {
                entry: subject.clone(),
                message: format!(
                    "Layers lists {} layers, but its config {} has {} rootfs.diff_ids",
                    d.layers.len(),
                    ce.name,
                    rootfs.rootfs.diff_ids.len()
                ),
            });
        }
        let mut names = Vec::new();
        for (j, t) in d.repo_tags.iter().flatten().enumerate() {
            let r = Reference::parse_tag(t).map_err(|e| FormatError::BadReference {
                entry: subject.clone(),
                field: "RepoTags",
                value: format!("{t} (RepoTags[{j}])"),
                message: e.to_string(),
            })?;
            names.push(r);
        }
        let mut layers = Vec::new();
        let mut descs = Vec::new();
        for (j, (path, diff)) in d.layers.iter().zip(&rootfs.rootfs.diff_ids).enumerate() {
            path_field(&subject, "Layers", path)?;
            let le = regular(&entries, path)?.ok_or_else(|| FormatError::Invalid {
                entry: subject.clone(),
                message: format!("Layers[{j}] names {path:?}, which is not in the tar"),
            })?;
            let digest = Digest::parse(diff).map_err(|e| FormatError::Invalid {
                entry: ce.name.clone(),
                message: format!("rootfs.diff_ids[{j}] {diff:?}: {e}"),
            })?;
            if checked.insert(digest) {
                checks.push(BlobCheck {
                    name: format!("{} (layer {j} of {subject}, diff ID)", le.name),
                    offset: le.data_offset,
                    size: le.size,
                    expected_size: le.size,
                    digest,
                });
            }
            descs.push((digest, le.size));
            layers.push(Layer {
                media_type: media_type::OCI_LAYER_TAR.to_string(),
                digest,
                diff_id: diff.clone(),
                size: le.size,
                source: BlobSource::TarEntry {
                    offset: le.data_offset,
                    size: le.size,
                },
            });
        }
        let raw = build_manifest(&config_digest, config_raw.len() as u64, &descs);
        let digest = Digest::of(&raw);
        let manifest = Manifest::parse(raw.clone(), Some(media_type::OCI_MANIFEST)).ok();
        let config = ConfigFile::parse(config_raw.clone()).ok().map(Box::new);
        let id = set.nodes.len();
        set.nodes.push(Node {
            source: names
                .first()
                .map(|n| n.name())
                .unwrap_or_else(|| subject.clone()),
            digest,
            media_type: media_type::OCI_MANIFEST.to_string(),
            raw: Arc::new(raw),
            manifest,
            tag: String::new(),
            orig_ref: String::new(),
            labels: Default::default(),
            kind: NodeKind::Image {
                config_digest,
                config_raw: Arc::new(config_raw),
                config,
                layers,
            },
            parent: None,
            platform: None,
        });
        set.top.push(id);
        if names.is_empty() {
            images.push(ArchiveImage {
                node: id,
                name: None,
                tag: None,
            });
        }
        for n in names {
            let tag = n.tag().map(str::to_string);
            images.push(ArchiveImage {
                node: id,
                name: Some(n),
                tag,
            });
        }
    }
    Ok(ImageArchive {
        format: Format::DockerArchive,
        size: src.len(),
        entries,
        set,
        images,
        blob_checks: checks,
    })
}

//! The tar imgpkg writes: the `manifest.json` model (sorted by imgpkg's sort
//! key, `Refs`, `Tag`, `OrigRef`, the root-bundle label, `DiffID`s) and the
//! deduplicated layer blobs, written streaming.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use airlock_core::digest::Digest;
use airlock_core::imgpkg_tar::manifest_json::{
    self, ConfigDescriptor, ImageDescriptor, ImageOrIndex, IndexDescriptor, LayerDescriptor,
    ManifestDescriptor, ROOT_BUNDLE_LABEL,
};
use airlock_core::imgpkg_tar::{layer_header, MANIFEST_JSON};
use airlock_core::tar;

use super::{Artifact, BlobData, SynthImage, SynthIndex};

/// Which imgpkg wrote the tar: fields were added over time (spec §1.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TarVersion {
    /// v0.28 and later: `OrigRef` and `Labels`.
    #[default]
    Current,
    /// v0.13 to v0.27: `Labels` but no `OrigRef` key.
    PreV0_28,
    /// Before v0.13: neither `Labels` (no root-bundle label) nor `OrigRef`.
    PreV0_13,
}

/// Options of the export (`imgpkg copy … --to-tar`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// `--include-non-distributable-layers`
    pub include_non_distributable_layers: bool,
    /// The imgpkg version whose fields are written.
    pub version: TarVersion,
}

/// One top-level entry of `manifest.json` to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarItem {
    pub artifact: Artifact,
    /// `Refs[0]`: `<repo>@<digest>`, normalised.
    pub refs: String,
    pub tag: String,
    pub orig_ref: String,
    /// Carries `dev.carvel.imgpkg.copy.root-bundle`.
    pub root_bundle: bool,
}

/// One layer entry of the tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarBlob {
    pub digest: Digest,
    pub data: BlobData,
}

impl TarBlob {
    pub fn entry_name(&self) -> String {
        self.digest.tar_entry_name()
    }
}

/// A tar to write: the `manifest.json` model and the layer blobs. Fields
/// are public so that tests can break it on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthTar {
    pub manifest: Vec<ImageOrIndex>,
    /// Layer entries in the order written (by digest, each once).
    pub blobs: Vec<TarBlob>,
    pub version: TarVersion,
    /// Write these bytes as `manifest.json` instead of the model.
    pub manifest_json_override: Option<Vec<u8>>,
    /// Leave `manifest.json` out.
    pub omit_manifest_json: bool,
}

fn repo_of(digest_ref: &str) -> &str {
    digest_ref.rsplit_once('@').map_or(digest_ref, |(r, _)| r)
}

fn image_descriptor(
    img: &SynthImage,
    refs: &str,
    tag: &str,
    orig_ref: &str,
    labels: &Option<manifest_json::Labels>,
) -> ImageDescriptor {
    ImageDescriptor {
        refs: Some(vec![refs.to_string()]),
        layers: (!img.layers.is_empty()).then(|| {
            img.layers
                .iter()
                .map(|l| LayerDescriptor {
                    media_type: l.media_type.clone(),
                    digest: l.digest.to_string(),
                    diff_id: l.diff_id.clone(),
                    size: l.size(),
                })
                .collect()
        }),
        config: ConfigDescriptor {
            digest: img.config_digest.to_string(),
            raw: String::from_utf8(img.config_raw.clone()).expect("configs are UTF-8"),
        },
        manifest: ManifestDescriptor {
            media_type: img.media_type.clone(),
            digest: img.digest.to_string(),
            raw: String::from_utf8(img.manifest_raw.clone()).expect("manifests are UTF-8"),
        },
        tag: tag.to_string(),
        orig_ref: orig_ref.to_string(),
        labels: labels.clone(),
    }
}

fn index_descriptor(
    ix: &SynthIndex,
    refs: &str,
    tag: &str,
    orig_ref: &str,
    labels: &Option<manifest_json::Labels>,
) -> IndexDescriptor {
    let repo = repo_of(refs);
    let mut images = Vec::new();
    let mut indexes = Vec::new();
    for c in &ix.children {
        let child_ref = format!("{repo}@{}", c.digest());
        match c {
            Artifact::Image(i) => {
                images.push(image_descriptor(i, &child_ref, tag, orig_ref, labels))
            }
            Artifact::Index(i) => {
                indexes.push(index_descriptor(i, &child_ref, tag, orig_ref, labels))
            }
        }
    }
    IndexDescriptor {
        refs: Some(vec![refs.to_string()]),
        images: (!images.is_empty()).then_some(images),
        indexes: (!indexes.is_empty()).then_some(indexes),
        media_type: ix.media_type.clone(),
        digest: ix.digest.to_string(),
        raw: String::from_utf8(ix.raw.clone()).expect("indexes are UTF-8"),
        tag: tag.to_string(),
        orig_ref: orig_ref.to_string(),
        labels: labels.clone(),
    }
}

impl SynthTar {
    /// The tar imgpkg writes for `items`: `manifest.json` sorted by imgpkg's
    /// sort key (ties by `Refs`), then every distinct layer blob by digest,
    /// non-distributable ones only when asked.
    pub fn new(items: Vec<TarItem>, opts: ExportOptions) -> SynthTar {
        let mut manifest = Vec::new();
        let mut blobs: BTreeMap<Digest, BlobData> = BTreeMap::new();
        for it in &items {
            let orig_ref = match opts.version {
                TarVersion::Current => it.orig_ref.as_str(),
                _ => "",
            };
            let labels = (it.root_bundle && opts.version != TarVersion::PreV0_13).then(|| {
                let mut l = manifest_json::Labels::new();
                l.insert(ROOT_BUNDLE_LABEL.to_string(), String::new());
                l
            });
            manifest.push(match &it.artifact {
                Artifact::Image(i) => ImageOrIndex {
                    image_index: None,
                    image: Some(image_descriptor(i, &it.refs, &it.tag, orig_ref, &labels)),
                },
                Artifact::Index(i) => ImageOrIndex {
                    image_index: Some(index_descriptor(i, &it.refs, &it.tag, orig_ref, &labels)),
                    image: None,
                },
            });
            for l in it.artifact.layers() {
                if l.is_distributable() || opts.include_non_distributable_layers {
                    blobs.entry(l.digest).or_insert_with(|| l.data.clone());
                }
            }
        }
        let first_ref = |i: &ImageOrIndex| -> String {
            match (&i.image_index, &i.image) {
                (Some(x), _) => x.first_ref().unwrap_or_default().to_string(),
                (None, Some(x)) => x.first_ref().unwrap_or_default().to_string(),
                _ => String::new(),
            }
        };
        manifest.sort_by(|a, b| {
            a.sort_key()
                .cmp(&b.sort_key())
                .then_with(|| first_ref(a).cmp(&first_ref(b)))
        });
        SynthTar {
            manifest,
            blobs: blobs
                .into_iter()
                .map(|(digest, data)| TarBlob { digest, data })
                .collect(),
            version: opts.version,
            manifest_json_override: None,
            omit_manifest_json: false,
        }
    }

    /// The `manifest.json` bytes as written (older versions lack the keys
    /// their imgpkg did not have).
    pub fn manifest_json(&self) -> Vec<u8> {
        if let Some(o) = &self.manifest_json_override {
            return o.clone();
        }
        let json = manifest_json::to_json(&self.manifest);
        // Raw strings escape their quotes, so these key sequences can only
        // be structural.
        let drop = match self.version {
            TarVersion::Current => return json,
            TarVersion::PreV0_28 => ",\"OrigRef\":\"\"",
            TarVersion::PreV0_13 => ",\"OrigRef\":\"\",\"Labels\":null",
        };
        let text = String::from_utf8(json).expect("to_json writes UTF-8");
        text.replace(drop, "").into_bytes()
    }

    /// Replaces the bytes of the blob `digest` (keeping its name).
    pub fn set_blob(&mut self, digest: &Digest, data: BlobData) {
        for b in &mut self.blobs {
            if b.digest == *digest {
                b.data = data.clone();
            }
        }
    }

    /// Drops the blob `digest` from the tar.
    pub fn remove_blob(&mut self, digest: &Digest) {
        self.blobs.retain(|b| b.digest != *digest);
    }

    /// The top-level image descriptor whose manifest digest is `digest`.
    pub fn image_mut(&mut self, digest: &Digest) -> Option<&mut ImageDescriptor> {
        let d = digest.to_string();
        self.manifest
            .iter_mut()
            .filter_map(|i| i.image.as_mut())
            .find(|i| i.manifest.digest == d)
    }

    /// The top-level index descriptor whose digest is `digest`.
    pub fn index_mut(&mut self, digest: &Digest) -> Option<&mut IndexDescriptor> {
        let d = digest.to_string();
        self.manifest
            .iter_mut()
            .filter_map(|i| i.image_index.as_mut())
            .find(|i| i.digest == d)
    }

    fn blob_header(b: &TarBlob) -> Vec<u8> {
        layer_header(&b.digest, b.data.len()).expect("layer names always fit")
    }

    /// Total size of the tar in bytes.
    pub fn size(&self) -> u64 {
        let mut n = 0u64;
        if !self.omit_manifest_json {
            let m = self.manifest_json().len() as u64;
            n += tar::entry_header(MANIFEST_JSON, m, tar::DEFAULT_MODE)
                .expect("header")
                .len() as u64
                + m
                + tar::padding(m);
        }
        for b in &self.blobs {
            let len = b.data.len();
            n += Self::blob_header(b).len() as u64 + len + tar::padding(len);
        }
        n + tar::END_OF_ARCHIVE.len() as u64
    }

    /// Total bytes of layer data in the tar.
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.data.len()).sum()
    }

    /// Writes the tar to `w`, calling `hole` for the bytes of an all-zero
    /// blob (which writes them or skips over them).
    pub(super) fn write_stream<W: Write>(
        &self,
        w: &mut W,
        hole: &mut dyn FnMut(&mut W, u64) -> io::Result<()>,
    ) -> io::Result<()> {
        if !self.omit_manifest_json {
            let json = self.manifest_json();
            let len = json.len() as u64;
            w.write_all(
                &tar::entry_header(MANIFEST_JSON, len, tar::DEFAULT_MODE)
                    .map_err(io::Error::other)?,
            )?;
            w.write_all(&json)?;
            w.write_all(&vec![0u8; tar::padding(len) as usize])?;
        }
        let mut buf = vec![0u8; 1 << 20];
        for b in &self.blobs {
            w.write_all(&Self::blob_header(b))?;
            let len = b.data.len();
            match &b.data {
                BlobData::Zeros { len } => hole(w, *len)?,
                data => {
                    let mut r = data.reader();
                    loop {
                        let n = r.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        w.write_all(&buf[..n])?;
                    }
                }
            }
            w.write_all(&vec![0u8; tar::padding(len) as usize])?;
        }
        w.write_all(&tar::END_OF_ARCHIVE)
    }

    /// Writes the whole tar to `w` (zeros written out).
    pub fn write<W: Write>(&self, mut w: W) -> io::Result<W> {
        let zeros = vec![0u8; 1 << 20];
        self.write_stream(&mut w, &mut |w, mut n| {
            while n > 0 {
                let k = n.min(zeros.len() as u64) as usize;
                w.write_all(&zeros[..k])?;
                n -= k as u64;
            }
            Ok(())
        })?;
        Ok(w)
    }

    /// The tar in memory (for small tars).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(Vec::with_capacity(self.size() as usize))
            .expect("writing to memory")
    }
}

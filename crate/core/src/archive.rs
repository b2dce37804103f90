//! Opening an imgpkg tarball (`imgpkg copy … --to-tar`): index its entries
//! from headers only, parse `manifest.json`, and read every bundle's single
//! layer to find its `.imgpkg/images.yml`. Layer blobs are located, never
//! read: opening costs headers + `manifest.json` + bundle layers, whatever
//! the size of the tar. Headers are read in coalesced windows
//! ([`Windows::DEFAULT`]); the windows are kept (up to [`MAX_KEPT`]) so the
//! bundle layers they covered are not read again, and the remaining bundle
//! layers are read together where they lie close ([`source::read_ranges`]).

use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::bundle_layer::{clean_path, read_bundle_layer, IMAGES_YML, MAX_BUNDLE_LAYER};
use crate::digest::Digest;
use crate::imageset::{BundleImage, ImageSet, Layer, Node, NodeId, NodeKind, Problem};
use crate::imgpkg_tar::manifest_json::{self, ImageDescriptor, ImageOrIndex, IndexDescriptor};
use crate::lock::ImagesLock;
use crate::manifest::{media_type, ConfigFile, Manifest};
use crate::plan::BlobSource;
use crate::source::{self, ByteSource, KeepingSource};
use crate::tar::{self, EntryKind, TarEntry, TarError, TarIndex, Windows};

/// Name of the index entry in an imgpkg tar.
pub const MANIFEST_JSON: &str = "manifest.json";

/// The largest `manifest.json` accepted (it is read into memory).
pub const MAX_MANIFEST_JSON: u64 = 512 << 20;

/// The most bytes of the windows read while indexing kept in memory for the
/// bundle layers they cover (the rest is read again, coalesced).
pub const MAX_KEPT: u64 = 32 << 20;

/// imgpkg's hint for a missing tar entry.
pub fn not_found_in_tar(name: &str) -> String {
    format!("file {name} not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)")
}

/// Why a tar cannot be opened at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// The tar could not be indexed.
    #[error("{0}")]
    Tar(#[from] TarError),
    /// The tar has no `manifest.json` entry (imgpkg's message).
    #[error("{}", not_found_in_tar(MANIFEST_JSON))]
    MissingManifestJson,
    /// `manifest.json` is larger than
    /// [`MAX_MANIFEST_JSON_SIZE`](crate::imgpkg_tar::MAX_MANIFEST_JSON_SIZE).
    #[error("manifest.json is {size} bytes, more than the {limit} bytes Airlock reads")]
    ManifestJsonTooLarge {
        /// Its size, in bytes.
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// `manifest.json` does not parse (the parser's message).
    #[error("manifest.json: {0}")]
    ManifestJson(String),
}

/// An opened imgpkg tarball.
#[derive(Debug, Clone)]
pub struct Archive {
    /// Size of the tar file.
    pub size: u64,
    /// The tar's entries (headers only; data is read by range when needed).
    pub entries: TarIndex,
    /// The raw `manifest.json` bytes.
    pub manifest_json: Vec<u8>,
    /// The parsed `manifest.json`.
    pub descriptors: Vec<ImageOrIndex>,
    /// The images, indexes and bundles `manifest.json` describes, with layers located as tar
    /// ranges.
    pub set: ImageSet,
}

impl Archive {
    /// Opens a tar: reads headers, `manifest.json` and bundle layers only.
    pub async fn open<S: ByteSource + ?Sized>(src: &S) -> Result<Archive, ArchiveError> {
        let src = &KeepingSource::new(src, MAX_KEPT);
        let entries = tar::index_with(src, Windows::DEFAULT).await?;
        src.stop_keeping();
        Archive::open_indexed(src, entries).await
    }

    /// [`Archive::open`] of a tar whose entries are already indexed (by
    /// [`crate::formats::open_any`], which indexes once for every format):
    /// reads `manifest.json` and the bundle layers only, from the windows
    /// `src` kept while indexing where they cover them.
    pub async fn open_indexed<S: ByteSource + ?Sized>(
        src: &KeepingSource<'_, S>,
        entries: TarIndex,
    ) -> Result<Archive, ArchiveError> {
        let size = src.len();
        let Some(mj) = entries.get(MANIFEST_JSON) else {
            return Err(ArchiveError::MissingManifestJson);
        };
        if mj.size > MAX_MANIFEST_JSON {
            return Err(ArchiveError::ManifestJsonTooLarge {
                size: mj.size,
                limit: MAX_MANIFEST_JSON,
            });
        }
        let manifest_json = tar::read_entry(src, mj, MAX_MANIFEST_JSON).await?;
        let descriptors = manifest_json::parse(&manifest_json)
            .map_err(|e| ArchiveError::ManifestJson(e.to_string()))?;
        let mut builder = Builder {
            entries: &entries,
            set: ImageSet::default(),
        };
        for d in &descriptors {
            let id = match (&d.image_index, &d.image) {
                (Some(idx), _) => builder.add_index(idx, None),
                (None, Some(img)) => builder.add_image(img, None, None),
                (None, None) => {
                    builder.set.problems.push(Problem::new(
                        MANIFEST_JSON,
                        "an entry has neither \"Image\" nor \"ImageIndex\"",
                    ));
                    continue;
                }
            };
            builder.set.top.push(id);
        }
        let mut set = builder.set;
        read_bundles(src, &entries, &mut set).await;
        Ok(Archive {
            size,
            entries,
            manifest_json,
            descriptors,
            set,
        })
    }
}

impl Archive {
    /// Bytes of the entries whose bodies the indexer counts as small
    /// ([`Windows::small`]): their headers (with any PAX or long-name
    /// headers) and padded bodies.
    pub fn small_entry_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.size <= Windows::DEFAULT.small)
            .map(|e| e.end_offset() - e.header_offset)
            .sum()
    }

    /// What opening may read, in bytes: what reading header by header costs
    /// (`manifest.json`, the bundle layers, 512 bytes per entry and the two
    /// end blocks) plus what windows add: the small entries' bytes three
    /// times over (read in windows, and speculatively, each window at most
    /// twice the one before) and 2 KiB per large entry.
    pub fn read_budget(&self) -> u64 {
        let bundle_layers: u64 = self
            .set
            .bundles
            .values()
            .map(|b| self.set.nodes[b.node].layers_size())
            .sum();
        let large = self
            .entries
            .iter()
            .filter(|e| e.size > Windows::DEFAULT.small)
            .count() as u64;
        self.manifest_json.len() as u64
            + bundle_layers
            + 512 * (self.entries.len() as u64 + 2)
            + 3 * self.small_entry_bytes()
            + 2048 * (large + 1)
    }
}

struct Builder<'a> {
    entries: &'a TarIndex,
    set: ImageSet,
}

fn parse_digest(problems: &mut Vec<Problem>, subject: &str, field: &str, s: &str) -> Digest {
    match Digest::parse(s) {
        Ok(d) => d,
        Err(e) => {
            problems.push(Problem::new(subject, format!("{field}: {e}")));
            Digest::of(s.as_bytes())
        }
    }
}

fn first_ref(problems: &mut Vec<Problem>, refs: &[String], what: &str) -> String {
    match refs.first() {
        Some(r) => r.clone(),
        None => {
            problems.push(Problem::new(
                MANIFEST_JSON,
                format!("{what} has no Refs (expected [\"repo@sha256:…\"])"),
            ));
            String::new()
        }
    }
}

impl Builder<'_> {
    fn subject(source: &str, digest: &str) -> String {
        if source.is_empty() {
            format!("manifest.json entry {digest}")
        } else {
            source.to_string()
        }
    }

    fn add_image(
        &mut self,
        d: &ImageDescriptor,
        parent: Option<NodeId>,
        platform: Option<crate::manifest::Platform>,
    ) -> NodeId {
        let problems = &mut self.set.problems;
        let source = first_ref(problems, d.refs(), "an image");
        let subject = Self::subject(&source, &d.manifest.digest);
        let digest = parse_digest(problems, &subject, "Manifest.Digest", &d.manifest.digest);
        let config_digest = parse_digest(problems, &subject, "Config.Digest", &d.config.digest);
        let raw = Arc::new(d.manifest.raw.as_bytes().to_vec());
        let manifest = match Manifest::parse(raw.to_vec(), Some(&d.manifest.media_type)) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(Problem::new(&subject, format!("Manifest.Raw: {e}")));
                None
            }
        };
        let config_raw = Arc::new(d.config.raw.as_bytes().to_vec());
        let config = match ConfigFile::parse(config_raw.to_vec()) {
            Ok(c) => Some(Box::new(c)),
            Err(e) => {
                problems.push(Problem::new(&subject, format!("Config.Raw: {e}")));
                None
            }
        };
        let mut layers = Vec::new();
        for (i, l) in d.layers.iter().flatten().enumerate() {
            let ld = parse_digest(
                problems,
                &subject,
                &format!("Layers[{i}].Digest"),
                &l.digest,
            );
            let source = match self.entries.get(&ld.tar_entry_name()) {
                Some(e) if e.kind == EntryKind::Regular || e.kind == EntryKind::Contiguous => {
                    BlobSource::TarEntry {
                        offset: e.data_offset,
                        size: e.size,
                    }
                }
                _ => BlobSource::Skip,
            };
            layers.push(Layer {
                media_type: l.media_type.clone(),
                digest: ld,
                diff_id: l.diff_id.clone(),
                size: l.size,
                source,
            });
        }
        let node = Node {
            source,
            digest,
            media_type: d.manifest.media_type.clone(),
            raw,
            manifest,
            tag: d.tag.clone(),
            orig_ref: d.orig_ref.clone(),
            labels: d.labels.clone().unwrap_or_default().into_iter().collect(),
            kind: NodeKind::Image {
                config_digest,
                config_raw,
                config,
                layers,
            },
            parent,
            platform,
        };
        self.set.nodes.push(node);
        self.set.nodes.len() - 1
    }

    fn add_index(&mut self, d: &IndexDescriptor, parent: Option<NodeId>) -> NodeId {
        let problems = &mut self.set.problems;
        let source = first_ref(problems, d.refs(), "an index");
        let subject = Self::subject(&source, &d.digest);
        let digest = parse_digest(problems, &subject, "Digest", &d.digest);
        let raw = Arc::new(d.raw.as_bytes().to_vec());
        let manifest = match Manifest::parse(raw.to_vec(), Some(&d.media_type)) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(Problem::new(&subject, format!("Raw: {e}")));
                None
            }
        };
        let id = self.set.nodes.len();
        self.set.nodes.push(Node {
            source,
            digest,
            media_type: d.media_type.clone(),
            raw,
            manifest: manifest.clone(),
            tag: d.tag.clone(),
            orig_ref: d.orig_ref.clone(),
            labels: d.labels.clone().unwrap_or_default().into_iter().collect(),
            kind: NodeKind::Index {
                children: Vec::new(),
            },
            parent,
            platform: None,
        });
        // Children are listed in separate Images/Indexes lists; Raw is the
        // authority for their order and platforms.
        let descs = match &manifest {
            Some(Manifest::Index(i)) => i.manifests.clone(),
            _ => Vec::new(),
        };
        let platform_of = |digest: &str| {
            descs
                .iter()
                .find(|c| c.digest.to_string() == digest)
                .and_then(|c| c.platform.clone())
        };
        let mut children: Vec<(String, NodeId)> = Vec::new();
        for img in d.images.iter().flatten() {
            let p = platform_of(&img.manifest.digest);
            let c = self.add_image(img, Some(id), p);
            children.push((img.manifest.digest.clone(), c));
        }
        for idx in d.indexes.iter().flatten() {
            let c = self.add_index(idx, Some(id));
            if let Some(p) = platform_of(&idx.digest) {
                self.set.nodes[c].platform = Some(p);
            }
            children.push((idx.digest.clone(), c));
        }
        let pos = |dg: &str| {
            descs
                .iter()
                .position(|c| c.digest.to_string() == dg)
                .unwrap_or(usize::MAX)
        };
        children.sort_by_key(|(dg, _)| pos(dg));
        self.set.nodes[id].kind = NodeKind::Index {
            children: children.into_iter().map(|(_, c)| c).collect(),
        };
        id
    }
}

/// The single-layer entries of the bundles, read together in coalesced
/// windows (at most [`Windows::DEFAULT`]`.max` bytes a read) so that a
/// repository of a hundred bundles does not cost a hundred reads. Layers
/// larger than a window, and any a failed or short read leaves out, are read
/// on their own later (with their own error).
async fn prefetch_bundle_layers<S: ByteSource + ?Sized>(
    src: &KeepingSource<'_, S>,
    entries: &TarIndex,
    set: &ImageSet,
) -> BTreeMap<u64, Vec<u8>> {
    let max = Windows::DEFAULT.max as u64;
    let mut wanted: Vec<&TarEntry> = Vec::new();
    for node in set.nodes.iter().filter(|n| n.is_bundle()) {
        let NodeKind::Image { layers, .. } = &node.kind else {
            continue;
        };
        if let [layer] = layers.as_slice() {
            if let Some(e) = entries.get(&layer.digest.tar_entry_name()) {
                if e.size <= max
                    && !src.holds(e.data_range())
                    && !wanted.iter().any(|w| w.data_offset == e.data_offset)
                {
                    wanted.push(e);
                }
            }
        }
    }
    if wanted.len() < 2 {
        return BTreeMap::new();
    }
    let ranges: Vec<_> = wanted.iter().map(|e| e.data_range()).collect();
    let Ok(bodies) = source::read_ranges(src, &ranges, max).await else {
        return BTreeMap::new();
    };
    wanted
        .iter()
        .zip(bodies)
        .filter(|(e, b)| b.len() as u64 == e.size)
        .map(|(e, b)| (e.data_offset, b))
        .collect()
}

async fn read_bundles<S: ByteSource + ?Sized>(
    src: &KeepingSource<'_, S>,
    entries: &TarIndex,
    set: &mut ImageSet,
) {
    let by_digest = set.by_digest();
    let bundle_ids: Vec<NodeId> = (0..set.nodes.len())
        .filter(|&id| set.nodes[id].is_bundle())
        .collect();
    let prefetched = prefetch_bundle_layers(src, entries, set).await;
    let mut done: BTreeMap<Digest, NodeId> = BTreeMap::new();
    for id in bundle_ids {
        let node = &set.nodes[id];
        let digest = node.digest;
        if done.contains_key(&digest) {
            continue;
        }
        done.insert(digest, id);
        let subject = format!("bundle {}", node.source);
        let NodeKind::Image { layers, .. } = &node.kind else {
            continue;
        };
        if layers.len() != 1 {
            set.problems.push(Problem::new(
                &subject,
                format!(
                    "Expected bundle to only have a single layer, got {}",
                    layers.len()
                ),
            ));
            continue;
        }
        let layer = &layers[0];
        if layer.media_type != media_type::DOCKER_LAYER {
            set.problems.push(Problem::new(
                &subject,
                format!(
                    "Expected layer to have docker layer media type, was {}",
                    layer.media_type
                ),
            ));
            continue;
        }
        let entry_name = layer.digest.tar_entry_name();
        let Some(entry) = entries.get(&entry_name) else {
            set.problems
                .push(Problem::new(&subject, not_found_in_tar(&entry_name)));
            continue;
        };
        let read = match prefetched.get(&entry.data_offset).cloned() {
            Some(b) => Ok(b),
            None => tar::read_entry(src, entry, MAX_BUNDLE_LAYER).await,
        };
        let bytes = match read {
            Ok(b) => b,
            Err(e) => {
                set.problems.push(Problem::new(&subject, e.to_string()));
                continue;
            }
        };
        let files = match read_bundle_layer(&bytes).await {
            Ok(f) => f,
            Err(e) => {
                set.problems.push(Problem::new(&subject, e.to_string()));
                continue;
            }
        };
        let Some(images_yml) = files.iter().find(|f| f.path == IMAGES_YML) else {
            set.problems.push(Problem::new(
                &subject,
                "Expected to find .imgpkg/images.yml in bundle image",
            ));
            continue;
        };
        let images_yml = images_yml.contents.clone();
        let lock = match ImagesLock::parse(&images_yml, IMAGES_YML) {
            Ok(l) => l,
            Err(e) => {
                set.problems.push(Problem::new(
                    &subject,
                    format!("Unmarshalling ImagesLock from image with Digest '{digest}': {e}"),
                ));
                continue;
            }
        };
        let mut images = Vec::new();
        for li in &lock.images {
            let Some(d) = li
                .image
                .split_once('@')
                .and_then(|(_, d)| Digest::parse(d).ok())
            else {
                continue; // the lock parser guarantees digest references
            };
            let node = by_digest.get(&d).copied();
            if node.is_none() {
                set.problems.push(Problem::new(
                    &subject,
                    format!(
                        "image {} named in .imgpkg/images.yml is not in the tar",
                        li.image
                    ),
                ));
            }
            images.push(BundleImage {
                image: li.image.clone(),
                digest: d,
                node,
            });
        }
        set.insert_bundle(id, files, images_yml, lock, images);
    }
}

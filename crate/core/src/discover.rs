//! Registry sources (`imgpkg copy -b`, `-i`, `--lock`): walk the registry
//! and build the [`ImageSet`] to relocate, as imgpkg's source discovery does
//! (spec §4.2). The walk is written against [`RegistryReader`], so it does no
//! IO itself; the native edge implements the reader over its transport.
//!
//! ```text
//!  -i REF        GET manifest (+config)  ── a bundle? error ── index? every child
//!  -b REF        GET manifest + config   ── not a bundle? error
//!   └ bundle     GET its single layer → .imgpkg/images.yml
//!                GET locations image in the bundle's repo (404/401/403 = none)
//!                for each image: candidates [bundleRepo@d, image as written]
//!                  isBundle=false in locations → first candidate, no request
//!                  else HEAD (GET fallback) each until one exists
//!                GET manifest (+config); a bundle → walk it too
//!  --lock        BundleLock: like -b (tag from the lock, no OrigRef)
//!                ImagesLock: each image as a plain image, no tags
//!  --cosign-signatures: <repo>:sha256-<hex>.sig for every item (404/403 = none)
//! ```
//!
//! The result is flat and deduplicated by digest; every layer's source is
//! [`BlobSource::Registry`] with the repository the image was found in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::archive::{read_bundle_layer, IMAGES_YML, MAX_BUNDLE_LAYER};
use crate::bundle_layer::BundleLayerError;
use crate::digest::Digest;
use crate::imageset::{BundleImage, ImageSet, Layer, Node, NodeId, NodeKind, ROOT_BUNDLE_LABEL};
use crate::lock::{BundleLock, ImageLocations, ImagesLock, LockError};
use crate::manifest::{media_type, ConfigFile, Manifest, ManifestError, Platform};
use crate::plan::BlobSource;
use crate::reference::{Reference, ReferenceError, Repository};
use crate::registry::read::{FetchedImage, LocationsImage};
use crate::registry::RegistryError;

/// What the walk needs from a registry. Futures need not be `Send` (the
/// browser's are not).
#[allow(async_fn_in_trait)] // implemented in this crate only; no Send bound wanted
pub trait RegistryReader {
    /// The manifest (digest-verified) and, for an image with `with_config`,
    /// its config blob; `None` when the manifest does not exist.
    async fn fetch_image(
        &mut self,
        reference: &Reference,
        with_config: bool,
    ) -> Result<Option<FetchedImage>, RegistryError>;
    /// A blob's bytes (digest-verified), at most `max` bytes.
    async fn fetch_blob(
        &mut self,
        repository: &Repository,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError>;
    /// Whether `repository@digest` exists (HEAD, GET fallback).
    async fn exists(
        &mut self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<bool, RegistryError>;
    /// The bundle's locations image in `repository` (`None`: 404/401/403).
    async fn fetch_locations(
        &mut self,
        repository: &Repository,
        bundle: &Digest,
    ) -> Result<Option<LocationsImage>, RegistryError>;
}

/// A registry source.
#[derive(Debug, Clone)]
pub enum Source {
    /// `-i REF`
    Image(Reference),
    /// `-b REF`
    Bundle(Reference),
    /// `--lock` holding a BundleLock
    BundleLock(BundleLock),
    /// `--lock` holding an ImagesLock
    ImagesLock(ImagesLock),
}

/// Discovery options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// `--cosign-signatures`
    pub cosign_signatures: bool,
}

/// Why a source cannot be read; the message is imgpkg's where it has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoverError {
    /// `-b` named a plain image ([`NOT_A_BUNDLE`]).
    #[error("{}", NOT_A_BUNDLE)]
    NotABundle,
    /// `-i` named a bundle ([`BUNDLE_WITH_IMAGE_FLAG`]).
    #[error("{}", BUNDLE_WITH_IMAGE_FLAG)]
    BundleWithImageFlag,
    /// An ImagesLock given with `--lock` lists a bundle ([`BUNDLE_IN_IMAGES_LOCK`]).
    #[error("{}", BUNDLE_IN_IMAGES_LOCK)]
    BundleInImagesLock,
    /// The registry does not have the manifest.
    #[error("{}", manifest_unknown(reference))]
    ManifestUnknown {
        /// The reference that was asked for.
        reference: String,
    },
    /// Fetching `reference` failed.
    #[error("Working with {reference}: {source}")]
    Fetch {
        /// The reference that was fetched.
        reference: String,
        /// The registry's error.
        #[source]
        source: RegistryError,
    },
    /// The manifest of `reference` does not parse.
    #[error("Working with {reference}: {source}")]
    InvalidManifest {
        /// The reference whose manifest it is.
        reference: String,
        /// The manifest parser's error.
        #[source]
        source: ManifestError,
    },
    /// The `bundle.image` of a BundleLock is not a valid digest reference.
    #[error("Validating bundle lock: {0}")]
    BundleLockReference(#[source] ReferenceError),
    /// An `image:` of an ImagesLock is not a valid digest reference.
    #[error("Validating images lock: {0}")]
    ImagesLockReference(#[source] ReferenceError),
    /// The bundle image does not have exactly one layer (the count is given).
    #[error("Reading Images from Bundle: Reading ImagesLock file: Expected bundle to only have a single layer, got {0}")]
    BundleLayerCount(usize),
    /// The bundle's layer is not a Docker gzip layer (its media type is given).
    #[error("Reading Images from Bundle: Reading ImagesLock file: Expected layer to have docker layer media type, was {0}")]
    BundleLayerMediaType(String),
    /// The bundle's layer cannot be decompressed or read as a tar.
    #[error("Reading Images from Bundle: Reading ImagesLock file: {0}")]
    BundleLayer(#[source] BundleLayerError),
    /// The bundle's layer has no `.imgpkg/images.yml`.
    #[error("Reading Images from Bundle: Reading ImagesLock file: Expected to find .imgpkg/images.yml in bundle image")]
    NoImagesYml,
    /// The bundle's `.imgpkg/images.yml` is not a valid ImagesLock.
    #[error("Reading Images from Bundle: Reading ImagesLock file: Unmarshalling ImagesLock from image with Digest '{digest}': {source}")]
    ImagesYml {
        /// The bundle's manifest digest.
        digest: Digest,
        /// The lock parser's error.
        #[source]
        source: LockError,
    },
    /// The locations image's layer cannot be read.
    #[error("{0}")]
    LocationsLayer(#[source] BundleLayerError),
    /// The image-locations image has no `image-locations.yml`.
    #[error("Expected to find image-locations.yml in location image")]
    NoLocationsFile,
    /// `image-locations.yml` is not a valid ImageLocations document.
    #[error("{0}")]
    LocationsFile(#[source] LockError),
    /// Reading an existing locations image failed.
    #[error("Fetching location image: {0}")]
    Locations(#[source] Box<DiscoverError>),
    /// Looking for the locations image failed.
    #[error("{0}")]
    LocationsFetch(#[source] RegistryError),
    /// No candidate repository has the image; `reference` is the last tried.
    #[error("Checking image existence: {reference}: MANIFEST_UNKNOWN: manifest unknown")]
    ImageMissing {
        /// The reference in the last repository tried.
        reference: String,
    },
    /// Checking the last candidate repository failed.
    #[error("Checking image existence: {0}")]
    ImageExistence(#[source] RegistryError),
    /// An item's repository is not valid for its signature tag.
    #[error("{0}")]
    SignatureRepository(#[source] ReferenceError),
    /// Fetching the cosign signature of an image failed (`--cosign-signatures`).
    #[error("Fetching signature for image '{image}': {source}")]
    Signature {
        /// The image whose signature was looked up.
        image: String,
        /// The registry's error.
        #[source]
        source: RegistryError,
    },
}

/// imgpkg's text when `-b` names a plain image.
pub const NOT_A_BUNDLE: &str =
    "Expected bundle image but found plain image (hint: Did you use -i instead of -b?)";
/// imgpkg's text when `-i` names a bundle.
pub const BUNDLE_WITH_IMAGE_FLAG: &str =
    "Expected bundle flag when copying a bundle (hint: Use -b instead of -i for bundles)";
/// imgpkg's text when `--lock` gives an ImagesLock that lists a bundle.
pub const BUNDLE_IN_IMAGES_LOCK: &str =
    "Unable to copy bundles using an Images Lock file (hint: Create a bundle with these images)";

/// ggcr/imgpkg's text for a manifest the registry does not have.
pub fn manifest_unknown(reference: &str) -> String {
    format!(
        "Working with {reference}: Encountered an error most likely because this image is in Docker Registry v1 format; only v2 or OCI image format is supported (underlying error: MANIFEST_UNKNOWN: manifest unknown; {reference})"
    )
}

/// Reads a locations image's `image-locations.yml`.
pub async fn read_locations(image: &LocationsImage) -> Result<ImageLocations, DiscoverError> {
    let files = read_bundle_layer(&image.layer)
        .await
        .map_err(DiscoverError::LocationsLayer)?;
    let file = files
        .iter()
        .find(|f| f.path.rsplit('/').next() == Some(crate::imagebuild::LOCATIONS_FILE))
        .ok_or(DiscoverError::NoLocationsFile)?;
    ImageLocations::parse(&file.contents, crate::imagebuild::LOCATIONS_FILE)
        .map_err(DiscoverError::LocationsFile)
}

struct Walker<'a, R: RegistryReader> {
    reader: &'a mut R,
    set: ImageSet,
    top_by_digest: HashMap<Digest, NodeId>,
}

/// Walks `source` and returns the set to copy.
pub async fn discover<R: RegistryReader>(
    reader: &mut R,
    source: &Source,
    opts: DiscoverOptions,
) -> Result<ImageSet, DiscoverError> {
    let mut w = Walker {
        reader,
        set: ImageSet::default(),
        top_by_digest: HashMap::new(),
    };
    match source {
        Source::Image(r) => {
            let f = w.fetch_required(r).await?;
            if f.is_bundle() {
                return Err(DiscoverError::BundleWithImageFlag);
            }
            let tag = r.tag().unwrap_or_default().to_string();
            w.add_top(r.repository(), f, tag, String::new(), BTreeMap::new())
                .await?;
        }
        Source::Bundle(r) => {
            let orig = |d: &Digest| r.repository().at(d).name();
            w.root_bundle(r, r.tag().unwrap_or_default().to_string(), Some(&orig))
                .await?;
        }
        Source::BundleLock(l) => {
            let r = l.reference().map_err(DiscoverError::BundleLockReference)?;
            w.root_bundle(&r, l.tag.clone().unwrap_or_default(), None)
                .await?;
        }
        Source::ImagesLock(l) => {
            for img in &l.images {
                let r = img
                    .reference()
                    .map_err(DiscoverError::ImagesLockReference)?;
                let f = w.fetch_required(&r).await?;
                if f.is_bundle() {
                    return Err(DiscoverError::BundleInImagesLock);
                }
                w.add_top(
                    r.repository(),
                    f,
                    String::new(),
                    img.image.clone(),
                    BTreeMap::new(),
                )
                .await?;
            }
        }
    }
    if opts.cosign_signatures {
        w.signatures().await?;
    }
    Ok(w.set)
}

impl<R: RegistryReader> Walker<'_, R> {
    async fn fetch_required(&mut self, r: &Reference) -> Result<FetchedImage, DiscoverError> {
        match self.reader.fetch_image(r, true).await {
            Ok(Some(f)) => Ok(f),
            Ok(None) => Err(DiscoverError::ManifestUnknown {
                reference: r.name(),
            }),
            Err(e) => Err(DiscoverError::Fetch {
                reference: r.name(),
                source: e,
            }),
        }
    }

    async fn root_bundle(
        &mut self,
        r: &Reference,
        tag: String,
        orig_ref: Option<&dyn Fn(&Digest) -> String>,
    ) -> Result<(), DiscoverError> {
        let f = self.fetch_required(r).await?;
        if !f.is_bundle() {
            return Err(DiscoverError::NotABundle);
        }
        let orig = orig_ref.map(|o| o(&f.manifest.digest)).unwrap_or_default();
        let mut labels = BTreeMap::new();
        labels.insert(ROOT_BUNDLE_LABEL.to_string(), String::new());
        let root = self.add_top(r.repository(), f, tag, orig, labels).await?;
        let mut queue = vec![(root, r.repository().clone())];
        let mut walked: Vec<Digest> = Vec::new();
        while let Some((id, repo)) = queue.pop() {
            let digest = self.set.nodes[id].digest;
            if walked.contains(&digest) {
                continue;
            }
            walked.push(digest);
            let nested = self.walk_bundle(id, &repo).await?;
            queue.extend(nested);
        }
        Ok(())
    }

    /// Reads one bundle's ImagesLock and adds its images; returns the nested
    /// bundles found (node, repository found in).
    async fn walk_bundle(
        &mut self,
        id: NodeId,
        repo: &Repository,
    ) -> Result<Vec<(NodeId, Repository)>, DiscoverError> {
        let node = &self.set.nodes[id];
        let digest = node.digest;
        let bundle_ref = repo.at(&digest).name();
        let NodeKind::Image { layers, .. } = &node.kind else {
            return Err(DiscoverError::NotABundle);
        };
        if layers.len() != 1 {
            return Err(DiscoverError::BundleLayerCount(layers.len()));
        }
        if layers[0].media_type != media_type::DOCKER_LAYER {
            return Err(DiscoverError::BundleLayerMediaType(
                layers[0].media_type.clone(),
            ));
        }
        let layer_digest = layers[0].digest;
        let bytes = self
            .reader
            .fetch_blob(repo, &layer_digest, MAX_BUNDLE_LAYER)
            .await
            .map_err(|e| DiscoverError::Fetch {
                reference: bundle_ref,
                source: e,
            })?;
        let files = read_bundle_layer(&bytes)
            .await
            .map_err(DiscoverError::BundleLayer)?;
        let Some(images_yml) = files.iter().find(|f| f.path == IMAGES_YML) else {
            return Err(DiscoverError::NoImagesYml);
        };
        let images_yml = images_yml.contents.clone();
        let lock = ImagesLock::parse(&images_yml, IMAGES_YML)
            .map_err(|source| DiscoverError::ImagesYml { digest, source })?;
        let locations = match self.reader.fetch_locations(repo, &digest).await {
            Ok(Some(img)) => Some(
                read_locations(&img)
                    .await
                    .map_err(|e| DiscoverError::Locations(Box::new(e)))?,
            ),
            Ok(None) => None,
            Err(e) => return Err(DiscoverError::LocationsFetch(e)),
        };
        let mut images = Vec::new();
        let mut nested = Vec::new();
        for li in &lock.images {
            let Some(d) = li.digest() else { continue };
            let hint = locations.as_ref().and_then(|l| {
                l.images
                    .iter()
                    .find(|x| x.image.rsplit_once('@').map(|p| p.1) == Some(&d.to_string()))
                    .map(|x| x.is_bundle)
            });
            let orig = li.reference().map_err(DiscoverError::ImagesLockReference)?;
            let candidates = [repo.clone(), orig.repository().clone()];
            let found = if hint == Some(false) {
                candidates[0].clone()
            } else {
                self.probe(&candidates, &d).await?
            };
            let node = match self.top_by_digest.get(&d) {
                Some(&n) => n,
                None => {
                    let r = found.at(&d);
                    let f = self.fetch_required(&r).await?;
                    let n = self
                        .add_top(&found, f, String::new(), li.image.clone(), BTreeMap::new())
                        .await?;
                    if self.set.nodes[n].is_bundle() {
                        nested.push((n, found.clone()));
                    }
                    n
                }
            };
            images.push(BundleImage {
                image: li.image.clone(),
                digest: d,
                node: Some(node),
            });
        }
        self.set.insert_bundle(id, files, images_yml, lock, images);
        Ok(nested)
    }

    async fn probe(
        &mut self,
        candidates: &[Repository],
        digest: &Digest,
    ) -> Result<Repository, DiscoverError> {
        let mut last = DiscoverError::ImageMissing {
            reference: String::new(),
        };
        for c in candidates {
            match self.reader.exists(c, digest).await {
                Ok(true) => return Ok(c.clone()),
                Ok(false) => {
                    last = DiscoverError::ImageMissing {
                        reference: c.at(digest).name(),
                    }
                }
                Err(e) => last = DiscoverError::ImageExistence(e),
            }
        }
        Err(last)
    }

    /// Adds a top-level item (deduplicated by digest).
    async fn add_top(
        &mut self,
        repo: &Repository,
        f: FetchedImage,
        tag: String,
        orig_ref: String,
        labels: BTreeMap<String, String>,
    ) -> Result<NodeId, DiscoverError> {
        if let Some(&id) = self.top_by_digest.get(&f.manifest.digest) {
            return Ok(id);
        }
        let id = self
            .add_node(repo, f, &tag, &orig_ref, &labels, None, None)
            .await?;
        self.set.top.push(id);
        self.top_by_digest.insert(self.set.nodes[id].digest, id);
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)] // one node's identity, spelled out
    async fn add_node(
        &mut self,
        repo: &Repository,
        f: FetchedImage,
        tag: &str,
        orig_ref: &str,
        labels: &BTreeMap<String, String>,
        parent: Option<NodeId>,
        platform: Option<Platform>,
    ) -> Result<NodeId, DiscoverError> {
        let digest = f.manifest.digest;
        let source = repo.at(&digest).name();
        let raw = Arc::new(f.manifest.raw.clone());
        let manifest = Manifest::parse(f.manifest.raw.clone(), Some(&f.manifest.media_type))
            .map_err(|e| DiscoverError::InvalidManifest {
                reference: source.clone(),
                source: e,
            })?;
        let node = |kind| Node {
            source: source.clone(),
            digest,
            media_type: f.manifest.media_type.clone(),
            raw: raw.clone(),
            manifest: Some(manifest.clone()),
            tag: tag.to_string(),
            orig_ref: orig_ref.to_string(),
            labels: labels.clone(),
            kind,
            parent,
            platform: platform.clone(),
        };
        match &manifest {
            Manifest::Image(img) => {
                let config_raw = f.config.clone().unwrap_or_default();
                let config = ConfigFile::parse(config_raw.clone()).ok();
                let layers = img
                    .layers
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Layer {
                        media_type: l.media_type.clone(),
                        digest: l.digest,
                        diff_id: if media_type::is_layer(&l.media_type) {
                            config
                                .as_ref()
                                .and_then(|c| c.diff_ids.get(i).cloned())
                                .unwrap_or_default()
                        } else {
                            String::new()
                        },
                        size: l.size,
                        source: BlobSource::Registry {
                            repository: repo.clone(),
                        },
                    })
                    .collect();
                let kind = NodeKind::Image {
                    config_digest: img.config.digest,
                    config_raw: Arc::new(config_raw),
                    config: config.map(Box::new),
                    layers,
                };
                self.set.nodes.push(node(kind));
                Ok(self.set.nodes.len() - 1)
            }
            Manifest::Index(idx) => {
                let id = self.set.nodes.len();
                self.set.nodes.push(node(NodeKind::Index {
                    children: Vec::new(),
                }));
                let mut children = Vec::new();
                for c in &idx.manifests {
                    let r = repo.at(&c.digest);
                    let cf = self.fetch_required(&r).await?;
                    let cid = Box::pin(self.add_node(
                        repo,
                        cf,
                        tag,
                        orig_ref,
                        labels,
                        Some(id),
                        c.platform.clone(),
                    ))
                    .await?;
                    children.push(cid);
                }
                self.set.nodes[id].kind = NodeKind::Index { children };
                Ok(id)
            }
        }
    }

    async fn signatures(&mut self) -> Result<(), DiscoverError> {
        let items: Vec<NodeId> = self.set.top.clone();
        for id in items {
            let node = &self.set.nodes[id];
            let Some((repo, _)) = node.source.rsplit_once('@') else {
                continue;
            };
            let repo = Repository::parse(repo).map_err(DiscoverError::SignatureRepository)?;
            let sig_tag = format!("{}.sig", node.digest.tag_form());
            let r = repo.tagged(&sig_tag);
            let f = match self.reader.fetch_image(&r, true).await {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) if e.status() == Some(403) => continue,
                Err(e) => {
                    return Err(DiscoverError::Signature {
                        image: node.source.clone(),
                        source: e,
                    })
                }
            };
            self.add_top(&repo, f, sig_tag, String::new(), BTreeMap::new())
                .await?;
        }
        Ok(())
    }
}

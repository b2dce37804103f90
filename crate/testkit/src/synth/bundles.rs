//! Bundles as `imgpkg push -b` builds them, and their `images.yml`.

use airlock_core::imagebuild;
use airlock_core::lock::{ImagesLock, LockedImage};
use airlock_core::manifest::media_type;

use super::{BlobData, SynthImage, SynthLayer, KBLD_ID};

/// One entry of an `images.yml`: the reference as written and its
/// annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// The reference as written.
    pub image: String,
    /// Its annotations, in order.
    pub annotations: Vec<(String, String)>,
}

impl LockEntry {
    /// `image` with a `kbld.carvel.dev/id` annotation.
    pub fn kbld(image: impl Into<String>, id: impl Into<String>) -> LockEntry {
        LockEntry {
            image: image.into(),
            annotations: vec![(KBLD_ID.to_string(), id.into())],
        }
    }
}

/// An `.imgpkg/images.yml` as kbld (`--imgpkg-lock-output`) writes it:
/// `---`, sorted keys, references exactly as given.
pub fn images_yml(entries: &[LockEntry]) -> String {
    ImagesLock {
        images: entries
            .iter()
            .map(|e| LockedImage {
                image: e.image.clone(),
                original: e.image.clone(),
                annotations: e.annotations.clone(),
            })
            .collect(),
    }
    .to_yaml()
}

/// The bundle `imgpkg push -b -f DIR` builds for `files` (paths relative to
/// DIR, file modes, contents) plus `.imgpkg/images.yml` listing `images`.
pub fn bundle(files: &[(String, u32, Vec<u8>)], images: &[LockEntry]) -> SynthImage {
    let mut all: Vec<(String, u32, Vec<u8>)> = files.to_vec();
    all.push((
        ".imgpkg/images.yml".into(),
        0o644,
        images_yml(images).into_bytes(),
    ));
    let mut b = bundle_from_files(&all);
    b.bundle = Some(BundleContent {
        files: all,
        images: images.to_vec(),
    });
    b
}

/// The bundle image for exactly `files` (which may lack `images.yml`; for
/// malformed bundles). `bundle` content is set only if there is an
/// `images.yml` the registry can read back.
pub fn bundle_from_files(files: &[(String, u32, Vec<u8>)]) -> SynthImage {
    let built = imagebuild::bundle_image(files);
    let images = files
        .iter()
        .find(|(p, _, _)| p == ".imgpkg/images.yml")
        .and_then(|(_, _, c)| ImagesLock::parse(c, "images.yml").ok())
        .map(|l| {
            l.images
                .into_iter()
                .map(|i| LockEntry {
                    image: i.original,
                    annotations: i.annotations,
                })
                .collect()
        });
    SynthImage {
        media_type: media_type::DOCKER_MANIFEST.into(),
        digest: built.manifest_digest,
        manifest_raw: built.manifest_raw,
        config_media_type: media_type::DOCKER_CONFIG.into(),
        config_raw: built.config_raw,
        config_digest: built.config_digest,
        layers: vec![SynthLayer {
            media_type: media_type::DOCKER_LAYER.into(),
            digest: built.layer_digest,
            diff_id: built.diff_id.to_string(),
            data: BlobData::bytes(built.layer),
        }],
        architecture: String::new(),
        os: String::new(),
        bundle: images.map(|images| BundleContent {
            files: files.to_vec(),
            images,
        }),
    }
}

/// A file of a bundle with mode 0644.
pub fn file(path: &str, contents: impl Into<Vec<u8>>) -> (String, u32, Vec<u8>) {
    (path.to_string(), 0o644, contents.into())
}

/// A bundle's content, kept so the source registry can walk the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleContent {
    /// Files of the bundle layer (`path`, mode, contents).
    pub files: Vec<(String, u32, Vec<u8>)>,
    /// The `.imgpkg/images.yml` entries as written.
    pub images: Vec<LockEntry>,
}

/// A Deployment naming each image by its kbld id (what a bundle's config
/// would hold).
pub(super) fn deployment_yml(name: &str, images: &[LockEntry]) -> String {
    let mut s = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n"
    );
    for (i, e) in images.iter().enumerate() {
        let id = e
            .annotations
            .iter()
            .find(|(k, _)| k == KBLD_ID)
            .map_or(e.image.as_str(), |(_, v)| v.as_str());
        s.push_str(&format!("      - name: c{i}\n        image: {id}\n"));
    }
    s
}

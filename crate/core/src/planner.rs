//! The pure relocation planner: an [`ImageSet`] + a destination repository +
//! options → the complete [`RelocationPlan`], the image-locations images
//! (byte-for-byte as imgpkg builds them), the `--lock-output` document and,
//! for every bundle, the `images.yml` that `imgpkg pull -b` would write.
//!
//! Rules (spec §4, §5, §3.3): everything goes into the single repository `R`
//! at the same digest; every top-level item is uploaded by
//! `sha256-<hex>.imgpkg` (or the `--repo-based-tags` form); index children
//! by digest; one locations image per bundle reachable from the root bundle;
//! original tags last.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::archive::not_found_in_tar;
use crate::digest::Digest;
use crate::imagebuild;
use crate::imageset::{ImageSet, NodeId, NodeKind};
use crate::lock::{self, BundleLock, ImageLocation, ImageLocations, ImagesLock, LockedImage};
use crate::manifest::{media_type, Manifest};
use crate::plan::{
    BlobSource, ItemKind, PlannedBlob, PlannedItem, PlannedManifest, PlannedTag, RelocationPlan,
};
use crate::reference::Repository;

/// Options that change the plan (imgpkg's flag names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--repo-based-tags`
    pub repo_based_tags: bool,
    /// `--include-non-distributable-layers`
    pub include_non_distributable_layers: bool,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A layer the plan needs is not in the tar (imgpkg's message, naming the missing
    /// `sha256-<hex>.tar.gz`).
    #[error("{}", not_found_in_tar(.0))]
    MissingBlob(String),
    /// A bundle's `.imgpkg/images.yml` names an image the source does not hold.
    #[error(
        "bundle {bundle} names image {image} in .imgpkg/images.yml, but it is not in the source"
    )]
    MissingBundleImage {
        /// The bundle's source reference.
        bundle: String,
        /// The `image:` value that is missing.
        image: String,
    },
    /// The source is inconsistent in a way the planner cannot work around (a bundle whose
    /// `images.yml` could not be read, ...).
    #[error("{subject}: {message}")]
    Invalid {
        /// What is at fault.
        subject: String,
        /// What is wrong with it.
        message: String,
    },
    /// `--lock-output` needs a root bundle, and the source has bundles but
    /// none marked as root (imgpkg's wording).
    #[error("Unable to determine correct root bundle to use for lock-output. hint: if copying from a tarball, try re-generating the tarball")]
    NoRootBundle,
}

/// What happens to one bundle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BundlePlan {
    /// The bundle's manifest digest.
    pub digest: Digest,
    /// Where it came from (`Refs[0]`).
    pub source: String,
    /// Where it goes (`REPO@sha256:...`).
    pub destination: String,
    /// The `image-locations.yml` in its locations image.
    pub locations_yml: String,
    /// The digest of its locations image.
    pub locations_digest: Digest,
    /// The locations image's tag (`sha256-<bundle hex>.image-locations.imgpkg`).
    pub locations_tag: String,
    /// `.imgpkg/images.yml` as `imgpkg pull -b R@digest` writes it.
    pub pulled_images_yml: String,
}

/// A row of the mapping table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanRow {
    /// What the item is.
    pub kind: ItemKind,
    /// Where it came from.
    pub source: String,
    /// Where it goes (`REPO@sha256:...`).
    pub destination: String,
    /// The tags it gets at the destination, upload tag first.
    pub tags: Vec<String>,
}

/// The planner's full output.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOutput {
    /// The plan to run.
    pub plan: RelocationPlan,
    /// One entry per bundle, in bundle-graph order.
    pub bundles: Vec<BundlePlan>,
    /// The `--lock-output` document, or why there can be none.
    pub lock_output: Result<String, PlanError>,
    /// Warnings imgpkg would print (non-distributable layers).
    pub warnings: Vec<String>,
}

/// imgpkg's default upload tag, `sha256-<hex>.imgpkg`.
pub fn default_tag(digest: &Digest) -> String {
    digest.imgpkg_tag()
}

/// imgpkg's `--repo-based-tags` upload tag (`RepoBasedTagGenerator`).
pub fn repo_based_tag(orig_ref: &str, source: &str, digest: &Digest) -> String {
    let from = if orig_ref.is_empty() {
        source
    } else {
        orig_ref
    };
    let repo_path = from.split('@').next().unwrap_or("");
    let joined = repo_path.split('/').skip(1).collect::<Vec<_>>().join("-");
    let clean = |s: &str| -> String {
        let lead_ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let body_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        s.trim_start_matches(|c: char| !lead_ok(c))
            .chars()
            .filter(|&c| body_ok(c))
            .collect()
    };
    let cleaned = clean(&joined);
    let start = cleaned.len().saturating_sub(49);
    let tail = clean(&cleaned[start..]);
    let mut tag = format!("{tail}-sha256-{}.imgpkg", digest.hex());
    if tag.starts_with('-') {
        tag.remove(0);
    }
    tag.replace(':', "-")
}

struct Ctx<'a> {
    set: &'a ImageSet,
    opts: PlanOptions,
    skipped: BTreeMap<String, Vec<Digest>>,
    non_distributable_seen: bool,
}

impl Ctx<'_> {
    fn manifest(&mut self, id: NodeId) -> Result<PlannedManifest, PlanError> {
        let node = &self.set.nodes[id];
        let mut blobs = Vec::new();
        let mut children = Vec::new();
        match &node.kind {
            NodeKind::Image {
                config_digest,
                config_raw,
                layers,
                ..
            } => {
                let config_mt = match &node.manifest {
                    Some(Manifest::Image(m)) => m.config.media_type.clone(),
                    _ => media_type::DOCKER_CONFIG.to_string(),
                };
                blobs.push(PlannedBlob {
                    digest: *config_digest,
                    size: config_raw.len() as u64,
                    media_type: config_mt,
                    source: BlobSource::Inline(config_raw.clone()),
                });
                for l in layers {
                    let nd = media_type::is_non_distributable(&l.media_type);
                    if nd {
                        self.non_distributable_seen = true;
                    }
                    let source = match &l.source {
                        _ if nd && !self.opts.include_non_distributable_layers => {
                            self.skipped
                                .entry(node.source.clone())
                                .or_default()
                                .push(l.digest);
                            BlobSource::Skip
                        }
                        BlobSource::Skip => {
                            return Err(PlanError::MissingBlob(l.digest.tar_entry_name()))
                        }
                        s => s.clone(),
                    };
                    blobs.push(PlannedBlob {
                        digest: l.digest,
                        size: l.size,
                        media_type: l.media_type.clone(),
                        source,
                    });
                }
            }
            NodeKind::Index { children: kids } => {
                for &c in kids {
                    children.push(self.manifest(c)?);
                }
            }
        }
        Ok(PlannedManifest {
            digest: node.digest,
            media_type: node.media_type.clone(),
            raw: node.raw.clone(),
            blobs,
            children,
        })
    }
}

/// Plans the copy of `set` into `repo`.
pub fn plan(set: &ImageSet, repo: &Repository, opts: PlanOptions) -> Result<PlanOutput, PlanError> {
    let mut ctx = Ctx {
        set,
        opts,
        skipped: BTreeMap::new(),
        non_distributable_seen: false,
    };
    let mut items: Vec<PlannedItem> = Vec::new();
    let mut seen: HashMap<Digest, usize> = HashMap::new();
    let mut tags: Vec<PlannedTag> = Vec::new();
    let mut tag_names: HashSet<String> = HashSet::new();
    for &id in &set.top {
        let node = &set.nodes[id];
        if !node.tag.is_empty() && tag_names.insert(node.tag.clone()) {
            tags.push(PlannedTag {
                tag: node.tag.clone(),
                digest: node.digest,
                media_type: node.media_type.clone(),
                raw: node.raw.clone(),
            });
        }
        if let Some(&at) = seen.get(&node.digest) {
            // The same digest reached through another repository is another
            // tar entry, which imgpkg uploads by its own tag: with
            // --repo-based-tags that is a second tag on the same manifest.
            if opts.repo_based_tags {
                let tag = repo_based_tag(&node.orig_ref, &node.source, &node.digest);
                if !items[at].tags.contains(&tag) {
                    items[at].tags.push(tag);
                }
            }
            continue;
        }
        let kind = if node.is_signature() {
            ItemKind::Signature
        } else if node.is_bundle() {
            ItemKind::Bundle
        } else if node.is_index() {
            ItemKind::Index
        } else {
            ItemKind::Image
        };
        let upload_tag = if opts.repo_based_tags {
            repo_based_tag(&node.orig_ref, &node.source, &node.digest)
        } else {
            default_tag(&node.digest)
        };
        let manifest = ctx.manifest(id)?;
        seen.insert(node.digest, items.len());
        items.push(PlannedItem {
            kind,
            source: node.source.clone(),
            orig_ref: (!node.orig_ref.is_empty()).then(|| node.orig_ref.clone()),
            destination: repo.at(&node.digest),
            manifest,
            tags: vec![upload_tag],
        });
    }

    let mut bundles = Vec::new();
    let mut locations = Vec::new();
    for bid in set.bundle_graph() {
        let node = &set.nodes[bid];
        let Some(bundle) = set.bundles.get(&bid) else {
            return Err(PlanError::Invalid {
                subject: format!("bundle {}", node.source),
                message: "its .imgpkg/images.yml could not be read".into(),
            });
        };
        let mut entries: Vec<ImageLocation> = Vec::new();
        let mut by_digest: HashSet<Digest> = HashSet::new();
        let mut sorted = bundle.images.clone();
        sorted.sort_by(|a, b| a.image.cmp(&b.image));
        for img in &sorted {
            let Some(n) = img.node else {
                return Err(PlanError::MissingBundleImage {
                    bundle: node.source.clone(),
                    image: img.image.clone(),
                });
            };
            if by_digest.insert(img.digest) {
                entries.push(ImageLocation {
                    image: img.image.clone(),
                    is_bundle: set.nodes[n].is_bundle(),
                });
            }
        }
        let yml = ImageLocations { images: entries }.to_yaml();
        let built = imagebuild::locations_image(yml.as_bytes());
        let locations_tag = format!("{}.image-locations.imgpkg", node.digest.tag_form());
        locations.push(PlannedItem {
            kind: ItemKind::Locations,
            source: format!("locations of {}", node.source),
            orig_ref: None,
            destination: repo.at(&built.manifest_digest),
            manifest: PlannedManifest {
                digest: built.manifest_digest,
                media_type: media_type::DOCKER_MANIFEST.to_string(),
                raw: Arc::new(built.manifest_raw.clone()),
                blobs: vec![
                    PlannedBlob {
                        digest: built.config_digest,
                        size: built.config_raw.len() as u64,
                        media_type: media_type::DOCKER_CONFIG.to_string(),
                        source: BlobSource::Inline(Arc::new(built.config_raw.clone())),
                    },
                    PlannedBlob {
                        digest: built.layer_digest,
                        size: built.layer.len() as u64,
                        media_type: media_type::DOCKER_LAYER.to_string(),
                        source: BlobSource::Inline(Arc::new(built.layer.clone())),
                    },
                ],
                children: Vec::new(),
            },
            tags: vec![locations_tag.clone(), default_tag(&built.manifest_digest)],
        });
        bundles.push(BundlePlan {
            digest: node.digest,
            source: node.source.clone(),
            destination: repo.at(&node.digest).name(),
            locations_yml: yml,
            locations_digest: built.manifest_digest,
            locations_tag,
            pulled_images_yml: lock::relocated_images_yml(&bundle.lock, repo),
        });
    }

    let lock_output = lock_output(set, repo, &items);

    let mut warnings = Vec::new();
    if !ctx.skipped.is_empty() {
        let mut w = "Skipped the followings layer(s) due to it being non-distributable. If you would like to include non-distributable layers, use the --include-non-distributable-layers flag".to_string();
        for (src, digests) in &ctx.skipped {
            let dst = src
                .split_once('@')
                .map(|(_, d)| format!("{}@{d}", repo.name()))
                .unwrap_or_else(|| src.clone());
            w.push_str(&format!("\n - Image: {dst}\n   Layers:"));
            for d in digests {
                w.push_str(&format!("\n     - {d}"));
            }
        }
        warnings.push(w);
    } else if opts.include_non_distributable_layers && !ctx.non_distributable_seen {
        warnings.push("'--include-non-distributable-layers' flag provided, but no images contained a non-distributable layer.".to_string());
    }

    Ok(PlanOutput {
        plan: RelocationPlan {
            repository: repo.clone(),
            items,
            locations,
            tags,
        },
        bundles,
        lock_output,
        warnings,
    })
}

fn lock_output(
    set: &ImageSet,
    repo: &Repository,
    items: &[PlannedItem],
) -> Result<String, PlanError> {
    if let Some(root) = set.root_bundle() {
        let node = &set.nodes[root];
        return Ok(BundleLock {
            image: repo.at(&node.digest).name(),
            tag: (!node.tag.is_empty()).then(|| node.tag.clone()),
        }
        .to_yaml());
    }
    if set.has_bundles() {
        return Err(PlanError::NoRootBundle);
    }
    let mut sources: Vec<(&str, &Digest)> = items
        .iter()
        .map(|i| (i.source.as_str(), &i.manifest.digest))
        .collect();
    sources.sort();
    let images = sources
        .into_iter()
        .map(|(_, d)| {
            let image = repo.at(d).name();
            LockedImage {
                original: image.clone(),
                image,
                annotations: Vec::new(),
            }
        })
        .collect();
    Ok(ImagesLock { images }.to_yaml())
}

impl PlanOutput {
    /// The mapping table: every item, index child and locations image.
    pub fn rows(&self) -> Vec<PlanRow> {
        let mut rows = Vec::new();
        fn children(
            m: &PlannedManifest,
            repo: &Repository,
            src_repo: &str,
            rows: &mut Vec<PlanRow>,
        ) {
            for c in &m.children {
                rows.push(PlanRow {
                    kind: ItemKind::IndexChild,
                    source: format!("{src_repo}@{}", c.digest),
                    destination: repo.at(&c.digest).name(),
                    tags: Vec::new(),
                });
                children(c, repo, src_repo, rows);
            }
        }
        let repo = &self.plan.repository;
        for item in &self.plan.items {
            let mut tags = item.tags.clone();
            for t in &self.plan.tags {
                if t.digest == item.manifest.digest && !tags.contains(&t.tag) {
                    tags.push(t.tag.clone());
                }
            }
            rows.push(PlanRow {
                kind: item.kind,
                source: item.source.clone(),
                destination: item.destination.name(),
                tags,
            });
            let src_repo = item.source.split('@').next().unwrap_or("");
            children(&item.manifest, repo, src_repo, &mut rows);
        }
        for item in &self.plan.locations {
            rows.push(PlanRow {
                kind: item.kind,
                source: item.source.clone(),
                destination: item.destination.name(),
                tags: item.tags.clone(),
            });
        }
        rows
    }

    /// Every `(tag, digest)` the copy leaves in the repository, sorted by tag.
    pub fn final_tags(&self) -> Vec<(String, Digest, String)> {
        let mut out: Vec<(String, Digest, String)> = Vec::new();
        for item in self.plan.items.iter().chain(&self.plan.locations) {
            for t in &item.tags {
                out.push((
                    t.clone(),
                    item.manifest.digest,
                    item.manifest.media_type.clone(),
                ));
            }
        }
        for t in &self.plan.tags {
            out.push((t.tag.clone(), t.digest, t.media_type.clone()));
        }
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_based_tags_match_imgpkg_vectors() {
        let d = Digest::parse(
            "sha256:61cb2e3a8522bfd9d4b6219cb9e382df151ba6d4fcc4c96f870ee4e1cffbbf9c",
        )
        .unwrap();
        let h = d.hex();
        let cases = [
            ("index.docker.io/_test-repo/simple-app-test", "_test-repo-simple-app-test"),
            ("index.docker.io/*-test-repo/simple-app-test", "test-repo-simple-app-test"),
            ("index.docker.io/.test-repo/simple-app-test", "test-repo-simple-app-test"),
            ("index.docker.io/test-path/sample-path/verification-path/sample-path/test-repo/test-repo/simple-app-test", "h-sample-path-test-repo-test-repo-simple-app-test"),
            ("index.docker.io/tes%t-path/sample-path/verific&*ation-path*&^%$/sample-pa(th/test-repo/t)est-repo/simple-app-test", "h-sample-path-test-repo-test-repo-simple-app-test"),
            ("index.docker.io/test-path/dev-pkg-apiextensions-storageversion-cmd-migratee", "dev-pkg-apiextensions-storageversion-cmd-migratee"),
            ("index.docker.io/test-path/.dev-pkg-apiextensions-storageversion-cmd-migrate", "dev-pkg-apiextensions-storageversion-cmd-migrate"),
            ("index.docker.io/test-path/_dev-pkg-apiextensions-storageversion-cmd-migrate", "_dev-pkg-apiextensions-storageversion-cmd-migrate"),
            ("index.docker.io/test-path/dev-pkg-apiextensions-storageversion-cmd-migrate-test-image", "iextensions-storageversion-cmd-migrate-test-image"),
            ("index.docker.io/test-path/dev-pkg-ap.extensions-storageversion-cmd-migrate-test-image", "extensions-storageversion-cmd-migrate-test-image"),
            ("index.docker.io/test-path/dev-pkg-api_extensions-storageversion-cmd-migrate-test-image", "_extensions-storageversion-cmd-migrate-test-image"),
            ("index.docker.io/test-path/dev-pkg-api-extensions-storageversion-cmd-migrate-test-image", "extensions-storageversion-cmd-migrate-test-image"),
        ];
        for (orig, want) in cases {
            let tag = repo_based_tag(&format!("{orig}@{d}"), "", &d);
            assert_eq!(tag, format!("{want}-sha256-{h}.imgpkg"), "orig {orig}");
            assert!(tag.len() <= 128);
        }
        // Without OrigRef, the source ref is used.
        assert_eq!(
            repo_based_tag("", &format!("127.0.0.1:5000/src/app1@{d}"), &d),
            format!("src-app1-sha256-{h}.imgpkg")
        );
    }
}

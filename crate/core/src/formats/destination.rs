//! Where the images of an OCI layout or docker-archive land, and the plans
//! that put them there.
//!
//! A [`RelocationPlan`](crate::plan::RelocationPlan) copies into one
//! repository, so an archive whose images go to several repositories (a
//! prefix) gets one plan per repository, each made by the same
//! [`crate::planner`]. Each image is uploaded by its tag (the manifest is PUT
//! by the first tag, the others follow); an image the archive does not tag
//! is uploaded by imgpkg's `sha256-<hex>.imgpkg` tag so that it stays
//! reachable.

use super::{ArchiveImage, ImageArchive};
use crate::digest::Digest;
use crate::imageset::NodeId;
use crate::lock::{ImagesLock, LockedImage};
use crate::planner::{self, default_tag, PlanOptions, PlanOutput};
use crate::reference::Repository;

/// Why an imgpkg tar cannot go under a prefix (the CLI's and the page's
/// words): its plan targets one repository.
pub const PREFIX_FOR_IMGPKG: &str = "Flag --to-repo-prefix is for OCI layouts and docker-archives; an imgpkg tar goes to one --to-repo";

/// Where the images go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `--to-repo R`: every image into `R`, tags kept.
    Repository(Repository),
    /// `--to-repo-prefix P`: each image at `P/<its repository path>:<tag>`.
    Prefix(String),
}

/// Why the images cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// `--to-repo-prefix` needs the image's repository path, but the archive does not name the
    /// image.
    #[error("{image} has no name in the archive (no io.containerd.image.name or org.opencontainers.image.ref.name annotation, no RepoTags), so --to-repo-prefix cannot place it; use --to-repo")]
    Unnamed {
        /// Where the image is in the archive (the node's source label).
        image: String,
    },
    /// The prefix joined with the image's repository path is not a valid repository.
    #[error("{destination:?} (prefix {prefix:?} + {path:?}) is not a valid repository: {message}")]
    BadPrefix {
        /// The prefix that was given.
        prefix: String,
        /// The image's repository path (without its registry).
        path: String,
        /// The joined name that does not parse.
        destination: String,
        /// Why the reference parser refuses it.
        message: String,
    },
    /// Two images with different digests would get the same tag in one repository.
    #[error("two different images would get tag {tag:?} in {repository}: {first} and {second}; copy them into different repositories (--to-repo-prefix)")]
    TagClash {
        /// The repository.
        repository: String,
        /// The tag they share.
        tag: String,
        /// The archive name of the first image.
        first: String,
        /// The archive name of the second image.
        second: String,
    },
    /// [`crate::planner`] could not plan the copy into a repository.
    #[error("planning {repository}: {message}")]
    Plan {
        /// The destination repository.
        repository: String,
        /// The planner's error.
        message: String,
    },
}

/// One image placed: from where to where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    /// The archive's name for it (`docker.io/library/nginx:1.27`), or where it
    /// is in the archive when it has none.
    pub source: String,
    /// The reference as the archive writes it (`nginx:1.27`), if named.
    pub original: Option<String>,
    /// The destination repository.
    #[serde(serialize_with = "ser_display")]
    pub repository: Repository,
    /// The tag it is pushed by; `None` when the archive does not tag it (pushed by its
    /// `sha256-<hex>.imgpkg` tag).
    pub tag: Option<String>,
    /// The image's manifest (or index) digest.
    pub digest: Digest,
    /// The image's node in [`ImageArchive::set`](super::ImageArchive::set).
    #[serde(skip)]
    pub node: NodeId,
}

fn ser_display<S: serde::Serializer>(r: &Repository, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&r.name())
}

impl Mapping {
    /// `source -> destination (digest)`: how `copy` and `plan` print it.
    pub fn line(&self) -> String {
        format!(
            "{} -> {} ({})",
            self.source,
            self.destination(),
            self.digest
        )
    }

    /// `REPO:tag`, or `REPO@digest` for an untagged image.
    pub fn destination(&self) -> String {
        match &self.tag {
            Some(t) => self.repository.tagged(t).name(),
            None => self.repository.at(&self.digest).name(),
        }
    }
}

/// Places every image of the archive.
pub fn map(archive: &ImageArchive, dest: &Destination) -> Result<Vec<Mapping>, DestinationError> {
    let mut out: Vec<Mapping> = Vec::new();
    for img in &archive.images {
        let node = &archive.set.nodes[img.node];
        let repository = match dest {
            Destination::Repository(r) => r.clone(),
            Destination::Prefix(p) => prefixed(p, img, &node.source)?,
        };
        let tag = img.tag.clone();
        if let Some(t) = &tag {
            if let Some(other) = out
                .iter()
                .find(|m| m.repository == repository && m.tag.as_ref() == Some(t))
            {
                if other.digest != node.digest {
                    return Err(DestinationError::TagClash {
                        repository: repository.name(),
                        tag: t.clone(),
                        first: other.source.clone(),
                        second: node.source.clone(),
                    });
                }
                continue;
            }
        }
        out.push(Mapping {
            source: img
                .name
                .as_ref()
                .map(|n| n.name())
                .unwrap_or_else(|| node.source.clone()),
            original: img.name.as_ref().map(|n| n.original().to_string()),
            repository,
            tag,
            digest: node.digest,
            node: img.node,
        });
    }
    Ok(out)
}

fn prefixed(prefix: &str, img: &ArchiveImage, label: &str) -> Result<Repository, DestinationError> {
    let Some(name) = &img.name else {
        return Err(DestinationError::Unnamed {
            image: label.to_string(),
        });
    };
    let path = name.repository().path();
    let destination = format!("{}/{path}", prefix.trim_end_matches('/'));
    Repository::parse(&destination).map_err(|e| DestinationError::BadPrefix {
        prefix: prefix.to_string(),
        path,
        destination,
        message: e.to_string(),
    })
}

/// The repositories in first-use order, each with its mappings.
pub fn by_repository(mappings: &[Mapping]) -> Vec<(Repository, Vec<&Mapping>)> {
    let mut out: Vec<(Repository, Vec<&Mapping>)> = Vec::new();
    for m in mappings {
        match out.iter_mut().find(|(r, _)| *r == m.repository) {
            Some((_, v)) => v.push(m),
            None => out.push((m.repository.clone(), vec![m])),
        }
    }
    out
}

/// One plan per destination repository. Each plan's `lock_output` is the
/// ImagesLock of the images of this plan and every plan before it, so the
/// lock written after the last push lists everything.
pub fn plans(
    archive: &ImageArchive,
    mappings: &[Mapping],
) -> Result<Vec<PlanOutput>, DestinationError> {
    let mut out = Vec::new();
    let mut done: Vec<&Mapping> = Vec::new();
    for (repo, ms) in by_repository(mappings) {
        let mut set = archive.set.clone();
        set.top.clear();
        for m in &ms {
            if !set.top.contains(&m.node) {
                set.top.push(m.node);
            }
        }
        let mut plan = planner::plan(&set, &repo, PlanOptions::default()).map_err(|e| {
            DestinationError::Plan {
                repository: repo.name(),
                message: e.to_string(),
            }
        })?;
        for item in &mut plan.plan.items {
            let tags: Vec<String> = ms
                .iter()
                .filter(|m| m.digest == item.manifest.digest)
                .filter_map(|m| m.tag.clone())
                .collect();
            item.tags = if tags.is_empty() {
                vec![default_tag(&item.manifest.digest)]
            } else {
                tags
            };
        }
        plan.plan.tags.clear();
        done.extend(ms.iter().copied());
        plan.lock_output = Ok(images_lock(&done).to_yaml());
        out.push(plan);
    }
    Ok(out)
}

/// The `--lock-output` ImagesLock: each named image's relocated digest
/// reference, with the archive's reference as `kbld.carvel.dev/id` so that
/// `kbld -f config.yml -f lock.yml` rewrites it. Unnamed images have no
/// reference to rewrite and are left out.
pub fn images_lock(mappings: &[&Mapping]) -> ImagesLock {
    let images = mappings
        .iter()
        .filter_map(|m| {
            let original = m.original.clone()?;
            Some(LockedImage {
                image: m.repository.at(&m.digest).name(),
                original: original.clone(),
                annotations: vec![("kbld.carvel.dev/id".to_string(), original)],
            })
        })
        .collect();
    ImagesLock { images }
}

/// Everything a copy of an OCI layout or docker-archive needs, made once for
/// the CLI (`copy`, `plan`) and the page (preview, push): where each image
/// lands, one plan per destination repository, and the lock.
#[derive(Debug, Clone)]
pub struct Relocation {
    /// Every image placed, in archive order.
    pub mappings: Vec<Mapping>,
    /// One plan per destination repository, in first-use order; pushed in
    /// turn.
    pub plans: Vec<PlanOutput>,
}

impl Relocation {
    /// Places every image ([`map`]) and plans each destination repository
    /// ([`plans`]).
    pub fn new(archive: &ImageArchive, dest: &Destination) -> Result<Relocation, DestinationError> {
        let mappings = map(archive, dest)?;
        let plans = plans(archive, &mappings)?;
        Ok(Relocation { mappings, plans })
    }

    /// The `--lock-output` ImagesLock of every named image (the last plan's,
    /// which lists the images of all plans).
    pub fn lock(&self) -> Option<String> {
        self.plans.last()?.lock_output.clone().ok()
    }

    /// The destination repositories, in push order.
    pub fn repositories(&self) -> Vec<Repository> {
        self.plans
            .iter()
            .map(|p| p.plan.repository.clone())
            .collect()
    }
}

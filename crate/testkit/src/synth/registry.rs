//! An in-memory source registry and imgpkg's export from it (`copy -b|-i
//! SRC --to-tar`): the bundle graph walked as imgpkg walks it.

use std::collections::{BTreeMap, HashSet};

use airlock_core::digest::Digest;
use airlock_core::reference::{Reference, Repository};

use super::{Artifact, ExportOptions, SynthTar, TarItem};

/// An in-memory source registry: artifacts by (normalised repository,
/// digest).
#[derive(Debug, Clone, Default)]
pub struct SourceRegistry {
    artifacts: BTreeMap<(String, Digest), Artifact>,
}

/// Parses a digest reference, the error naming it.
pub(super) fn normalise(reference: &str) -> Result<Reference, String> {
    Reference::parse_digest(reference).map_err(|e| format!("{reference}: {e}"))
}

impl SourceRegistry {
    /// An empty registry.
    pub fn new() -> SourceRegistry {
        SourceRegistry::default()
    }

    /// Stores `artifact` (and, for an index, its children) in `repo`;
    /// returns `<repo as written>@<digest>`.
    pub fn push(&mut self, repo: &str, artifact: impl Into<Artifact>) -> String {
        let artifact = artifact.into();
        let name = Repository::parse(repo)
            .unwrap_or_else(|e| panic!("repository {repo}: {e}"))
            .name();
        let d = artifact.digest();
        if let Artifact::Index(ix) = &artifact {
            for c in &ix.children {
                self.push(repo, c.clone());
            }
        }
        self.artifacts.insert((name, d), artifact);
        format!("{repo}@{d}")
    }

    /// The artifact at a digest reference.
    pub fn get(&self, reference: &str) -> Option<&Artifact> {
        let r = normalise(reference).ok()?;
        self.artifacts.get(&(r.repository().name(), *r.digest()?))
    }

    /// `imgpkg copy -b <bundle_ref> --to-tar`, where `bundle_ref` is the
    /// bundle's digest reference and `tag` the tag `-b` named ("" when it
    /// was given by digest).
    pub fn export_bundle(
        &self,
        bundle_ref: &str,
        tag: &str,
        opts: ExportOptions,
    ) -> Result<SynthTar, String> {
        let root = normalise(bundle_ref)?;
        let root_name = root.name();
        match self.get(&root_name) {
            Some(a) if a.bundle().is_some() => {}
            Some(_) => return Err(
                "Expected bundle image but found plain image (hint: Did you use -i instead of -b?)"
                    .into(),
            ),
            None => return Err(format!("{root_name}: not in the source registry")),
        }
        let mut items: Vec<TarItem> = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        let mut visited: HashSet<String> = HashSet::new();
        self.walk(&root, &mut items, &mut keys, &mut visited)?;
        let root_art = self.get(&root_name).cloned().expect("checked above");
        items.push(TarItem {
            artifact: root_art,
            refs: root_name.clone(),
            tag: tag.to_string(),
            orig_ref: root_name,
            root_bundle: true,
        });
        Ok(SynthTar::new(items, opts))
    }

    fn walk(
        &self,
        bundle: &Reference,
        items: &mut Vec<TarItem>,
        keys: &mut HashSet<String>,
        visited: &mut HashSet<String>,
    ) -> Result<(), String> {
        if !visited.insert(bundle.name()) {
            return Ok(());
        }
        let content = self
            .get(&bundle.name())
            .and_then(Artifact::bundle)
            .cloned()
            .ok_or_else(|| format!("{} is not a bundle", bundle.name()))?;
        let bundle_repo = bundle.repository().name();
        for e in &content.images {
            let r = normalise(&e.image)?;
            let orig = r.name();
            let digest = *r.digest().expect("digest reference");
            let colocated = format!("{bundle_repo}@{digest}");
            let found = if self.get(&colocated).is_some() {
                colocated
            } else if self.get(&orig).is_some() {
                orig.clone()
            } else {
                return Err(format!(
                    "Checking image existence: {orig}: MANIFEST_UNKNOWN"
                ));
            };
            let artifact = self.get(&found).cloned().expect("found");
            let is_bundle = artifact.bundle().is_some();
            if keys.insert(format!("{found}:")) {
                items.push(TarItem {
                    artifact,
                    refs: found.clone(),
                    tag: String::new(),
                    orig_ref: orig,
                    root_bundle: false,
                });
            }
            if is_bundle {
                self.walk(&normalise(&found)?, items, keys, visited)?;
            }
        }
        Ok(())
    }

    /// `imgpkg copy -i <ref> --to-tar` for each `(digest reference, tag)`:
    /// `Tag` is the tag `-i` named, no `OrigRef`, no labels.
    pub fn export_images(
        &self,
        images: &[(&str, &str)],
        opts: ExportOptions,
    ) -> Result<SynthTar, String> {
        let mut items = Vec::new();
        for (reference, tag) in images {
            let r = normalise(reference)?;
            let artifact = self
                .get(&r.name())
                .cloned()
                .ok_or_else(|| format!("{}: not in the source registry", r.name()))?;
            if artifact.bundle().is_some() {
                return Err("Expected bundle flag when copying a bundle (hint: Use -b instead of -i for bundles)".into());
            }
            items.push(TarItem {
                artifact,
                refs: r.name(),
                tag: tag.to_string(),
                orig_ref: String::new(),
                root_bundle: false,
            });
        }
        Ok(SynthTar::new(items, opts))
    }
}

//! Small hand-made relocation plans (inline OCI images and indexes) for the
//! registry tests: the unit tests of the copy session and the integration
//! tests against a real registry build their plans with these.

use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_core::manifest::media_type::{OCI_INDEX, OCI_MANIFEST};
use airlock_core::plan::{
    BlobSource, ItemKind, PlannedBlob, PlannedItem, PlannedManifest, PlannedTag, RelocationPlan,
};
use airlock_core::reference::Repository;

use crate::random;

/// A blob held in memory.
pub fn inline_blob(bytes: &[u8], mt: &str) -> PlannedBlob {
    PlannedBlob {
        digest: Digest::of(bytes),
        size: bytes.len() as u64,
        media_type: mt.into(),
        source: BlobSource::Inline(Arc::new(bytes.to_vec())),
    }
}

/// An OCI image with inline config and layers.
pub fn image(config: &[u8], layers: &[&[u8]]) -> PlannedManifest {
    let cfg = inline_blob(config, "application/vnd.oci.image.config.v1+json");
    let ls: Vec<PlannedBlob> = layers
        .iter()
        .map(|l| inline_blob(l, "application/vnd.oci.image.layer.v1.tar+gzip"))
        .collect();
    let desc = |b: &PlannedBlob| {
        format!(
            r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
            b.media_type, b.digest, b.size
        )
    };
    let raw = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{}]}}"#,
        desc(&cfg),
        ls.iter().map(desc).collect::<Vec<_>>().join(",")
    )
    .into_bytes();
    let mut blobs = vec![cfg];
    blobs.extend(ls);
    PlannedManifest {
        digest: Digest::of(&raw),
        media_type: OCI_MANIFEST.into(),
        raw: Arc::new(raw),
        blobs,
        children: vec![],
    }
}

/// An OCI index over `children` (each listed as linux/amd64).
pub fn index(children: Vec<PlannedManifest>) -> PlannedManifest {
    let raw = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
        children
            .iter()
            .map(|c| format!(
                r#"{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}"#,
                c.media_type,
                c.digest,
                c.raw.len()
            ))
            .collect::<Vec<_>>()
            .join(",")
    )
    .into_bytes();
    PlannedManifest {
        digest: Digest::of(&raw),
        media_type: OCI_INDEX.into(),
        raw: Arc::new(raw),
        blobs: vec![],
        children,
    }
}

/// A top-level item uploaded by its `sha256-<hex>.imgpkg` tag.
pub fn item(repo: &Repository, kind: ItemKind, m: PlannedManifest) -> PlannedItem {
    PlannedItem {
        kind,
        source: "test".into(),
        orig_ref: None,
        destination: repo.at(&m.digest),
        tags: vec![m.digest.imgpkg_tag()],
        manifest: m,
    }
}

/// A plan of the one image `m`, uploaded by its digest tag only.
pub fn one_image_plan(repo: &Repository, m: PlannedManifest) -> RelocationPlan {
    RelocationPlan {
        repository: repo.clone(),
        items: vec![item(repo, ItemKind::Image, m)],
        locations: vec![],
        tags: vec![],
    }
}

/// An index of two images sharing a layer, plus a plain image tagged `v1`.
pub fn small_plan(repo: &Repository) -> RelocationPlan {
    let shared = random::bytes(1, 3000);
    let a = image(
        br#"{"architecture":"amd64","os":"linux","config":{}}"#,
        &[&shared, &random::bytes(2, 1500)],
    );
    let b = image(
        br#"{"architecture":"arm64","os":"linux","config":{}}"#,
        &[&shared, &random::bytes(3, 700)],
    );
    let c = image(
        br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"x":"y"}}}"#,
        &[&random::bytes(4, 5000)],
    );
    let idx = index(vec![a, b]);
    RelocationPlan {
        repository: repo.clone(),
        items: vec![
            item(repo, ItemKind::Index, idx),
            item(repo, ItemKind::Image, c.clone()),
        ],
        locations: vec![],
        tags: vec![PlannedTag {
            tag: "v1".into(),
            digest: c.digest,
            media_type: c.media_type.clone(),
            raw: c.raw.clone(),
        }],
    }
}

/// `plan` pushed to `to` instead, every blob read from the registry
/// repository `src` (where an earlier copy of `plan` put it).
pub fn sourced_from(plan: &RelocationPlan, src: &Repository, to: &Repository) -> RelocationPlan {
    fn walk(m: &mut PlannedManifest, src: &Repository) {
        for b in &mut m.blobs {
            b.source = BlobSource::Registry {
                repository: src.clone(),
            };
        }
        for c in &mut m.children {
            walk(c, src);
        }
    }
    let mut p = plan.clone();
    p.repository = to.clone();
    for it in &mut p.items {
        it.destination = to.at(&it.manifest.digest);
        walk(&mut it.manifest, src);
    }
    p
}

#![cfg(not(target_arch = "wasm32"))]
//! The core against imgpkg's rules (spec §1–§6, §11) on synthetic tars:
//! a kapp-controller package repository (nested bundles, a multi-arch
//! index, an image shared by two package bundles and reached through two
//! repositories), non-distributable layers, tars from older imgpkg
//! versions, and `-i` tars.

use std::collections::{BTreeMap, BTreeSet};

use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::imagebuild;
use airlock_core::imageset::{ImageSet, NodeKind};
use airlock_core::imgpkg_tar::manifest_json;
use airlock_core::plan::{BlobSource, ItemKind, PlannedManifest};
use airlock_core::planner::{self, PlanError, PlanOptions, PlanOutput};
use airlock_core::reference::{Reference, Repository};
use airlock_core::tar::{self, EntryKind};
use airlock_core::verify;
use airlock_testkit::block_on;
use airlock_testkit::synth::{
    self, ExportOptions, LockEntry, PackageRepo, PackageRepoOptions, SynthTar, TarVersion,
};

const DEST: &str = "registry.corp.internal/airgap/packages";

fn dest() -> Repository {
    Repository::parse(DEST).unwrap()
}

fn open(tar: &SynthTar) -> (Vec<u8>, Archive) {
    let bytes = tar.to_bytes();
    assert_eq!(bytes.len() as u64, tar.size(), "len() predicts the size");
    let archive = block_on(Archive::open(bytes.as_slice())).expect("opens");
    (bytes, archive)
}

/// Structural problems and blob checks: all must pass.
fn assert_sound(bytes: &[u8], archive: &Archive) {
    let problems = verify::structural(archive);
    assert!(problems.is_empty(), "structural problems: {problems:#?}");
    let checks = verify::blob_checks(archive);
    for c in &checks {
        let p = block_on(verify::check_blob(bytes, c, 4096, &mut |_| {}));
        assert_eq!(p, None, "{}", c.name);
    }
}

fn node_by_digest(set: &ImageSet, d: &Digest) -> usize {
    set.by_digest()[d]
}

fn normalised(image: &str) -> String {
    Reference::parse_digest(image).unwrap().name()
}

fn digest_of(image: &str) -> Digest {
    *Reference::parse_digest(image).unwrap().digest().unwrap()
}

/// The bundles of the scenario: (digest, images.yml entries as written).
fn bundles_of(pr: &PackageRepo) -> Vec<(Digest, Vec<LockEntry>)> {
    let mut out = vec![(pr.root_digest, pr.root_images.clone())];
    for p in &pr.packages {
        out.push((p.digest, p.images.iter().map(|(e, _)| e.clone()).collect()));
    }
    out
}

/// `image-locations.yml` as imgpkg writes it, from the bundle's own
/// images.yml: normalised refs, one per digest, sorted, isBundle.
fn expected_locations_yml(entries: &[LockEntry], bundles: &BTreeSet<Digest>) -> String {
    let mut rows: Vec<(String, bool)> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in entries {
        if seen.insert(digest_of(&e.image)) {
            rows.push((normalised(&e.image), bundles.contains(&digest_of(&e.image))));
        }
    }
    rows.sort();
    let mut s = String::from("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n");
    for (image, is_bundle) in rows {
        s.push_str(&format!("- image: {image}\n  isBundle: {is_bundle}\n"));
    }
    s.push_str("kind: ImageLocations\n");
    s
}

/// `.imgpkg/images.yml` as `imgpkg pull -b R@bundle` rewrites it.
fn expected_pulled_images_yml(entries: &[LockEntry]) -> String {
    let mut s = String::from("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n");
    for e in entries {
        s.push_str("- annotations:\n");
        for (k, v) in &e.annotations {
            s.push_str(&format!("    {k}: {v}\n"));
        }
        s.push_str(&format!("  image: {DEST}@{}\n", digest_of(&e.image)));
    }
    s.push_str("kind: ImagesLock\n");
    s
}

fn all_bundle_digests(pr: &PackageRepo) -> BTreeSet<Digest> {
    let mut s: BTreeSet<Digest> = bundles_of(pr).into_iter().map(|(d, _)| d).collect();
    s.extend(pr.addons);
    s
}

#[test]
fn package_repository_opens_with_every_bundle_and_the_graph() {
    let pr = synth::package_repository(&PackageRepoOptions::default());
    let (bytes, archive) = open(&pr.tar);
    assert_eq!(archive.manifest_json, pr.tar.manifest_json());
    let set = &archive.set;

    // The root bundle: labelled, tagged, the repository bundle.
    let root = set.root_bundle().expect("root bundle");
    assert_eq!(set.nodes[root].digest, pr.root_digest);
    assert_eq!(set.nodes[root].tag, "v1.2.0");
    assert_eq!(set.nodes[root].source, pr.root);
    assert_eq!(set.nodes[root].orig_ref, pr.root);

    // Every bundle's images.yml was read, and names what was built.
    assert_eq!(set.bundles.len(), 4);
    for (digest, entries) in bundles_of(&pr) {
        let id = node_by_digest(set, &digest);
        let b = set.bundles.get(&id).expect("bundle read");
        let got: Vec<(String, Digest)> = b
            .images
            .iter()
            .map(|i| (i.image.clone(), i.digest))
            .collect();
        let want: Vec<(String, Digest)> = entries
            .iter()
            .map(|e| (normalised(&e.image), digest_of(&e.image)))
            .collect();
        assert_eq!(got, want);
        assert!(b.images.iter().all(|i| i.node.is_some()));
    }

    // The repository bundle holds the package CRs and metadata.
    let rb = &set.bundles[&root];
    let paths: Vec<&str> = rb.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".imgpkg/images.yml",
            "packages/backend.corp.example.com/2.0.0.yml",
            "packages/backend.corp.example.com/2.1.0.yml",
            "packages/backend.corp.example.com/metadata.yml",
            "packages/frontend.corp.example.com/1.0.0.yml",
            "packages/frontend.corp.example.com/metadata.yml",
        ]
    );
    for p in &pr.packages {
        let cr = rb
            .file(&format!("packages/{}/{}.yml", p.ref_name, p.version))
            .unwrap();
        let text = String::from_utf8(cr.contents.to_vec()).unwrap();
        assert!(
            text.contains(&format!("image: {}\n", p.reference)),
            "{text}"
        );
        assert!(text.contains(&format!("refName: {}\n", p.ref_name)));
    }

    // The graph: root first, then the three package bundles.
    let graph = set.bundle_graph();
    assert_eq!(graph[0], root);
    let nested: BTreeSet<Digest> = graph[1..].iter().map(|&i| set.nodes[i].digest).collect();
    let want: BTreeSet<Digest> = pr.packages.iter().map(|p| p.digest).collect();
    assert_eq!(nested, want);
    assert_eq!(graph.len(), 4);

    // The multi-arch index: top level, children in order with platforms.
    let ix = node_by_digest(set, &pr.index);
    assert!(set.top.contains(&ix));
    assert_eq!(
        set.nodes[ix].source,
        format!("index.docker.io/library/nginx@{}", pr.index)
    );
    let NodeKind::Index { children } = &set.nodes[ix].kind else {
        panic!("not an index")
    };
    let kids: Vec<Digest> = children.iter().map(|&c| set.nodes[c].digest).collect();
    assert_eq!(kids, pr.index_children);
    let platforms: Vec<String> = children
        .iter()
        .map(|&c| set.nodes[c].platform.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    for &c in children {
        assert_eq!(set.nodes[c].parent, Some(ix));
        assert!(!set.top.contains(&c));
        assert_eq!(
            set.nodes[c].source,
            format!("index.docker.io/library/nginx@{}", set.nodes[c].digest)
        );
    }

    // The shared image: one entry per repository it was reached through.
    let shared: Vec<&str> = set
        .top
        .iter()
        .filter(|&&i| set.nodes[i].digest == pr.shared)
        .map(|&i| set.nodes[i].source.as_str())
        .collect();
    assert_eq!(
        shared,
        [
            format!("ghcr.io/corp/shared-sidecar@{}", pr.shared),
            format!("registry.example.com/mirror/shared-sidecar@{}", pr.shared)
        ]
    );

    // Only the root is tagged and labelled; OrigRef is the images.yml value.
    for &i in &set.top {
        let n = &set.nodes[i];
        if i != root {
            assert_eq!(n.tag, "");
            assert!(n.labels.is_empty());
            assert!(!n.orig_ref.is_empty());
        }
    }

    assert_sound(&bytes, &archive);
    // Shared layers are stored once.
    let names: Vec<&str> = archive.entries.iter().map(|e| e.name.as_str()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len());
    assert_eq!(verify::blob_checks(&archive).len(), pr.tar.blobs.len());
}

/// The regular files in the one layer of a planned locations image, after
/// checking the manifest, config and layer against each other: Docker
/// schema 2, one gzip layer, the config's diff_id the sha256 of the tar.
fn locations_image_files(m: &PlannedManifest) -> Vec<(String, u32, Vec<u8>)> {
    let manifest: serde_json::Value = serde_json::from_slice(&m.raw).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    let inline = |i: usize| match &m.blobs[i].source {
        BlobSource::Inline(bytes) => bytes.clone(),
        other => panic!("locations blob {i} is not inline: {other:?}"),
    };
    assert_eq!(m.blobs.len(), 2, "config and one layer");
    assert_eq!(manifest["config"]["digest"], m.blobs[0].digest.to_string());
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["digest"], m.blobs[1].digest.to_string());
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
    let config: serde_json::Value = serde_json::from_slice(&inline(0)).unwrap();
    let layer = inline(1);
    assert_eq!(Digest::of(&layer), m.blobs[1].digest);
    let mut tar_bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(layer.as_slice()),
        &mut tar_bytes,
    )
    .unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"][0],
        Digest::of(&tar_bytes).to_string()
    );
    let index = block_on(tar::index(tar_bytes.as_slice())).unwrap();
    let names: Vec<&str> = index.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [".", "image-locations.yml"]);
    index
        .iter()
        .filter(|e| e.kind == EntryKind::Regular)
        .map(|e| {
            let start = e.data_offset as usize;
            (
                e.name.clone(),
                e.mode,
                tar_bytes[start..start + e.size as usize].to_vec(),
            )
        })
        .collect()
}

fn plan(tar: &SynthTar, opts: PlanOptions) -> (Archive, PlanOutput) {
    let (_, archive) = open(tar);
    let out = planner::plan(&archive.set, &dest(), opts).expect("plans");
    (archive, out)
}

#[test]
fn package_repository_plan_follows_imgpkg() {
    let pr = synth::package_repository(&PackageRepoOptions::default());
    let (archive, out) = plan(&pr.tar, PlanOptions::default());
    let set = &archive.set;
    let repo = dest();

    // Every top-level item once, at R@same digest, uploaded by
    // sha256-<hex>.imgpkg.
    let top_digests: BTreeSet<Digest> = set.top.iter().map(|&i| set.nodes[i].digest).collect();
    let item_digests: Vec<Digest> = out.plan.items.iter().map(|i| i.manifest.digest).collect();
    assert_eq!(item_digests.len(), top_digests.len());
    assert_eq!(
        item_digests.iter().copied().collect::<BTreeSet<_>>(),
        top_digests
    );
    for item in &out.plan.items {
        assert_eq!(
            item.destination.name(),
            format!("{DEST}@{}", item.manifest.digest)
        );
        assert_eq!(item.tags, [item.manifest.digest.imgpkg_tag()]);
        assert_eq!(Digest::of(&item.manifest.raw), item.manifest.digest);
    }
    let kind_of = |d: &Digest| {
        out.plan
            .items
            .iter()
            .find(|i| i.manifest.digest == *d)
            .unwrap()
            .kind
    };
    assert_eq!(kind_of(&pr.root_digest), ItemKind::Bundle);
    for p in &pr.packages {
        assert_eq!(kind_of(&p.digest), ItemKind::Bundle);
    }
    assert_eq!(kind_of(&pr.index), ItemKind::Index);
    assert_eq!(kind_of(&pr.shared), ItemKind::Image);

    // Index children: rows pushed by digest, untagged.
    let rows = out.rows();
    for c in &pr.index_children {
        let row = rows
            .iter()
            .find(|r| r.kind == ItemKind::IndexChild && r.destination.ends_with(&c.to_string()))
            .expect("child row");
        assert!(row.tags.is_empty());
        assert_eq!(row.destination, format!("{DEST}@{c}"));
    }
    let ix_item = out
        .plan
        .items
        .iter()
        .find(|i| i.manifest.digest == pr.index)
        .unwrap();
    let child_digests: Vec<Digest> = ix_item.manifest.children.iter().map(|c| c.digest).collect();
    assert_eq!(child_digests, pr.index_children);

    // Original tags: only the root bundle's.
    assert_eq!(out.plan.tags.len(), 1);
    assert_eq!(out.plan.tags[0].tag, "v1.2.0");
    assert_eq!(out.plan.tags[0].digest, pr.root_digest);

    // One locations image per bundle (root and nested), listing exactly that
    // bundle's own images.yml.
    let bundle_digests = all_bundle_digests(&pr);
    assert_eq!(out.bundles.len(), 4);
    assert_eq!(out.plan.locations.len(), 4);
    for (digest, entries) in bundles_of(&pr) {
        let bp = out
            .bundles
            .iter()
            .find(|b| b.digest == digest)
            .expect("bundle plan");
        assert_eq!(
            bp.locations_yml,
            expected_locations_yml(&entries, &bundle_digests)
        );
        // The locations image itself, read back rather than rebuilt (its
        // bytes are imgpkg's: imagebuild_golden.rs checks the builder
        // against a real imgpkg 0.43.1 locations image).
        assert_eq!(
            bp.locations_tag,
            format!("sha256-{}.image-locations.imgpkg", digest.hex())
        );
        assert_eq!(bp.destination, format!("{DEST}@{digest}"));
        let loc = out
            .plan
            .locations
            .iter()
            .find(|l| l.manifest.digest == bp.locations_digest)
            .expect("locations item");
        assert_eq!(loc.kind, ItemKind::Locations);
        assert_eq!(Digest::of(&loc.manifest.raw), bp.locations_digest);
        assert_eq!(
            loc.tags,
            [
                format!("sha256-{}.image-locations.imgpkg", digest.hex()),
                format!("sha256-{}.imgpkg", bp.locations_digest.hex())
            ]
        );
        let files = locations_image_files(&loc.manifest);
        assert_eq!(
            files,
            [(
                "image-locations.yml".to_string(),
                0o600,
                expected_locations_yml(&entries, &bundle_digests).into_bytes()
            )]
        );
        // What `imgpkg pull -b R@bundle` writes.
        assert_eq!(bp.pulled_images_yml, expected_pulled_images_yml(&entries));
    }
    // In the root's locations, exactly the package bundles are bundles.
    let root_loc = &out
        .bundles
        .iter()
        .find(|b| b.digest == pr.root_digest)
        .unwrap()
        .locations_yml;
    assert_eq!(root_loc.matches("isBundle: true").count(), 3);
    assert_eq!(root_loc.matches("isBundle: false").count(), 0);
    // Docker Hub short names are normalised in locations.
    let fe = &out
        .bundles
        .iter()
        .find(|b| b.digest == pr.packages[0].digest)
        .unwrap()
        .locations_yml;
    assert!(fe.contains(&format!(
        "- image: index.docker.io/library/nginx@{}\n",
        pr.index
    )));

    // Every tag the copy leaves.
    let mut want: BTreeMap<String, Digest> =
        top_digests.iter().map(|d| (d.imgpkg_tag(), *d)).collect();
    want.insert("v1.2.0".into(), pr.root_digest);
    for bp in &out.bundles {
        want.insert(bp.locations_tag.clone(), bp.locations_digest);
        want.insert(bp.locations_digest.imgpkg_tag(), bp.locations_digest);
    }
    let got: BTreeMap<String, Digest> = out
        .final_tags()
        .into_iter()
        .map(|(t, d, _)| (t, d))
        .collect();
    assert_eq!(got, want);

    // Blobs come from the tar, each layer at its entry.
    for b in out.plan.unique_blobs() {
        match &b.source {
            BlobSource::TarEntry { size, .. } => assert_eq!(*size, b.size),
            BlobSource::Inline(bytes) => assert_eq!(Digest::of(bytes), b.digest),
            other => panic!("unexpected source {other:?}"),
        }
    }

    // --lock-output: a BundleLock with the root's tag.
    assert_eq!(
        out.lock_output.as_deref(),
        Ok(format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nbundle:\n  image: {DEST}@{}\n  tag: v1.2.0\nkind: BundleLock\n",
            pr.root_digest
        )
        .as_str())
    );
    assert!(out.warnings.is_empty());
    let _ = repo;
}

#[test]
fn package_repository_copied_by_digest_has_no_tag() {
    let pr = synth::package_repository(&PackageRepoOptions {
        tag: String::new(),
        ..Default::default()
    });
    let (_, out) = plan(&pr.tar, PlanOptions::default());
    assert!(out.plan.tags.is_empty());
    assert_eq!(
        out.lock_output.as_deref(),
        Ok(format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nbundle:\n  image: {DEST}@{}\nkind: BundleLock\n",
            pr.root_digest
        )
        .as_str())
    );
}

#[test]
fn repo_based_tags() {
    let pr = synth::package_repository(&PackageRepoOptions::default());
    let (_, out) = plan(
        &pr.tar,
        PlanOptions {
            repo_based_tags: true,
            ..Default::default()
        },
    );
    let tags_of = |d: &Digest| -> Vec<String> {
        out.plan
            .items
            .iter()
            .find(|i| i.manifest.digest == *d)
            .unwrap()
            .tags
            .clone()
    };
    let h = |d: &Digest| d.hex();
    assert_eq!(
        tags_of(&pr.root_digest),
        [format!(
            "packages-repo-sha256-{}.imgpkg",
            h(&pr.root_digest)
        )]
    );
    assert_eq!(
        tags_of(&pr.index),
        [format!("library-nginx-sha256-{}.imgpkg", h(&pr.index))]
    );
    let fe = &pr.packages[0];
    assert_eq!(
        tags_of(&fe.digest),
        [format!("packages-frontend-sha256-{}.imgpkg", h(&fe.digest))]
    );
    // The same digest reached through two repositories: imgpkg uploads
    // each tar entry by its own tag, so both tags exist.
    assert_eq!(
        tags_of(&pr.shared),
        [
            format!("corp-shared-sidecar-sha256-{}.imgpkg", h(&pr.shared)),
            format!("mirror-shared-sidecar-sha256-{}.imgpkg", h(&pr.shared)),
        ]
    );
    // Index children stay untagged; locations images keep their tags.
    for r in out.rows() {
        if r.kind == ItemKind::IndexChild {
            assert!(r.tags.is_empty());
        }
    }
    for (l, b) in out.plan.locations.iter().zip(&out.bundles) {
        assert_eq!(l.tags[0], b.locations_tag);
        assert_eq!(l.tags[1], b.locations_digest.imgpkg_tag());
    }
    // Original tag and lock output are unchanged.
    assert_eq!(out.plan.tags[0].tag, "v1.2.0");
    assert!(out.lock_output.unwrap().contains("kind: BundleLock"));
}

#[test]
fn deeper_nesting_gets_a_locations_image_per_level() {
    let pr = synth::package_repository(&PackageRepoOptions {
        deep: true,
        ..Default::default()
    });
    let addons = pr.addons.unwrap();
    let (bytes, archive) = open(&pr.tar);
    assert_sound(&bytes, &archive);
    let graph: Vec<Digest> = archive
        .set
        .bundle_graph()
        .iter()
        .map(|&i| archive.set.nodes[i].digest)
        .collect();
    assert_eq!(graph.len(), 5);
    assert!(graph.contains(&addons));
    let out = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    assert_eq!(out.plan.locations.len(), 5);
    let fe = out
        .bundles
        .iter()
        .find(|b| b.digest == pr.packages[0].digest)
        .unwrap();
    assert!(fe.locations_yml.contains(&format!(
        "- image: registry.example.com/packages/addons@{addons}\n  isBundle: true\n"
    )));
    let ad = out.bundles.iter().find(|b| b.digest == addons).unwrap();
    assert_eq!(ad.locations_yml.matches("isBundle: false").count(), 1);
}

const ND_WARNING: &str = "Skipped the followings layer(s) due to it being non-distributable. If you would like to include non-distributable layers, use the --include-non-distributable-layers flag";

#[test]
fn non_distributable_layer_is_skipped_with_imgpkg_warning() {
    let pr = synth::package_repository(&PackageRepoOptions {
        non_distributable: true,
        ..Default::default()
    });
    let (win, layer) = pr.non_distributable.unwrap();
    // Listed in manifest.json, but no entry in the tar.
    assert!(!pr.tar.blobs.iter().any(|b| b.digest == layer));
    let (bytes, archive) = open(&pr.tar);
    assert!(archive.entries.get(&layer.tar_entry_name()).is_none());
    assert_sound(&bytes, &archive);
    assert!(!verify::blob_checks(&archive)
        .iter()
        .any(|c| c.digest == layer));

    let out = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    assert_eq!(
        out.warnings,
        [format!(
            "{ND_WARNING}\n - Image: {DEST}@{win}\n   Layers:\n     - {layer}"
        )]
    );
    let item = out
        .plan
        .items
        .iter()
        .find(|i| i.manifest.digest == win)
        .unwrap();
    let blob = item
        .manifest
        .blobs
        .iter()
        .find(|b| b.digest == layer)
        .unwrap();
    assert_eq!(blob.source, BlobSource::Skip);
    // The manifest is pushed as it is (still referencing the layer).
    assert_eq!(Digest::of(&item.manifest.raw), win);

    // Asking to include it when the tar lacks it: imgpkg's error.
    let err = planner::plan(
        &archive.set,
        &dest(),
        PlanOptions {
            include_non_distributable_layers: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err, PlanError::MissingBlob(layer.tar_entry_name()));
    assert_eq!(
        err.to_string(),
        format!("file {} not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)", layer.tar_entry_name())
    );
}

#[test]
fn non_distributable_layer_included_when_exported_and_asked() {
    let pr = synth::package_repository(&PackageRepoOptions {
        non_distributable: true,
        export: ExportOptions {
            include_non_distributable_layers: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let (_, layer) = pr.non_distributable.unwrap();
    let (bytes, archive) = open(&pr.tar);
    assert!(archive.entries.get(&layer.tar_entry_name()).is_some());
    assert_sound(&bytes, &archive);
    assert!(verify::blob_checks(&archive)
        .iter()
        .any(|c| c.digest == layer));
    let with = planner::plan(
        &archive.set,
        &dest(),
        PlanOptions {
            include_non_distributable_layers: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(with.warnings.is_empty());
    let blob = with
        .plan
        .unique_blobs()
        .into_iter()
        .find(|b| b.digest == layer)
        .unwrap();
    assert!(matches!(blob.source, BlobSource::TarEntry { .. }));
    // Without the flag it is skipped all the same.
    let without = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    assert!(without.warnings[0].starts_with(ND_WARNING));
}

#[test]
fn include_flag_without_non_distributable_layers_warns() {
    let pr = synth::package_repository(&PackageRepoOptions::default());
    let (_, out) = plan(
        &pr.tar,
        PlanOptions {
            include_non_distributable_layers: true,
            ..Default::default()
        },
    );
    assert_eq!(
        out.warnings,
        ["'--include-non-distributable-layers' flag provided, but no images contained a non-distributable layer."]
    );
}

/// The package repository as an older imgpkg exports it, and its
/// manifest.json.
fn exported_by(version: TarVersion) -> (PackageRepo, String) {
    let pr = synth::package_repository(&PackageRepoOptions {
        export: ExportOptions {
            version,
            ..Default::default()
        },
        ..Default::default()
    });
    let json = String::from_utf8(pr.tar.manifest_json()).unwrap();
    (pr, json)
}

#[test]
fn pre_v0_13_tar_has_no_locations_and_no_lock_output() {
    let (pr, json) = exported_by(TarVersion::PreV0_13);
    assert!(!json.contains("\"Labels\""));
    assert!(!json.contains("\"OrigRef\""));
    let (bytes, archive) = open(&pr.tar);
    assert_sound(&bytes, &archive);
    assert_eq!(archive.set.root_bundle(), None);
    assert!(archive.set.bundle_graph().is_empty());
    // Bundles are still read (for display and verification).
    assert_eq!(archive.set.bundles.len(), 4);
    let out = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    assert!(out.plan.locations.is_empty());
    assert!(out.bundles.is_empty());
    assert_eq!(
        out.lock_output.map_err(|e| e.to_string()),
        Err("Unable to determine correct root bundle to use for lock-output. hint: if copying from a tarball, try re-generating the tarball".to_string())
    );
    // Everything is still copied, with the root's tag.
    assert_eq!(out.plan.tags.len(), 1);
    assert_eq!(out.plan.tags[0].digest, pr.root_digest);
    // Repo-based tags fall back to Refs[0].
    let rb = planner::plan(
        &archive.set,
        &dest(),
        PlanOptions {
            repo_based_tags: true,
            ..Default::default()
        },
    )
    .unwrap();
    let fe = rb
        .plan
        .items
        .iter()
        .find(|i| i.manifest.digest == pr.packages[0].digest)
        .unwrap();
    assert_eq!(
        fe.tags,
        [format!(
            "packages-frontend-sha256-{}.imgpkg",
            pr.packages[0].digest.hex()
        )]
    );
}

#[test]
fn pre_v0_28_tar_keeps_the_root_label() {
    let (pr, json) = exported_by(TarVersion::PreV0_28);
    assert!(json.contains("\"Labels\":{\"dev.carvel.imgpkg.copy.root-bundle\":\"\"}"));
    assert!(!json.contains("\"OrigRef\""));
    let (_, out) = plan(&pr.tar, PlanOptions::default());
    assert_eq!(out.plan.locations.len(), 4);
    assert!(out.lock_output.unwrap().contains("kind: BundleLock"));
}

/// A plain image (or index) tar, opened and checked: the image's digest
/// and the archive.
fn plain_image(index: bool, tag: &str) -> (Digest, Archive) {
    let (src, tar) = synth::plain_image(index, tag, ExportOptions::default());
    let (bytes, archive) = open(&tar);
    assert_sound(&bytes, &archive);
    (digest_of(&src), archive)
}

/// The ImagesLock of the one image `d`, relocated to [`DEST`].
fn images_lock_of(d: Digest) -> String {
    format!(
        "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n- image: {DEST}@{d}\nkind: ImagesLock\n"
    )
}

#[test]
fn plain_image_tar_gives_an_images_lock() {
    let (d, archive) = plain_image(false, "v1");
    let n = &archive.set.nodes[archive.set.top[0]];
    assert_eq!((n.tag.as_str(), n.orig_ref.as_str()), ("v1", ""));
    let out = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    assert!(out.plan.locations.is_empty());
    assert_eq!(out.lock_output.as_deref(), Ok(images_lock_of(d).as_str()));
    let tags: Vec<String> = out.final_tags().into_iter().map(|(t, _, _)| t).collect();
    assert_eq!(tags, [d.imgpkg_tag(), "v1".to_string()]);
}

#[test]
fn plain_index_tar_tags_the_index_only() {
    let (d, archive) = plain_image(true, "multi");
    let out = planner::plan(&archive.set, &dest(), PlanOptions::default()).unwrap();
    let tags: Vec<(String, Digest)> = out
        .final_tags()
        .into_iter()
        .map(|(t, d, _)| (t, d))
        .collect();
    assert_eq!(tags, [("multi".to_string(), d), (d.imgpkg_tag(), d)]);
    let rows = out.rows();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].kind, ItemKind::Index);
    assert!(rows[1..]
        .iter()
        .all(|r| r.kind == ItemKind::IndexChild && r.tags.is_empty()));
    assert_eq!(out.lock_output.as_deref(), Ok(images_lock_of(d).as_str()));
}

fn scenarios() -> Vec<(&'static str, SynthTar)> {
    let nd = synth::package_repository(&PackageRepoOptions {
        non_distributable: true,
        deep: true,
        ..Default::default()
    });
    vec![
        (
            "package-repo",
            synth::package_repository(&PackageRepoOptions::default()).tar,
        ),
        ("package-repo-nd-deep", nd.tar),
        (
            "simple",
            synth::simple_bundle(3, "v1.0.0", ExportOptions::default()).2,
        ),
        (
            "image",
            synth::plain_image(false, "v1", ExportOptions::default()).1,
        ),
        (
            "index",
            synth::plain_image(true, "", ExportOptions::default()).1,
        ),
        (
            "big",
            synth::big_bundle(synth::BigOptions {
                images: 3,
                layers: 2,
                layer_size: 100_000,
                seed: 5,
            }),
        ),
    ]
}

#[test]
fn written_tars_read_back_identically() {
    for (name, tar) in scenarios() {
        let bytes = tar.to_bytes();
        let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
        // manifest.json bytes survive the trip and read back as the model.
        // (That the writers' bytes are imgpkg's is checked against real
        // imgpkg tars in imgpkg_tar.rs and tar_golden.rs, and against Go's
        // own output in go_corpus.rs; these tars are written by the same
        // code, so comparing them with it would prove nothing.)
        assert_eq!(archive.manifest_json, tar.manifest_json(), "{name}");
        let parsed = manifest_json::parse(&archive.manifest_json).unwrap();
        assert_eq!(parsed, tar.manifest, "{name}");
        // Sorted by imgpkg's key.
        let keys: Vec<String> = parsed.iter().map(|i| i.sort_key()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{name}");
        // manifest.json first, then the layers by digest, each once.
        let names: Vec<&str> = archive.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[0], "manifest.json");
        let want: Vec<String> = tar.blobs.iter().map(|b| b.entry_name()).collect();
        assert_eq!(
            names[1..],
            want.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
        let mut s = want.clone();
        s.sort();
        assert_eq!(s, want, "{name}");
        // Each entry's data is the blob it is named after.
        for (entry, blob) in archive.entries.entries()[1..].iter().zip(&tar.blobs) {
            let start = entry.data_offset as usize;
            let data = &bytes[start..start + entry.size as usize];
            assert_eq!(Digest::of(data), blob.digest, "{name}: {}", entry.name);
        }
        assert_sound(&bytes, &archive);
    }
}

#[test]
fn export_is_deterministic() {
    let a = synth::package_repository(&PackageRepoOptions::default())
        .tar
        .to_bytes();
    let b = synth::package_repository(&PackageRepoOptions::default())
        .tar
        .to_bytes();
    assert!(a == b);
}

#[test]
fn streamed_random_layers_match_their_digests() {
    let tar = synth::big_bundle(synth::BigOptions {
        images: 2,
        layers: 3,
        layer_size: 3 * 65536 + 5,
        seed: 9,
    });
    assert_eq!(tar.blobs.len(), 2 * 3 + 1);
    for b in &tar.blobs {
        assert_eq!(Digest::of(&b.data.to_vec()), b.digest);
    }
    // Reading in odd chunk sizes gives the same bytes.
    let blob = tar.blobs.iter().find(|b| b.data.len() > 100_000).unwrap();
    let mut r = blob.data.reader();
    let mut all = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = std::io::Read::read(&mut r, &mut buf[..(all.len() % 7) + 1]).unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    assert_eq!(all, blob.data.to_vec());
}

#[test]
fn file_written_tar_equals_the_stream() {
    let tar = synth::big_bundle(synth::BigOptions {
        images: 2,
        layers: 2,
        layer_size: 70_000,
        seed: 2,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar");
    tar.write_to(&path).unwrap();
    assert!(std::fs::read(&path).unwrap() == tar.to_bytes());
}

/// Go's gzip reader (used by ggcr for layers) reads concatenated gzip
/// members as one stream, so a bundle layer made of two members is read
/// whole.
#[test]
fn multi_member_gzip_bundle_layer_reads_like_go() {
    let mut reg = synth::SourceRegistry::new();
    let app = synth::image(&synth::ImageSpec::oci("app", 61, 1));
    let r = reg.push("registry.example.com/src/app", app);
    let files = vec![
        synth::file("config/a.yml", vec![b'a'; 3000]),
        synth::file(
            ".imgpkg/images.yml",
            synth::images_yml(&[LockEntry::kbld(&r, "app:v1")]),
        ),
    ];
    let mut b = synth::bundle(&files, &[LockEntry::kbld(&r, "app:v1")]);
    let masked: Vec<(String, u32, Vec<u8>)> = files
        .iter()
        .map(|(p, m, c)| (p.clone(), m & 0o700, c.clone()))
        .collect();
    let tar = imagebuild::go_tar(&imagebuild::tree_from_files(&masked));
    let (first, second) = tar.split_at(1024);
    let mut gz = imagebuild::go_gzip_best_speed(first);
    gz.extend(imagebuild::go_gzip_best_speed(second));
    let mut layer = b.layers[0].clone();
    layer.digest = Digest::of(&gz);
    layer.data = synth::BlobData::bytes(gz);
    synth::replace_layers(&mut b, vec![layer]);
    let br = reg.push("registry.example.com/src/bundle", b);
    let tar = reg
        .export_bundle(&br, "v1", ExportOptions::default())
        .unwrap();
    let (bytes, archive) = open(&tar);
    assert_sound(&bytes, &archive);
    let root = archive.set.root_bundle().unwrap();
    let bundle = &archive.set.bundles[&root];
    assert_eq!(bundle.images.len(), 1);
    assert_eq!(bundle.file("config/a.yml").unwrap().contents.len(), 3000);
}

#![cfg(not(target_arch = "wasm32"))]
//! Synthetic package-repository tars pushed with `airlock copy --tar X
//! --to-repo R` into a real Distribution registry: the registry ends up
//! exactly as the planner (checked against imgpkg's rules in `nested.rs`)
//! says — every tag at its digest, manifests byte for byte, index children
//! by digest, one locations image per bundle with its `image-locations.yml`,
//! the lock output — and a re-run only checks.

use airlock_testkit::support::{tar_import_args, Airlock};
use std::collections::BTreeMap;
use std::io::Read;

use airlock_cli::source::block_on;
use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::manifest::Manifest;
use airlock_core::planner::{self, PlanOptions, PlanOutput};
use airlock_core::reference::Repository;
use airlock_testkit::support::{write_tar, Auth, RegistryOptions, TestRegistry};
use airlock_testkit::synth::{self, PackageRepoOptions, SynthTar};

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

fn plan_of(tar: &SynthTar, repo: &Repository, opts: PlanOptions) -> (Archive, PlanOutput) {
    let bytes = tar.to_bytes();
    let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
    let out = planner::plan(&archive.set, repo, opts).unwrap();
    (archive, out)
}

fn gunzip_file(layer: &[u8], name: &str) -> Vec<u8> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(layer)
        .read_to_end(&mut tar)
        .unwrap();
    let idx = block_on(airlock_core::tar::index(tar.as_slice())).unwrap();
    let e = idx.iter().find(|e| e.name == name).unwrap();
    tar[e.data_offset as usize..(e.data_offset + e.size) as usize].to_vec()
}

/// Copies `tar` into `<registry>/<path>` and checks the registry against the
/// plan.
fn copy_and_check(reg: &TestRegistry, path: &str, tar: &SynthTar, extra: &[&str]) {
    let (dir, file) = write_tar("synth-copy", tar);
    let lock = dir.path().join("lock.yml");
    let dest = format!("{}/{path}", reg.host());
    let repo = Repository::parse(&dest).unwrap();
    let opts = PlanOptions {
        repo_based_tags: extra.contains(&"--repo-based-tags"),
        include_non_distributable_layers: extra.contains(&"--include-non-distributable-layers"),
    };
    let (archive, plan) = plan_of(tar, &repo, opts);

    let mut args = tar_import_args(&file, &dest, &lock);
    args.extend_from_slice(extra);
    let out = AIRLOCK.run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", reg.log());
    assert!(stderr.trim_end().ends_with("Succeeded"), "{stderr}");

    // Tags: exactly those the plan names, each at its digest.
    let want: BTreeMap<String, Digest> = plan
        .final_tags()
        .into_iter()
        .map(|(t, d, _)| (t, d))
        .collect();
    let mut got = BTreeMap::new();
    for t in reg.tags(path) {
        let raw = reg.manifest(path, &t).unwrap();
        got.insert(t, Digest::of(&raw));
    }
    assert_eq!(got, want);

    // Every manifest byte for byte at R@digest, index children included.
    for node in &archive.set.nodes {
        let raw = reg
            .manifest(path, &node.digest.to_string())
            .unwrap_or_else(|| panic!("{} missing", node.digest));
        assert!(raw == *node.raw, "{} differs", node.digest);
    }
    // Blobs: present, except skipped non-distributable layers.
    for b in plan.plan.unique_blobs() {
        let present = reg.blob(path, &b.digest).is_some();
        let skipped = b.source == airlock_core::plan::BlobSource::Skip;
        assert_eq!(present, !skipped, "blob {}", b.digest);
    }
    // Locations images: one per bundle, with its image-locations.yml.
    for bp in &plan.bundles {
        let raw = reg.manifest(path, &bp.locations_tag).unwrap();
        assert_eq!(Digest::of(&raw), bp.locations_digest);
        let Manifest::Image(m) = Manifest::parse(raw, None).unwrap() else {
            panic!("locations image is an index")
        };
        let layer = reg.blob(path, &m.layers[0].digest).unwrap();
        assert_eq!(
            String::from_utf8(gunzip_file(&layer, "image-locations.yml")).unwrap(),
            bp.locations_yml
        );
    }
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        plan.lock_output.clone().unwrap()
    );

    // A second run finds everything in place.
    let again = AIRLOCK.run(&args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("0 items pushed"), "{stderr}");
}

#[test]
fn package_repository_lands_as_planned() {
    let reg = TestRegistry::start(Auth::None);
    let pr = synth::package_repository(&PackageRepoOptions {
        deep: true,
        ..Default::default()
    });
    copy_and_check(&reg, "airgap/packages", &pr.tar, &[]);
    copy_and_check(&reg, "airgap/repo-based", &pr.tar, &["--repo-based-tags"]);
}

/// Distribution refuses manifests with foreign-layer URLs unless
/// `validation.manifests.urls.allow` is set (500 "invalid URL on layer"),
/// whether the blob was uploaded or not; imgpkg meets the same refusal.
/// Registries that accept them are what this scenario needs.
#[test]
fn non_distributable_layers_are_skipped_or_included() {
    let reg = TestRegistry::start_with_options(RegistryOptions {
        allow_layer_urls: true,
        ..RegistryOptions::new(Auth::None)
    });
    let pr = synth::package_repository(&PackageRepoOptions {
        non_distributable: true,
        export: synth::ExportOptions {
            include_non_distributable_layers: true,
            ..Default::default()
        },
        ..Default::default()
    });
    copy_and_check(&reg, "airgap/nd-skipped", &pr.tar, &[]);
    copy_and_check(
        &reg,
        "airgap/nd-included",
        &pr.tar,
        &["--include-non-distributable-layers"],
    );
}

#![cfg(not(target_arch = "wasm32"))]
//! `--kbld-output DIR` and `--package-repository-output FILE` on `airlock
//! plan` and `airlock copy … --to-repo`: the files hold what the page's
//! wasm `plan()` gives for its `kbld` and `packageRepositories` downloads.
//! The expected bytes are computed here as `crate/wasm/src/archive.rs`
//! computes them: for every planned bundle, `kbld::relocated_config` and,
//! for package-repository bundles, `kbld::package_repository`.

use airlock_testkit::support::Airlock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_core::archive::Archive;
use airlock_core::kbld;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::Repository;
use airlock_testkit::support::{free_port, write_tar, Auth, TempDir, TestRegistry};
use airlock_testkit::synth::{self, PackageRepoOptions, SynthTar};

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

/// `args` followed by `--kbld-output KBLD` and, when given,
/// `--package-repository-output PR`.
fn with_outputs<'a>(args: &[&'a str], kbld: &'a Path, pr: Option<&'a Path>) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--kbld-output", kbld.to_str().unwrap()]);
    if let Some(pr) = pr {
        all.extend(["--package-repository-output", pr.to_str().unwrap()]);
    }
    all
}

/// The synthetic package repository's tar.
fn repository_tar() -> SynthTar {
    synth::package_repository(&PackageRepoOptions::default()).tar
}

fn golden_tar() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/simple-bundle/simple-bundle.tar")
}

/// The page's documents for `tar` planned to `repo`: (kbld by bundle
/// digest, PackageRepository by bundle digest), as the wasm `plan()`
/// builds them.
fn page_documents(tar: &Path, repo: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let src = FileSource::open(tar).unwrap();
    let archive = block_on(Archive::open(&src)).unwrap();
    let repo = Repository::parse(repo).unwrap();
    let out = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap();
    let mut kbld_docs = BTreeMap::new();
    let mut repos = BTreeMap::new();
    for b in &out.bundles {
        let bundle = archive
            .set
            .bundles
            .values()
            .find(|x| x.digest == b.digest)
            .unwrap();
        if let Some(text) = kbld::relocated_config(bundle, &out.plan.repository).unwrap() {
            kbld_docs.insert(b.digest.to_string(), text);
        }
        if kbld::is_package_repository(bundle) {
            repos.insert(
                b.digest.to_string(),
                kbld::package_repository(
                    &kbld::package_repository_name(&b.source),
                    &out.plan.repository,
                    &b.digest,
                ),
            );
        }
    }
    (kbld_docs, repos)
}

/// File name → contents for every file in `dir`.
fn dir_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// The page's download names (web/js/model.js `downloadsOf`):
/// `bundle-relocated.yml`, or `bundle-relocated-sha256-<12 hex>.yml` each
/// when there are several.
fn page_names(docs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    docs.iter()
        .map(|(digest, text)| {
            let name = if docs.len() == 1 {
                "bundle-relocated.yml".to_string()
            } else {
                let hex = digest.strip_prefix("sha256:").unwrap();
                format!("bundle-relocated-sha256-{}.yml", &hex[..12])
            };
            (name, text.clone())
        })
        .collect()
}

#[test]
fn plan_writes_the_golden_bundles_relocated_configuration() {
    let dir = TempDir::new("derived-plan");
    let tar = golden_tar();
    let repo = "registry.corp:5000/team/simple";
    let kbld_dir = dir.path().join("kbld");
    AIRLOCK.ok(&with_outputs(
        &["plan", "--tar", tar.to_str().unwrap(), "--to-repo", repo],
        &kbld_dir,
        None,
    ));
    let (docs, repos) = page_documents(&tar, repo);
    assert_eq!(docs.len(), 1);
    assert!(repos.is_empty());
    let written = dir_files(&kbld_dir);
    assert_eq!(written, page_names(&docs));
    // The fixture's deployment names its images by their kbld ids.
    let text = &written["bundle-relocated.yml"];
    assert!(
        text.contains("image: registry.corp:5000/team/simple@sha256:"),
        "{text}"
    );

    // No package-repository bundle: an error naming the flag and the tar,
    // and no file of either flag is written.
    let pr = dir.path().join("pr.yml");
    let other = dir.path().join("kbld-2");
    let err = AIRLOCK.fails(&with_outputs(
        &["plan", "--tar", tar.to_str().unwrap(), "--to-repo", repo],
        &other,
        Some(&pr),
    ));
    assert_eq!(
        err,
        format!(
            "airlock: Error: Expected a package repository bundle (Package or PackageMetadata documents under packages/) for --package-repository-output, but '{}' has none\n",
            tar.display()
        )
    );
    assert!(!pr.exists() && !other.exists());
}

#[test]
fn plan_writes_a_package_repositorys_documents() {
    let (dir, tar) = write_tar("derived-pkgrepo", &repository_tar());
    let repo = "registry.corp:5000/mirror/packages";
    let kbld_dir = dir.path().join("kbld");
    let pr = dir.path().join("packagerepository.yml");
    AIRLOCK.ok(&with_outputs(
        &["plan", "--tar", tar.to_str().unwrap(), "--to-repo", repo],
        &kbld_dir,
        Some(&pr),
    ));
    let (docs, repos) = page_documents(&tar, repo);
    assert!(docs.len() > 1, "one document per bundle with configuration");
    assert_eq!(dir_files(&kbld_dir), page_names(&docs));
    assert_eq!(repos.len(), 1, "only the repository bundle has packages/");
    let expected = repos.values().next().unwrap();
    assert_eq!(&std::fs::read_to_string(&pr).unwrap(), expected);
    assert!(
        expected.contains("kind: PackageRepository\nmetadata:\n  name: repo\n"),
        "{expected}"
    );

    // The tar destination cannot take them (imgpkg's lock-output rule).
    AIRLOCK.fails_with(
        &with_outputs(
            &[
                "copy",
                "--tar",
                tar.to_str().unwrap(),
                "--to-tar",
                dir.path().join("x.tar").to_str().unwrap(),
            ],
            &kbld_dir,
            None,
        ),
        "Cannot use tar source (--tar) with tar destination",
    );
    let err = AIRLOCK.fails(&[
        "copy",
        "-b",
        "127.0.0.1:1/never/used:v1",
        "--to-tar",
        dir.path().join("x.tar").to_str().unwrap(),
        "--package-repository-output",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(
        err,
        "airlock: Error: Cannot output PackageRepository with tar destination\n"
    );
}

#[test]
fn copy_writes_the_documents_after_a_successful_push_only() {
    let reg = TestRegistry::start(Auth::None);
    let (dir, tar) = write_tar("derived-copy", &repository_tar());

    // The push fails (nothing listens there): no file is written.
    let down = format!("127.0.0.1:{}/mirror/packages", free_port());
    let kbld_dir = dir.path().join("kbld-failed");
    let pr = dir.path().join("pr-failed.yml");
    let err = AIRLOCK.fails(&with_outputs(
        &[
            "copy",
            "--tar",
            tar.to_str().unwrap(),
            "--to-repo",
            &down,
            "--registry-retry-count",
            "1",
        ],
        &kbld_dir,
        Some(&pr),
    ));
    assert!(err.contains("Connection refused"), "the push failed: {err}");
    assert!(!kbld_dir.exists() && !pr.exists());

    // From the tar: the page's bytes for the destination.
    let dst = format!("{}/mirror/packages", reg.host());
    let kbld_dir = dir.path().join("kbld");
    let pr = dir.path().join("pr.yml");
    AIRLOCK.ok(&with_outputs(
        &["copy", "--tar", tar.to_str().unwrap(), "--to-repo", &dst],
        &kbld_dir,
        Some(&pr),
    ));
    let (docs, repos) = page_documents(&tar, &dst);
    assert_eq!(dir_files(&kbld_dir), page_names(&docs));
    assert_eq!(
        std::fs::read_to_string(&pr).unwrap(),
        repos.values().next().unwrap().clone()
    );

    // From the registry (`-b`): the same documents for another repository.
    let root = synth::package_repository(&PackageRepoOptions::default()).root_digest;
    let again = format!("{}/again/packages", reg.host());
    let kbld_dir = dir.path().join("kbld-again");
    let pr = dir.path().join("pr-again.yml");
    AIRLOCK.ok(&with_outputs(
        &["copy", "-b", &format!("{dst}@{root}"), "--to-repo", &again],
        &kbld_dir,
        Some(&pr),
    ));
    let (docs, _) = page_documents(&tar, &again);
    assert_eq!(dir_files(&kbld_dir), page_names(&docs));
    let expected = kbld::package_repository("packages", &Repository::parse(&again).unwrap(), &root);
    assert_eq!(std::fs::read_to_string(&pr).unwrap(), expected);
}

#[test]
fn copy_of_an_image_has_no_bundle_for_kbld_output() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("derived-image");
    let (_, img) = synth::plain_image(false, "v1", Default::default());
    let tar = dir.path().join("image.tar");
    img.write_to(&tar).unwrap();
    let kbld_dir = dir.path().join("kbld");
    let dest = format!("{}/img/only", reg.host());
    let err = AIRLOCK.fails(&with_outputs(
        &["copy", "--tar", tar.to_str().unwrap(), "--to-repo", &dest],
        &kbld_dir,
        None,
    ));
    assert_eq!(
        err,
        format!(
            "airlock: Error: Expected a bundle with YAML configuration files (.yml or .yaml outside .imgpkg/) for --kbld-output, but '{}' has none\n",
            tar.display()
        )
    );
    assert!(!kbld_dir.exists());
    assert!(
        reg.tags("img/only").is_empty(),
        "nothing is pushed when a document cannot be made"
    );
}

#![cfg(unix)]
//! `airlock pull` creates files and directories with imgpkg 0.43.1's modes
//! (`pkg/imgpkg/image/dir_image.go`), under the umask of the process:
//!
//! - files: `os.OpenFile(path, O_RDWR|O_CREATE|O_TRUNC, perm)` with `perm`
//!   the entry's mode when it has group/other bits (`mode&0077 > 0`), else
//!   the user bits copied to group and other (`u | u>>3 | u>>6`); the
//!   umask then applies;
//! - directories: `os.MkdirAll(…, 0777)` for the output directory and the
//!   parents of files (umask applied); directory entries make nothing;
//! - `.imgpkg/images.yml`, rewritten to the bundle repository, keeps the
//!   extracted file's mode (`os.WriteFile(path, bytes, 0600)` on an
//!   existing file truncates it in place).
//!
//! The umask is set in a shell that then runs the binary, so the parallel
//! tests of this process keep theirs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::BTreeMap;

use airlock_core::imagebuild::{build_file_image, tree_from_files};
use airlock_core::manifest::BUNDLE_LABEL;
use airlock_testkit::support::{Auth, TempDir, TestRegistry};
use airlock_testkit::synth::{
    self, BlobData, ExportOptions, ImageSpec, LockEntry, SourceRegistry, SynthImage, SynthLayer,
    SOURCE_REGISTRY,
};

fn fixture_tar() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/simple-bundle/simple-bundle.tar")
}

/// Runs `airlock args…` under `umask`; panics with its output on failure.
fn airlock_with_umask(umask: &str, args: &[&str]) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("IMGPKG_USERNAME")
        .env_remove("IMGPKG_PASSWORD")
        .env("HOME", "/nonexistent-airlock-home")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "airlock {args:?} failed:\n{text}");
    text
}

/// The bundle `imgpkg push --preserve-permissions -b … -f DIR` builds:
/// like `synth::bundle`, but the entries keep their group and other bits
/// (plain `imgpkg push` stores `mode & 0700`).
fn bundle_preserving_modes(files: &[(String, u32, Vec<u8>)], images: &[LockEntry]) -> SynthImage {
    let mut b = synth::bundle(files, images);
    let mut all = files.to_vec();
    all.push((
        ".imgpkg/images.yml".into(),
        0o644,
        synth::images_yml(images).into_bytes(),
    ));
    let labels = BTreeMap::from([(BUNDLE_LABEL.to_string(), "true".to_string())]);
    let built = build_file_image(&tree_from_files(&all), &labels);
    b.manifest_raw = built.manifest_raw;
    b.digest = built.manifest_digest;
    b.config_raw = built.config_raw;
    b.config_digest = built.config_digest;
    b.layers = vec![SynthLayer {
        media_type: b.layers[0].media_type.clone(),
        digest: built.layer_digest,
        diff_id: built.diff_id.to_string(),
        data: BlobData::bytes(built.layer),
    }];
    b
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// `(path relative to the output, mode)` for everything under `dir`, and
/// `.` for `dir` itself, sorted.
fn modes(dir: &Path) -> Vec<(String, u32)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, u32)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            out.push((rel, mode(&p)));
            if p.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = vec![(".".to_string(), mode(dir))];
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Copies `tar` to `dst`.
fn copy_tar(tar: &Path, dst: &str) {
    let tar = tar.to_str().unwrap();
    airlock_with_umask("022", &["copy", "--tar", tar, "--to-repo", dst]);
}

/// Pulls `bundle` into `dir/out-UMASK` under umasks 022 and 077 and checks
/// that each path of `perms` has its mode less the umask (and that nothing
/// else was made); the pulls' logs.
fn pull_under_umasks(dir: &Path, bundle: &str, perms: &[(&str, u32)]) -> Vec<String> {
    [0o022, 0o077]
        .into_iter()
        .map(|umask: u32| {
            let out = dir.join(format!("out-{umask:03o}"));
            let log = airlock_with_umask(
                &format!("{umask:03o}"),
                &["pull", "-b", bundle, "-o", out.to_str().unwrap()],
            );
            let mut expected: Vec<(String, u32)> = perms
                .iter()
                .map(|(p, m)| (p.to_string(), m & !umask))
                .collect();
            expected.sort();
            assert_eq!(modes(&out), expected, "umask {umask:03o}");
            log
        })
        .collect()
}

#[test]
fn golden_bundle_pulls_with_imgpkg_modes_under_umask_022_and_077() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("pull-modes");
    let dst = format!("{}/modes/simple-bundle", reg.host());
    copy_tar(&fixture_tar(), &dst);
    // Every file of the real imgpkg bundle layer is stored 0600: user bits
    // copied to group and other (0666), then the umask. Directories are
    // MkdirAll(0777) less the umask. images.yml is rewritten to the bundle
    // repository and keeps its extracted mode.
    let dirs = [".", ".imgpkg", "config"].map(|d| (d, 0o777));
    let files = [
        ".imgpkg/bundle.yml",
        ".imgpkg/images.yml",
        "config/deployment.yml",
        "config/values.yml",
    ]
    .map(|f| (f, 0o666));
    let perms = [&dirs[..], &files[..]].concat();
    let logs = pull_under_umasks(dir.path(), &format!("{dst}:v1.0.0"), &perms);
    for log in logs {
        assert!(
            log.contains("is hosting every image specified in the bundle's Images Lock file"),
            "images.yml must have been rewritten: {log}"
        );
    }
}

#[test]
fn entry_modes_with_group_or_other_bits_are_kept_then_masked() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("pull-modes-synth");
    let mut src = SourceRegistry::new();
    let app = src.push(
        &format!("{SOURCE_REGISTRY}/src/app"),
        synth::image(&ImageSpec::oci("app", 71, 1)),
    );
    let images = vec![LockEntry::kbld(
        &app,
        format!("{SOURCE_REGISTRY}/src/app:v1"),
    )];
    let bundle = bundle_preserving_modes(
        &[
            ("bin/run.sh".into(), 0o700, b"#!/bin/sh\n".to_vec()),
            ("config/secret.yml".into(), 0o640, b"a: 1\n".to_vec()),
            ("config/public.yml".into(), 0o604, b"b: 2\n".to_vec()),
            ("read-only.txt".into(), 0o400, b"r\n".to_vec()),
            ("deep/er/file.txt".into(), 0o600, b"d\n".to_vec()),
        ],
        &images,
    );
    let root = src.push(&format!("{SOURCE_REGISTRY}/src/modes"), bundle);
    let tar = src
        .export_bundle(&root, "v1", ExportOptions::default())
        .unwrap();
    let tar_path = dir.path().join("modes.tar");
    tar.write_to(&tar_path).unwrap();
    let dst = format!("{}/modes/synthetic", reg.host());
    copy_tar(&tar_path, &dst);
    // 0700 → 0777 and 0400 → 0444, 0600 → 0666 (user bits copied); 0640 and
    // 0604 have group/other bits, so imgpkg keeps them; then the umask.
    // images.yml is stored 0644 here (group/other bits kept).
    let perms = [
        (".", 0o777),
        (".imgpkg", 0o777),
        (".imgpkg/images.yml", 0o644),
        ("bin", 0o777),
        ("bin/run.sh", 0o777),
        ("config", 0o777),
        ("config/public.yml", 0o604),
        ("config/secret.yml", 0o640),
        ("deep", 0o777),
        ("deep/er", 0o777),
        ("deep/er/file.txt", 0o666),
        ("read-only.txt", 0o444),
    ];
    pull_under_umasks(dir.path(), &format!("{dst}:v1"), &perms);
}

//! A full disk. The registry's storage is a tmpfs that fills up during the
//! push: the push fails with an error naming the registry's answer, and
//! after the space is freed the re-run completes. For `--to-tar`, the output
//! filesystem fills up: a clear error, and no partial tar (or temporary
//! file) is left behind; with space the re-run writes the tar.
//!
//! Needs root for `mount -t tmpfs` (the test machines run as root); where
//! mounting is refused the test fails and says so.

use airlock_core::digest::Digest;
use airlock_testkit::registry_state;
use airlock_testkit::support::{run_airlock, write_tar, Auth, TempDir, TestRegistry, Tmpfs};
use airlock_testkit::synth::{self, PackageRepoOptions};

const BIN: &str = env!("CARGO_BIN_EXE_airlock");

fn package_repository() -> (TempDir, String, Digest, u64) {
    let pr = synth::package_repository(&PackageRepoOptions {
        deep: true,
        ..Default::default()
    });
    let (dir, file) = write_tar("full-disk", &pr.tar);
    let size = std::fs::metadata(&file).unwrap().len();
    (
        dir,
        file.to_str().unwrap().to_string(),
        pr.root_digest,
        size,
    )
}

fn mount_or_explain(dir: &std::path::Path, bytes: u64) -> Tmpfs {
    Tmpfs::mount(dir, bytes)
        .unwrap_or_else(|e| panic!("this test needs a tmpfs (run as root): {e}"))
}

/// Fills `dir`'s filesystem with one file; returns its path.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while f.write_all(&chunk).is_ok() {}
    // The last partial chunk: byte by byte until nothing fits.
    while f.write_all(&[0]).is_ok() {}
    path
}

/// Frees `bytes` of the filled filesystem again (shortens the filler).
fn free(filler: &std::path::Path, bytes: u64) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(filler)
        .unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(bytes)).unwrap();
}

/// The registry's disk fills up during the push (a filler file leaves it
/// room for about half the tar): a clear error naming the registry's
/// answer; no tag points at incomplete content; and once the space is
/// freed, the re-run completes and the registry equals a clean push.
///
/// Distribution 2.8's filesystem driver leaves zero-length `link` files
/// behind when a write fails with ENOSPC and then answers 500 to `HEAD` of
/// those blobs, with space or without; Airlock takes a blob `HEAD` that
/// still fails after the retries as absent and uploads the blob again,
/// which rewrites the link.
#[test]
fn registry_storage_full_gives_an_error_naming_the_registrys_answer_and_the_rerun_completes() {
    let (_dir, tar, _, tar_size) = package_repository();
    let mut reg = TestRegistry::start(Auth::None);
    reg.kill();
    let storage = mount_or_explain(&reg.dir.path().join("data"), tar_size);
    reg.restart();
    let filler = fill(storage.path());
    free(&filler, tar_size / 2);
    let repo = "airgap/packages";
    let dest = format!("{}/{repo}", reg.host());
    let args = ["copy", "--tar", &tar, "--to-repo", &dest];

    let out = run_airlock(BIN, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "push into a full disk succeeded: {stderr}"
    );
    // Distribution answers 500 `UNKNOWN: unknown error` (the storage
    // driver's "no space left on device" goes only to its log): the error
    // names the request and quotes that answer.
    assert!(
        stderr.contains("airlock: Error: ")
            && stderr.contains("/v2/airgap/packages/")
            && stderr.contains("UNKNOWN: unknown error"),
        "the failed request and the registry's answer are named: {stderr}"
    );
    assert!(
        reg.log().contains("no space left on device"),
        "the registry failed because its disk was full"
    );
    // Whatever the failed push left, every tag reaches complete content
    // (the walk panics on a listed tag or child it cannot read).
    let partial = registry_state::walk(&reg, repo);
    for d in partial.blobs.keys() {
        assert!(
            reg.blob(repo, &d.parse().unwrap()).is_some(),
            "a tag reaches blob {d}, which the registry does not serve"
        );
    }

    // Space is freed: the filler goes, and the filesystem grows (every
    // small blob, link and upload file takes a page of the tmpfs, so the
    // registry needs several times the tar's size).
    std::fs::remove_file(&filler).unwrap();
    storage.resize(tar_size * 16);
    let again = run_airlock(BIN, &args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "re-run with space: {stderr}");

    let clean = TestRegistry::start(Auth::None);
    let clean_dest = format!("{}/{repo}", clean.host());
    let out = run_airlock(BIN, &["copy", "--tar", &tar, "--to-repo", &clean_dest]);
    assert!(out.status.success());
    let after = registry_state::walk(&reg, repo);
    assert_eq!(after, registry_state::walk(&clean, repo));
    for d in after.blobs.keys() {
        let bytes = reg.blob(repo, &d.parse().unwrap());
        let bytes = bytes.unwrap_or_else(|| panic!("blob {d} is not served after the re-run"));
        assert_eq!(
            Digest::of(&bytes).to_string(),
            *d,
            "blob {d} is served with other bytes"
        );
    }
    drop(reg);
}

#[test]
fn to_tar_output_fills_up_and_leaves_no_partial_tar() {
    let (_dir, tar, root, tar_size) = package_repository();
    let reg = TestRegistry::start(Auth::None);
    let dest = format!("{}/airgap/packages", reg.host());
    let out = run_airlock(BIN, &["copy", "--tar", &tar, "--to-repo", &dest]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let outdir = TempDir::new("full-disk-out");
    let disk = mount_or_explain(outdir.path(), tar_size / 3);
    let target = outdir.path().join("out.tar");
    let bundle = format!("{dest}@{root}");
    let args = ["copy", "-b", &bundle, "--to-tar", target.to_str().unwrap()];

    let out = run_airlock(BIN, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "--to-tar into a full disk succeeded");
    assert!(
        stderr.contains("No space left on device"),
        "the write error is named: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "nothing is left behind: {left:?}");

    disk.resize(tar_size * 4);
    let again = run_airlock(BIN, &args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "re-run with space: {stderr}");
    assert!(std::fs::metadata(&target).unwrap().len() > 0);
    drop(disk);
}

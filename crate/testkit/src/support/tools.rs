//! Running Debian's `skopeo` and GNU `tar` for the image-archive tests.

use std::path::Path;
use std::process::{Command, Output};

pub const SKOPEO_BIN: &str = "/usr/bin/skopeo";

/// Runs `skopeo` with `args` (no credentials from a home directory); panics
/// with its stderr when it fails.
pub fn skopeo(args: &[&str]) -> Output {
    let out = Command::new(SKOPEO_BIN)
        .args(args)
        .env("HOME", "/nonexistent-airlock-test-home")
        .output()
        .unwrap_or_else(|e| panic!("running {SKOPEO_BIN} (scripts/setup.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `tar -C dir -cf out <names>` (GNU tar); panics when it fails.
pub fn tar_create(dir: &Path, out: &Path, names: &[&str]) {
    let status = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-cf")
        .arg(out)
        .args(names)
        .status()
        .expect("running tar");
    assert!(status.success(), "tar -cf {}", out.display());
}

/// `tar -C dir -xf tar`; panics when it fails.
pub fn tar_extract(tar: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-xf")
        .arg(tar)
        .status()
        .expect("running tar");
    assert!(status.success(), "tar -xf {}", tar.display());
}

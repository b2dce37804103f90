//! The fuzz targets' inputs, run without libFuzzer: every crash libFuzzer
//! found (`crate/fuzz/regressions/TARGET/*`, each also a named test below)
//! and every corpus file (`crate/fuzz/corpus/TARGET/*`) go through the same
//! entry points (`airlock_testkit::fuzz_entry`) and must return.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use airlock_core::registry::auth::{parse_www_authenticate, Challenge};
use airlock_testkit::fuzz_entry::{self, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn entry(target: &str) -> fuzz_entry::Entry {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target}"))
        .1
}

/// The files of `crate/fuzz/<kind>/<target>/`, sorted (none when absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(read) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .map(|e| e.expect("reads the directory").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs one kept input; a panic names the file.
fn run(target: &str, path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let f = entry(target);
    if let Err(e) = std::panic::catch_unwind(|| f(&bytes)) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("{target} on {}: panicked: {msg}", path.display());
    }
}

#[test]
fn every_target_has_a_seeded_corpus() {
    for (target, _) in TARGETS {
        let n = inputs("corpus", target).len();
        assert!(n > 0, "crate/fuzz/corpus/{target} is empty");
    }
}

#[test]
fn corpora_run_through_the_entry_points() {
    for (target, _) in TARGETS {
        for path in inputs("corpus", target) {
            run(target, &path);
        }
    }
}

#[test]
fn every_regression_input_runs() {
    for (target, _) in TARGETS {
        for path in inputs("regressions", target) {
            run(target, &path);
        }
    }
}

/// Found by `www_authenticate` (a libFuzzer timeout): a challenge with a
/// stray `=` before any scheme made the parser stop advancing, so a
/// registry answering `WWW-Authenticate: =…` hung the client forever.
#[test]
fn www_authenticate_stray_equals_sign_does_not_hang() {
    let path = fuzz_dir().join("regressions/www_authenticate/stray-equals-hang");
    run("www_authenticate", &path);
    assert_eq!(
        parse_www_authenticate(["=Bearer realm=\"https://auth.example/token\""]),
        Some(Challenge::Bearer {
            realm: "https://auth.example/token".to_string(),
            service: None,
            scope: None,
        })
    );
    assert_eq!(parse_www_authenticate(["=", "= =,="]), None);
}

#[test]
fn the_unmutated_fixture_opens_verifies_and_plans() {
    // The structure-aware target starts from a valid tar: if it stopped
    // opening, the target would only explore the error path.
    let archive = fuzz_entry::now(airlock_core::archive::Archive::open(
        fuzz_entry::SIMPLE_BUNDLE_TAR,
    ))
    .expect("simple-bundle.tar opens");
    assert!(airlock_core::verify::structural(&archive).is_empty());
    fuzz_entry::archive_mutate(&[]);
}

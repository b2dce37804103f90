//! Running the `airlock` binary and reading the golden fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `airlock` binary at `bin` (the calling test's
/// `env!("CARGO_BIN_EXE_airlock")`) with `args`, taking no credentials from
/// the environment or a home directory.
pub fn run_airlock(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env_remove("IMGPKG_USERNAME")
        .env_remove("IMGPKG_PASSWORD")
        .env("HOME", "/nonexistent-airlock-test-home")
        .output()
        .unwrap_or_else(|e| panic!("running {bin}: {e}"))
}

/// `tests/fixtures/<name>/<file>`: the golden files made by real imgpkg.
pub fn fixture(name: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join(file)
}

/// The text of [`fixture`]`(name, file)`.
pub fn read_fixture(name: &str, file: &str) -> String {
    let path = fixture(name, file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

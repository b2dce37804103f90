//! Running the `airlock` binary and reading the golden fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// How a test runs the `airlock` binary: the binary (the calling test's
/// `env!("CARGO_BIN_EXE_airlock")`), extra environment and trailing
/// arguments. A `const` per test file:
/// `const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));`.
/// Credentials are never taken from the environment or a home directory.
#[derive(Debug, Clone, Copy)]
pub struct Airlock {
    bin: &'static str,
    env: &'static [(&'static str, &'static str)],
    trailing: &'static [&'static str],
}

impl Airlock {
    /// The binary at `bin`, run with no extra environment.
    pub const fn new(bin: &'static str) -> Airlock {
        Airlock {
            bin,
            env: &[],
            trailing: &[],
        }
    }

    /// Runs with these environment variables set too.
    pub const fn env(self, env: &'static [(&'static str, &'static str)]) -> Airlock {
        Airlock { env, ..self }
    }

    /// Runs with these arguments after each call's own.
    pub const fn trailing(self, trailing: &'static [&'static str]) -> Airlock {
        Airlock { trailing, ..self }
    }

    /// Runs `airlock args…`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(self.bin)
            .args(args)
            .args(self.trailing)
            .env_remove("IMGPKG_USERNAME")
            .env_remove("IMGPKG_PASSWORD")
            .env("HOME", "/nonexistent-airlock-test-home")
            .envs(self.env.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.bin))
    }

    /// Runs `airlock args…`: (success, stdout, stderr).
    pub fn texts(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.run(args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `airlock args…`, which must succeed: its stdout, then its stderr.
    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.texts(args);
        assert!(ok, "airlock {args:?} failed:\n{out}\n{err}");
        format!("{out}{err}")
    }

    /// Runs `airlock args…`, which must succeed: its stdout alone (for
    /// `--json` output).
    pub fn stdout(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.texts(args);
        assert!(ok, "airlock {args:?} failed:\n{out}\n{err}");
        out
    }

    /// Runs `airlock args…`, which must fail: its stderr (the error text).
    pub fn fails(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.texts(args);
        assert!(!ok, "airlock {args:?} should fail:\n{out}\n{err}");
        err
    }

    /// Runs `airlock args…`, which must fail with an error text containing
    /// `want`: that text.
    pub fn fails_with(&self, args: &[&str], want: &str) -> String {
        let err = self.fails(args);
        assert!(err.contains(want), "airlock {args:?}: {err}");
        err
    }
}

/// `copy --tar TAR --to-repo DEST --lock-output LOCK`: an import with the
/// lock it writes (more flags may follow).
pub fn tar_import_args<'a>(tar: &'a Path, dest: &'a str, lock: &'a Path) -> Vec<&'a str> {
    let (tar, lock) = (tar.to_str().unwrap(), lock.to_str().unwrap());
    vec![
        "copy",
        "--tar",
        tar,
        "--to-repo",
        dest,
        "--lock-output",
        lock,
    ]
}

/// Runs the `airlock` binary at `bin` (the calling test's
/// `env!("CARGO_BIN_EXE_airlock")`) with `args`, taking no credentials from
/// the environment or a home directory.
pub fn run_airlock(bin: &'static str, args: &[&str]) -> Output {
    Airlock::new(bin).run(args)
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

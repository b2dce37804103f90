//! Random crash points: a generated package repository is pushed with the
//! `airlock` binary while the registry (then, in the second test, the
//! `airlock` process) is `SIGKILL`ed at random moments drawn from a printed
//! seed. After every kill an independent walk (raw `GET`s of tags/list,
//! manifests and blobs, not the code under test) checks that no tag points
//! at a manifest whose blobs are missing; the push is re-run; at the end the
//! registry holds exactly what a clean push leaves (the plan's tags at their
//! digests, every manifest and blob present).
//!
//! `AIRLOCK_CRASH_SEED=N` replays a run; `AIRLOCK_CRASH_POINTS=N` sets the
//! number of kills per test (default 3; `scripts/crash-points.sh` runs more).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::manifest::Manifest;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::Repository;
use airlock_testkit::block_on;
use airlock_testkit::random::Rng;
use airlock_testkit::support::{run_airlock, write_tar, Auth, TempDir, TestRegistry};
use airlock_testkit::synth::{self, PackageRepoOptions};

const BIN: &str = env!("CARGO_BIN_EXE_airlock");
const REPO: &str = "airgap/packages";

fn seed() -> u64 {
    let seed = std::env::var("AIRLOCK_CRASH_SEED")
        .ok()
        .map(|s| s.parse().expect("AIRLOCK_CRASH_SEED is a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("crash points: AIRLOCK_CRASH_SEED={seed}");
    seed
}

fn points() -> usize {
    std::env::var("AIRLOCK_CRASH_POINTS")
        .ok()
        .map_or(3, |s| s.parse().expect("AIRLOCK_CRASH_POINTS is a number"))
}

/// The input tar and what a clean push leaves: tag -> manifest digest.
struct Setup {
    _dir: TempDir,
    tar: String,
    want_tags: BTreeMap<String, Digest>,
}

fn setup(reg: &TestRegistry) -> Setup {
    let pr = synth::package_repository(&PackageRepoOptions {
        deep: true,
        ..Default::default()
    });
    let (dir, file) = write_tar("crash-points", &pr.tar);
    let bytes = pr.tar.to_bytes();
    let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
    let repo = Repository::parse(&format!("{}/{REPO}", reg.host())).unwrap();
    let plan = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap();
    let want_tags = plan
        .final_tags()
        .into_iter()
        .map(|(t, d, _)| (t, d))
        .collect();
    Setup {
        tar: file.to_str().unwrap().to_string(),
        _dir: dir,
        want_tags,
    }
}

fn push_args<'a>(s: &'a Setup, dest: &'a str) -> Vec<&'a str> {
    vec!["copy", "--tar", &s.tar, "--to-repo", dest]
}

/// Starts a push without waiting for it.
fn spawn_push(s: &Setup, dest: &str) -> Child {
    Command::new(BIN)
        .args(push_args(s, dest))
        .env_remove("IMGPKG_USERNAME")
        .env_remove("IMGPKG_PASSWORD")
        .env("HOME", "/nonexistent-airlock-test-home")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts airlock")
}

/// A push run to completion; panics unless it succeeds.
fn push_ok(s: &Setup, reg: &TestRegistry, dest: &str, what: &str) -> Duration {
    let start = Instant::now();
    let out = run_airlock(BIN, &push_args(s, dest));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {stderr}\n{}", reg.log());
    start.elapsed()
}

/// The independent walk: every tag that resolves points at a manifest
/// whose blobs (and, for an index, children and their blobs) are all
/// present with the right digests. A tag link being written at the instant
/// of a registry kill may not resolve (Distribution's filesystem driver
/// does not write it atomically): such a tag points at nothing, and the
/// re-run repairs it.
fn assert_no_tag_points_at_missing_blobs(reg: &TestRegistry, what: &str) {
    for t in reg.tags(REPO) {
        let Some(raw) = reg.manifest(REPO, &t) else {
            continue;
        };
        assert_complete(reg, &raw, &format!("{what}: tag {t}"));
    }
}

fn assert_complete(reg: &TestRegistry, raw: &[u8], what: &str) {
    match Manifest::parse(raw.to_vec(), None).unwrap() {
        Manifest::Image(img) => {
            for d in std::iter::once(&img.config).chain(&img.layers) {
                let b = reg
                    .blob(REPO, &d.digest)
                    .unwrap_or_else(|| panic!("{what} points at missing blob {}", d.digest));
                assert_eq!(Digest::of(&b), d.digest, "{what}: blob {}", d.digest);
            }
        }
        Manifest::Index(idx) => {
            for c in &idx.manifests {
                let child = reg
                    .manifest(REPO, &c.digest.to_string())
                    .unwrap_or_else(|| panic!("{what} points at missing child {}", c.digest));
                assert_eq!(Digest::of(&child), c.digest, "{what}: child");
                assert_complete(reg, &child, what);
            }
        }
    }
}

/// The registry equals a clean push: exactly the planned tags, each at its
/// digest, and everything they reach present.
fn assert_equals_clean_push(reg: &TestRegistry, s: &Setup) {
    let mut got = BTreeMap::new();
    for t in reg.tags(REPO) {
        let raw = reg
            .manifest(REPO, &t)
            .unwrap_or_else(|| panic!("tag {t} listed but does not resolve"));
        got.insert(t, Digest::of(&raw));
    }
    assert_eq!(got, s.want_tags, "tags after the final run");
    assert_eq!(reg.assert_tags_complete(REPO), s.want_tags.len());
}

/// Waits for a killed run's process to end (it fails or, when the kill
/// came late, succeeds; either is fine).
fn wait(mut child: Child) {
    let _ = child.wait();
}

fn calibrate(s: &Setup, reg: &TestRegistry) -> u64 {
    // A clean push elsewhere tells how long a push takes here; kill
    // moments are drawn from 0..that.
    let dest = format!("{}/calibration/packages", reg.host());
    let took = push_ok(s, reg, &dest, "calibration push");
    (took.as_millis() as u64).max(20)
}

#[test]
fn registry_killed_at_random_moments() {
    let mut rng = Rng::new(seed());
    let mut reg = TestRegistry::start(Auth::None);
    let s = setup(&reg);
    let span = calibrate(&s, &reg);
    let dest = format!("{}/{REPO}", reg.host());
    for n in 0..points() {
        let at = rng.below(span);
        let child = spawn_push(&s, &dest);
        std::thread::sleep(Duration::from_millis(at));
        reg.kill();
        wait(child);
        reg.restart();
        assert_no_tag_points_at_missing_blobs(&reg, &format!("registry kill {n} at {at} ms"));
    }
    push_ok(&s, &reg, &dest, "final push");
    assert_equals_clean_push(&reg, &s);
}

#[test]
fn airlock_killed_at_random_moments() {
    let mut rng = Rng::new(seed() ^ 0x9e37_79b9_7f4a_7c15);
    let reg = TestRegistry::start(Auth::None);
    let s = setup(&reg);
    let span = calibrate(&s, &reg);
    let dest = format!("{}/{REPO}", reg.host());
    for n in 0..points() {
        let at = rng.below(span);
        let mut child = spawn_push(&s, &dest);
        std::thread::sleep(Duration::from_millis(at));
        // Child::kill sends SIGKILL on Unix.
        let _ = child.kill();
        wait(child);
        assert_no_tag_points_at_missing_blobs(&reg, &format!("airlock kill {n} at {at} ms"));
    }
    push_ok(&s, &reg, &dest, "final push");
    assert_equals_clean_push(&reg, &s);
}

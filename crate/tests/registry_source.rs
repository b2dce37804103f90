#![cfg(not(target_arch = "wasm32"))]
//! Registry sources (`airlock copy -b/-i/--lock`), the tar destination
//! (`--to-tar`, `--resume`) and `airlock pull`, against a real registry,
//! checked against the golden imgpkg fixtures.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use airlock::archive::Archive;
use airlock::imageset::{ImageSet, ROOT_BUNDLE_LABEL};
use airlock::planner::{self, PlanOptions};
use airlock::registry::auth::AnonymousKeychain;
use airlock::registry::copy::CopyOptions;
use airlock::registry::ClientConfig;
use airlock::source::{block_on, FileSource};
use airlock::tar::TarIndex;
use support::{Auth, TempDir, TestRegistry};

const FIXTURE_HOST: &str = "127.0.0.1:5000";

fn fixture(name: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
        .join(file)
}

fn fixture_tar(name: &str) -> PathBuf {
    fixture(name, &format!("{name}.tar"))
}

fn read(name: &str, file: &str) -> String {
    std::fs::read_to_string(fixture(name, file)).unwrap()
}

/// Runs `airlock args…`; (success, stdout, stderr).
fn airlock(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("IMGPKG_USERNAME")
        .env_remove("IMGPKG_PASSWORD")
        .env("HOME", "/nonexistent-airlock-home")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (ok, out, err) = airlock(args);
    assert!(ok, "airlock {args:?} failed:\n{out}\n{err}");
    format!("{out}{err}")
}

fn fails(args: &[&str]) -> String {
    let (ok, out, err) = airlock(args);
    assert!(!ok, "airlock {args:?} should fail:\n{out}\n{err}");
    err
}

fn open(path: &Path) -> Archive {
    let src = FileSource::open(path).unwrap();
    block_on(Archive::open(&src)).unwrap()
}

/// Recreates a fixture's source registry layout (`src/app1`, `src/app2`,
/// `src/simple-bundle`, …) in `reg` from the fixture tar: every manifest by
/// digest into the repository of its `Refs[0]`, plus the source tags
/// (`v1.0.0` for the root bundle, `v1` for images).
fn seed_fixture(reg: &TestRegistry, name: &str) {
    seed(reg, name, false)
}

/// Like [`seed_fixture`]; with `colocate`, a bundle's images are also
/// pushed into the bundle's own repository (where discovery looks first,
/// so it never needs the fixtures' `127.0.0.1:5000`).
fn seed(reg: &TestRegistry, name: &str, colocate: bool) {
    let tar = fixture_tar(name);
    let archive = open(&tar);
    let set = &archive.set;
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &id in &set.top {
        let src = &set.nodes[id].source;
        let path = src
            .split('@')
            .next()
            .unwrap()
            .strip_prefix(&format!("{FIXTURE_HOST}/"))
            .unwrap()
            .to_string();
        groups.entry(path).or_default().push(id);
    }
    if colocate {
        if let Some(root) = set.root_bundle() {
            let src = &set.nodes[root].source;
            let path = src.split('@').next().unwrap()[FIXTURE_HOST.len() + 1..].to_string();
            let all: Vec<usize> = set.top.clone();
            groups.insert(path, all);
        }
    }
    let transport = support::transport().with_tar_path(&tar).unwrap();
    for (path, ids) in groups {
        let mut sub = ImageSet {
            nodes: set.nodes.clone(),
            top: ids.clone(),
            ..ImageSet::default()
        };
        for &id in &ids {
            let n = &mut sub.nodes[id];
            n.labels.remove(ROOT_BUNDLE_LABEL);
            let own_repo = n.source.contains(&format!("/{path}@"));
            if !own_repo {
                n.tag.clear();
            } else if n.tag.is_empty() {
                n.tag = if n.is_bundle() { "v1.0.0" } else { "v1" }.into();
            }
        }
        let out = planner::plan(&sub, &reg.repo(&path), PlanOptions::default()).unwrap();
        let (r, _) = support::copy_with(
            &transport,
            &out.plan,
            Box::new(AnonymousKeychain),
            CopyOptions::default(),
            ClientConfig::default(),
            &mut |_| {},
        );
        r.unwrap();
    }
}

/// The tar's entries as (name, bytes), in order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let index: TarIndex = block_on(airlock::tar::index(bytes.as_slice())).unwrap();
    index
        .iter()
        .map(|e| {
            let s = e.data_offset as usize;
            (e.name.clone(), bytes[s..s + e.size as usize].to_vec())
        })
        .collect()
}

fn source_ref(name: &str, host: &str) -> String {
    match name {
        "simple-bundle" => format!("{host}/src/simple-bundle:v1.0.0"),
        "image-app1" => format!("{host}/src/app1:v1"),
        _ => unreachable!(),
    }
}

fn source_flag(name: &str) -> &'static str {
    if name == "image-app1" {
        "-i"
    } else {
        "-b"
    }
}

const FIXTURES: [&str; 2] = ["simple-bundle", "image-app1"];

/// The golden `manifest.json` as Airlock must write it from `reg`: on
/// 127.0.0.1:5000 unchanged; elsewhere (images colocated with the bundle)
/// the host replaced and the bundle's images found in the bundle's repo
/// (their `OrigRef` stays the `images.yml` value).
fn expected_manifest_json(golden: &str, reg: &TestRegistry, name: &str) -> String {
    if reg.host() == FIXTURE_HOST {
        return golden.to_string();
    }
    let mut s = golden.to_string();
    if name == "simple-bundle" {
        for app in ["src/app1", "src/app2"] {
            s = s.replace(
                &format!("\"Refs\":[\"{FIXTURE_HOST}/{app}@"),
                &format!("\"Refs\":[\"{}/src/simple-bundle@", reg.host()),
            );
        }
        s.replace(
            &format!("{FIXTURE_HOST}/src/simple-bundle@"),
            &format!("{}/src/simple-bundle@", reg.host()),
        )
    } else {
        s.replace(FIXTURE_HOST, &reg.host())
    }
}

/// A registry on 127.0.0.1:5000 when that port is free (byte-for-byte
/// comparisons with the fixtures), else on any port.
fn fixture_registry() -> TestRegistry {
    if std::net::TcpListener::bind(FIXTURE_HOST).is_ok() {
        TestRegistry::start_on_port(Auth::None, 5000)
    } else {
        TestRegistry::start(Auth::None)
    }
}

#[test]
fn export_to_tar_is_byte_identical_to_imgpkg() {
    let reg = fixture_registry();
    let dir = TempDir::new("export");
    for name in FIXTURES {
        seed(&reg, name, reg.host() != FIXTURE_HOST);
        let out = dir.path().join(format!("{name}.tar"));
        let log = ok(&[
            "copy",
            source_flag(name),
            &source_ref(name, &reg.host()),
            "--to-tar",
            out.to_str().unwrap(),
        ]);
        let golden = fixture_tar(name);
        let want = entries(&golden);
        let got = entries(&out);
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want), "{name}: entry order");
        for ((n, g), (_, w)) in got.iter().zip(&want) {
            if n == "manifest.json" {
                let w = expected_manifest_json(&String::from_utf8(w.clone()).unwrap(), &reg, name);
                assert_eq!(String::from_utf8(g.clone()).unwrap(), w, "{name}: manifest.json");
            } else {
                assert_eq!(g, w, "{name}: {n}");
            }
        }
        if reg.host() == FIXTURE_HOST {
            assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&golden).unwrap());
        } else {
            // Byte for byte once manifest.json is rewritten the same way.
            let golden_json = String::from_utf8(want[0].1.clone()).unwrap();
            let manifest = airlock::imgpkg_tar::manifest_json::parse(
                expected_manifest_json(&golden_json, &reg, name).as_bytes(),
            )
            .unwrap();
            let layers: Vec<airlock::imgpkg_tar::LayerBlob<&[u8]>> = want[1..]
                .iter()
                .map(|(_, b)| airlock::imgpkg_tar::LayerBlob {
                    digest: airlock::digest::Digest::of(b),
                    size: b.len() as u64,
                    reader: b.as_slice(),
                })
                .collect();
            let expected = airlock::imgpkg_tar::write_imgpkg_tar(Vec::new(), &manifest, layers).unwrap();
            assert_eq!(std::fs::read(&out).unwrap(), expected, "{name}: whole file");
        }
        let count = want.len() - 1;
        assert!(log.contains("copy | writing layers..."), "{log}");
        assert!(log.contains("copy | done: file 'manifest.json'"), "{log}");
        assert!(log.contains(&format!("copy | exported {} images", open(&golden).descriptors.len())), "{log}");
        assert_eq!(log.matches("copy | done: file 'sha256-").count(), count, "{log}");
        assert!(log.trim_end().ends_with("Succeeded"), "{log}");
    }
}

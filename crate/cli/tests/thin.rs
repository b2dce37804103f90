#![cfg(not(target_arch = "wasm32"))]
//! Thin transfers against real registries: `airlock receipt`, thin export
//! (`copy -b … --to-tar --skip-blobs`) and thin import (`copy --tar … --to-repo`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use airlock_core::receipt::Receipt;
use airlock_testkit::registry_state::{blob_links, manifest_links, walk};
use airlock_testkit::support::{Auth, TempDir, TestRegistry};

fn fixture_tar(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join(format!("{name}.tar"))
}

/// Runs `airlock args…`; (success, stdout, stderr).
fn airlock(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("IMGPKG_USERNAME")
        .env_remove("IMGPKG_PASSWORD")
        .env("HOME", "/nonexistent-airlock-home")
        .env("SOURCE_DATE_EPOCH", "1796170332")
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

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn read_receipt(path: &Path) -> Receipt {
    Receipt::parse(&std::fs::read(path).unwrap(), p(path)).unwrap()
}

#[test]
fn receipt_lists_exactly_what_the_registry_holds_after_a_fixture_import() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("thin-receipt");
    let repo = "dst/simple-bundle";
    let dest = format!("{}/{repo}", reg.host());
    ok(&[
        "copy",
        "--tar",
        p(&fixture_tar("simple-bundle")),
        "--to-repo",
        &dest,
    ]);
    let out = dir.path().join("receipt.json");
    ok(&["receipt", &dest, "-o", p(&out)]);
    let text = std::fs::read_to_string(&out).unwrap();
    let r = read_receipt(&out);
    assert_eq!(r.registry, reg.host());
    assert_eq!(r.created_at, "2026-12-02T00:12:12Z");
    assert_eq!(r.repositories.len(), 1);
    let rec = &r.repositories[0];
    assert_eq!(rec.name, repo);

    // The independent walk (raw GETs, plain JSON).
    let w = walk(&reg, repo);
    let tags: BTreeMap<String, String> = rec
        .tags
        .iter()
        .map(|(t, d)| (t.clone(), d.to_string()))
        .collect();
    assert_eq!(tags, w.tags);
    let manifests: BTreeMap<String, (u64, String)> = rec
        .manifests
        .iter()
        .map(|e| (e.digest.to_string(), (e.size, e.media_type.clone())))
        .collect();
    assert_eq!(manifests, w.manifests);
    let blobs: BTreeMap<String, (u64, String)> = rec
        .blobs
        .iter()
        .map(|e| (e.digest.to_string(), (e.size, e.media_type.clone())))
        .collect();
    assert_eq!(blobs, w.blobs);
    // And the storage directory: every linked blob and manifest, no more.
    assert_eq!(
        blobs
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        blob_links(&reg, repo)
    );
    assert_eq!(
        manifests
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        manifest_links(&reg, repo)
    );
    // Against the fixture's expected tag list too.
    let expected_tags = std::fs::read_to_string(
        fixture_tar("simple-bundle")
            .parent()
            .unwrap()
            .join("expected-dst-tags.txt"),
    )
    .unwrap();
    let expected: Vec<String> = expected_tags
        .lines()
        .map(|l| {
            let mut f = l.split_whitespace();
            format!("{} {}", f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    let got: Vec<String> = rec.tags.iter().map(|(t, d)| format!("{t} {d}")).collect();
    assert_eq!(got, expected);

    // Deterministic: a second receipt is byte-identical and says so in its counts.
    let again = dir.path().join("again.json");
    ok(&["receipt", &dest, "-o", p(&again)]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kind"], "AirlockReceipt");
    assert_eq!(v["version"], 1);
    assert_eq!(v["counts"]["manifests"], w.manifests.len());
    assert_eq!(v["counts"]["blobs"], w.blobs.len());
    assert_eq!(
        v["counts"]["blobBytes"],
        w.blobs.values().map(|(s, _)| s).sum::<u64>()
    );
}

#[test]
fn receipt_of_an_empty_repository_and_of_a_missing_registry() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("thin-receipt-empty");
    let out = dir.path().join("r.json");
    // A repository that was never pushed to: the registry answers 404 NAME_UNKNOWN.
    let err = fails(&[
        "receipt",
        &format!("{}/nothing/here", reg.host()),
        "-o",
        p(&out),
    ]);
    assert!(err.contains("nothing/here"), "{err}");
    assert!(!out.exists());
    let err = fails(&[
        "receipt",
        &format!("{}/a/b", reg.host()),
        "other.example:5000/a/c",
        "-o",
        p(&out),
    ]);
    assert!(err.contains("different registries"), "{err}");
}

#![cfg(not(target_arch = "wasm32"))]
//! Thin transfers against real registries: `airlock receipt`, thin export
//! (`copy -b … --to-tar --skip-blobs`) and thin import (`copy --tar … --to-repo`).

use airlock_testkit::support::Airlock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_core::archive::Archive;
use airlock_core::receipt::{Entry, Receipt};
use airlock_core::thin::{self, Omitted, OMITTED_ENTRY};
use airlock_testkit::registry_state::{
    blob_links, delete_blob, manifest_links, snapshot, walk, Walked,
};
use airlock_testkit::support::{free_port, Auth, TempDir, TestRegistry};
use airlock_testkit::synth::versions::{package_repository_release, ReleaseOptions};

const AIRLOCK: Airlock =
    Airlock::new(env!("CARGO_BIN_EXE_airlock")).env(&[("SOURCE_DATE_EPOCH", "1796170332")]);

fn fixture_tar(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join(format!("{name}.tar"))
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
    AIRLOCK.ok(&[
        "copy",
        "--tar",
        p(&fixture_tar("simple-bundle")),
        "--to-repo",
        &dest,
    ]);
    let out = dir.path().join("receipt.json");
    AIRLOCK.ok(&["receipt", &dest, "-o", p(&out)]);
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
    // The walk's shape: digest -> (size, media type).
    let by_digest = |entries: &[Entry]| -> BTreeMap<String, (u64, String)> {
        entries
            .iter()
            .map(|e| (e.digest.to_string(), (e.size, e.media_type.clone())))
            .collect()
    };
    let manifests = by_digest(&rec.manifests);
    assert_eq!(manifests, w.manifests);
    let blobs = by_digest(&rec.blobs);
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
    AIRLOCK.ok(&["receipt", &dest, "-o", p(&again)]);
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
    AIRLOCK.fails_with(
        &[
            "receipt",
            &format!("{}/nothing/here", reg.host()),
            "-o",
            p(&out),
        ],
        "nothing/here",
    );
    assert!(!out.exists());
    AIRLOCK.fails_with(
        &[
            "receipt",
            &format!("{}/a/b", reg.host()),
            "other.example:5000/a/c",
            "-o",
            p(&out),
        ],
        "different registries",
    );
}

/// Releases 1 and 2 of a package repository: the synthetic tars, and a
/// source registry holding both in `src/pkgrepo` (tags v1.0.0, v2.0.0).
struct Releases {
    dir: TempDir,
    v1: PathBuf,
    src: TestRegistry,
}

impl Releases {
    fn new() -> Releases {
        let dir = TempDir::new("thin-releases");
        let src = TestRegistry::start(Auth::None);
        let v1 = dir.path().join("v1.tar");
        let v2 = dir.path().join("v2-synth.tar");
        package_repository_release(&ReleaseOptions::small(1))
            .write_to(&v1)
            .unwrap();
        package_repository_release(&ReleaseOptions::small(2))
            .write_to(&v2)
            .unwrap();
        for t in [&v1, &v2] {
            AIRLOCK.ok(&[
                "copy",
                "--tar",
                p(t),
                "--to-repo",
                &format!("{}/src/pkgrepo", src.host()),
            ]);
        }
        Releases { dir, v1, src }
    }

    fn v2_ref(&self) -> String {
        format!("{}/src/pkgrepo:v2.0.0", self.src.host())
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `airlock receipt REPO -o receipt.json`: the receipt's path.
    fn receipt_of(&self, repo: &str) -> PathBuf {
        let receipt = self.file("receipt.json");
        AIRLOCK.ok(&["receipt", repo, "-o", p(&receipt)]);
        receipt
    }

    /// v2 exported from the source registry as the thin tar `name`, leaving
    /// out what `skip` (a receipt or last month's tar) promises: the tar's
    /// path and the command's output.
    fn thin_v2(&self, name: &str, skip: &Path) -> (PathBuf, String) {
        let thin_tar = self.file(name);
        let out = AIRLOCK.ok(&[
            "copy",
            "-b",
            &self.v2_ref(),
            "--to-tar",
            p(&thin_tar),
            "--skip-blobs",
            p(skip),
        ]);
        (thin_tar, out)
    }
}

const DST: &str = "dst/pkgrepo";

fn dest(reg: &TestRegistry) -> String {
    format!("{}/{DST}", reg.host())
}

fn open_tar(path: &Path) -> (Archive, Option<Omitted>) {
    let src = FileSource::open(path).unwrap();
    let a = block_on(Archive::open(&src)).unwrap();
    let o = block_on(thin::read_omitted(&src, &a, p(path))).unwrap();
    (a, o)
}

/// A registry on `port` holding release 1 (imported from its tar).
fn with_v1(rel: &Releases, port: u16) -> TestRegistry {
    let reg = TestRegistry::start_on_port(Auth::None, port);
    AIRLOCK.ok(&["copy", "--tar", p(&rel.v1), "--to-repo", &dest(&reg)]);
    reg
}

/// Release 2 imported in full over release 1, on `port` (locations images
/// name the registry, so every comparison runs on the same port).
fn reference_state(rel: &Releases, port: u16) -> (Walked, u64) {
    let reg = with_v1(rel, port);
    let full = rel.file("v2-full.tar");
    AIRLOCK.ok(&["copy", "-b", &rel.v2_ref(), "--to-tar", p(&full)]);
    AIRLOCK.ok(&["copy", "--tar", p(&full), "--to-repo", &dest(&reg)]);
    (walk(&reg, DST), std::fs::metadata(&full).unwrap().len())
}

fn layer_digests(n: &airlock_core::imageset::Node) -> Vec<airlock_core::digest::Digest> {
    match &n.kind {
        airlock_core::imageset::NodeKind::Image { layers, .. } => {
            layers.iter().map(|l| l.digest).collect()
        }
        airlock_core::imageset::NodeKind::Index { .. } => Vec::new(),
    }
}

/// Thin tar `thin` (already written) checked: it holds exactly the changed
/// layers and the bundle layers, lists the rest, inspects and verifies.
fn check_thin_tar(thin_tar: &Path, full: &Walked, v1: &Walked, promised_by: &str) {
    let (archive, omitted) = open_tar(thin_tar);
    let omitted = omitted.expect("a thin tar has the omitted-blobs entry");
    let in_tar: std::collections::BTreeSet<String> = archive
        .entries
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| n.ends_with(".tar.gz"))
        .collect();
    let bundle_layers: std::collections::BTreeSet<String> = archive
        .set
        .bundles
        .values()
        .flat_map(|b| layer_digests(&archive.set.nodes[b.node]))
        .map(|d| d.tar_entry_name())
        .collect();
    let all_layers: std::collections::BTreeSet<String> = archive
        .set
        .nodes
        .iter()
        .flat_map(layer_digests)
        .map(|d| d.tar_entry_name())
        .collect();
    // Layers the destination had (release 1) leave, except bundle layers.
    let had: std::collections::BTreeSet<String> = v1
        .blobs
        .keys()
        .map(|d| {
            airlock_core::digest::Digest::parse(d)
                .unwrap()
                .tar_entry_name()
        })
        .collect();
    let expected_in: std::collections::BTreeSet<String> = all_layers
        .iter()
        .filter(|n| !had.contains(*n) || bundle_layers.contains(*n))
        .cloned()
        .collect();
    assert_eq!(in_tar, expected_in);
    let listed: std::collections::BTreeSet<String> = omitted
        .blobs
        .iter()
        .map(|b| {
            airlock_core::digest::Digest::parse(&b.digest)
                .unwrap()
                .tar_entry_name()
        })
        .collect();
    assert_eq!(
        listed,
        all_layers.difference(&expected_in).cloned().collect()
    );
    assert!(!listed.is_empty());
    for b in &omitted.blobs {
        assert_eq!(full.blobs[&b.digest].0, b.size);
        assert!(!b.images.is_empty());
        assert_eq!(omitted.promised_by(b), promised_by);
    }
    let text = AIRLOCK.ok(&["inspect", p(thin_tar)]);
    assert!(
        text.contains(&format!("thin tar: {} layer(s)", omitted.blobs.len())),
        "{text}"
    );
    assert!(text.contains("imgpkg cannot import this tar"), "{text}");
    assert!(text.contains(OMITTED_ENTRY), "{text}");
    let text = AIRLOCK.ok(&["verify", p(thin_tar)]);
    assert!(text.contains("blobs verified"), "{text}");
    assert!(
        text.contains(&format!("{} layer(s)", omitted.blobs.len())),
        "{text}"
    );
}

#[test]
fn thin_import_against_a_receipt_or_last_months_tar_equals_a_full_import() {
    let rel = Releases::new();
    let port = free_port();
    let (full, full_size) = reference_state(&rel, port);

    // The seed workflow: receipt on the air-gapped side, thin export against it.
    let reg = with_v1(&rel, port);
    let v1_state = walk(&reg, DST);
    let receipt = rel.receipt_of(&dest(&reg));
    let (thin_tar, out) = rel.thin_v2("v2-thin.tar", &receipt);
    assert!(out.contains("thin tar: leaving out"), "{out}");
    assert!(std::fs::metadata(&thin_tar).unwrap().len() < full_size);
    check_thin_tar(
        &thin_tar,
        &full,
        &v1_state,
        &format!("receipt {}", p(&receipt)),
    );
    // `plan` previews a thin tar too.
    AIRLOCK.ok(&["plan", "--tar", p(&thin_tar), "--to-repo", &dest(&reg)]);
    AIRLOCK.ok(&["copy", "--tar", p(&thin_tar), "--to-repo", &dest(&reg)]);
    assert_eq!(walk(&reg, DST), full);
    reg.assert_tags_complete(DST);
    drop(reg);

    // The one-way variant: last month's tar stands for the receipt.
    let reg = with_v1(&rel, port);
    let (thin2, _) = rel.thin_v2("v2-thin-from-tar.tar", &rel.v1);
    check_thin_tar(&thin2, &full, &v1_state, &format!("tar {}", p(&rel.v1)));
    AIRLOCK.ok(&["copy", "--tar", p(&thin2), "--to-repo", &dest(&reg)]);
    assert_eq!(walk(&reg, DST), full);
}

#[test]
fn thin_import_missing_a_promised_blob_writes_nothing() {
    let rel = Releases::new();
    let reg = with_v1(&rel, free_port());
    let receipt = rel.receipt_of(&dest(&reg));
    let (thin_tar, _) = rel.thin_v2("v2-thin.tar", &receipt);
    let (_, omitted) = open_tar(&thin_tar);
    let omitted = omitted.unwrap();
    // The destination loses one promised layer after the receipt was made.
    let lost = omitted
        .blobs
        .iter()
        .find(|b| b.images.len() == 1)
        .expect("an image layer of its own")
        .clone();
    assert_eq!(delete_blob(&reg, DST, &lost.digest), 202);
    let before = snapshot(&reg, DST);
    let err = AIRLOCK.fails_with(
        &["copy", "--tar", p(&thin_tar), "--to-repo", &dest(&reg)],
        "nothing was pushed",
    );
    assert!(err.contains("1 of its"), "{err}");
    assert!(
        err.contains(&format!(
            "  {} ({} bytes), needed by {}; promised by receipt {}",
            lost.digest,
            lost.size,
            lost.images[0],
            p(&receipt)
        )),
        "{err}"
    );
    assert_eq!(snapshot(&reg, DST), before);
    assert!(!reg.tags(DST).contains(&"v2.0.0".to_string()));
    // Into another registry than the receipt's: refused before any request.
    let err = AIRLOCK.fails(&[
        "copy",
        "--tar",
        p(&thin_tar),
        "--to-repo",
        "127.0.0.1:1/elsewhere",
    ]);
    assert!(
        err.contains(&format!(
            "{}: registry: the receipt was made for '{}', but the destination is '127.0.0.1:1'; nothing was pushed",
            p(&receipt),
            reg.host()
        )),
        "{err}"
    );
}

#[test]
fn thin_import_mounts_from_the_receipts_other_repository() {
    let rel = Releases::new();
    let reg = TestRegistry::start(Auth::None);
    let other = format!("{}/dst/last-month", reg.host());
    AIRLOCK.ok(&["copy", "--tar", p(&rel.v1), "--to-repo", &other]);
    let receipt = rel.receipt_of(&other);
    let (thin_tar, _) = rel.thin_v2("v2-thin.tar", &receipt);
    let out = AIRLOCK.ok(&["copy", "--tar", p(&thin_tar), "--to-repo", &dest(&reg)]);
    assert!(out.contains("to mount from other repositories"), "{out}");
    reg.assert_tags_complete(DST);
    let (_, omitted) = open_tar(&thin_tar);
    let links = blob_links(&reg, DST);
    for b in &omitted.unwrap().blobs {
        assert!(links.contains(&b.digest), "{} not linked", b.digest);
    }
}

#[test]
fn skip_blobs_refuses_bad_files_and_other_destinations() {
    let dir = TempDir::new("thin-bad");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"kind\": \"AirlockReceipt\", \"version\": 1,").unwrap();
    AIRLOCK.fails_with(
        &[
            "copy",
            "-b",
            "127.0.0.1:1/none:v1",
            "--to-tar",
            p(&dir.path().join("x.tar")),
            "--skip-blobs",
            p(&bad),
        ],
        "bad.json: not a valid receipt (JSON)",
    );
    AIRLOCK.fails_with(
        &[
            "copy",
            "--tar",
            p(&fixture_tar("simple-bundle")),
            "--to-repo",
            "127.0.0.1:1/x",
            "--skip-blobs",
            p(&bad),
        ],
        "--skip-blobs can only be used when copying to tar",
    );
}

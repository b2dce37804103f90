#![cfg(not(target_arch = "wasm32"))]
//! Registry sources (`airlock copy -b/-i/--lock`), the tar destination
//! (`--to-tar`, `--resume`) and `airlock pull`, against a real registry,
//! checked against the golden imgpkg fixtures.

use airlock_testkit::support::Airlock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_core::archive::Archive;
use airlock_core::imageset::{ImageSet, ROOT_BUNDLE_LABEL};
use airlock_core::plan::ItemKind;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::copy::CopyOptions;
use airlock_core::tar::TarIndex;
use airlock_testkit::support::{Auth, TempDir, TestRegistry};

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

const FIXTURE_HOST: &str = "127.0.0.1:5000";

fn fixture(name: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .join(file)
}

fn fixture_tar(name: &str) -> PathBuf {
    fixture(name, &format!("{name}.tar"))
}

fn read(name: &str, file: &str) -> String {
    std::fs::read_to_string(fixture(name, file)).unwrap()
}

fn open(path: &Path) -> Archive {
    let src = FileSource::open(path).unwrap();
    block_on(Archive::open(&src)).unwrap()
}

/// Recreates a fixture's source registry layout (`src/app1`, `src/app2`,
/// `src/simple-bundle`, …) in `reg` from the fixture tar: every manifest by
/// digest into the repository of its `Refs[0]`, plus the source tags
/// (`v1.0.0` for the root bundle, `v1` for images).
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
    let transport = airlock_testkit::support::transport()
        .with_tar_path(&tar)
        .unwrap();
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
        airlock_testkit::support::copy_anonymous(
            &transport,
            &out.plan,
            CopyOptions::default(),
            &mut |_| {},
        )
        .unwrap();
    }
}

/// A new registry holding the fixture `name` (see [`seed`]).
fn seeded(name: &str, colocate: bool) -> TestRegistry {
    let reg = TestRegistry::start(Auth::None);
    seed(&reg, name, colocate);
    reg
}

/// The tar's entries as (name, bytes), in order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let index: TarIndex = block_on(airlock_core::tar::index(bytes.as_slice())).unwrap();
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
        let log = AIRLOCK.ok(&[
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
                assert_eq!(
                    String::from_utf8(g.clone()).unwrap(),
                    w,
                    "{name}: manifest.json"
                );
            } else {
                assert_eq!(g, w, "{name}: {n}");
            }
        }
        if reg.host() == FIXTURE_HOST {
            assert_eq!(
                std::fs::read(&out).unwrap(),
                std::fs::read(&golden).unwrap()
            );
        } else {
            // Byte for byte once manifest.json is rewritten the same way.
            let golden_json = String::from_utf8(want[0].1.clone()).unwrap();
            let manifest = airlock_core::imgpkg_tar::manifest_json::parse(
                expected_manifest_json(&golden_json, &reg, name).as_bytes(),
            )
            .unwrap();
            let layers: Vec<airlock_core::imgpkg_tar::LayerBlob<&[u8]>> = want[1..]
                .iter()
                .map(|(_, b)| airlock_core::imgpkg_tar::LayerBlob {
                    digest: airlock_core::digest::Digest::of(b),
                    size: b.len() as u64,
                    reader: b.as_slice(),
                })
                .collect();
            let expected =
                airlock_core::imgpkg_tar::write_imgpkg_tar(Vec::new(), &manifest, layers).unwrap();
            assert_eq!(std::fs::read(&out).unwrap(), expected, "{name}: whole file");
        }
        let count = want.len() - 1;
        assert!(log.contains("copy | writing layers..."), "{log}");
        assert!(log.contains("copy | done: file 'manifest.json'"), "{log}");
        assert!(
            log.contains(&format!(
                "copy | exported {} images",
                open(&golden).descriptors.len()
            )),
            "{log}"
        );
        assert_eq!(
            log.matches("copy | done: file 'sha256-").count(),
            count,
            "{log}"
        );
        assert!(log.trim_end().ends_with("Succeeded"), "{log}");
    }
}

/// `tag digest content-type` for every tag of `repo`, sorted.
fn dst_tags(reg: &TestRegistry, repo: &str) -> Vec<String> {
    let mut tags = reg.tags(repo);
    tags.sort();
    tags.iter()
        .map(|t| {
            let (s, h, body) = reg.get(
                &format!("/v2/{repo}/manifests/{t}"),
                Some(airlock_core::manifest::media_type::ACCEPT_MANIFESTS),
            );
            assert_eq!(s, 200);
            let ct = h
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.clone())
                .unwrap();
            format!("{t} {} {ct}", airlock_core::digest::Digest::of(&body))
        })
        .collect()
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// Regular files under `dir` as `./path`, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(format!("./{}", p.strip_prefix(base).unwrap().display()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn tar_import_then_pull_rewrites_images_yml() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("pull");
    let dst = format!("{}/dst-from-tar/simple-bundle", reg.host());
    AIRLOCK.ok(&[
        "copy",
        "--tar",
        fixture_tar("simple-bundle").to_str().unwrap(),
        "--to-repo",
        &dst,
    ]);
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("stale")).unwrap();
    let log = AIRLOCK.ok(&[
        "pull",
        "-b",
        &format!("{dst}:v1.0.0"),
        "-o",
        out.to_str().unwrap(),
    ]);
    let yml = std::fs::read_to_string(out.join(".imgpkg/images.yml")).unwrap();
    assert_eq!(
        yml,
        read("simple-bundle", "expected-relocated-images.yml").replace(
            "127.0.0.1:5000/dst-from-tar",
            &format!("{}/dst-from-tar", reg.host())
        )
    );
    assert_eq!(
        files(&out),
        lines(&read("simple-bundle", "expected-pulled-files.txt"))
    );
    // The modes of the pulled files (images.yml included) are checked
    // under explicit umasks in pull_modes.rs.
    let digest = "sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b";
    assert!(
        log.contains(&format!("Pulling bundle '{dst}@{digest}'")),
        "{log}"
    );
    assert!(log.contains("  Extracting layer 'sha256:"), "{log}");
    assert!(log.contains("(1/1)"), "{log}");
    assert!(
        log.contains("\nLocating image lock file images...\n"),
        "{log}"
    );
    assert!(log.contains(&format!("The bundle repo ({dst}) is hosting every image specified in the bundle's Images Lock file (.imgpkg/images.yml)")), "{log}");
    assert!(log.trim_end().ends_with("Succeeded"), "{log}");

    // Not relocated: the file is left as it was in the bundle.
    let src_out = dir.path().join("src-out");
    seed(&reg, "simple-bundle", false);
    let log = AIRLOCK.ok(&[
        "pull",
        "-b",
        &format!("{}/src/simple-bundle:v1.0.0", reg.host()),
        "-o",
        src_out.to_str().unwrap(),
    ]);
    assert!(
        log.contains("One or more images not found in bundle repo; skipping lock file update"),
        "{log}"
    );
    assert_eq!(
        std::fs::read(src_out.join(".imgpkg/images.yml")).unwrap(),
        std::fs::read(fixture(
            "bundle-sources/simple-bundle",
            ".imgpkg/images.yml"
        ))
        .unwrap()
    );

    // Pull errors.
    assert!(AIRLOCK
        .fails(&[
            "pull",
            "-i",
            &format!("{dst}:v1.0.0"),
            "-o",
            src_out.to_str().unwrap()
        ])
        .contains(
            "Expected bundle flag when pulling a bundle (hint: Use -b instead of -i for bundles)"
        ));
    for o in ["/", ".", ".."] {
        AIRLOCK.fails(&["pull", "-b", &format!("{dst}:v1.0.0"), "-o", o]);
    }
}

#[test]
fn registry_to_registry_matches_imgpkg() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("r2r");
    for name in FIXTURES {
        seed(&reg, name, true);
        let dst = format!("{}/dst/{name}", reg.host());
        let lock = dir.path().join(format!("{name}.lock.yml"));
        // `airlock copy -b|-i SOURCE` to `to…`.
        let copy_source = |to: &[&str]| {
            let source = source_ref(name, &reg.host());
            AIRLOCK.ok(&[&["copy", source_flag(name), source.as_str()], to].concat())
        };
        let expected_tags = lines(&read(name, "expected-dst-tags.txt"));
        copy_source(&["--to-repo", &dst, "--lock-output", lock.to_str().unwrap()]);
        assert_eq!(
            dst_tags(&reg, &format!("dst/{name}")),
            expected_tags,
            "{name}"
        );
        assert_eq!(
            std::fs::read_to_string(&lock).unwrap(),
            read(name, "lock-registry-to-repo.yml").replace(FIXTURE_HOST, &reg.host()),
            "{name}"
        );
        reg.assert_tags_complete(&format!("dst/{name}"));

        // registry -> tar -> registry lands the same state.
        let tar = dir.path().join(format!("{name}.tar"));
        copy_source(&["--to-tar", tar.to_str().unwrap()]);
        let dst2 = format!("{}/dst-via-tar/{name}", reg.host());
        AIRLOCK.ok(&["copy", "--tar", tar.to_str().unwrap(), "--to-repo", &dst2]);
        assert_eq!(
            dst_tags(&reg, &format!("dst-via-tar/{name}")),
            expected_tags,
            "{name}"
        );
    }
}

#[test]
fn images_lock_source_writes_the_relocated_lock() {
    let reg = seeded("simple-bundle", true);
    let dir = TempDir::new("ilock");
    let h = reg.host();
    let lock = dir.path().join("images.yml");
    std::fs::write(
        &lock,
        format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {h}/src/app2@sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e\n  annotations:\n    kbld.carvel.dev/id: app2\n- image: {h}/src/app1@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6\n"),
    )
    .unwrap();
    let out = dir.path().join("out.yml");
    AIRLOCK.ok(&[
        "copy",
        "--lock",
        lock.to_str().unwrap(),
        "--to-repo",
        &format!("{h}/dst/locked"),
        "--lock-output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n- annotations:\n    kbld.carvel.dev/id: app2\n  image: {h}/dst/locked@sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e\n- image: {h}/dst/locked@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6\nkind: ImagesLock\n")
    );
    let mut tags = reg.tags("dst/locked");
    tags.sort();
    assert_eq!(
        tags.len(),
        2,
        "no original tags for ImagesLock sources: {tags:?}"
    );

    // A bundle in an ImagesLock is refused.
    std::fs::write(
        &lock,
        format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {h}/src/simple-bundle@sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b\n"),
    )
    .unwrap();
    AIRLOCK.fails_with(
    &[
        "copy",
        "--lock",
        lock.to_str().unwrap(),
        "--to-repo",
        &format!("{h}/dst/x"),
    ],
    "Unable to copy bundles using an Images Lock file (hint: Create a bundle with these images)",
    );
}

#[test]
fn wrong_kind_of_reference_and_flag_errors() {
    let reg = seeded("simple-bundle", true);
    let h = reg.host();
    let dst = format!("{h}/dst/x");
    let e = AIRLOCK.fails(&["copy", "-b", &format!("{h}/src/app1:v1"), "--to-repo", &dst]);
    assert!(
        e.contains(
            "Expected bundle image but found plain image (hint: Did you use -i instead of -b?)"
        ),
        "{e}"
    );
    let e = AIRLOCK.fails(&[
        "copy",
        "-i",
        &format!("{h}/src/simple-bundle:v1.0.0"),
        "--to-repo",
        &dst,
    ]);
    assert!(
        e.contains(
            "Expected bundle flag when copying a bundle (hint: Use -b instead of -i for bundles)"
        ),
        "{e}"
    );
    AIRLOCK.fails_with(
        &[
            "copy",
            "-i",
            &format!("{h}/src/nothing:v1"),
            "--to-repo",
            &dst,
        ],
        "Docker Registry v1 format",
    );
    AIRLOCK.fails_with(
        &[
            "copy",
            "-i",
            &format!("{h}/src/app1:v1"),
            "--to-repo",
            &dst,
            "--resume",
        ],
        "Flag --resume can only be used when copying to tar",
    );
    AIRLOCK.fails_with(
        &["copy", "-i", &format!("{h}/src/app1:v1")],
        "Expected either --to-tar or --to-repo",
    );
    AIRLOCK.fails_with(
        &["copy", "--to-repo", &dst],
        "Expected either --lock, --bundle (-b), --image (-i), or --tar as a source",
    );
    AIRLOCK.fails_with(
        &[
            "copy",
            "-i",
            &format!("{h}/src/app1:v1"),
            "--to-tar",
            "/tmp/x.tar",
            "--lock-output",
            "/tmp/l",
        ],
        "Cannot output lock file with tar destination",
    );

    // A bundle naming an image found nowhere.
    let missing = airlock_core::digest::Digest::of(b"missing");
    let images_yml = format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {h}/src/gone@{missing}\n");
    push_bundle(&reg, "src/broken", "v1", &images_yml);
    AIRLOCK.fails_with(
        &[
            "copy",
            "-b",
            &format!("{h}/src/broken:v1"),
            "--to-repo",
            &dst,
        ],
        "Checking image existence: ",
    );
}

/// Pushes a bundle holding `.imgpkg/images.yml` to `repo:tag`.
fn push_bundle(
    reg: &TestRegistry,
    repo: &str,
    tag: &str,
    images_yml: &str,
) -> airlock_core::digest::Digest {
    use airlock_core::plan::PlannedManifest;
    use std::sync::Arc;
    let b = airlock_core::imagebuild::bundle_image(&[(
        ".imgpkg/images.yml".into(),
        0o600,
        images_yml.as_bytes().to_vec(),
    )]);
    let m = PlannedManifest {
        digest: b.manifest_digest,
        media_type: airlock_core::manifest::media_type::DOCKER_MANIFEST.into(),
        raw: Arc::new(b.manifest_raw.clone()),
        blobs: vec![
            airlock_testkit::support::inline_blob(
                &b.config_raw,
                airlock_core::manifest::media_type::DOCKER_CONFIG,
            ),
            airlock_testkit::support::inline_blob(
                &b.layer,
                airlock_core::manifest::media_type::DOCKER_LAYER,
            ),
        ],
        children: vec![],
    };
    push_manifest(reg, repo, tag, m, ItemKind::Bundle);
    b.manifest_digest
}

fn push_manifest(
    reg: &TestRegistry,
    repo: &str,
    tag: &str,
    m: airlock_core::plan::PlannedManifest,
    kind: ItemKind,
) {
    use airlock_core::plan::{PlannedTag, RelocationPlan};
    let r = reg.repo(repo);
    let plan = RelocationPlan {
        repository: r.clone(),
        tags: vec![PlannedTag {
            tag: tag.into(),
            digest: m.digest,
            media_type: m.media_type.clone(),
            raw: m.raw.clone(),
        }],
        items: vec![airlock_testkit::support::item(&r, kind, m)],
        locations: vec![],
    };
    let (res, _) =
        airlock_testkit::support::copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    res.unwrap();
}

#[test]
fn nested_bundles_and_index_registry_and_tar_routes_agree() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("nested");
    let h = reg.host();
    // A one-layer linux image for `arch`, its layer `size` bytes from `seed`.
    let image = |arch: &str, seed: u64, size: usize| {
        let config = format!(r#"{{"architecture":"{arch}","os":"linux","config":{{}}}}"#);
        let layer = airlock_testkit::support::bytes(seed, size);
        airlock_testkit::support::image(config.as_bytes(), &[&layer])
    };
    let app = image("amd64", 7, 4000);
    let app_d = app.digest;
    push_manifest(&reg, "src/app", "v1", app, ItemKind::Image);
    let idx =
        airlock_testkit::support::index(vec![image("amd64", 8, 3000), image("arm64", 9, 2000)]);
    let idx_d = idx.digest;
    push_manifest(&reg, "src/multi", "v1", idx, ItemKind::Index);
    let inner = push_bundle(&reg, "src/inner", "1.0.0", &format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {h}/src/app@{app_d}\n- image: {h}/src/multi@{idx_d}\n"));
    let outer = push_bundle(&reg, "src/outer", "v2", &format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {h}/src/inner@{inner}\n  annotations:\n    kbld.carvel.dev/id: inner\n- image: {h}/src/app@{app_d}\n"));

    let outer_ref = format!("{h}/src/outer:v2");
    AIRLOCK.ok(&[
        "copy",
        "-b",
        &outer_ref,
        "--to-repo",
        &format!("{h}/dst/nested"),
    ]);
    let tar = dir.path().join("nested.tar");
    let tar = tar.to_str().unwrap();
    let log = AIRLOCK.ok(&["copy", "-b", &outer_ref, "--to-tar", tar]);
    assert!(log.contains("copy | exporting 4 images..."), "{log}");
    AIRLOCK.ok(&[
        "copy",
        "--tar",
        tar,
        "--to-repo",
        &format!("{h}/dst/nested-tar"),
    ]);
    let direct = dst_tags(&reg, "dst/nested");
    assert_eq!(direct, dst_tags(&reg, "dst/nested-tar"));
    for d in [outer, inner] {
        assert!(
            direct
                .iter()
                .any(|t| t.starts_with(&format!("{}.image-locations.imgpkg ", d.tag_form()))),
            "{direct:?}"
        );
    }
    assert!(direct.iter().any(|t| t.starts_with("v2 ")), "{direct:?}");
    reg.assert_tags_complete("dst/nested");

    let out = dir.path().join("pulled");
    let log = AIRLOCK.ok(&[
        "pull",
        "-r",
        "-b",
        &format!("{h}/dst/nested:v2"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(log.contains("\nNested bundles\n"), "{log}");
    let nested_yml = std::fs::read_to_string(out.join(format!(
        ".imgpkg/bundles/{}/.imgpkg/images.yml",
        inner.tag_form()
    )))
    .unwrap();
    assert_eq!(nested_yml, format!("---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n- image: {h}/dst/nested@{app_d}\n- image: {h}/dst/nested@{idx_d}\nkind: ImagesLock\n"));
    let root_yml = std::fs::read_to_string(out.join(".imgpkg/images.yml")).unwrap();
    assert!(
        root_yml.contains(&format!("image: {h}/dst/nested@{inner}")),
        "{root_yml}"
    );
}

#[test]
fn resume_reuses_layers_and_failed_exports_leave_no_file() {
    let reg = seeded("image-app1", false);
    let dir = TempDir::new("resume");
    let src = format!("{}/src/app1:v1", reg.host());
    let tar = dir.path().join("app.tar");
    AIRLOCK.ok(&["copy", "-i", &src, "--to-tar", tar.to_str().unwrap()]);
    let full = std::fs::read(&tar).unwrap();
    let entries = entries(&tar);
    let layer_gets = |d: &str| {
        reg.log()
            .matches(&format!("GET /v2/src/app1/blobs/{d}"))
            .count()
    };
    let l1 = format!("sha256:{}", &entries[1].0[7..71]);
    let l2 = format!("sha256:{}", &entries[2].0[7..71]);
    let (g1, g2) = (layer_gets(&l1), layer_gets(&l2));
    // Cut the tar in the middle of the second layer.
    std::fs::write(&tar, &full[..full.len() - 1024 - 600]).unwrap();
    let resume = [
        "copy",
        "-i",
        &src,
        "--to-tar",
        tar.to_str().unwrap(),
        "--resume",
    ];
    let log = AIRLOCK.ok(&resume);
    assert!(
        log.contains("copy | Going to reuse 1 layers from the tar already in disk"),
        "{log}"
    );
    assert_eq!(std::fs::read(&tar).unwrap(), full);
    assert_eq!(
        layer_gets(&l1),
        g1,
        "the reused layer is not downloaded again"
    );
    assert_eq!(layer_gets(&l2), g2 + 1);

    // A layer that cannot be fetched: nothing under the final name, no temp file.
    let (s, _, _) = {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let r = agent
            .delete(&format!("http://{}/v2/src/app1/blobs/{l2}", reg.host()))
            .call()
            .unwrap();
        (r.status().as_u16(), (), ())
    };
    assert_eq!(s, 202);
    let fresh = dir.path().join("fresh.tar");
    let e = AIRLOCK.fails(&["copy", "-i", &src, "--to-tar", fresh.to_str().unwrap()]);
    assert!(!fresh.exists(), "{e}");
    // With --resume over the good tar, the old file stays as it was.
    std::fs::write(&tar, &full[..full.len() - 1024 - 600]).unwrap();
    let cut = std::fs::read(&tar).unwrap();
    AIRLOCK.fails(&resume);
    assert_eq!(std::fs::read(&tar).unwrap(), cut);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

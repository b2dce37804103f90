//! Helpers shared by the tests of OCI layouts and docker-archives
//! (`oci_archives.rs`, `oci_archive_options.rs`): the fixture images in a
//! local registry, skopeo exports, and `airlock` runs.
// Each test crate uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use airlock_testkit::support::{
    fixture, skopeo, tar_create, tar_extract, Airlock, Auth, TempDir, TestRegistry,
};

/// The fixture images (OCI manifests) inside `simple-bundle.tar`.
pub const APP1: &str = "sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6";
pub const APP2: &str = "sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e";

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

pub fn airlock(args: &[&str]) -> Output {
    AIRLOCK.run(args)
}

/// Succeeds; `airlock`'s stdout and stderr.
pub fn airlock_ok(args: &[&str]) -> String {
    AIRLOCK.ok(args)
}

/// Fails with `airlock`'s error text.
pub fn airlock_err(args: &[&str]) -> String {
    AIRLOCK.fails(args)
}

/// A registry holding the fixture images under `src/simple`.
pub fn source_registry() -> TestRegistry {
    let reg = TestRegistry::start(Auth::None);
    let tar = fixture("simple-bundle", "simple-bundle.tar");
    airlock_ok(&[
        "copy",
        "--tar",
        tar.to_str().unwrap(),
        "--to-repo",
        &format!("{}/src/simple", reg.host()),
    ]);
    reg
}

/// [`source_registry`], a fresh directory (its name has `tag`) and the path
/// `file` in it, for a test to export into.
pub fn registry_and_path(tag: &str, file: &str) -> (TestRegistry, TempDir, PathBuf) {
    let reg = source_registry();
    let dir = TempDir::new(tag);
    let path = dir.path().join(file);
    (reg, dir, path)
}

/// [`registry_and_path`] with [`APP1`] exported there ([`export_as`]
/// `transport`, named `name`).
pub fn app1_exported(
    tag: &str,
    file: &str,
    transport: &str,
    name: &str,
) -> (TestRegistry, TempDir, PathBuf) {
    let (reg, dir, path) = registry_and_path(tag, file);
    export_as(&reg, APP1, transport, &path, name);
    (reg, dir, path)
}

pub fn src(reg: &TestRegistry, digest: &str) -> String {
    format!("docker://{}/src/simple@{digest}", reg.host())
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// `skopeo inspect` of a pushed image: its manifest digest.
pub fn skopeo_digest(reference: &str) -> String {
    let out = skopeo(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]);
    json(&out.stdout)["Digest"].as_str().unwrap().to_string()
}

/// `airlock copy --tar SOURCE DEST_ARGS… --lock-output LOCK` (a tar or a
/// layout directory; `dest_args` such as `["--to-repo", dest]`): the lock's text.
pub fn copy_with_lock(source: &Path, dest_args: &[&str], lock: &Path) -> String {
    let mut args = vec!["copy", "--tar", s(source)];
    args.extend_from_slice(dest_args);
    args.extend_from_slice(&["--lock-output", s(lock)]);
    airlock_ok(&args);
    std::fs::read_to_string(lock).unwrap()
}

/// `skopeo copy docker://REFERENCE oci:LAYOUT` of a pushed image (with
/// `extra` flags such as `--all`): the layout's index.json.
pub fn skopeo_to_layout(reference: &str, layout: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["copy", "--quiet"];
    args.extend_from_slice(extra);
    let (from, to) = (
        format!("docker://{reference}"),
        format!("oci:{}", s(layout)),
    );
    args.extend_from_slice(&["--src-tls-verify=false", &from, &to]);
    skopeo(&args);
    json(&std::fs::read(layout.join("index.json")).unwrap())
}

/// `skopeo copy` of a fixture image to `dest` (an `oci:`, `oci-archive:` or
/// `docker-archive:` reference).
pub fn export(reg: &TestRegistry, digest: &str, dest: &str, extra: &[&str]) {
    let source = src(reg, digest);
    let mut args = vec!["copy", "--quiet", "--src-tls-verify=false"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[source.as_str(), dest]);
    skopeo(&args);
}

/// [`export`] to `TRANSPORT:PATH:NAME` with no extra flags.
pub fn export_as(reg: &TestRegistry, digest: &str, transport: &str, path: &Path, name: &str) {
    export(reg, digest, &format!("{transport}:{}:{name}", s(path)), &[]);
}

/// `airlock inspect SOURCE`, asserting that it names `format` and lists
/// `name -> digest`.
pub fn assert_inspected(source: &Path, format: &str, name: &str, digest: &str) {
    let shown = airlock_ok(&["inspect", s(source)]);
    assert!(shown.contains(format), "{shown}");
    assert!(
        shown.contains(&format!("name {name} -> {digest}")),
        "{shown}"
    );
}

/// The config digest and diff IDs of a source image.
pub fn source_config(reg: &TestRegistry, digest: &str) -> (String, Vec<String>) {
    let m = json(&reg.manifest("src/simple", digest).unwrap());
    let cd = m["config"]["digest"].as_str().unwrap().to_string();
    let config = json(&reg.blob("src/simple", &cd.parse().unwrap()).unwrap());
    let diffs = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    (cd, diffs)
}

/// Checks a docker-archive image pushed to `repo:tag` against its source.
pub fn assert_docker_image(reg: &TestRegistry, repo: &str, tag: &str, source: &str) {
    let (config, diffs) = source_config(reg, source);
    let m = json(&reg.manifest(repo, tag).unwrap());
    assert_eq!(m["config"]["digest"], config.as_str(), "{repo}:{tag}");
    let layers: Vec<&str> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
            l["digest"].as_str().unwrap()
        })
        .collect();
    assert_eq!(layers, diffs, "{repo}:{tag}");
    let pushed = skopeo_digest(&format!("{}/{repo}:{tag}", reg.host()));
    assert!(pushed.starts_with("sha256:"), "{pushed}");
}

/// [`two_image_docker_archive`] copied to `REGISTRY/prefix` with
/// `--to-repo-prefix` and `--lock-output`: the registry, `REGISTRY/prefix`
/// and the lock's text.
pub fn two_images_under_prefix(tag: &str, prefix: &str) -> (TestRegistry, String, String) {
    let (reg, dir, lock) = registry_and_path(tag, "lock.yml");
    let tar = two_image_docker_archive(&reg, dir.path());
    let prefix = format!("{}/{prefix}", reg.host());
    let text = copy_with_lock(&tar, &["--to-repo-prefix", &prefix], &lock);
    (reg, prefix, text)
}

/// Two skopeo docker-archives merged into one `docker save` of two images.
pub fn two_image_docker_archive(reg: &TestRegistry, dir: &Path) -> PathBuf {
    let root = dir.join("merged");
    let mut list = Vec::new();
    for (digest, name) in [(APP1, "apps/app1:v1"), (APP2, "apps/app2:v1")] {
        let one = dir.join(format!("{}.tar", &digest[7..15]));
        export(
            reg,
            digest,
            &format!("docker-archive:{}:{name}", s(&one)),
            &[],
        );
        tar_extract(&one, &root);
        let m = json(&std::fs::read(root.join("manifest.json")).unwrap());
        list.extend(m.as_array().unwrap().iter().cloned());
    }
    std::fs::write(
        root.join("manifest.json"),
        serde_json::to_vec(&serde_json::Value::Array(list)).unwrap(),
    )
    .unwrap();
    let tar = dir.join("two.tar");
    tar_create(&root, &tar, &["."]);
    tar
}

/// `airlock copy` of a bad archive fails with `want` in its error and
/// creates no repository.
pub fn refused(reg: &TestRegistry, tar: &Path, want: &str) {
    let repo = "bad/target";
    let err = airlock_err(&[
        "copy",
        "--tar",
        s(tar),
        "--to-repo",
        &format!("{}/{repo}", reg.host()),
    ]);
    assert!(err.contains(want), "want {want:?} in: {err}");
    assert!(reg.tags(repo).is_empty(), "{err}");
    let (status, _, body) = reg.get("/v2/_catalog", None);
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&body).contains(repo), "{err}");
}

#![cfg(not(target_arch = "wasm32"))]
//! Options of OCI layout and docker-archive imports, against a real
//! Distribution registry and Debian's real `skopeo`:
//! `--docker-layers gzip` (deterministic digests; `skopeo copy docker://… oci:`
//! reads the pushed image back and its layers decompress to the diff IDs),
//! an OCI layout given as a directory (the same reader and errors as its
//! tar), and the `--lock-output` of a prefixed multi-image docker-archive
//! used by the project's kbld-style rewrite on a deployment.

mod oci_support;

use std::io::Read;
use std::path::Path;

use airlock_core::digest::Digest;
use airlock_core::lock::ImagesLock;
use airlock_testkit::support::{tar_create, tar_extract};
use oci_support::*;

fn stdout_json(args: &[&str]) -> serde_json::Value {
    let out = airlock(args);
    assert!(
        out.status.success(),
        "airlock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

/// `airlock copy --tar TAR --to-repo DEST --docker-layers gzip`.
fn gzip_copy<'a>(tar: &'a Path, dest: &'a str) -> [&'a str; 7] {
    let tar = s(tar);
    [
        "copy",
        "--tar",
        tar,
        "--to-repo",
        dest,
        "--docker-layers",
        "gzip",
    ]
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip layer");
    out
}

#[test]
fn docker_archive_layers_as_gzip_are_deterministic_and_skopeo_reads_them() {
    let (reg, dir, tar) =
        app1_exported("docker-gzip", "app1.tar", "docker-archive", "apps/app1:v1");
    let dest = format!("{}/gz/app1", reg.host());
    let plan = |layers: &str| {
        stdout_json(&[
            "plan",
            "--tar",
            s(&tar),
            "--to-repo",
            &dest,
            "--docker-layers",
            layers,
            "--json",
        ])
    };
    // Two runs, the same digests; not those of the uncompressed layers.
    let first = plan("gzip");
    assert_eq!(first, plan("gzip"));
    let digest = first["images"][0]["digest"].as_str().unwrap().to_string();
    assert_ne!(plan("tar")["images"][0]["digest"], digest.as_str());

    let out = airlock_ok(&gzip_copy(&tar, &dest));
    assert!(
        out.contains("compressing 2 docker-archive layer(s)"),
        "{out}"
    );
    let raw = reg.manifest("gz/app1", "v1").unwrap();
    assert_eq!(Digest::of(&raw).to_string(), digest, "pushed = planned");
    assert_eq!(skopeo_digest(&format!("{dest}:v1")), digest);
    let m = json(&raw);
    let (config, diffs) = source_config(&reg, APP1);
    assert_eq!(m["config"]["digest"], config.as_str(), "config unchanged");
    for l in m["layers"].as_array().unwrap() {
        assert_eq!(
            l["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
    }
    reg.assert_tags_complete("gz/app1");

    // skopeo reads the pushed image; each layer decompresses to its diff ID.
    let back = dir.path().join("back");
    let index = skopeo_to_layout(&format!("{dest}:v1"), &back, &[]);
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());
    let blob = |d: &str| std::fs::read(back.join("blobs/sha256").join(&d[7..])).unwrap();
    let got = json(&blob(&digest));
    let layers = got["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diffs.len());
    for (l, diff) in layers.iter().zip(&diffs) {
        let gz = blob(l["digest"].as_str().unwrap());
        assert_eq!(gz.len() as u64, l["size"].as_u64().unwrap());
        assert_eq!(&Digest::of(&gunzip(&gz)).to_string(), diff);
    }

    // A second push finds everything in place.
    let again = airlock_ok(&gzip_copy(&tar, &dest));
    assert!(again.contains("0 items pushed, 1 already there"), "{again}");

    // gzip is for docker-archives only, and a bad layer is still refused.
    let layout = dir.path().join("layout");
    export_as(&reg, APP1, "oci", &layout, "apps/app1:v1");
    let err = airlock_err(&gzip_copy(&layout, &dest));
    assert!(
        err.contains("--docker-layers gzip is for docker-archive"),
        "{err}"
    );
    let root = dir.path().join("bad");
    tar_extract(&tar, &root);
    let mj = json(&std::fs::read(root.join("manifest.json")).unwrap());
    let layer = mj[0]["Layers"][0].as_str().unwrap().to_string();
    let mut bytes = std::fs::read(root.join(&layer)).unwrap();
    bytes[600] ^= 1;
    std::fs::write(root.join(&layer), bytes).unwrap();
    let bad = dir.path().join("bad.tar");
    tar_create(&root, &bad, &["."]);
    let err = airlock_err(&gzip_copy(&bad, &format!("{}/gz/bad", reg.host())));
    assert!(
        err.contains("diff ID): error verifying sha256 checksum"),
        "{err}"
    );
    assert!(reg.tags("gz/bad").is_empty());
}

#[test]
fn oci_layout_directory_is_read_like_its_tar() {
    let (reg, dir, layout) = app1_exported("oci-dir", "layout", "oci", "corp.example/team/app1:v1");
    assert_inspected(
        &layout,
        "OCI image layout",
        "corp.example/team/app1:v1",
        APP1,
    );
    let verified = airlock_ok(&["verify", s(&layout)]);
    assert!(verified.contains("blobs verified"), "{verified}");

    let dest = format!("{}/dir/app1", reg.host());
    let lock = dir.path().join("lock.yml");
    let lock = copy_with_lock(&layout, &["--to-repo", &dest], &lock);
    assert_eq!(
        reg.manifest("dir/app1", "v1").unwrap(),
        reg.manifest("src/simple", APP1).unwrap()
    );
    reg.assert_tags_complete("dir/app1");
    assert!(lock.contains(&format!("image: {dest}@{APP1}")), "{lock}");

    // The same errors as for the tar: a missing blob, a symlinked index.json.
    let m = json(&reg.manifest("src/simple", APP1).unwrap());
    let layer_hex = m["layers"][0]["digest"].as_str().unwrap()[7..].to_string();
    let missing = dir.path().join("missing");
    export_as(&reg, APP1, "oci", &missing, "app1:v1");
    std::fs::remove_file(missing.join("blobs/sha256").join(&layer_hex)).unwrap();
    refused(
        &reg,
        &missing,
        &format!(
            "names layer sha256:{layer_hex}, but the tar has no entry \"blobs/sha256/{layer_hex}\""
        ),
    );
    std::fs::rename(layout.join("index.json"), layout.join("real-index.json")).unwrap();
    std::os::unix::fs::symlink("real-index.json", layout.join("index.json")).unwrap();
    refused(&reg, &layout, "entry \"index.json\": a symbolic link");

    // A directory that is no layout.
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("notes.txt"), "hello\n").unwrap();
    refused(&reg, &plain, "matches no image format Airlock reads");
}

#[test]
fn lock_of_a_prefixed_docker_archive_rewrites_a_deployment() {
    let (reg, _, text) = two_images_under_prefix("kbld-lock", "air");
    let lock = ImagesLock::parse(text.as_bytes(), "lock.yml").unwrap();
    let map = airlock_core::kbld::lock_map(&lock);

    // The archive names its images `docker.io/apps/app1:v1`; a team writes
    // them that way or normalised.
    let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: index.docker.io/apps/app2:v1
      containers:
      - name: app1
        image: docker.io/apps/app1:v1 # the main one
      - name: app2
        image: \"docker.io/apps/app2:v1\"
      - name: other
        image: busybox:1.36
";
    let out = airlock_core::kbld::rewrite_yaml(deployment, &map, "deployment.yml").unwrap();
    assert_eq!(out.replaced, 3, "{}", out.text);
    let at = |repo: &str| {
        let raw = reg.manifest(repo, "v1").unwrap();
        format!("{}/{repo}@{}", reg.host(), Digest::of(&raw))
    };
    let (app1, app2) = (at("air/apps/app1"), at("air/apps/app2"));
    let want = deployment
        .replace("index.docker.io/apps/app2:v1", &app2)
        .replace("docker.io/apps/app1:v1", &app1)
        .replace("\"docker.io/apps/app2:v1\"", &format!("\"{app2}\""));
    assert_eq!(out.text, want);
    assert!(out.text.contains("image: busybox:1.36"));
}

#![cfg(not(target_arch = "wasm32"))]
//! OCI layouts (`oci-archive`) and `docker save` tars (`docker-archive`)
//! written by Debian's real `skopeo` from images in a local Distribution
//! registry, pushed with `airlock copy --tar`: OCI archives land at identical
//! digests, docker-archive images keep their config digest and diff IDs,
//! `skopeo inspect` reads every pushed image, and bad archives push nothing.

mod oci_support;

use std::path::{Path, PathBuf};

use airlock_testkit::support::{tar_create, tar_extract, TempDir, TestRegistry};
use oci_support::*;

#[test]
fn oci_archive_lands_at_identical_digests_with_its_tag_and_lock() {
    let (reg, dir, tar) = app1_exported("oci-archive", "app1.tar", "oci-archive", "apps/app1:v1");

    assert_inspected(
        &tar,
        "OCI image layout (oci-archive)",
        "index.docker.io/apps/app1:v1",
        APP1,
    );

    let lock = dir.path().join("lock.yml");
    let dest = format!("{}/oci/app1", reg.host());
    let planned = airlock_ok(&["plan", "--tar", s(&tar), "--to-repo", &dest]);
    assert!(
        planned.contains(&format!(
            "index.docker.io/apps/app1:v1 -> {dest}:v1 ({APP1})"
        )),
        "{planned}"
    );
    let lock = copy_with_lock(&tar, &["--to-repo", &dest], &lock);
    assert_eq!(reg.tags("oci/app1"), vec!["v1".to_string()]);
    assert_eq!(
        reg.manifest("oci/app1", "v1").unwrap(),
        reg.manifest("src/simple", APP1).unwrap()
    );
    reg.assert_tags_complete("oci/app1");
    assert_eq!(skopeo_digest(&format!("{dest}:v1")), APP1);
    assert!(lock.contains(&format!("image: {dest}@{APP1}")), "{lock}");
    assert!(lock.contains("kbld.carvel.dev/id: apps/app1:v1"), "{lock}");

    // A second push finds everything in place.
    let again = airlock_ok(&["copy", "--tar", s(&tar), "--to-repo", &dest]);
    assert!(again.contains("0 items pushed, 1 already there"), "{again}");
}

/// `airlock copy --tar TAR --to-repo-prefix PREFIX EXTRA…`: its output.
fn copy_under_prefix(tar: &Path, prefix: &str, extra: &[&str]) -> String {
    let mut args = vec!["copy", "--tar", s(tar), "--to-repo-prefix", prefix];
    args.extend_from_slice(extra);
    airlock_ok(&args)
}

#[test]
fn oci_layout_of_several_images_lands_under_a_prefix() {
    let (reg, dir, layout) =
        app1_exported("oci-prefix", "layout", "oci", "corp.example/team/app1:v1");
    export_as(&reg, APP2, "oci", &layout, "corp.example/team/app2:v2");
    let tar = dir.path().join("multi.tar");
    tar_create(&layout, &tar, &["."]);

    let lock = dir.path().join("lock.yml");
    let prefix = format!("{}/mirror", reg.host());
    let out = copy_under_prefix(
        &tar,
        &prefix,
        &["--lock-output", s(&lock), "--concurrency", "1"],
    );
    // The layer both images share is uploaded once, then mounted into the
    // second repository (with one session at a time, the second starts
    // after the first finished).
    assert!(out.contains(", 1 mounted;"), "{out}");
    for (repo, tag, digest) in [
        ("mirror/team/app1", "v1", APP1),
        ("mirror/team/app2", "v2", APP2),
    ] {
        assert_eq!(reg.tags(repo), vec![tag.to_string()], "{repo}");
        assert_eq!(
            reg.manifest(repo, tag).unwrap(),
            reg.manifest("src/simple", digest).unwrap(),
            "{repo}"
        );
        assert_eq!(
            skopeo_digest(&format!("{}/{repo}:{tag}", reg.host())),
            digest
        );
    }
    let lock = std::fs::read_to_string(&lock).unwrap();
    assert!(
        lock.contains(&format!("image: {prefix}/team/app1@{APP1}")),
        "{lock}"
    );
    assert!(
        lock.contains(&format!("image: {prefix}/team/app2@{APP2}")),
        "{lock}"
    );
    assert!(
        lock.contains("kbld.carvel.dev/id: corp.example/team/app2:v2"),
        "{lock}"
    );
}

#[test]
fn docker_archive_keeps_config_digest_and_diff_ids() {
    let (reg, _dir, tar) = registry_and_path("docker-archive", "app1.tar");
    export(
        &reg,
        APP1,
        &format!("docker-archive:{}:apps/app1:v1", s(&tar)),
        &["--additional-tag", "apps/app1:latest"],
    );
    let shown = airlock_ok(&["inspect", s(&tar)]);
    assert!(shown.contains("docker-archive (docker save)"), "{shown}");
    let verified = airlock_ok(&["verify", s(&tar)]);
    assert!(verified.contains("all 2 blobs verified"), "{verified}");

    let dest = format!("{}/dock/app1", reg.host());
    airlock_ok(&["copy", "--tar", s(&tar), "--to-repo", &dest]);
    let mut tags = reg.tags("dock/app1");
    tags.sort();
    assert_eq!(tags, vec!["latest".to_string(), "v1".to_string()]);
    assert_docker_image(&reg, "dock/app1", "v1", APP1);
    reg.assert_tags_complete("dock/app1");
}

#[test]
fn docker_archive_of_two_images_lands_under_a_prefix() {
    let (reg, prefix, lock) = two_images_under_prefix("docker-prefix", "m");
    assert_docker_image(&reg, "m/apps/app1", "v1", APP1);
    assert_docker_image(&reg, "m/apps/app2", "v1", APP2);
    // skopeo writes RepoTags fully qualified; the lock keeps them as written.
    assert!(
        lock.contains("kbld.carvel.dev/id: docker.io/apps/app1:v1"),
        "{lock}"
    );
    assert!(
        lock.contains(&format!("image: {prefix}/apps/app2@sha256:")),
        "{lock}"
    );
}

#[test]
fn repositories_pushed_in_parallel_share_one_concurrency_budget() {
    let reg = source_registry();
    let dir = TempDir::new("docker-budget");
    let tar = two_image_docker_archive(&reg, dir.path());
    let prefix = format!("{}/budget", reg.host());
    // Two sessions at once (one per repository), each allowed the whole
    // budget; the transport keeps the total at --concurrency.
    let out = copy_under_prefix(&tar, &prefix, &["--concurrency", "2"]);
    let most: usize = out
        .split(" in flight on average, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no requests-in-flight figures in: {out}"));
    assert!(
        (1..=2).contains(&most),
        "{most} requests at once with --concurrency 2: {out}"
    );
    assert_docker_image(&reg, "budget/apps/app1", "v1", APP1);
    assert_docker_image(&reg, "budget/apps/app2", "v1", APP2);
}

/// A Docker 25 `docker save`: an OCI layout whose index.json names the image
/// the containerd way, plus the legacy manifest.json.
fn docker25_tar(reg: &TestRegistry, dir: &Path) -> PathBuf {
    let layout = dir.join("d25");
    export(reg, APP1, &format!("oci:{}", s(&layout)), &[]);
    let mut index = json(&std::fs::read(layout.join("index.json")).unwrap());
    index["manifests"][0]["annotations"] = serde_json::json!({
        "io.containerd.image.name": "docker.io/library/app1:v1",
        "org.opencontainers.image.ref.name": "v1",
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    let m = json(&reg.manifest("src/simple", APP1).unwrap());
    let blob = |d: &serde_json::Value| format!("blobs/sha256/{}", &d.as_str().unwrap()[7..]);
    let legacy = serde_json::json!([{
        "Config": blob(&m["config"]["digest"]),
        "RepoTags": ["app1:v1"],
        "Layers": m["layers"].as_array().unwrap().iter().map(|l| blob(&l["digest"])).collect::<Vec<_>>(),
    }]);
    std::fs::write(
        layout.join("manifest.json"),
        serde_json::to_vec(&legacy).unwrap(),
    )
    .unwrap();
    let tar = dir.join("d25.tar");
    tar_create(
        &layout,
        &tar,
        &["oci-layout", "index.json", "manifest.json", "blobs"],
    );
    tar
}

#[test]
fn docker_25_tar_is_read_as_its_oci_layout() {
    let reg = source_registry();
    let dir = TempDir::new("docker25");
    let tar = docker25_tar(&reg, dir.path());
    let shown = airlock_ok(&["inspect", s(&tar)]);
    assert!(shown.contains("OCI image layout"), "{shown}");
    let prefix = format!("{}/d25", reg.host());
    airlock_ok(&["copy", "--tar", s(&tar), "--to-repo-prefix", &prefix]);
    assert_eq!(
        reg.manifest("d25/library/app1", "v1").unwrap(),
        reg.manifest("src/simple", APP1).unwrap()
    );
}

#[test]
fn bad_archives_push_nothing() {
    let reg = source_registry();
    let dir = TempDir::new("bad-archives");
    let m = json(&reg.manifest("src/simple", APP1).unwrap());
    let layer_hex = m["layers"][0]["digest"].as_str().unwrap()[7..].to_string();

    // A layout missing a layer blob.
    let layout = dir.path().join("missing-blob");
    export_as(&reg, APP1, "oci", &layout, "app1:v1");
    std::fs::remove_file(layout.join("blobs/sha256").join(&layer_hex)).unwrap();
    let tar = dir.path().join("missing-blob.tar");
    tar_create(&layout, &tar, &["."]);
    refused(&reg, &tar, &format!("layers[0] names layer sha256:{layer_hex}, but the tar has no entry \"blobs/sha256/{layer_hex}\""));

    // An index pointing at a missing manifest.
    let layout = dir.path().join("missing-manifest");
    export_as(&reg, APP1, "oci", &layout, "app1:v1");
    let mut index = json(&std::fs::read(layout.join("index.json")).unwrap());
    let absent = format!("sha256:{}", "0".repeat(64));
    index["manifests"][0]["digest"] = absent.clone().into();
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    let tar = dir.path().join("missing-manifest.tar");
    tar_create(&layout, &tar, &["."]);
    refused(
        &reg,
        &tar,
        &format!("names manifest {absent}, but the tar has no entry"),
    );

    // A docker-archive layer that does not match its diff ID.
    let good = dir.path().join("docker.tar");
    export_as(&reg, APP1, "docker-archive", &good, "apps/app1:v1");
    let root = dir.path().join("docker-bad-layer");
    tar_extract(&good, &root);
    let mj = json(&std::fs::read(root.join("manifest.json")).unwrap());
    let layer = mj[0]["Layers"][0].as_str().unwrap().to_string();
    let mut bytes = std::fs::read(root.join(&layer)).unwrap();
    bytes.extend_from_slice(&[0u8; 512]);
    std::fs::write(root.join(&layer), bytes).unwrap();
    let tar = dir.path().join("docker-bad-layer.tar");
    tar_create(&root, &tar, &["."]);
    refused(&reg, &tar, "diff ID");
    let out = airlock(&["verify", s(&tar)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "{layer} (layer 0 of manifest.json[0], diff ID): error verifying sha256 checksum"
        )),
        "{text}"
    );

    // RepoTags that are not references.
    let root = dir.path().join("docker-bad-tag");
    tar_extract(&good, &root);
    let mut mj = json(&std::fs::read(root.join("manifest.json")).unwrap());
    mj[0]["RepoTags"] = serde_json::json!(["Not A/Reference:v1"]);
    std::fs::write(root.join("manifest.json"), serde_json::to_vec(&mj).unwrap()).unwrap();
    let tar = dir.path().join("docker-bad-tag.tar");
    tar_create(&root, &tar, &["."]);
    refused(
        &reg,
        &tar,
        "RepoTags is \"Not A/Reference:v1 (RepoTags[0])\", not a valid image reference",
    );

    // A symlinked index.json.
    let layout = dir.path().join("symlink");
    export_as(&reg, APP1, "oci", &layout, "app1:v1");
    std::fs::rename(layout.join("index.json"), layout.join("real-index.json")).unwrap();
    std::os::unix::fs::symlink("real-index.json", layout.join("index.json")).unwrap();
    let tar = dir.path().join("symlink.tar");
    tar_create(&layout, &tar, &["."]);
    refused(&reg, &tar, "entry \"./index.json\": a symbolic link");

    // A `..` entry.
    std::fs::remove_file(layout.join("index.json")).unwrap();
    std::fs::rename(layout.join("real-index.json"), layout.join("index.json")).unwrap();
    let tar = dir.path().join("dotdot.tar");
    let status = std::process::Command::new("tar")
        .args(["-C", s(&layout), "-cf", s(&tar), "-P"])
        .args([
            "--transform",
            "s,^blobs,../blobs,",
            "oci-layout",
            "index.json",
            "blobs",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    refused(
        &reg,
        &tar,
        "unsafe tar entry name '../blobs/' at offset 2048: it has a '..' component",
    );

    // A tar of no known format.
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("notes.txt"), "hello\n").unwrap();
    let tar = dir.path().join("plain.tar");
    tar_create(&plain, &tar, &["notes.txt"]);
    refused(&reg, &tar, "the tar matches no image format Airlock reads");
}

#[test]
fn multi_platform_index_lands_byte_for_byte_and_skopeo_reads_it_all() {
    let (reg, dir, layout) = app1_exported("oci-index", "layout", "oci", "a");
    export_as(&reg, APP2, "oci", &layout, "b");
    let child = |digest: &str, arch: &str| {
        let size = reg.manifest("src/simple", digest).unwrap().len();
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": size,
            "platform": {"architecture": arch, "os": "linux"},
        })
    };
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [child(APP1, "amd64"), child(APP2, "arm64")],
    }))
    .unwrap();
    let index_digest = airlock_core::digest::Digest::of(&index);
    std::fs::write(layout.join("blobs/sha256").join(index_digest.hex()), &index).unwrap();
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": index_digest.to_string(), "size": index.len(),
            "annotations": {"org.opencontainers.image.ref.name": "corp.example/team/multi:v1"},
        }],
    });
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let tar = dir.path().join("multi.tar");
    tar_create(&layout, &tar, &["."]);

    let dest = format!("{}/idx/multi", reg.host());
    airlock_ok(&["copy", "--tar", s(&tar), "--to-repo", &dest]);
    assert_eq!(reg.tags("idx/multi"), vec!["v1".to_string()]);
    assert_eq!(reg.manifest("idx/multi", "v1").unwrap(), index);
    for digest in [APP1, APP2] {
        assert_eq!(
            reg.manifest("idx/multi", digest).unwrap(),
            reg.manifest("src/simple", digest).unwrap()
        );
    }
    reg.assert_tags_complete("idx/multi");
    let back = dir.path().join("back");
    let got = skopeo_to_layout(&format!("{dest}:v1"), &back, &["--all"]);
    assert_eq!(
        got["manifests"][0]["digest"],
        index_digest.to_string().as_str()
    );
}

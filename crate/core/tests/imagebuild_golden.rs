#![cfg(not(target_arch = "wasm32"))]
//! Images built by `airlock_core::imagebuild` against real imgpkg 0.43.1
//! output (tests/fixtures) and Go 1.23's tar (the Go corpus).

use std::collections::BTreeMap;
use std::io::Read;

use airlock_core::digest::Digest;
use airlock_core::imagebuild::{
    build_file_image, bundle_image, locations_image, tree_from_files, TreeEntry,
};

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/",
            $path
        ))
    };
}

const LOCATIONS_DIR: &str = "simple-bundle/expected-image-locations/sha256-5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b.image-locations.imgpkg";

fn locations_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/{LOCATIONS_DIR}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn d(s: &str) -> Digest {
    Digest::parse(s).unwrap()
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn locations_image_matches_imgpkg() {
    let yml = locations_fixture("image-locations.yml");
    assert_eq!(yml.len(), 318);
    let img = locations_image(&yml);

    assert_eq!(
        img.diff_id,
        d("sha256:24523b71ae117513ffe95aec76aaf9fa60cc8b040e844cab3953447c21494ce3")
    );
    assert_eq!(
        img.layer_digest,
        d("sha256:af2b80c4a5b765e57c5be3b481520681eb00cfe9ae7ac038d09035ad91e964cc")
    );
    assert_eq!(img.layer.len(), 338);
    assert_eq!(
        String::from_utf8(img.config_raw.clone()).unwrap(),
        String::from_utf8(locations_fixture("config.raw.json")).unwrap()
    );
    assert_eq!(
        String::from_utf8(img.manifest_raw.clone()).unwrap(),
        String::from_utf8(locations_fixture("manifest.raw.json")).unwrap()
    );
    assert_eq!(img.config_digest, Digest::of(&img.config_raw));
    assert_eq!(img.manifest_digest, Digest::of(&img.manifest_raw));
    assert_eq!(gunzip(&img.layer).len(), 5 * 512);
}

fn simple_bundle_files() -> Vec<(String, u32, Vec<u8>)> {
    let dir = format!(
        "{}/../../tests/fixtures/bundle-sources/simple-bundle",
        env!("CARGO_MANIFEST_DIR")
    );
    // Mode 0644, as imgpkg push stores them. The order given does not
    // matter: tree_from_files sorts like Walk.
    [
        "config/values.yml",
        ".imgpkg/images.yml",
        "config/deployment.yml",
        ".imgpkg/bundle.yml",
    ]
    .into_iter()
    .map(|p| {
        let path = format!("{dir}/{p}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        (p.to_string(), 0o644, bytes)
    })
    .collect()
}

/// `Config.Raw` and `Manifest.Raw` of the bundle in the exported tar.
fn bundle_raws() -> (String, String) {
    let manifest: serde_json::Value =
        serde_json::from_slice(fixture!("simple-bundle/tar-manifest.json")).unwrap();
    let image = manifest
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("Image").filter(|i| !i.is_null()))
        .find(|i| {
            i["Manifest"]["Digest"]
                == "sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b"
        })
        .expect("bundle entry");
    (
        image["Config"]["Raw"].as_str().unwrap().to_string(),
        image["Manifest"]["Raw"].as_str().unwrap().to_string(),
    )
}

#[test]
fn bundle_image_matches_imgpkg_push() {
    let img = bundle_image(&simple_bundle_files());

    assert_eq!(
        img.diff_id,
        d("sha256:a40c11c70055513e2ced5d484bd68f04858618f4809c3645b32072dfa11f62b0")
    );
    assert_eq!(img.layer.len(), 695);
    assert_eq!(
        img.layer_digest,
        d("sha256:026fbc676e6225789ef38828e134baee600b6a3a09b588b1008807ac52e72cb4")
    );
    assert_eq!(
        img.config_digest,
        d("sha256:028994bcc893ea61c19cf64be149efb917efb0b215328e6a7cc8ebdae6a23090")
    );
    assert_eq!(
        img.manifest_digest,
        d("sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b")
    );
    let (config_raw, manifest_raw) = bundle_raws();
    assert_eq!(String::from_utf8(img.config_raw).unwrap(), config_raw);
    assert_eq!(String::from_utf8(img.manifest_raw).unwrap(), manifest_raw);
}

#[test]
fn bundle_tar_walk_order() {
    let entries = tree_from_files(&simple_bundle_files());
    let names: Vec<&str> = entries
        .iter()
        .map(|e| match e {
            TreeEntry::Dir { path } | TreeEntry::File { path, .. } => path.as_str(),
        })
        .collect();
    assert_eq!(
        names,
        [
            ".",
            ".imgpkg",
            ".imgpkg/bundle.yml",
            ".imgpkg/images.yml",
            "config",
            "config/deployment.yml",
            "config/values.yml"
        ]
    );
}

/// The entries and the tar Go 1.23's `archive/tar` wrote for them: the
/// corpus case `archive-imagebuild` (`tests/fixtures/go-corpus`).
fn go_corpus_imagebuild_archive() -> (Vec<TreeEntry>, Vec<u8>) {
    let dir = format!(
        "{}/../../tests/fixtures/go-corpus",
        env!("CARGO_MANIFEST_DIR")
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{dir}/MANIFEST.json")).unwrap()).unwrap();
    let case = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["family"] == "tar" && c["name"] == "archive-imagebuild")
        .expect("corpus case archive-imagebuild");
    let entries = case["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let path = e["Name"].as_str().unwrap().to_string();
            match e["Typeflag"].as_str().unwrap() {
                "5" => TreeEntry::Dir { path },
                _ => TreeEntry::File {
                    path,
                    mode: u32::from_str_radix(e["Mode"].as_str().unwrap(), 8).unwrap(),
                    contents: e["body"].as_str().unwrap().as_bytes().to_vec(),
                },
            }
        })
        .collect();
    let tar = std::fs::read(format!("{dir}/{}", case["output"].as_str().unwrap())).unwrap();
    (entries, tar)
}

#[test]
fn build_file_image_layer_is_the_tar_go_writes() {
    let (entries, go_tar_bytes) = go_corpus_imagebuild_archive();
    assert!(entries.len() >= 5, "directories and files");
    let img = build_file_image(&entries, &BTreeMap::new());
    assert!(
        gunzip(&img.layer) == go_tar_bytes,
        "layer content differs from Go's tar"
    );
    assert_eq!(img.diff_id, Digest::of(&go_tar_bytes));
    assert!(img.config_raw.ends_with(br#""config":{}}"#));
    let config: serde_json::Value = serde_json::from_slice(&img.config_raw).unwrap();
    assert_eq!(config["rootfs"]["diff_ids"][0], img.diff_id.to_string());
}

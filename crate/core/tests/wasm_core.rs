//! The core on both targets: these tests run natively (`cargo test`) and in
//! headless Chromium (`cargo test --target wasm32-unknown-unknown --test
//! wasm_core`, through wasm-bindgen-test-runner). The fixtures are compiled
//! in, and the tar is read through the in-memory `ByteSource`, so the same
//! reader, verifier, planner, YAML writer and Go-exact gzip run in the
//! browser as in the CLI.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::{Reference, Repository};
use airlock_core::source::now_or_never;
use airlock_core::verify;

const SIMPLE_TAR: &[u8] = include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");
const SIMPLE_TAGS: &str =
    include_str!("../../../tests/fixtures/simple-bundle/expected-dst-from-tar-tags.txt");
const SIMPLE_LOCK: &str =
    include_str!("../../../tests/fixtures/simple-bundle/lock-tar-to-repo.yml");
const SIMPLE_PULLED: &str =
    include_str!("../../../tests/fixtures/simple-bundle/expected-relocated-images.yml");
const SIMPLE_DEPLOYMENT: &str =
    include_str!("../../../tests/fixtures/bundle-sources/simple-bundle/config/deployment.yml");
const SIMPLE_VALUES: &str =
    include_str!("../../../tests/fixtures/bundle-sources/simple-bundle/config/values.yml");
const APP1_TAR: &[u8] = include_bytes!("../../../tests/fixtures/image-app1/image-app1.tar");
const APP1_TAGS: &str =
    include_str!("../../../tests/fixtures/image-app1/expected-dst-from-tar-tags.txt");
const LOC_MANIFEST: &str = include_str!("../../../tests/fixtures/simple-bundle/expected-image-locations/sha256-5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b.image-locations.imgpkg/manifest.raw.json");

fn open(bytes: &[u8]) -> Archive {
    now_or_never(Archive::open(bytes))
        .expect("in-memory source is ready")
        .expect("fixture opens")
}

fn tags(bytes: &[u8], repo: &str) -> String {
    let archive = open(bytes);
    let repo = Repository::parse(repo).unwrap();
    let out = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap();
    out.final_tags()
        .into_iter()
        .map(|(t, d, mt)| format!("{t} {d} {mt}\n"))
        .collect()
}

#[test]
fn references_normalise_like_ggcr() {
    let r = Reference::parse("nginx:1.25").unwrap();
    assert_eq!(r.name(), "index.docker.io/library/nginx:1.25");
    assert!(Reference::parse("Nginx").is_err());
    assert!(Digest::parse("sha256:abc").is_err());
}

#[test]
fn opens_and_verifies_the_fixture_in_memory() {
    let archive = open(SIMPLE_TAR);
    assert!(archive.set.root_bundle().is_some());
    assert_eq!(verify::structural(&archive), vec![]);
    for c in verify::blob_checks(&archive) {
        let p = now_or_never(verify::check_blob(SIMPLE_TAR, &c, 512, &mut |_| {})).unwrap();
        assert_eq!(p, None, "{}", c.name);
    }
}

#[test]
fn detects_a_corrupt_layer_in_memory() {
    let archive = open(SIMPLE_TAR);
    let mut bytes = SIMPLE_TAR.to_vec();
    let c = verify::blob_checks(&archive).remove(0);
    bytes[c.offset as usize] ^= 0x55;
    let p = now_or_never(verify::check_blob(bytes.as_slice(), &c, 512, &mut |_| {}))
        .unwrap()
        .expect("a problem");
    assert!(
        p.message.starts_with("error verifying sha256 checksum"),
        "{p}"
    );
}

#[test]
fn plans_the_same_tags_as_imgpkg() {
    assert_eq!(
        tags(SIMPLE_TAR, "127.0.0.1:5000/dst-from-tar/simple-bundle"),
        SIMPLE_TAGS
    );
    assert_eq!(
        tags(APP1_TAR, "127.0.0.1:5000/dst-from-tar/image-app1"),
        APP1_TAGS
    );
}

#[test]
fn builds_the_locations_image_and_lock_like_imgpkg() {
    let archive = open(SIMPLE_TAR);
    let repo = Repository::parse("127.0.0.1:5000/dst-from-tar/simple-bundle").unwrap();
    let out = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap();
    assert_eq!(
        out.plan.locations[0].manifest.raw.as_slice(),
        LOC_MANIFEST.as_bytes()
    );
    assert_eq!(out.lock_output.as_deref(), Ok(SIMPLE_LOCK));
    assert_eq!(out.bundles[0].pulled_images_yml, SIMPLE_PULLED);
}

#[test]
fn refuses_what_is_not_a_tar() {
    let r = now_or_never(Archive::open(&b"definitely not a tar archive"[..])).unwrap();
    assert!(r.is_err());
}

#[test]
fn kbld_rewrite_and_package_repository_run_the_same_on_both_targets() {
    let archive = open(SIMPLE_TAR);
    let repo = Repository::parse("127.0.0.1:5000/dst-from-tar/simple-bundle").unwrap();
    let root = archive.set.root_bundle().unwrap();
    let bundle = &archive.set.bundles[&root];
    let out = airlock_core::kbld::relocated_config(bundle, &repo)
        .unwrap()
        .unwrap();
    // The bundle's sources, every image moved to the destination.
    let deployment = format!("---\n{SIMPLE_DEPLOYMENT}")
        .replace(
            "127.0.0.1:5000/src/app1@",
            "127.0.0.1:5000/dst-from-tar/simple-bundle@",
        )
        .replace(
            "127.0.0.1:5000/src/app2@",
            "127.0.0.1:5000/dst-from-tar/simple-bundle@",
        );
    let values = if SIMPLE_VALUES.starts_with("---") {
        SIMPLE_VALUES.to_string()
    } else {
        format!("---\n{SIMPLE_VALUES}")
    };
    assert_eq!(out, format!("{deployment}{values}"));
    assert!(out.contains("image: 127.0.0.1:5000/dst-from-tar/simple-bundle@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6\n"), "{out}");
    assert!(!out.contains("/src/app"), "{out}");
    // Byte offsets after multi-byte characters (the browser build must agree).
    let map = airlock_core::kbld::relocation_map(&bundle.lock, &repo);
    let text = "note: \"☕ café\"\nimage: 127.0.0.1:5000/src/app2:v1\n";
    let r = airlock_core::kbld::rewrite_yaml(text, &map, "x.yml").unwrap();
    assert_eq!(r.text, "note: \"☕ café\"\nimage: 127.0.0.1:5000/dst-from-tar/simple-bundle@sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e\n");
    assert!(!airlock_core::kbld::is_package_repository(bundle));
}

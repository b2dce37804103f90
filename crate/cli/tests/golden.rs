#![cfg(not(target_arch = "wasm32"))]
//! Golden tests against real imgpkg 0.43.1 output (tests/fixtures, made by
//! `imgpkg copy … --to-tar` and `imgpkg copy --tar … --to-repo` against a
//! real Distribution registry): open each tar, verify it, plan the import
//! into the repository the fixture was imported into, and compare with what
//! imgpkg left there.

use airlock_cli::source::{block_on, FileSource};
use airlock_core::archive::Archive;
use airlock_core::planner::{self, PlanOptions, PlanOutput};
use airlock_core::reference::Repository;
use airlock_core::verify;

use airlock_testkit::support::{fixture, read_fixture as read, Airlock};

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

fn simple_tar() -> std::path::PathBuf {
    fixture("simple-bundle", "simple-bundle.tar")
}

fn open(name: &str) -> (FileSource, Archive) {
    let src = FileSource::open(fixture(name, &format!("{name}.tar"))).unwrap();
    let archive = block_on(Archive::open(&src)).unwrap();
    (src, archive)
}

fn plan(name: &str) -> PlanOutput {
    let (_src, archive) = open(name);
    let repo = Repository::parse(&format!("127.0.0.1:5000/dst-from-tar/{name}")).unwrap();
    planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap()
}

const FIXTURES: [&str; 2] = ["simple-bundle", "image-app1"];

#[test]
fn fixtures_verify_clean() {
    for name in FIXTURES {
        let (src, archive) = open(name);
        assert_eq!(verify::structural(&archive), vec![], "{name}");
        let checks = verify::blob_checks(&archive);
        assert!(!checks.is_empty());
        for c in &checks {
            let p = block_on(verify::check_blob(&src, c, 1024, &mut |_| {}));
            assert_eq!(p, None, "{name} {}", c.name);
        }
    }
}

#[test]
fn planned_tags_equal_imgpkg_destination_tags() {
    for name in FIXTURES {
        let out = plan(name);
        let got: Vec<String> = out
            .final_tags()
            .into_iter()
            .map(|(t, d, mt)| format!("{t} {d} {mt}"))
            .collect();
        let want: Vec<String> = read(name, "expected-dst-from-tar-tags.txt")
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(got, want, "{name}");

        let list: serde_json::Value =
            serde_json::from_str(&read(name, "expected-dst-tags-list.json")).unwrap();
        let want_tags: Vec<String> = list["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let got_tags: Vec<String> = out.final_tags().into_iter().map(|(t, _, _)| t).collect();
        assert_eq!(got_tags, want_tags, "{name}");
    }
}

#[test]
fn every_item_lands_in_the_single_destination_repo_at_the_same_digest() {
    for name in FIXTURES {
        let out = plan(name);
        let repo = format!("127.0.0.1:5000/dst-from-tar/{name}");
        for item in out.plan.items.iter().chain(&out.plan.locations) {
            assert_eq!(
                item.destination.name(),
                format!("{repo}@{}", item.manifest.digest)
            );
            assert_eq!(
                airlock_core::digest::Digest::of(&item.manifest.raw),
                item.manifest.digest,
                "manifest bytes are pushed unchanged"
            );
        }
        let repos = read(name, "expected-dst-repositories.txt");
        assert_eq!(repos.trim(), format!("dst-from-tar/{name}"), "{name}");
    }
}

#[test]
fn image_locations_image_is_byte_identical() {
    let out = plan("simple-bundle");
    assert_eq!(out.bundles.len(), 1);
    let b = &out.bundles[0];
    let dir = format!("expected-image-locations/{}", b.locations_tag);
    assert_eq!(
        b.locations_yml,
        read("simple-bundle", &format!("{dir}/image-locations.yml"))
    );
    let loc = &out.plan.locations[0];
    assert_eq!(
        String::from_utf8(loc.manifest.raw.to_vec()).unwrap(),
        read("simple-bundle", &format!("{dir}/manifest.raw.json"))
    );
    let config = match &loc.manifest.blobs[0].source {
        airlock_core::plan::BlobSource::Inline(b) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("config source {other:?}"),
    };
    assert_eq!(
        config,
        read("simple-bundle", &format!("{dir}/config.raw.json"))
    );
}

#[test]
fn pulled_images_yml_equals_imgpkg_pull() {
    let out = plan("simple-bundle");
    assert_eq!(
        out.bundles[0].pulled_images_yml,
        read("simple-bundle", "expected-relocated-images.yml")
    );
}

#[test]
fn lock_output_equals_imgpkg_lock_output() {
    for name in FIXTURES {
        let out = plan(name);
        assert_eq!(
            out.lock_output.as_deref(),
            Ok(read(name, "lock-tar-to-repo.yml").as_str()),
            "{name}"
        );
    }
}

#[test]
fn lock_output_substitutes_the_destination() {
    let (_src, archive) = open("simple-bundle");
    let repo = Repository::parse("registry.corp/apps/simple").unwrap();
    let out = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap();
    let want = read("simple-bundle", "lock-tar-to-repo.yml").replace(
        "127.0.0.1:5000/dst-from-tar/simple-bundle",
        "registry.corp/apps/simple",
    );
    assert_eq!(out.lock_output.unwrap(), want);
    // The locations image does not depend on the destination.
    assert_eq!(
        out.bundles[0].locations_digest.to_string(),
        "sha256:79dd4eb28218a32a2381fc4a0d4c312a1007dadbb803c2f58ce23bbbd5a6c31d"
    );
}

#[test]
fn cli_plan_json_matches_the_golden_tags() {
    let out = AIRLOCK.stdout(&[
        "plan",
        "--json",
        "--to-repo",
        "127.0.0.1:5000/dst-from-tar/simple-bundle",
        "--tar",
        simple_tar().to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut tags: Vec<String> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["tags"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    let want: Vec<String> = read("simple-bundle", "expected-dst-from-tar-tags.txt")
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(tags, want);
    assert_eq!(
        v["lock"].as_str().unwrap(),
        read("simple-bundle", "lock-tar-to-repo.yml")
    );
    for i in v["images"].as_array().unwrap() {
        assert!([
            "bundle",
            "image",
            "index",
            "index-child",
            "locations",
            "signature"
        ]
        .contains(&i["kind"].as_str().unwrap()));
        assert!(i["destination"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:5000/dst-from-tar/simple-bundle@sha256:"));
    }
}

#[test]
fn cli_verify_reports_a_corrupt_layer_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.tar");
    let mut bytes = std::fs::read(simple_tar()).unwrap();
    // Flip a byte inside the last layer's data (entries are 512-aligned).
    let src = FileSource::open(simple_tar()).unwrap();
    let idx = block_on(airlock_core::tar::index(&src)).unwrap();
    let last = idx.entries().last().unwrap().clone();
    bytes[last.data_offset as usize + 10] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = AIRLOCK.run(&["verify", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{}: error verifying sha256 checksum after reading",
            last.name
        )),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("airlock: Error: 1 problem(s) found"));
}

#[test]
fn cli_inspect_json_lists_the_tree() {
    let out = AIRLOCK.stdout(&["inspect", "--json", simple_tar().to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let root = v["root"].as_u64().unwrap() as usize;
    let node = &v["nodes"][root];
    assert_eq!(node["kind"], "bundle");
    assert_eq!(node["tag"], "v1.0.0");
    assert_eq!(node["children"].as_array().unwrap().len(), 2);
    let files: Vec<&str> = v["bundles"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            ".imgpkg/bundle.yml",
            ".imgpkg/images.yml",
            "config/deployment.yml",
            "config/values.yml"
        ]
    );
}

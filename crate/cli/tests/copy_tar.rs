#![cfg(not(target_arch = "wasm32"))]
//! `airlock copy --tar X --to-repo R` (the CLI binary) against a real
//! Distribution registry: the registry must end up exactly as real imgpkg
//! 0.43.1 left it for the golden fixtures (tags, digests, content types,
//! tags/list, image-locations image bytes, lock output), a re-run must only
//! check, and a tar that fails validation must push nothing.

use airlock_testkit::support::{tar_import_args, Airlock};

use airlock_testkit::support::{fixture, read_fixture as read, Auth, TempDir, TestRegistry};

const AIRLOCK: Airlock = Airlock::new(env!("CARGO_BIN_EXE_airlock"));

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `tag digest content-type` lines for every tag of `repo`, sorted.
fn tag_table(reg: &TestRegistry, repo: &str) -> String {
    let mut tags = reg.tags(repo);
    tags.sort();
    let mut out = String::new();
    for t in tags {
        let (status, headers, _) = reg.get(
            &format!("/v2/{repo}/manifests/{t}"),
            Some(airlock_core::manifest::media_type::ACCEPT_MANIFESTS),
        );
        assert_eq!(status, 200, "{repo}:{t}");
        out.push_str(&format!(
            "{t} {} {}\n",
            header(&headers, "Docker-Content-Digest").unwrap(),
            header(&headers, "Content-Type").unwrap()
        ));
    }
    out
}

#[test]
fn import_lands_exactly_what_imgpkg_left() {
    let reg = TestRegistry::start(Auth::None);
    let dir = TempDir::new("copy-tar");
    for name in ["simple-bundle", "image-app1"] {
        let repo = format!("dst-from-tar/{name}");
        let dest = format!("{}/{repo}", reg.host());
        let lock = dir.path().join(format!("{name}.lock.yml"));
        let tar = fixture(name, &format!("{name}.tar"));
        let out = AIRLOCK.run(&tar_import_args(&tar, &dest, &lock));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.trim_end().ends_with("Succeeded"), "{stderr}");

        assert_eq!(
            tag_table(&reg, &repo),
            read(name, "expected-dst-from-tar-tags.txt"),
            "{name}"
        );
        let list: serde_json::Value =
            serde_json::from_str(&read(name, "expected-dst-tags-list.json")).unwrap();
        let mut want: Vec<String> = list["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let mut got = reg.tags(&repo);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name} tags/list");
        assert!(reg.assert_tags_complete(&repo) > 0);

        let want_lock = read(name, "lock-tar-to-repo.yml").replace("127.0.0.1:5000", &reg.host());
        assert_eq!(
            std::fs::read_to_string(&lock).unwrap(),
            want_lock,
            "{name} lock"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "imgpkg writes lock files 0600");
        }
    }

    // The image-locations image, byte for byte.
    let loc_dir = "expected-image-locations/sha256-5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b.image-locations.imgpkg";
    let raw = reg
        .manifest(
            "dst-from-tar/simple-bundle",
            "sha256-5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b.image-locations.imgpkg",
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(raw.clone()).unwrap(),
        read("simple-bundle", &format!("{loc_dir}/manifest.raw.json"))
    );
    let m = airlock_core::manifest::Manifest::parse(raw, None).unwrap();
    let airlock_core::manifest::Manifest::Image(img) = m else {
        panic!("locations image is not an image")
    };
    let config = reg
        .blob("dst-from-tar/simple-bundle", &img.config.digest)
        .unwrap();
    assert_eq!(
        String::from_utf8(config).unwrap(),
        read("simple-bundle", &format!("{loc_dir}/config.raw.json"))
    );
}

#[test]
fn rerun_only_checks_and_corrupt_tar_pushes_nothing() {
    let reg = TestRegistry::start(Auth::None);
    let dest = format!("{}/dst/again", reg.host());
    let tar = fixture("simple-bundle", "simple-bundle.tar");
    let first = AIRLOCK.run(&["copy", "--tar", tar.to_str().unwrap(), "--to-repo", &dest]);
    assert!(first.status.success());
    let second = AIRLOCK.run(&["copy", "--tar", tar.to_str().unwrap(), "--to-repo", &dest]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 items pushed, 4 already there; blobs: 0 sent"),
        "{stderr}"
    );

    // A manifest.json whose bundle manifest does not match its digest.
    let dir = TempDir::new("corrupt");
    let bad = dir.path().join("bad.tar");
    let mut bytes = std::fs::read(&tar).unwrap();
    let needle = b"imgpkg-relocation-acceptance-fixtures";
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[pos] = b'X'; // inside a Config.Raw string: its digest no longer matches
    std::fs::write(&bad, &bytes).unwrap();
    let dest = format!("{}/dst/corrupt", reg.host());
    let out = AIRLOCK.run(&["copy", "--tar", bad.to_str().unwrap(), "--to-repo", &dest]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("airlock: Error: "), "{stderr}");
    assert!(stderr.contains("nothing was pushed"), "{stderr}");
    assert!(stderr.contains("Config.Raw"), "{stderr}");
    assert!(reg.tags("dst/corrupt").is_empty());
    let (status, _, _) = reg.get("/v2/_catalog", None);
    assert_eq!(status, 200);
    let (_, _, body) = reg.get("/v2/_catalog", None);
    assert!(!String::from_utf8_lossy(&body).contains("dst/corrupt"));
}

#[test]
fn flag_validation_uses_imgpkg_messages() {
    let tar = fixture("simple-bundle", "simple-bundle.tar");
    let t = tar.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["copy", "--to-repo", "r.io/a/b"],
            "Expected either --lock, --bundle (-b), --image (-i), or --tar as a source",
        ),
        (
            &["copy", "--tar", t],
            "Expected either --to-tar or --to-repo",
        ),
        (
            &["copy", "--tar", t, "--to-tar", "/tmp/x.tar"],
            "Cannot use tar source (--tar) with tar destination (--to-tar)",
        ),
        (
            &[
                "copy",
                "-b",
                "r.io/a/b:1",
                "--to-tar",
                "/tmp/x.tar",
                "--lock-output",
                "/tmp/l.yml",
            ],
            "Cannot output lock file with tar destination",
        ),
        (
            &["copy", "--tar", t, "--to-repo", "r.io/a/b", "--resume"],
            "Flag --resume can only be used when copying to tar",
        ),
    ];
    for (args, want) in cases {
        let out = AIRLOCK.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            format!("airlock: Error: {want}"),
            "{args:?}"
        );
    }
}

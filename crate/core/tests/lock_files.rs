#![cfg(not(target_arch = "wasm32"))]
//! imgpkg lock files: goldens written by imgpkg 0.43.1, round trips, and
//! refusals with imgpkg's error texts.

use airlock_core::lock::{
    parse_lock_file, relocated_images_yml, BundleLock, ImageLocation, ImageLocations, ImagesLock,
    LockError, LockErrorKind, LockFile, LockedImage,
};
use airlock_core::reference::{Reference, Repository};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn fixture_str(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

const APP1: &str = "sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6";
const APP2: &str = "sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e";
const BUNDLE: &str = "sha256:5a46b728a435d0b0075558231a7b2d0b9f3318c11158861250b65299d1d6c64b";
const HEADER: &str = "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n";

fn images_err(doc: &str) -> LockError {
    ImagesLock::parse(doc.as_bytes(), "images.yml").expect_err("must be refused")
}

// ---------------------------------------------------------------------------
// Goldens

#[test]
fn golden_pull_rewrite_of_the_simple_bundle() {
    let lock = ImagesLock::parse(
        &fixture("bundle-sources/simple-bundle/.imgpkg/images.yml"),
        "bundle-sources/simple-bundle/.imgpkg/images.yml",
    )
    .unwrap();
    let repo = Repository::parse("127.0.0.1:5000/dst-from-tar/simple-bundle").unwrap();
    assert_eq!(
        relocated_images_yml(&lock, &repo),
        fixture_str("simple-bundle/expected-relocated-images.yml")
    );
}

#[test]
fn golden_bundle_source_images_yml_is_read_and_normalised() {
    let lock = ImagesLock::parse(
        &fixture("bundle-sources/simple-bundle/.imgpkg/images.yml"),
        "images.yml",
    )
    .unwrap();
    assert_eq!(lock.images.len(), 2);
    assert_eq!(
        lock.images[0].image,
        format!("127.0.0.1:5000/src/app1@{APP1}")
    );
    assert_eq!(lock.images[0].original, lock.images[0].image);
    assert_eq!(
        lock.images[0].annotations,
        vec![(
            "kbld.carvel.dev/id".to_string(),
            "127.0.0.1:5000/src/app1:v1".to_string()
        )]
    );
    assert_eq!(lock.images[1].digest().unwrap().to_string(), APP2);
    assert_eq!(
        lock.images[1].annotation("kbld.carvel.dev/id"),
        Some("127.0.0.1:5000/src/app2:v1")
    );
}

#[test]
fn golden_bundle_locks_round_trip_byte_for_byte() {
    for (path, repo) in [
        ("simple-bundle/lock-tar-to-repo.yml", "dst-from-tar"),
        ("simple-bundle/lock-registry-to-repo.yml", "dst"),
    ] {
        let bytes = fixture(path);
        let lock = BundleLock::parse(&bytes, path).unwrap();
        assert_eq!(
            lock.image,
            format!("127.0.0.1:5000/{repo}/simple-bundle@{BUNDLE}")
        );
        assert_eq!(lock.tag.as_deref(), Some("v1.0.0"));
        assert_eq!(lock.to_yaml().as_bytes(), &bytes[..], "{path}");
        assert_eq!(
            parse_lock_file(&bytes, path).unwrap(),
            LockFile::Bundle(lock)
        );
    }
}

#[test]
fn golden_bundle_lock_built_from_scratch() {
    let repo = Repository::parse("127.0.0.1:5000/dst-from-tar/simple-bundle").unwrap();
    let lock = BundleLock {
        image: repo.at(&BUNDLE.parse().unwrap()).name(),
        tag: Some("v1.0.0".into()),
    };
    assert_eq!(
        lock.to_yaml(),
        fixture_str("simple-bundle/lock-tar-to-repo.yml")
    );
    let untagged = BundleLock {
        tag: None,
        ..lock.clone()
    };
    assert_eq!(
        untagged.to_yaml(),
        format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nbundle:\n  image: {}\nkind: BundleLock\n",
            lock.image
        )
    );
}

#[test]
fn golden_images_locks_from_an_image_copy_round_trip() {
    for path in [
        "image-app1/lock-tar-to-repo.yml",
        "image-app1/lock-registry-to-repo.yml",
    ] {
        let bytes = fixture(path);
        let lock = ImagesLock::parse(&bytes, path).unwrap();
        assert_eq!(lock.images.len(), 1);
        assert!(lock.images[0].annotations.is_empty());
        assert_eq!(lock.to_yaml().as_bytes(), &bytes[..], "{path}");
        match parse_lock_file(&bytes, path).unwrap() {
            LockFile::Images(l) => assert_eq!(l, lock),
            other => panic!("{other:?}"),
        }
    }
    let dst =
        Reference::parse_digest(&format!("127.0.0.1:5000/dst-from-tar/image-app1@{APP1}")).unwrap();
    let built = ImagesLock {
        images: vec![LockedImage::new(&dst)],
    };
    assert_eq!(
        built.to_yaml(),
        fixture_str("image-app1/lock-tar-to-repo.yml")
    );
}

#[test]
fn golden_image_locations() {
    let path = format!("simple-bundle/expected-image-locations/sha256-{}.image-locations.imgpkg/image-locations.yml", &BUNDLE[7..]);
    let bytes = fixture(&path);
    let locations = ImageLocations::parse(&bytes, "image-locations.yml").unwrap();
    assert_eq!(locations.to_yaml().as_bytes(), &bytes[..]);

    // Built the way copy builds it: one entry per images.yml image, in any
    // order and repeated images listed once.
    let lock = ImagesLock::parse(
        &fixture("bundle-sources/simple-bundle/.imgpkg/images.yml"),
        "images.yml",
    )
    .unwrap();
    let mut images: Vec<ImageLocation> = lock
        .images
        .iter()
        .rev()
        .map(|i| ImageLocation {
            image: i.image.clone(),
            is_bundle: false,
        })
        .collect();
    images.push(images[0].clone());
    assert_eq!(ImageLocations { images }.to_yaml().as_bytes(), &bytes[..]);
}

#[test]
fn image_locations_are_sorted_and_deduplicated_by_digest() {
    let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let locs = ImageLocations {
        images: [
            ("z.io/zz", 'a', false),
            ("a.io/aa", 'b', true),
            ("b.io/bb", 'c', true),
        ]
        .iter()
        .map(|(n, c, b)| ImageLocation {
            image: format!("{n}@{}", d(*c)),
            is_bundle: *b,
        })
        .collect(),
    };
    assert_eq!(
        locs.to_yaml(),
        format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n- image: a.io/aa@{}\n  isBundle: true\n- image: b.io/bb@{}\n  isBundle: true\n- image: z.io/zz@{}\n  isBundle: false\nkind: ImageLocations\n",
            d('b'),
            d('c'),
            d('a')
        )
    );
    // The same digest under two names: the first one seen is kept, as in
    // imgpkg's Bundle.NoteCopy (its AsBytes alone would keep both).
    let locs = ImageLocations {
        images: vec![
            ImageLocation {
                image: format!("z.io/zz@{}", d('a')),
                is_bundle: false,
            },
            ImageLocation {
                image: format!("a.io/aa@{}", d('a')),
                is_bundle: true,
            },
        ],
    };
    assert_eq!(locs.normalized(), vec![locs.images[0].clone()]);
    // No images: imgpkg's nil slice is written as null.
    assert_eq!(
        ImageLocations::default().to_yaml(),
        "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages: null\nkind: ImageLocations\n"
    );
}

#[test]
fn image_locations_are_read_leniently() {
    let h = "4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0";
    let doc = format!(
        "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImageLocations\nimages:\n- image: some.image.io/test@sha256:{h}\n  isBundle: yes\n  some-other-key: value\nextra: 1\n"
    );
    let locs = ImageLocations::parse(doc.as_bytes(), "image-locations.yml").unwrap();
    assert_eq!(
        locs.images,
        vec![ImageLocation {
            image: format!("some.image.io/test@sha256:{h}"),
            is_bundle: true
        }]
    );
    let err = ImageLocations::parse(
        doc.replace("v1alpha1", "v1alpha2").as_bytes(),
        "image-locations.yml",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Validating apiVersion: Unknown version (known: imgpkg.carvel.dev/v1alpha1)"
    );
    let err = ImageLocations::parse(
        doc.replace("kind: ImageLocations", "kind: ImagesLock")
            .as_bytes(),
        "l.yml",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Validating kind: Unknown kind (known: ImageLocations)"
    );
    let err = ImageLocations::parse(
        doc.replace("isBundle: yes", "isBundle: \"yes\"").as_bytes(),
        "l.yml",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Unmarshaling image locations config: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field ImageLocation.images.isBundle of type bool"
    );
    assert_eq!(err.line(), Some(5));
    let err = ImageLocations::parse(
        doc.replace("isBundle: yes", "isBundle: .nan").as_bytes(),
        "l.yml",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Unmarshaling image locations config: error converting YAML to JSON: json: unsupported value: NaN"
    );
}

// ---------------------------------------------------------------------------
// Round trips and what imgpkg accepts

#[test]
fn references_are_normalised_and_originals_kept() {
    let h = "4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0";
    let doc = format!(
        "---\n{HEADER}images:\n- image: nginx@sha256:{h}\n- image: docker.io/library/nginx:1.2@sha256:{h}\n- image: ghcr.io/x/y@sha256:{h}\n"
    );
    let lock = ImagesLock::parse(doc.as_bytes(), "images.yml").unwrap();
    let names: Vec<&str> = lock.images.iter().map(|i| i.image.as_str()).collect();
    let want = format!("index.docker.io/library/nginx@sha256:{h}");
    assert_eq!(
        names,
        vec![
            want.as_str(),
            want.as_str(),
            &format!("ghcr.io/x/y@sha256:{h}")
        ]
    );
    assert_eq!(lock.images[0].original, format!("nginx@sha256:{h}"));
    assert_eq!(
        lock.images[1].original,
        format!("docker.io/library/nginx:1.2@sha256:{h}")
    );
    // Written out in Name() form, order kept.
    assert_eq!(
        lock.to_yaml(),
        format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nimages:\n- image: {want}\n- image: {want}\n- image: ghcr.io/x/y@sha256:{h}\nkind: ImagesLock\n"
        )
    );
}

const KBLD_LOCK: &str = r#"---
apiVersion: imgpkg.carvel.dev/v1alpha1
kind: ImagesLock
images:
- image: index.docker.io/library/nginx@sha256:4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0
  annotations:
    kbld.carvel.dev/origins: |
      - resolved:
          tag: 1.14.2
          url: nginx:1.14.2
    kbld.carvel.dev/id: nginx:1.14.2
    zz-number: "1.0"
    bool-like: 'yes'
    colon: "a: b"
    hash: '# x'
    dash: "- x"
    quotes: "'q'"
    spaces: "trailing  "
    octal: "0123"
    unicode: "héllo 😀"
    multi: "one\ntwo"
    long: "this is a fairly long annotation value with many words in it so that it goes past eighty columns and gets folded"
"#;

#[test]
fn kbld_annotations_round_trip() {
    let lock = ImagesLock::parse(KBLD_LOCK.as_bytes(), "images.yml").unwrap();
    let img = &lock.images[0];
    assert_eq!(img.annotations[0].0, "kbld.carvel.dev/origins");
    assert_eq!(
        img.annotation("kbld.carvel.dev/origins"),
        Some("- resolved:\n    tag: 1.14.2\n    url: nginx:1.14.2\n")
    );
    assert_eq!(img.annotation("bool-like"), Some("yes"));
    assert_eq!(img.annotation("unicode"), Some("héllo 😀"));
    let out = lock.to_yaml();
    assert_eq!(
        out,
        "---
apiVersion: imgpkg.carvel.dev/v1alpha1
images:
- annotations:
    bool-like: \"yes\"
    colon: 'a: b'
    dash: '- x'
    hash: '# x'
    kbld.carvel.dev/id: nginx:1.14.2
    kbld.carvel.dev/origins: |
      - resolved:
          tag: 1.14.2
          url: nginx:1.14.2
    long: this is a fairly long annotation value with many words in it so that it
      goes past eighty columns and gets folded
    multi: |-
      one
      two
    octal: \"0123\"
    quotes: '''q'''
    spaces: 'trailing  '
    unicode: \"h\u{e9}llo \\U0001F600\"
    zz-number: \"1.0\"
  image: index.docker.io/library/nginx@sha256:4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0
kind: ImagesLock
"
    );
    // What imgpkg writes, imgpkg (and this parser) reads back the same.
    let again = ImagesLock::parse(out.as_bytes(), "out.yml").unwrap();
    assert_eq!(
        again.images[0].annotations_sorted(),
        img.annotations_sorted()
    );
    assert_eq!(again.to_yaml(), out);
}

#[test]
fn scalars_are_read_as_go_yaml_v2_and_sigs_yaml_read_them() {
    let h = "4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0";
    let doc = format!(
        "{HEADER}images:\n- image: a.io/xy@sha256:{h}\n  annotations:\n    a: yes\n    b: 1.0\n    c: 0123\n    d: ~\n    e: 2024-01-02\n    f: 1e3\n    g: 0x10\n    h:\n    i: !!str 12\n    1: one\n    true: t\n"
    );
    let lock = ImagesLock::parse(doc.as_bytes(), "images.yml").unwrap();
    let got: Vec<(&str, &str)> = lock.images[0]
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a", "true"),
            ("b", "1"),
            ("c", "83"),
            ("d", ""),
            ("e", "2024-01-02"),
            ("f", "1000"),
            ("g", "16"),
            ("h", ""),
            ("i", "12"),
            ("1", "one"),
            ("true", "t"),
        ]
    );
    // A BundleLock tag written as a number comes back as Go formats it.
    let bundle = format!(
        "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nbundle:\n  image: a.io/bb@sha256:{h}\n  tag: 1.0\n"
    );
    assert_eq!(
        BundleLock::parse(bundle.as_bytes(), "b.yml")
            .unwrap()
            .tag
            .as_deref(),
        Some("1")
    );
}

#[test]
fn accepted_variants() {
    let h = "4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0";
    let empty = ImagesLock::default();
    for doc in [
        HEADER.to_string(),
        format!("---\n{HEADER}"),
        format!("{HEADER}images: null\n"),
        format!("{HEADER}images: []\n"),
        format!("{HEADER}images:\n"),
        format!("# comment\n{HEADER}...\n"),
        "{apiVersion: imgpkg.carvel.dev/v1alpha1, kind: ImagesLock}".to_string(),
        // Only the first document counts, as in go-yaml.
        format!("{HEADER}---\nkind: Other\n---\n[not, a, lock"),
        // Go's JSON decoder matches field names case-insensitively.
        "APIVersion: imgpkg.carvel.dev/v1alpha1\nKind: ImagesLock\n".to_string(),
        HEADER.replace('\n', "\r\n"),
        format!("\u{feff}{HEADER}"),
    ] {
        let lock = ImagesLock::parse(doc.as_bytes(), "images.yml")
            .unwrap_or_else(|e| panic!("{doc:?}: {e}"));
        assert_eq!(lock, empty, "{doc:?}");
    }
    assert_eq!(
        empty.to_yaml(),
        "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n"
    );

    // UTF-16 with a byte-order mark, as go-yaml's reader accepts.
    let doc = format!("{HEADER}images:\n- image: a.io/xy@sha256:{h}\n");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(doc.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        ImagesLock::parse(&utf16, "u16.yml").unwrap().images.len(),
        1
    );

    // Anchors and merge keys are YAML, and imgpkg takes them.
    let doc = format!(
        "{HEADER}images:\n- &first\n  image: a.io/xy@sha256:{h}\n  annotations: &ann {{k: v}}\n- <<: *first\n- image: b.io/xy@sha256:{h}\n  annotations: *ann\n"
    );
    let lock = ImagesLock::parse(doc.as_bytes(), "images.yml").unwrap();
    assert_eq!(lock.images.len(), 3);
    assert_eq!(lock.images[1], lock.images[0]);
    assert_eq!(lock.images[2].annotations, lock.images[0].annotations);
    // ...but go-yaml v2's strict mode counts a key that overrides a merged
    // one as a duplicate.
    let doc = format!("{HEADER}images:\n- &first\n  image: a.io/xy@sha256:{h}\n- <<: *first\n  image: c.io/xy@sha256:{h}\n");
    let err = ImagesLock::parse(doc.as_bytes(), "images.yml").unwrap_err();
    assert!(
        err.message().ends_with("key \"image\" already set in map"),
        "{err}"
    );
}

#[test]
fn relocation_keeps_annotations_and_order() {
    let lock = ImagesLock::parse(KBLD_LOCK.as_bytes(), "images.yml").unwrap();
    let repo = Repository::parse("registry.corp/airgap/bundle").unwrap();
    let moved = lock.relocated_to(&repo);
    assert_eq!(
        moved.images[0].image,
        "registry.corp/airgap/bundle@sha256:4c8b96d4fffdfae29258d94a22ae4ad1fe36139d47288b8960d9958d1e63a9d0"
    );
    assert_eq!(moved.images[0].annotations, lock.images[0].annotations);
    let yml = relocated_images_yml(&lock, &repo);
    assert!(yml.contains("  image: registry.corp/airgap/bundle@sha256:4c8b"));
    let again = ImagesLock::parse(yml.as_bytes(), "x").unwrap();
    assert_eq!(again.images[0].image, moved.images[0].image);
    assert_eq!(
        again.images[0].annotations_sorted(),
        moved.images[0].annotations_sorted()
    );
    // A truncated multi-byte character at the end of the input.
    let err = ImagesLock::parse(b"apiVersion: caf\xe9\n", "x").unwrap_err();
    assert!(
        err.message()
            .ends_with("yaml: incomplete UTF-8 octet sequence"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Refusals, with imgpkg's texts

#[test]
fn refuses_unknown_top_level_key() {
    // imgpkg's own unit test document.
    let err = images_err(
        "\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nanother-key: invalid\n",
    );
    assert_eq!(err.kind(), LockErrorKind::Schema);
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error unmarshaling JSON: while decoding JSON: json: unknown field \"another-key\""
    );
    assert_eq!(err.line(), Some(4));
    assert_eq!(err.file(), "images.yml");
    assert_eq!(
        err.to_string(),
        "Unmarshaling images lock: error unmarshaling JSON: while decoding JSON: json: unknown field \"another-key\" (images.yml, line 4: ImagesLock has only apiVersion, kind, images)"
    );
    let err = BundleLock::parse(
        b"\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nanother-key: invalid\n",
        "b.yml",
    )
    .unwrap_err();
    assert!(err.message().starts_with("Unmarshaling bundle lock: "));
    assert!(err.message().contains("unknown field \"another-key\""));
}

#[test]
fn refuses_unknown_key_in_an_image_entry() {
    let err = images_err(&format!(
        "{HEADER}images:\n- image: nginx@{APP1}\n  digest: {APP1}\n"
    ));
    assert!(
        err.message().ends_with("json: unknown field \"digest\""),
        "{err}"
    );
    assert_eq!(err.line(), Some(5));
}

#[test]
fn refuses_legacy_kbld_spec_images_form() {
    let err = images_err(&format!(
        "{HEADER}spec:\n  images:\n  - image: nginx@{APP1}\n"
    ));
    assert!(
        err.message().ends_with("json: unknown field \"spec\""),
        "{err}"
    );
    assert_eq!(err.line(), Some(3));
}

#[test]
fn refuses_wrong_kind() {
    let err = images_err("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\n");
    assert_eq!(err.kind(), LockErrorKind::Validation);
    assert_eq!(
        err.message(),
        "Validating images lock: Validating kind: Unknown kind (known: ImagesLock)"
    );
    assert_eq!(err.line(), Some(2));
    assert_eq!(err.detail(), Some("got kind 'BundleLock'"));
    let err = images_err("apiVersion: imgpkg.carvel.dev/v1alpha1\n");
    assert_eq!(err.detail(), Some("kind is missing"));
}

#[test]
fn refuses_wrong_api_version() {
    let err = images_err("apiVersion: imgpkg.carvel.dev/v1alpha2\nkind: ImagesLock\n");
    assert_eq!(
        err.message(),
        "Validating images lock: Validating apiVersion: Unknown version (known: imgpkg.carvel.dev/v1alpha1)"
    );
    assert_eq!(err.line(), Some(1));
    // The legacy kbld document is refused on its apiVersion.
    let err = images_err("apiVersion: kbld.k14s.io/v1alpha1\nkind: Config\n");
    assert!(err
        .message()
        .ends_with("Unknown version (known: imgpkg.carvel.dev/v1alpha1)"));
}

#[test]
fn refuses_tag_references() {
    // imgpkg's own unit test.
    let err = images_err(
        "\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: nginx:v1\n",
    );
    assert_eq!(
        err.message(),
        "Validating images lock: Expected ref to be in digest form, got 'nginx:v1'"
    );
    assert_eq!(err.line(), Some(5));
    assert_eq!(
        err.to_string(),
        "Validating images lock: Expected ref to be in digest form, got 'nginx:v1' (images.yml, line 5: not a digest reference: expected <repository>@sha256:<64 hex digits>)"
    );
}

#[test]
fn refuses_invalid_digests() {
    for image in [
        "nginx@sha256:abc",
        "nginx@sha256:95CDEC99A5B01A74BED240F40F9F59E71CE86DBAF85F869CEA6D35C441F4C1B6",
        "nginx@sha512:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6",
        "nginx@@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6",
        "UPPER/case@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6",
    ] {
        let err = images_err(&format!("{HEADER}images:\n- image: {image}\n"));
        assert_eq!(
            err.message(),
            format!("Validating images lock: Expected ref to be in digest form, got '{image}'")
        );
        assert_eq!(err.line(), Some(4));
        assert!(err.detail().is_some());
    }
}

#[test]
fn refuses_an_entry_without_image() {
    let err = images_err(&format!("{HEADER}images:\n- annotations:\n    a: b\n"));
    assert_eq!(
        err.message(),
        "Validating images lock: Expected ref to be in digest form, got ''"
    );
    assert_eq!(err.line(), Some(4));
    assert_eq!(err.detail(), Some("the image is missing"));
    let err = images_err(&format!("{HEADER}images:\n- null\n"));
    assert_eq!(
        err.message(),
        "Validating images lock: Expected ref to be in digest form, got ''"
    );
}

#[test]
fn refuses_images_that_is_not_a_list() {
    let err = images_err(&format!("{HEADER}images: nginx@{APP1}\n"));
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field ImagesLock.images of type []lockconfig.ImageRef"
    );
    assert_eq!(err.line(), Some(3));
    let err = images_err(&format!("{HEADER}images:\n  image: nginx@{APP1}\n"));
    assert!(err.message().ends_with("cannot unmarshal object into Go struct field ImagesLock.images of type []lockconfig.ImageRef"));
    let err = images_err(&format!("{HEADER}images:\n- nginx@{APP1}\n"));
    assert!(err.message().ends_with("cannot unmarshal string into Go struct field ImagesLock.images of type lockconfig.ImageRef"));
    let err = images_err("- a\n- b\n");
    assert!(
        err.message()
            .ends_with("json: cannot unmarshal array into Go value of type lockconfig.ImagesLock"),
        "{err}"
    );
}

#[test]
fn refuses_non_string_annotations() {
    let base = format!("{HEADER}images:\n- image: nginx@{APP1}\n  annotations:\n");
    let err = images_err(&format!("{base}    a: {{nested: map}}\n"));
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go struct field ImageRef.images.annotations of type string"
    );
    assert_eq!(err.line(), Some(6));
    let err = images_err(&format!("{base}    a: [1, 2]\n"));
    assert!(err.message().ends_with(
        "cannot unmarshal array into Go struct field ImageRef.images.annotations of type string"
    ));
    let err = images_err(&format!(
        "{HEADER}images:\n- image: nginx@{APP1}\n  annotations: [a, b]\n"
    ));
    assert!(err.message().ends_with(
        "cannot unmarshal array into Go struct field ImageRef.images.annotations of type map[string]string"
    ));
    let err = images_err(&format!("{base}    ~: null-key\n"));
    assert!(
        err.message()
            .contains("error converting YAML to JSON: unsupported map key of type"),
        "{err}"
    );
    let err = images_err(&format!("{HEADER}images:\n- image: [nginx@{APP1}]\n"));
    assert!(err.message().ends_with(
        "cannot unmarshal array into Go struct field ImageRef.images.image of type string"
    ));
}

#[test]
fn refuses_duplicate_keys() {
    let err = images_err(&format!("{HEADER}kind: ImagesLock\n"));
    assert_eq!(err.kind(), LockErrorKind::Yaml);
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error converting YAML to JSON: yaml: unmarshal errors:\n  line 3: key \"kind\" already set in map"
    );
    assert_eq!(err.line(), Some(3));
    let err = images_err(&format!(
        "{HEADER}images:\n- image: nginx@{APP1}\n  annotations:\n    a: 1\n    a: 2\n"
    ));
    assert!(
        err.message()
            .ends_with("line 7: key \"a\" already set in map"),
        "{err}"
    );
}

#[test]
fn refuses_non_utf8_and_control_characters() {
    let mut doc = HEADER.as_bytes().to_vec();
    doc.extend_from_slice(b"images:\n- image: caf\xe9 x\n");
    let err = ImagesLock::parse(&doc, "latin1.yml").unwrap_err();
    assert_eq!(err.kind(), LockErrorKind::Encoding);
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: error converting YAML to JSON: yaml: invalid trailing UTF-8 octet"
    );
    assert_eq!(err.line(), Some(4));
    let err = ImagesLock::parse(b"\xff\xfe\x00", "x").unwrap_err();
    assert_eq!(err.kind(), LockErrorKind::Encoding);
    let err = ImagesLock::parse(b"apiVersion: \x80\n", "x").unwrap_err();
    assert!(err.message().ends_with("yaml: invalid leading UTF-8 octet"));
    let err = images_err("apiVersion: a\u{1}b\n");
    assert!(err
        .message()
        .ends_with("yaml: control characters are not allowed"));
    assert_eq!(err.line(), Some(1));
}

#[test]
fn refuses_what_is_not_yaml() {
    for (doc, line) in [
        ("apiVersion: [unclosed\nkind: ImagesLock\n", None),
        ("key: value: other\n", Some(1)),
        ("a:\n\t- b\n", Some(2)),
        ("{{{", Some(1)),
        ("a: 'unterminated\n", None),
        ("images:\n- *nope\n", Some(2)),
    ] {
        let err = images_err(doc);
        assert_eq!(err.kind(), LockErrorKind::Syntax, "{doc:?}: {err}");
        assert!(
            err.message().starts_with(
                "Unmarshaling images lock: error converting YAML to JSON: yaml: line "
            ),
            "{doc:?}: {err}"
        );
        if line.is_some() {
            assert_eq!(err.line(), line, "{doc:?}: {err}");
        }
    }
}

#[test]
fn refuses_empty_documents_as_imgpkg_does() {
    for doc in ["", "\n", "# just a comment\n", "---\n", "null\n", "~"] {
        let err = images_err(doc);
        assert_eq!(
            err.message(),
            "Validating images lock: Validating apiVersion: Unknown version (known: imgpkg.carvel.dev/v1alpha1)",
            "{doc:?}"
        );
        assert_eq!(err.detail(), Some("the document is empty"));
        assert_eq!(err.line(), None);
    }
}

#[test]
fn refuses_bundle_lock_without_digest() {
    // imgpkg's own unit test.
    let doc =
        "\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nbundle:\n  image: nginx:v1\n";
    let err = BundleLock::parse(doc.as_bytes(), "bundle.yml").unwrap_err();
    assert_eq!(
        err.message(),
        "Validating bundle lock: Expected ref to be in digest form, got 'nginx:v1'"
    );
    assert_eq!(err.line(), Some(5));
    let err = BundleLock::parse(
        b"apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\n",
        "b",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Validating bundle lock: Expected ref to be in digest form, got ''"
    );
    let err = BundleLock::parse(
        b"apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nbundle: x\n",
        "b",
    )
    .unwrap_err();
    assert!(err.message().ends_with(
        "json: cannot unmarshal string into Go struct field BundleLock.bundle of type lockconfig.BundleRef"
    ));
}

#[test]
fn copy_lock_tries_bundle_then_images() {
    let err = parse_lock_file(
        b"apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: Something\n",
        "lock.yml",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Trying to read bundle or images lock file: Validating images lock: Validating kind: Unknown kind (known: ImagesLock)"
    );
    assert_eq!(err.file(), "lock.yml");
    let doc = format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nbundle:\n  image: a.io/bb@{BUNDLE}\n");
    assert!(matches!(
        parse_lock_file(doc.as_bytes(), "l").unwrap(),
        LockFile::Bundle(_)
    ));
    // A BundleLock with a bad image falls through to the ImagesLock error.
    let err =
        parse_lock_file(doc.replace(&format!("@{BUNDLE}"), ":v1").as_bytes(), "l").unwrap_err();
    assert_eq!(
        err.message(),
        "Trying to read bundle or images lock file: Unmarshaling images lock: error unmarshaling JSON: while decoding JSON: json: unknown field \"bundle\""
    );
}

#[test]
fn refuses_self_referencing_anchors() {
    let err = images_err("a: &a [*a]\n");
    assert_eq!(err.kind(), LockErrorKind::Yaml);
    assert!(
        err.message()
            .ends_with("yaml: anchor 'a' value contains itself"),
        "{err}"
    );
}

#[test]
fn refuses_oversized_input() {
    let mut doc = HEADER.as_bytes().to_vec();
    doc.resize(16 * 1024 * 1024 + 1, b'\n');
    let err = ImagesLock::parse(&doc, "huge.yml").unwrap_err();
    assert_eq!(err.kind(), LockErrorKind::TooLarge);
    assert_eq!(
        err.message(),
        "Unmarshaling images lock: input is too large: 16777217 bytes (limit 16777216 bytes)"
    );
}

#![cfg(not(target_arch = "wasm32"))]
//! Malformed imgpkg tars (see `synth::BAD_ARCHIVES`): each is refused by
//! `Archive::open`, or opens and is reported by `verify::structural` or a
//! blob check, with its own text (imgpkg's where imgpkg has one). No input
//! may panic or hang, in reading, verifying or planning.

use std::time::{Duration, Instant};

use airlock_core::archive::{Archive, ArchiveError};
use airlock_core::digest::Digest;
use airlock_core::imgpkg_tar::manifest_json;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::Repository;
use airlock_core::tar;
use airlock_core::verify;
use airlock_testkit::block_on;
use airlock_testkit::synth::{self, BlobData, ExportOptions, PackageRepoOptions, SynthTar};

const HINT: &str = "(hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)";

/// What the core says about a tar: `Err` when it cannot be opened, else
/// every structural and blob problem, as `subject: message` lines. Also
/// plans it, which must not panic.
fn diagnose(bytes: &[u8]) -> Result<Vec<String>, String> {
    let archive = block_on(Archive::open(bytes)).map_err(|e| e.to_string())?;
    let mut out: Vec<String> = verify::structural(&archive)
        .iter()
        .map(ToString::to_string)
        .collect();
    for c in verify::blob_checks(&archive) {
        if let Some(p) = block_on(verify::check_blob(bytes, &c, 1 << 16, &mut |_| {})) {
            out.push(p.to_string());
        }
    }
    let repo = Repository::parse("registry.corp.internal/airgap").unwrap();
    for opts in [
        PlanOptions::default(),
        PlanOptions {
            repo_based_tags: true,
            include_non_distributable_layers: true,
        },
    ] {
        let _ = planner::plan(&archive.set, &repo, opts);
    }
    Ok(out)
}

fn bad(name: &str) -> Vec<u8> {
    synth::bad_archive(name).unwrap_or_else(|| panic!("no case {name}"))
}

fn problems(name: &str) -> Vec<String> {
    diagnose(&bad(name)).unwrap_or_else(|e| panic!("{name} did not open: {e}"))
}

fn open_error(name: &str) -> String {
    match diagnose(&bad(name)) {
        Err(e) => e,
        Ok(p) => panic!("{name} opened, with problems {p:?}"),
    }
}

/// The well-formed tar the simple cases break.
fn base() -> SynthTar {
    synth::simple_bundle(7, "v1", ExportOptions::default()).2
}

fn first_image(t: &SynthTar) -> manifest_json::ImageDescriptor {
    t.manifest
        .iter()
        .filter_map(|i| i.image.clone())
        .find(|i| !i.is_root_bundle())
        .unwrap()
}

#[test]
fn the_base_tar_is_sound() {
    assert_eq!(diagnose(&base().to_bytes()), Ok(vec![]));
}

#[test]
fn every_case_reports_its_text_quickly() {
    assert!(synth::BAD_ARCHIVES.len() >= 15);
    for (name, want) in synth::BAD_ARCHIVES {
        let bytes = bad(name);
        let start = Instant::now();
        let got = diagnose(&bytes);
        let took = start.elapsed();
        let text = match &got {
            Ok(p) => p.join("\n"),
            Err(e) => e.clone(),
        };
        assert!(text.contains(want), "{name}: {want:?} not in {text:?}");
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
    }
    assert!(synth::bad_archive("no-such-case").is_none());
}

#[test]
fn missing_manifest_json() {
    assert_eq!(
        open_error("missing-manifest-json"),
        format!("file manifest.json not found in tar {HINT}")
    );
    let bytes = bad("missing-manifest-json");
    assert_eq!(
        block_on(Archive::open(bytes.as_slice())).unwrap_err(),
        ArchiveError::MissingManifestJson
    );
}

#[test]
fn invalid_manifest_json() {
    let e = open_error("invalid-json");
    assert!(
        e.starts_with("manifest.json: parsing manifest.json: EOF while parsing"),
        "{e}"
    );
    let e = open_error("manifest-json-not-an-array");
    assert!(e.contains("expected a JSON array"), "{e}");
}

#[test]
fn missing_layer_file() {
    let t = base();
    let layer = first_image(&t).layers()[0].digest.clone();
    let name = Digest::parse(&layer).unwrap().tar_entry_name();
    assert_eq!(
        problems("missing-layer"),
        [format!("{name}: file {name} not found in tar {HINT}")]
    );
}

#[test]
fn layer_with_wrong_bytes() {
    let bytes = bad("layer-wrong-bytes");
    let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
    let t = base();
    let want = Digest::parse(&first_image(&t).layers()[0].digest).unwrap();
    let entry = archive.entries.get(&want.tar_entry_name()).unwrap();
    let data = block_on(tar::read_entry(bytes.as_slice(), entry, 1 << 20)).unwrap();
    let got = Digest::of(&data);
    assert_eq!(
        problems("layer-wrong-bytes"),
        [format!(
            "{}: error verifying sha256 checksum after reading {} bytes; got \"{got}\", want \"{want}\"",
            want.tar_entry_name(),
            data.len()
        )]
    );
}

#[test]
fn layer_with_wrong_size() {
    let p = problems("layer-wrong-size");
    let t = base();
    let img = first_image(&t);
    let l = &img.layers()[0];
    let name = Digest::parse(&l.digest).unwrap().tar_entry_name();
    let size_error = format!(
        "{name}: error verifying size; got {}, want {} (layer of ",
        l.size + 8,
        l.size
    );
    // Shared by two images: reported for each, then the hash.
    assert_eq!(p.iter().filter(|m| m.starts_with(&size_error)).count(), 2);
    assert!(p[2].contains("error verifying sha256 checksum after reading"));
}

#[test]
fn manifest_and_config_raw_must_match_their_digests() {
    let p = problems("manifest-raw-mismatch");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("manifest bytes (Raw) hash to sha256:"),
        "{p:?}"
    );
    let p = problems("config-raw-mismatch");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("config bytes (Config.Raw) hash to sha256:"),
        "{p:?}"
    );
    assert!(p[0].contains(&format!(
        "but Config.Digest is {}",
        first_image(&base()).config.digest
    )));
}

#[test]
fn manifest_layers_must_agree_with_layers() {
    let p = problems("manifest-layers-disagree");
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains(": layer 0: the manifest says sha256:"));
    assert!(p[1].contains(": layer 1: the manifest says sha256:"));
    // Fewer layers in manifest.json than in the manifest.
    let mut t = base();
    let d = Digest::parse(&first_image(&t).manifest.digest).unwrap();
    t.image_mut(&d).unwrap().layers.as_mut().unwrap().pop();
    let p = diagnose(&t.to_bytes()).unwrap();
    assert!(
        p.iter()
            .any(|m| m.ends_with("the manifest lists 2 layers, manifest.json lists 1")),
        "{p:?}"
    );
}

#[test]
fn bundle_rules() {
    let one = |name: &str| {
        let p = problems(name);
        assert_eq!(p.len(), 1, "{name}: {p:?}");
        assert!(p[0].starts_with("bundle registry.example.com/src/bundle@sha256:"));
        p[0].split_once(": ").unwrap().1.to_string()
    };
    assert_eq!(
        one("bundle-two-layers"),
        "Expected bundle to only have a single layer, got 2"
    );
    assert_eq!(
        one("bundle-oci-layer"),
        "Expected layer to have docker layer media type, was application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert_eq!(
        one("bundle-without-images-yml"),
        "Expected to find .imgpkg/images.yml in bundle image"
    );
    let m = one("images-yml-tag-reference");
    assert!(m.starts_with("Unmarshalling ImagesLock from image with Digest 'sha256:"));
    assert!(m.contains(
        "Validating images lock: Expected ref to be in digest form, got 'registry.example.com/src/app:v1'"
    ));
    assert!(one("images-yml-unknown-field").contains("unknown field \"another-key\""));
    assert!(one("images-yml-wrong-kind")
        .contains("Validating images lock: Validating kind: Unknown kind (known: ImagesLock)"));
    assert!(
        one("bundle-image-not-in-tar").ends_with("named in .imgpkg/images.yml is not in the tar")
    );
    assert_eq!(
        one("bundle-layer-not-gzip"),
        "decompressing the bundle layer: invalid gzip header"
    );
}

#[test]
fn unreadable_bundles_cannot_be_planned() {
    let bytes = bad("bundle-without-images-yml");
    let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
    let repo = Repository::parse("registry.corp.internal/airgap").unwrap();
    let err = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("its .imgpkg/images.yml could not be read"),
        "{err}"
    );
    let bytes = bad("bundle-image-not-in-tar");
    let archive = block_on(Archive::open(bytes.as_slice())).unwrap();
    let err = planner::plan(&archive.set, &repo, PlanOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("but it is not in the source"),
        "{err}"
    );
}

#[test]
fn alias_bomb_in_images_yml_is_refused_quickly() {
    let bytes = bad("images-yml-alias-bomb");
    let start = Instant::now();
    let p = diagnose(&bytes).unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("excessive aliasing"), "{p:?}");
}

#[test]
fn gzip_bomb_bundle_layer_is_bounded() {
    let bytes = bad("bundle-layer-gzip-bomb");
    assert!(bytes.len() < 4 << 20);
    let start = Instant::now();
    let p = diagnose(&bytes).unwrap();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(p.len(), 1);
    assert!(
        p[0].ends_with("the bundle layer uncompresses to more than 268435456 bytes"),
        "{p:?}"
    );
}

#[test]
fn index_children_must_all_be_present() {
    let p = problems("index-child-missing");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("registry.example.com/src/multi@sha256:"));
    assert!(p[0].ends_with("which is not in manifest.json"));
    // A child manifest.json has but the index does not list.
    let (_, mut t) = synth::plain_image(true, "v1", ExportOptions::default());
    let ix = t.manifest[0].image_index.as_mut().unwrap();
    let mut extra = ix.images.as_ref().unwrap()[0].clone();
    let other = synth::image(&synth::ImageSpec::oci("stray", 77, 1));
    extra.manifest.raw = String::from_utf8(other.manifest_raw.clone()).unwrap();
    extra.manifest.digest = other.digest.to_string();
    extra.config.raw = String::from_utf8(other.config_raw.clone()).unwrap();
    extra.config.digest = other.config_digest.to_string();
    extra.layers = Some(vec![manifest_json::LayerDescriptor {
        media_type: other.layers[0].media_type.clone(),
        digest: other.layers[0].digest.to_string(),
        diff_id: other.layers[0].diff_id.clone(),
        size: other.layers[0].size(),
    }]);
    extra.refs = Some(vec![format!(
        "registry.example.com/src/multi@{}",
        other.digest
    )]);
    ix.images.as_mut().unwrap().push(extra);
    t.blobs.push(synth::TarBlob {
        digest: other.layers[0].digest,
        data: other.layers[0].data.clone(),
    });
    t.blobs.sort_by_key(|b| b.digest);
    let p = diagnose(&t.to_bytes()).unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].ends_with(&format!(
        "manifest.json lists child {}, which the index does not",
        other.digest
    )));
}

#[test]
fn refs_must_be_the_digest_reference_of_the_manifest() {
    let p = problems("refs-not-a-digest");
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("Refs[0] is not a digest reference"));
    let p = problems("refs-wrong-digest");
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("Refs[0] names digest sha256:"));
    assert!(p[0].contains("but the manifest digest is sha256:"));
    // No Refs at all.
    let mut t = base();
    let d = Digest::parse(&first_image(&t).manifest.digest).unwrap();
    t.image_mut(&d).unwrap().refs = None;
    let p = diagnose(&t.to_bytes()).unwrap();
    assert!(
        p.contains(
            &"manifest.json: an image has no Refs (expected [\"repo@sha256:…\"])".to_string()
        ),
        "{p:?}"
    );
}

#[test]
fn truncated_tar() {
    let e = open_error("truncated-layer");
    assert!(e.starts_with("truncated tar: entry 'sha256-"), "{e}");
    assert!(e.contains("past the end of the file"));
}

#[test]
fn entries_that_are_neither_image_nor_index() {
    let mut t = base();
    t.manifest.push(manifest_json::ImageOrIndex::default());
    let p = diagnose(&t.to_bytes()).unwrap();
    assert_eq!(
        p,
        ["manifest.json: an entry has neither \"Image\" nor \"ImageIndex\""]
    );
}

#[test]
fn raw_manifests_and_configs_that_are_not_json() {
    let mut t = base();
    let d = Digest::parse(&first_image(&t).manifest.digest).unwrap();
    let img = t.image_mut(&d).unwrap();
    img.manifest.raw = "not json".into();
    img.config.raw = "{".into();
    let p = diagnose(&t.to_bytes()).unwrap();
    assert!(p.iter().any(|m| m.contains("Manifest.Raw:")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("Config.Raw:")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("manifest bytes (Raw) hash to")));
}

#[test]
fn bad_digests_in_descriptors() {
    let mut t = base();
    let d = Digest::parse(&first_image(&t).manifest.digest).unwrap();
    let img = t.image_mut(&d).unwrap();
    img.layers.as_mut().unwrap()[0].digest = "md5:1234".into();
    img.config.digest = "sha256:ABC".into();
    let p = diagnose(&t.to_bytes()).unwrap();
    assert!(p.iter().any(|m| m.contains("Layers[0].Digest:")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("Config.Digest:")), "{p:?}");
}

#[test]
fn an_index_recorded_as_an_image() {
    let (_, mut t) = synth::plain_image(true, "v1", ExportOptions::default());
    let ix = t.manifest[0].image_index.take().unwrap();
    t.manifest[0].image = Some(manifest_json::ImageDescriptor {
        refs: ix.refs.clone(),
        layers: None,
        config: Default::default(),
        manifest: manifest_json::ManifestDescriptor {
            media_type: ix.media_type.clone(),
            digest: ix.digest.clone(),
            raw: ix.raw.clone(),
        },
        tag: ix.tag.clone(),
        orig_ref: String::new(),
        labels: None,
    });
    let p = diagnose(&t.to_bytes()).unwrap();
    assert!(!p.is_empty());
}

#[test]
fn an_empty_manifest_json_list_opens_empty() {
    let mut t = base();
    t.manifest_json_override = Some(b"null".to_vec());
    let bytes = t.to_bytes();
    let a = block_on(Archive::open(bytes.as_slice())).unwrap();
    assert!(a.set.nodes.is_empty());
    assert_eq!(diagnose(&bytes), Ok(vec![]));
}

/// Changes bytes of `manifest.json` of a nested package repository, and
/// truncates it, at many positions: reading, verifying and planning must
/// return, never panic.
#[test]
fn manifest_json_mutations_never_panic() {
    let pr = synth::package_repository(&PackageRepoOptions {
        non_distributable: true,
        deep: true,
        ..Default::default()
    });
    let json = pr.tar.manifest_json();
    let mut t = pr.tar.clone();
    let step = (json.len() / 150).max(1);
    let mut opened = 0;
    for (k, pos) in (0..json.len()).step_by(step).enumerate() {
        for b in [b'0', b'"', b'{', b'f', b'\\'] {
            let mut m = json.clone();
            if m[pos] == b {
                continue;
            }
            m[pos] = b;
            t.manifest_json_override = Some(m);
            if diagnose(&t.to_bytes()).is_ok() {
                opened += 1;
            }
        }
        let cut = (k * 7919) % json.len();
        t.manifest_json_override = Some(json[..cut].to_vec());
        let _ = diagnose(&t.to_bytes());
    }
    // Some mutations land inside strings and still parse.
    assert!(opened > 0);
}

/// Corrupts the bundle layers of the package repository in many ways.
#[test]
fn bundle_layer_mutations_never_panic() {
    let pr = synth::package_repository(&PackageRepoOptions::default());
    let bundle_layers: Vec<Digest> = pr
        .tar
        .manifest
        .iter()
        .filter_map(|i| i.image.as_ref())
        .filter(|i| i.config.raw.contains("dev.carvel.imgpkg.bundle"))
        .map(|i| Digest::parse(&i.layers()[0].digest).unwrap())
        .collect();
    assert_eq!(bundle_layers.len(), 4);
    for d in &bundle_layers {
        let orig = pr
            .tar
            .blobs
            .iter()
            .find(|b| b.digest == *d)
            .unwrap()
            .data
            .to_vec();
        let step = (orig.len() / 60).max(1);
        for pos in (0..orig.len()).step_by(step) {
            let mut t = pr.tar.clone();
            let mut m = orig.clone();
            m[pos] ^= 0x5a;
            t.set_blob(d, BlobData::bytes(m));
            let p = diagnose(&t.to_bytes()).unwrap();
            assert!(!p.is_empty(), "a changed byte at {pos} went unnoticed");
            let mut t = pr.tar.clone();
            t.set_blob(d, BlobData::bytes(orig[..pos].to_vec()));
            assert!(!diagnose(&t.to_bytes()).unwrap().is_empty());
        }
    }
}

/// Whole-tar mutations: flipped bytes anywhere in the file.
#[test]
fn tar_byte_mutations_never_panic() {
    let bytes = synth::package_repository(&PackageRepoOptions::default())
        .tar
        .to_bytes();
    let step = (bytes.len() / 500).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut m = bytes.clone();
        m[pos] ^= 0xff;
        let _ = diagnose(&m);
        let _ = diagnose(&bytes[..pos]);
    }
}

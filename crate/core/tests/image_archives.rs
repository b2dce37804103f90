//! The OCI layout and docker-archive readers on tars built here: format
//! detection (a Docker 25 tar is its OCI layout), nested indexes kept byte
//! for byte, the manifest built for a docker-archive image, blob checks
//! against digests and diff IDs, destinations, and bad input.

use airlock_core::digest::Digest;
use airlock_core::formats::destination::{self, Destination, DestinationError};
use airlock_core::formats::docker_archive::build_manifest;
use airlock_core::formats::{self, Format, FormatError, ImageArchive};
use airlock_core::imageset::NodeKind;
use airlock_core::reference::Repository;
use airlock_core::tar::TarWriter;
use airlock_core::verify;

/// In-memory sources are always ready.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    airlock_core::source::now_or_never(f).expect("an in-memory read is ready at once")
}

fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = TarWriter::new(Vec::new());
    for (name, data) in entries {
        w.append_data(name, data).unwrap();
    }
    w.finish().unwrap()
}

fn blob_name(bytes: &[u8]) -> String {
    format!("blobs/sha256/{}", Digest::of(bytes).hex())
}

fn desc(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"mediaType": media_type, "digest": Digest::of(bytes).to_string(), "size": bytes.len()})
}

const LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

struct Image {
    config: Vec<u8>,
    layer: Vec<u8>,
    manifest: Vec<u8>,
}

fn image(seed: &str) -> Image {
    let layer = format!("layer bytes of {seed}").into_bytes();
    let config = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{}\"]}}}}",
        Digest::of(&layer)
    )
    .into_bytes();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": desc("application/vnd.oci.image.config.v1+json", &config),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar", &layer)],
    }))
    .unwrap();
    Image {
        config,
        layer,
        manifest,
    }
}

/// Every blob check of `archive` passes on `bytes`, read `chunk` bytes at a
/// time.
fn assert_blobs_verify(bytes: &[u8], archive: &ImageArchive, chunk: usize) {
    for check in &archive.blob_checks {
        let problem = block_on(verify::check_blob(bytes, check, chunk, &mut |_| {}));
        assert_eq!(problem, None);
    }
}

fn open(bytes: &[u8]) -> Result<ImageArchive, FormatError> {
    let (entries, format) = block_on(formats::open_index(bytes))?;
    block_on(formats::open(bytes, entries, format))
}

/// An OCI layout: index.json → a multi-platform index (nested in another
/// index) of two images, plus one image named by a bare tag.
fn nested_layout() -> (Vec<u8>, Vec<u8>, Image, Image, Image) {
    let (a, b, c) = (image("a"), image("b"), image("c"));
    let inner = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [desc(OCI_MANIFEST, &a.manifest), desc(OCI_MANIFEST, &b.manifest)],
    }))
    .unwrap();
    let outer = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc(OCI_INDEX, &inner)],
    }))
    .unwrap();
    let mut top_outer = desc(OCI_INDEX, &outer);
    top_outer["annotations"] =
        serde_json::json!({"org.opencontainers.image.ref.name": "registry.example/team/multi:2.0"});
    let mut top_c = desc(OCI_MANIFEST, &c.manifest);
    top_c["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "1.27"});
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top_outer, top_c],
    }))
    .unwrap();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("oci-layout".into(), LAYOUT.to_vec()),
        ("index.json".into(), index),
        (blob_name(&outer), outer.clone()),
        (blob_name(&inner), inner),
    ];
    for i in [&a, &b, &c] {
        for part in [&i.manifest, &i.config, &i.layer] {
            files.push((blob_name(part), part.clone()));
        }
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    (tar(&refs), outer, a, b, c)
}

#[test]
fn nested_indexes_are_read_byte_for_byte_with_their_names() {
    let (bytes, outer, a, b, c) = nested_layout();
    let archive = open(&bytes).unwrap();
    assert_eq!(archive.format, Format::OciLayout);
    assert_eq!(archive.set.top.len(), 2);
    let top = &archive.set.nodes[archive.images[0].node];
    assert_eq!(*top.raw, outer);
    let NodeKind::Index { children } = &top.kind else {
        panic!("the outer index is read as an image")
    };
    let inner = &archive.set.nodes[children[0]];
    let NodeKind::Index { children: images } = &inner.kind else {
        panic!("the inner index is read as an image")
    };
    let raws: Vec<&[u8]> = images
        .iter()
        .map(|&i| archive.set.nodes[i].raw.as_slice())
        .collect();
    assert_eq!(raws, vec![a.manifest.as_slice(), b.manifest.as_slice()]);
    assert_eq!(
        archive.images[0].name.as_ref().unwrap().name(),
        "registry.example/team/multi:2.0"
    );
    assert_eq!(archive.images[1].name, None);
    assert_eq!(archive.images[1].tag.as_deref(), Some("1.27"));
    assert_eq!(*archive.set.nodes[archive.images[1].node].raw, c.manifest);
    // Every layer is checked against its digest, none twice.
    assert_eq!(archive.blob_checks.len(), 3);
    assert_blobs_verify(&bytes, &archive, 7);
}

#[test]
fn one_plan_per_repository_uploads_by_the_archive_tags() {
    let (bytes, ..) = nested_layout();
    let archive = open(&bytes).unwrap();
    let dest = Destination::Repository(Repository::parse("registry.corp/apps").unwrap());
    let mappings = destination::map(&archive, &dest).unwrap();
    let plans = destination::plans(&archive, &mappings).unwrap();
    assert_eq!(plans.len(), 1);
    let tags: Vec<&Vec<String>> = plans[0].plan.items.iter().map(|i| &i.tags).collect();
    assert_eq!(
        tags,
        vec![&vec!["2.0".to_string()], &vec!["1.27".to_string()]]
    );
    assert!(plans[0].plan.tags.is_empty());
    // The bare-tag image has no name: a prefix cannot place it.
    let prefix = Destination::Prefix("registry.corp/mirror".into());
    assert!(matches!(
        destination::map(&archive, &prefix),
        Err(DestinationError::Unnamed { .. })
    ));
}

fn docker_archive(images: &[(&Image, &str, &str)]) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut list = Vec::new();
    for (img, dir, tag) in images {
        let config = format!("{}.json", Digest::of(&img.config).hex());
        files.push((config.clone(), img.config.clone()));
        files.push((format!("{dir}/layer.tar"), img.layer.clone()));
        list.push(serde_json::json!({"Config": config, "RepoTags": [tag], "Layers": [format!("{dir}/layer.tar")]}));
    }
    files.push(("manifest.json".into(), serde_json::to_vec(&list).unwrap()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    tar(&refs)
}

#[test]
fn docker_archive_images_get_a_manifest_of_their_config_and_diff_ids() {
    let (a, b) = (image("a"), image("b"));
    let bytes = docker_archive(&[
        (&a, "aaa", "nginx:1.27"),
        (&b, "bbb", "corp.example/x/tool:v2"),
    ]);
    let archive = open(&bytes).unwrap();
    assert_eq!(archive.format, Format::DockerArchive);
    let node = &archive.set.nodes[archive.images[0].node];
    let want = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{}\",\"size\":{}}},\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{}\",\"size\":{}}}]}}",
        Digest::of(&a.config),
        a.config.len(),
        Digest::of(&a.layer),
        a.layer.len()
    );
    assert_eq!(String::from_utf8(node.raw.to_vec()).unwrap(), want);
    assert_eq!(
        build_manifest(
            &Digest::of(&a.config),
            a.config.len() as u64,
            &[(Digest::of(&a.layer), a.layer.len() as u64)]
        ),
        want.into_bytes()
    );
    assert_eq!(node.digest, Digest::of(&node.raw));
    let prefix = Destination::Prefix("registry.corp/mirror".into());
    let mappings = destination::map(&archive, &prefix).unwrap();
    let dests: Vec<String> = mappings.iter().map(|m| m.destination()).collect();
    assert_eq!(
        dests,
        vec![
            "registry.corp/mirror/library/nginx:1.27".to_string(),
            "registry.corp/mirror/x/tool:v2".to_string()
        ]
    );
    let plans = destination::plans(&archive, &mappings).unwrap();
    assert_eq!(plans.len(), 2);
    let lock = plans[1].lock_output.as_ref().unwrap();
    assert!(lock.contains("kbld.carvel.dev/id: nginx:1.27"), "{lock}");
    assert!(
        lock.contains(&format!(
            "image: registry.corp/mirror/x/tool@{}",
            archive.set.nodes[archive.images[1].node].digest
        )),
        "{lock}"
    );
    assert_blobs_verify(&bytes, &archive, 5);
}

#[test]
fn a_docker_layer_that_is_not_its_diff_id_fails_its_check() {
    let mut a = image("a");
    a.layer = b"other bytes".to_vec();
    let bytes = docker_archive(&[(&a, "aaa", "nginx:1.27")]);
    let archive = open(&bytes).unwrap();
    let p = block_on(verify::check_blob(
        bytes.as_slice(),
        &archive.blob_checks[0],
        64,
        &mut |_| {},
    ))
    .expect("a mismatch");
    assert_eq!(
        p.subject,
        "aaa/layer.tar (layer 0 of manifest.json[0], diff ID)"
    );
    assert!(p.message.contains("error verifying sha256 checksum"), "{p}");
}

#[test]
fn a_docker_25_tar_is_read_as_its_oci_layout() {
    let a = image("a");
    let mut top = desc(OCI_MANIFEST, &a.manifest);
    top["annotations"] = serde_json::json!({"io.containerd.image.name": "docker.io/library/app:v1", "org.opencontainers.image.ref.name": "v1"});
    let index = serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]}),
    )
    .unwrap();
    let legacy = serde_json::to_vec(&serde_json::json!([{"Config": blob_name(&a.config), "RepoTags": ["app:v1"], "Layers": [blob_name(&a.layer)]}])).unwrap();
    let bytes = tar(&[
        (&blob_name(&a.config), &a.config),
        (&blob_name(&a.layer), &a.layer),
        (&blob_name(&a.manifest), &a.manifest),
        ("index.json", &index),
        ("manifest.json", &legacy),
        ("oci-layout", LAYOUT),
    ]);
    let archive = open(&bytes).unwrap();
    assert_eq!(archive.format, Format::OciLayout);
    assert_eq!(*archive.set.nodes[archive.images[0].node].raw, a.manifest);
    assert_eq!(
        archive.images[0].name.as_ref().unwrap().name(),
        "index.docker.io/library/app:v1"
    );
}

#[test]
fn bad_layouts_are_named() {
    let a = image("a");
    let index = |d: serde_json::Value| {
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [d]})).unwrap()
    };
    // index.json names a manifest the tar lacks.
    let ix = index(desc(OCI_MANIFEST, &a.manifest));
    let bytes = tar(&[("oci-layout", LAYOUT), ("index.json", &ix)]);
    assert_eq!(
        open(&bytes).unwrap_err().to_string(),
        format!(
            "index.json manifests[0] names manifest {}, but the tar has no entry \"{}\"",
            Digest::of(&a.manifest),
            blob_name(&a.manifest)
        )
    );
    // A manifest whose bytes are not its digest.
    let bytes = tar(&[
        ("oci-layout", LAYOUT),
        ("index.json", &ix),
        (&blob_name(&a.manifest), b"{}"),
    ]);
    let err = open(&bytes).unwrap_err();
    assert!(matches!(err, FormatError::SizeMismatch { .. }), "{err}");
    // A layer the tar lacks.
    let bytes = tar(&[
        ("oci-layout", LAYOUT),
        ("index.json", &ix),
        (&blob_name(&a.manifest), &a.manifest),
        (&blob_name(&a.config), &a.config),
    ]);
    let err = open(&bytes).unwrap_err().to_string();
    assert!(err.contains("layers[0] names layer"), "{err}");
    // A bad name annotation.
    let mut d = desc(OCI_MANIFEST, &a.manifest);
    d["annotations"] = serde_json::json!({"io.containerd.image.name": "UPPER/Case:v1"});
    let bytes = tar(&[("oci-layout", LAYOUT), ("index.json", &index(d))]);
    let err = open(&bytes).unwrap_err().to_string();
    assert!(err.starts_with("index.json manifests[0]: io.containerd.image.name is \"UPPER/Case:v1\", not a valid image reference"), "{err}");
    // No format at all.
    let bytes = tar(&[("notes.txt", b"hello")]);
    let err = open(&bytes).unwrap_err().to_string();
    assert!(
        err.starts_with("the tar matches no image format Airlock reads"),
        "{err}"
    );
    assert!(
        err.ends_with("its first entries are [\"notes.txt\"]"),
        "{err}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn an_imgpkg_tar_is_told_apart() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/image-app1/image-app1.tar"
    );
    let bytes = std::fs::read(path).unwrap();
    let (_, format) = block_on(formats::open_index(bytes.as_slice())).unwrap();
    assert_eq!(format, Format::Imgpkg);
}

#[test]
fn artifacts_and_referrers_travel_unchanged() {
    let a = image("a");
    let empty = b"{}".to_vec();
    let payload = b"signature payload".to_vec();
    let artifact = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature",
        "config": desc("application/vnd.oci.empty.v1+json", &empty),
        "layers": [desc("application/vnd.example.signature.payload", &payload)],
        "subject": desc(OCI_MANIFEST, &a.manifest),
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [desc(OCI_MANIFEST, &a.manifest), desc(OCI_MANIFEST, &artifact)],
    }))
    .unwrap();
    let bytes = tar(&[
        ("oci-layout", LAYOUT),
        ("index.json", &index),
        (&blob_name(&a.manifest), &a.manifest),
        (&blob_name(&a.config), &a.config),
        (&blob_name(&a.layer), &a.layer),
        (&blob_name(&artifact), &artifact),
        (&blob_name(&empty), &empty),
        (&blob_name(&payload), &payload),
    ]);
    let archive = open(&bytes).unwrap();
    let dest = Destination::Repository(Repository::parse("registry.corp/apps").unwrap());
    let mappings = destination::map(&archive, &dest).unwrap();
    let plans = destination::plans(&archive, &mappings).unwrap();
    let items = &plans[0].plan.items;
    assert_eq!(items.len(), 2);
    assert_eq!(*items[1].manifest.raw, artifact);
    let blobs: Vec<(&str, u64)> = items[1]
        .manifest
        .blobs
        .iter()
        .map(|b| (b.media_type.as_str(), b.size))
        .collect();
    assert_eq!(
        blobs,
        vec![
            ("application/vnd.oci.empty.v1+json", 2),
            (
                "application/vnd.example.signature.payload",
                payload.len() as u64
            )
        ]
    );
    // Untagged manifests are uploaded by imgpkg's digest tag.
    assert_eq!(
        items[1].tags,
        vec![format!("sha256-{}.imgpkg", Digest::of(&artifact).hex())]
    );
}

#[test]
fn docker_layers_as_gzip_are_gos_gzip_of_the_layer_tars() {
    use airlock_core::formats::docker_gzip;
    use airlock_core::go::flate::go_gzip_best_speed;
    use airlock_core::plan::BlobSource;
    // A layer of several 64 KiB blocks, so the encoder streams.
    let mut a = image("a");
    a.layer = (0..300_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
        .collect();
    a.config = format!(
        "{{\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{}\"]}}}}",
        Digest::of(&a.layer)
    )
    .into_bytes();
    // `a` alone in a docker-archive, and gzip_all of its layers.
    let gzip_all = |a: &Image| {
        let bytes = docker_archive(&[(a, "aaa", "nginx:1.27")]);
        let archive = open(&bytes).unwrap();
        let gz = block_on(docker_gzip::gzip_all(
            bytes.as_slice(),
            &archive,
            &mut |_| {},
        ));
        (archive, gz)
    };
    let (archive, gz) = gzip_all(&a);
    let gz = gz.unwrap();
    let out = docker_gzip::with_gzip_layers(&archive, &gz).unwrap();
    let want = go_gzip_best_speed(&a.layer);
    let node = &out.set.nodes[out.images[0].node];
    let NodeKind::Image {
        layers, config_raw, ..
    } = &node.kind
    else {
        panic!("an image")
    };
    assert_eq!(
        config_raw.as_slice(),
        a.config.as_slice(),
        "config unchanged"
    );
    assert_eq!(
        layers[0].media_type,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert_eq!(layers[0].digest, Digest::of(&want));
    assert_eq!(layers[0].size, want.len() as u64);
    assert_eq!(layers[0].diff_id, Digest::of(&a.layer).to_string());
    let entry = archive.entries.get("aaa/layer.tar").unwrap();
    assert_eq!(
        layers[0].source,
        BlobSource::GzipTarEntry {
            offset: entry.data_offset,
            size: entry.size
        }
    );
    assert_eq!(node.digest, Digest::of(&node.raw));
    assert!(String::from_utf8_lossy(&node.raw).contains("tar+gzip"));
    // The mapping and the lock follow the new digest.
    let dest = Destination::Repository(Repository::parse("registry.corp/apps/x").unwrap());
    assert_eq!(
        destination::map(&out, &dest).unwrap()[0].digest,
        node.digest
    );
    // OCI layouts are pushed as they are.
    let (layout, ..) = nested_layout();
    let layout = open(&layout).unwrap();
    assert!(docker_gzip::with_gzip_layers(&layout, &gz).is_err());
    // A layer that is not its diff ID: the verify problem, nothing compressed.
    a.layer[1000] ^= 1;
    let problems = gzip_all(&a).1.unwrap_err();
    assert_eq!(
        problems[0].subject,
        "aaa/layer.tar (layer 0 of manifest.json[0], diff ID)"
    );
}

/// The imgpkg fixture `simple-bundle.tar`.
#[cfg(not(target_arch = "wasm32"))]
fn simple_bundle_tar() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/simple-bundle/simple-bundle.tar"
    );
    std::fs::read(path).unwrap()
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn open_any_reads_the_headers_once() {
    use airlock_core::archive::Archive;
    use airlock_core::formats::AnyArchive;
    use airlock_core::source::CountingSource;
    let bytes = simple_bundle_tar();
    let alone = CountingSource::new(bytes.clone());
    let want = block_on(Archive::open(&alone)).unwrap();
    let twice = CountingSource::new(bytes.clone());
    block_on(formats::open_index(&twice)).unwrap();
    block_on(Archive::open(&twice)).unwrap();
    let once = CountingSource::new(bytes);
    let AnyArchive::Imgpkg(got) = block_on(formats::open_any(&once)).unwrap() else {
        panic!("an imgpkg tar")
    };
    assert_eq!(got.set.nodes, want.set.nodes);
    assert_eq!(got.entries, want.entries);
    // Detection's manifest.json read comes from the kept windows.
    assert_eq!(once.calls(), alone.calls());
    assert_eq!(once.bytes_read(), alone.bytes_read());
    assert!(twice.calls() > once.calls());
}

/// `open_any` (the page's open): one index for every format, the same
/// archive as the format's own reader, and the imgpkg reader for imgpkg tars.
#[test]
fn open_any_reads_every_format_as_its_reader_does() {
    use formats::{open_any, AnyArchive, OpenError};
    let (bytes, ..) = nested_layout();
    let AnyArchive::Image(any) = block_on(open_any(bytes.as_slice())).unwrap() else {
        panic!("an OCI layout opened as an imgpkg tar")
    };
    let own = open(&bytes).unwrap();
    assert_eq!(any.format, Format::OciLayout);
    assert_eq!(any.set.nodes.len(), own.set.nodes.len());
    assert_eq!(any.blob_checks, own.blob_checks);
    let labels: Vec<String> = any.names().into_iter().map(|n| n.label).collect();
    assert_eq!(
        labels,
        vec!["registry.example/team/multi:2.0", "(tag 1.27)"]
    );
    assert!(any.structural_problems().is_empty());

    let (a, b) = (image("a"), image("b"));
    let docker = docker_archive(&[(&a, "a", "nginx:1.27"), (&b, "b", "redis:7")]);
    let opened = block_on(open_any(docker.as_slice())).unwrap();
    assert_eq!(opened.format(), Format::DockerArchive);
    assert_eq!(opened.blob_checks().len(), 2);

    let plain = tar(&[("notes.txt", b"hello\n")]);
    let err = block_on(open_any(plain.as_slice())).unwrap_err();
    assert!(
        matches!(err, OpenError::Format(FormatError::NoFormat { .. })),
        "{err}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn open_any_opens_an_imgpkg_tar_as_archive_open_does() {
    let bytes = simple_bundle_tar();
    let formats::AnyArchive::Imgpkg(any) = block_on(formats::open_any(bytes.as_slice())).unwrap()
    else {
        panic!("an imgpkg tar opened as an image archive")
    };
    let own = block_on(airlock_core::archive::Archive::open(bytes.as_slice())).unwrap();
    assert_eq!(any.manifest_json, own.manifest_json);
    assert_eq!(any.set.nodes.len(), own.set.nodes.len());
    assert_eq!(any.set.bundles.len(), own.set.bundles.len());
    assert_eq!(verify::blob_checks(&any), verify::blob_checks(&own));
}

/// `Relocation` (the CLI's `copy`/`plan` and the page's preview and push):
/// the mappings, one plan per repository under a prefix, the lock of all.
#[test]
fn a_relocation_under_a_prefix_plans_each_repository_and_locks_every_image() {
    use destination::Relocation;
    let (a, b) = (image("a"), image("b"));
    let bytes = docker_archive(&[(&a, "a", "nginx:1.27"), (&b, "b", "redis:7")]);
    let archive = open(&bytes).unwrap();
    let r = Relocation::new(
        &archive,
        &Destination::Prefix("registry.corp/mirror/".into()),
    )
    .unwrap();
    let lines: Vec<String> = r.mappings.iter().map(|m| m.line()).collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(
            "index.docker.io/library/nginx:1.27 -> registry.corp/mirror/library/nginx:1.27 (sha256:"
        ),
        "{lines:?}"
    );
    let repos: Vec<String> = r.repositories().iter().map(|x| x.name()).collect();
    assert_eq!(
        repos,
        vec![
            "registry.corp/mirror/library/nginx",
            "registry.corp/mirror/library/redis"
        ]
    );
    let lock = r.lock().unwrap();
    assert!(lock.contains("kbld.carvel.dev/id: nginx:1.27"), "{lock}");
    assert!(lock.contains("kbld.carvel.dev/id: redis:7"), "{lock}");
}

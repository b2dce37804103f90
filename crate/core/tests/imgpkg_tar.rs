#![cfg(not(target_arch = "wasm32"))]
//! imgpkg's manifest.json model and tar layout against real imgpkg output,
//! and manifest.json variants written by older imgpkg versions.

use airlock_core::digest::Digest;
use airlock_core::imgpkg_tar::manifest_json::{self, layers_to_write, ManifestJsonError};
use airlock_core::imgpkg_tar::{
    self, layer_entry, layer_header, manifest_entry, read_manifest_json, write_imgpkg_tar,
    ImageOrIndex, ImgpkgTarError, LayerBlob, MANIFEST_JSON,
};
use airlock_core::source::ByteSource;
use airlock_core::tar::{self, TarWriter};
use airlock_testkit::block_on;

const SIMPLE_BUNDLE: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");
const IMAGE_APP1: &[u8] = include_bytes!("../../../tests/fixtures/image-app1/image-app1.tar");
const SIMPLE_BUNDLE_PRETTY: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/tar-manifest.json");
const IMAGE_APP1_PRETTY: &[u8] =
    include_bytes!("../../../tests/fixtures/image-app1/tar-manifest.json");

fn manifest_bytes(tar_bytes: &[u8]) -> Vec<u8> {
    let idx = block_on(tar::index(tar_bytes)).unwrap();
    block_on(tar::read_entry(
        tar_bytes,
        idx.get(MANIFEST_JSON).unwrap(),
        1 << 20,
    ))
    .unwrap()
}

#[test]
fn fixture_manifest_json_round_trips_byte_for_byte() {
    for (tar_bytes, pretty) in [
        (SIMPLE_BUNDLE, SIMPLE_BUNDLE_PRETTY),
        (IMAGE_APP1, IMAGE_APP1_PRETTY),
    ] {
        let raw = manifest_bytes(tar_bytes);
        let parsed = manifest_json::parse(&raw).unwrap();
        assert_eq!(manifest_json::to_json(&parsed), raw);
        // jq's pretty-printed copy parses to the same model.
        assert_eq!(manifest_json::parse(pretty).unwrap(), parsed);
    }
}

#[test]
fn fixture_digests_verify_and_layers_are_present() {
    for tar_bytes in [SIMPLE_BUNDLE, IMAGE_APP1] {
        let idx = block_on(tar::index(tar_bytes)).unwrap();
        let list = block_on(read_manifest_json(tar_bytes, &idx)).unwrap();
        for item in &list {
            let img = item.image.as_ref().unwrap();
            assert!(item.image_index.is_none());
            img.manifest.verify().unwrap();
            img.config.verify().unwrap();
            let src = img.first_ref().unwrap();
            assert!(src.ends_with(&format!("@{}", img.manifest.digest)), "{src}");
            for l in img.layers() {
                let d = l.parse_digest().unwrap();
                assert!(l.parse_diff_id().unwrap().is_some());
                let e = layer_entry(&idx, &d).unwrap();
                assert_eq!(e.size, l.size);
                let data = block_on(tar::read_entry(tar_bytes, e, 1 << 20)).unwrap();
                assert_eq!(Digest::of(&data), d);
            }
        }
        // Entries after manifest.json are exactly layers_to_write, in order.
        let want: Vec<String> = layers_to_write(&list, false)
            .unwrap()
            .iter()
            .map(|(d, _)| d.tar_entry_name())
            .collect();
        let got: Vec<String> = idx.iter().skip(1).map(|e| e.name.clone()).collect();
        assert_eq!(got, want);
        // Sorted as imgpkg sorts them.
        let keys: Vec<String> = list.iter().map(ImageOrIndex::sort_key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
}

#[test]
fn root_bundle_label_and_tag() {
    let list = manifest_json::parse(&manifest_bytes(SIMPLE_BUNDLE)).unwrap();
    let roots: Vec<_> = list
        .iter()
        .filter_map(|i| i.image.as_ref())
        .filter(|i| i.is_root_bundle())
        .collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].tag, "v1.0.0");
    let others = list
        .iter()
        .filter_map(|i| i.image.as_ref())
        .filter(|i| !i.is_root_bundle());
    for img in others {
        assert_eq!(img.labels, None);
        assert_eq!(img.tag, "");
    }
}

/// Reads every blob from the fixture and writes a new tar with it.
fn rewrite(tar_bytes: &[u8]) -> Vec<u8> {
    let idx = block_on(tar::index(tar_bytes)).unwrap();
    let list = block_on(read_manifest_json(tar_bytes, &idx)).unwrap();
    let blobs: Vec<LayerBlob<std::io::Cursor<Vec<u8>>>> = layers_to_write(&list, true)
        .unwrap()
        .into_iter()
        .rev() // order of input does not matter
        .map(|(digest, size)| {
            let e = layer_entry(&idx, &digest).unwrap();
            let data = block_on(tar_bytes.read_at(e.data_offset, e.size as usize)).unwrap();
            LayerBlob {
                digest,
                size,
                reader: std::io::Cursor::new(data),
            }
        })
        .collect();
    write_imgpkg_tar(Vec::new(), &list, blobs).unwrap()
}

#[test]
fn fixture_tars_rewritten_from_model_are_byte_identical() {
    for tar_bytes in [SIMPLE_BUNDLE, IMAGE_APP1] {
        assert!(rewrite(tar_bytes) == tar_bytes, "rewritten tar differs");
    }
}

#[test]
fn piecewise_assembly_matches_the_writer() {
    let idx = block_on(tar::index(SIMPLE_BUNDLE)).unwrap();
    let list = block_on(read_manifest_json(SIMPLE_BUNDLE, &idx)).unwrap();
    let mut out = manifest_entry(&list);
    for (digest, size) in layers_to_write(&list, false).unwrap() {
        out.extend(layer_header(&digest, size).unwrap());
        let e = layer_entry(&idx, &digest).unwrap();
        out.extend(block_on(SIMPLE_BUNDLE.read_at(e.data_offset, e.size as usize)).unwrap());
        out.resize(out.len() + tar::padding(size) as usize, 0);
    }
    out.extend_from_slice(&tar::END_OF_ARCHIVE);
    assert!(out == SIMPLE_BUNDLE);
}

#[test]
fn duplicate_blobs_are_written_once() {
    let data = b"blob".to_vec();
    let d = Digest::of(&data);
    let blob = |size| LayerBlob {
        digest: d,
        size,
        reader: std::io::Cursor::new(data.clone()),
    };
    let out = write_imgpkg_tar(Vec::new(), &[], vec![blob(4), blob(4)]).unwrap();
    let idx = block_on(tar::index(&out)).unwrap();
    assert_eq!(idx.len(), 2);
    assert_eq!(idx.entries()[0].name, "manifest.json");
    assert_eq!(block_on(out.read_at(512, 2)).unwrap(), b"[]");
    let err = write_imgpkg_tar(Vec::new(), &[], vec![blob(4), blob(5)]).unwrap_err();
    assert!(matches!(
        err,
        ImgpkgTarError::ConflictingLayerSize {
            first: 4,
            second: 5,
            ..
        }
    ));
}

#[test]
fn blob_content_must_match_its_digest() {
    let want = Digest::of(b"expected");
    let blob = LayerBlob {
        digest: want,
        size: 5,
        reader: &b"wrong"[..],
    };
    match write_imgpkg_tar(Vec::new(), &[], vec![blob]).unwrap_err() {
        ImgpkgTarError::LayerDigestMismatch { len, got, want: w } => {
            assert_eq!((len, got, w), (5, Digest::of(b"wrong"), want));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_files_use_imgpkg_message() {
    let mut tw = TarWriter::new(Vec::new());
    tw.append_data("other", b"x").unwrap();
    let bytes = tw.finish().unwrap();
    let idx = block_on(tar::index(&bytes)).unwrap();
    let err = block_on(read_manifest_json(&bytes, &idx)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file manifest.json not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)"
    );
    let d = Digest::of(b"");
    let err = imgpkg_tar::layer_entry(&idx, &d).unwrap_err();
    assert!(err
        .to_string()
        .starts_with(&format!("file {} not found in tar", d.tar_entry_name())));
}

#[test]
fn layers_over_8_gib_get_pax_headers() {
    let d = Digest::of(b"");
    assert_eq!(layer_header(&d, (8 << 30) - 1).unwrap().len(), 512);
    let h = layer_header(&d, 8 << 30).unwrap();
    assert_eq!(h.len(), 1536);
    assert!(h.starts_with(format!("PaxHeaders.0/{}", d.tar_entry_name()).as_bytes()));
}

// ---------------------------------------------------------------------------
// manifest.json variants

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

#[test]
fn pre_v0_13_manifest_without_labels_or_origref() {
    let json = format!(
        r#"[{{"ImageIndex":null,"Image":{{"Refs":["r/a@{D1}"],"Layers":[{{"MediaType":"m","Digest":"{D2}","DiffID":"{D3}","Size":7}}],"Config":{{"Digest":"{D3}","Raw":"{{}}"}},"Manifest":{{"MediaType":"mt","Digest":"{D1}","Raw":"x"}},"Tag":"v1"}}}}]"#
    );
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let img = list[0].image.as_ref().unwrap();
    assert_eq!(img.orig_ref, "");
    assert_eq!(img.labels, None);
    assert_eq!(img.tag, "v1");
    assert!(!img.is_root_bundle());
    assert_eq!(img.layers()[0].size, 7);
    // Written back the current way: OrigRef "" and Labels null added.
    let out = String::from_utf8(manifest_json::to_json(&list)).unwrap();
    assert!(
        out.ends_with(r#","Tag":"v1","OrigRef":"","Labels":null}}]"#),
        "{out}"
    );
}

#[test]
fn empty_diff_id_lowercase_and_unknown_keys() {
    let json = format!(
        r#"[ {{ "image": {{ "refs": ["r@{D1}"], "LAYERS": [ {{"mediatype": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "{D2}", "diffid": "", "size": 3953, "Annotations": {{"a": [1, 2]}} }} ],
        "config": {{"digest": "{D3}", "raw": "{{}}"}}, "manifest": {{"mediaType": "mt", "digest": "{D1}", "raw": "r"}},
        "tag": "", "origref": "o", "labels": {{"dev.carvel.imgpkg.copy.root-bundle": ""}}, "Future": null, "Platform": {{"os": "linux"}} }},
        "imageindex": null, "Extra": [1, "x", {{}}] }} ]"#
    );
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let img = list[0].image.as_ref().unwrap();
    let layer = &img.layers()[0];
    assert_eq!(layer.diff_id, "");
    assert_eq!(layer.parse_diff_id().unwrap(), None);
    assert_eq!(layer.size, 3953);
    assert_eq!(img.orig_ref, "o");
    assert!(img.is_root_bundle());
    assert_eq!(img.config.raw, "{}");
}

#[test]
fn index_with_nested_indexes() {
    let json = format!(
        r#"[{{"ImageIndex":{{"Refs":["r@{D1}"],"Images":[{{"Refs":["r@{D2}"],"Layers":null,"Config":{{"Digest":"{D3}","Raw":""}},"Manifest":{{"MediaType":"m","Digest":"{D2}","Raw":""}},"Tag":"t","OrigRef":"o","Labels":null}}],"Indexes":[{{"Refs":["r@{D3}"],"Images":[],"Indexes":null,"MediaType":"application/vnd.oci.image.index.v1+json","Digest":"{D3}","Raw":"{{}}","Tag":"t","OrigRef":"o","Labels":{{"b":"2","a":"1"}}}}],"MediaType":"application/vnd.oci.image.index.v1+json","Digest":"{D1}","Raw":"{{\"manifests\":[]}}","Tag":"t","OrigRef":"o","Labels":null}},"Image":null}}]"#
    );
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let idx = list[0].image_index.as_ref().unwrap();
    assert_eq!(idx.images().len(), 1);
    assert_eq!(idx.images()[0].layers, None);
    let child = &idx.indexes()[0];
    assert_eq!(child.images, Some(vec![])); // [] stays distinct from null
    assert_eq!(child.indexes, None);
    assert_eq!(idx.raw, r#"{"manifests":[]}"#);
    assert_eq!(list[0].sort_key(), D1);
    // Go sorts map keys when writing.
    let expected = json.replace(r#"{"b":"2","a":"1"}"#, r#"{"a":"1","b":"2"}"#);
    assert_eq!(
        String::from_utf8(manifest_json::to_json(&list)).unwrap(),
        expected
    );
}

#[test]
fn null_handling_follows_go() {
    let json = format!(
        r#"[{{"Image":{{"Refs":null,"Layers":[{{"MediaType":null,"Digest":"{D1}","Size":null}}],"Tag":null,"Labels":{{"k":null}},"Config":null}},"ImageIndex":null}}, null]"#
    );
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1], ImageOrIndex::default());
    let img = list[0].image.as_ref().unwrap();
    assert_eq!(img.refs, None);
    assert_eq!(img.layers()[0].media_type, "");
    assert_eq!(img.layers()[0].size, 0);
    assert_eq!(img.labels.as_ref().unwrap()["k"], "");
    assert_eq!(manifest_json::parse(b"null").unwrap(), vec![]);
    assert_eq!(manifest_json::parse(b" [ ] ").unwrap(), vec![]);
}

#[test]
fn repeated_keys_decode_into_the_same_value() {
    // Go decodes a repeated struct key into the existing struct, and a map
    // key into the existing map; the last scalar wins.
    let json = r#"[{"Image":{"Tag":"a","Config":{"Digest":"d"},"config":{"Raw":"r"},"Labels":{"x":"1"},"labels":{"y":"2"},"TAG":"b"}}]"#;
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let img = list[0].image.as_ref().unwrap();
    assert_eq!(
        (img.config.digest.as_str(), img.config.raw.as_str()),
        ("d", "r")
    );
    assert_eq!(img.labels.as_ref().unwrap().len(), 2);
    assert_eq!(img.tag, "b");
}

#[test]
fn html_and_control_characters_escape_like_go() {
    let json =
        r#"[{"Image":{"Config":{"Raw":"\u003cscript\u003e \u0026 \"q\" \u2028 \u0001 tab\t é"}}}]"#;
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let raw = &list[0].image.as_ref().unwrap().config.raw;
    assert_eq!(raw, "<script> & \"q\" \u{2028} \u{1} tab\t é");
    let out = String::from_utf8(manifest_json::to_json(&list)).unwrap();
    assert!(
        out.contains(r#""Raw":"\u003cscript\u003e \u0026 \"q\" \u2028 \u0001 tab\t é""#),
        "{out}"
    );
}

#[test]
fn invalid_manifest_json_is_rejected() {
    for bad in [
        &b""[..],
        b"[",
        b"{}",
        b"[] x",
        b"\"str\"",
        br#"[{"Image":{"Layers":[{"Size":"12"}]}}]"#,
        br#"[{"Image":{"Layers":[{"Size":1.5}]}}]"#,
        br#"[{"Image":{"Layers":[{"Size":-1}]}}]"#,
        br#"[{"Image":{"Layers":[{"Size":9223372036854775808}]}}]"#,
        br#"[{"Image":{"Refs":"r"}}]"#,
        br#"[{"Image":{"Tag":5}}]"#,
        br#"[{"Image":{"Labels":{"k":1}}}]"#,
        br#"[{"Image":[]}]"#,
        br#"[{"Image":{"Config":"x"}}]"#,
    ] {
        let err = manifest_json::parse(bad).unwrap_err();
        assert!(
            matches!(err, ManifestJsonError::Json(_)),
            "{}: {err:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn digest_accessors_name_the_field() {
    let json = r#"[{"Image":{"Layers":[{"Digest":"sha256:abc","DiffID":"md5:x"}],"Config":{"Digest":"sha256:0"},"Manifest":{"Digest":"nope","Raw":"x"}}}]"#;
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let img = list[0].image.as_ref().unwrap();
    let err = img.layers()[0].parse_digest().unwrap_err();
    assert!(matches!(
        err,
        ManifestJsonError::BadDigest {
            field: "Layers[].Digest",
            ..
        }
    ));
    assert!(err.to_string().contains("Layers[].Digest"), "{err}");
    assert!(matches!(
        img.layers()[0].parse_diff_id().unwrap_err(),
        ManifestJsonError::BadDigest {
            field: "Layers[].DiffID",
            ..
        }
    ));
    assert!(matches!(
        img.config.parse_digest().unwrap_err(),
        ManifestJsonError::BadDigest {
            field: "Config.Digest",
            ..
        }
    ));
    assert!(matches!(
        img.manifest.verify().unwrap_err(),
        ManifestJsonError::BadDigest {
            field: "Manifest.Digest",
            ..
        }
    ));
    let mut m = img.manifest.clone();
    m.digest = D1.into();
    assert!(matches!(
        m.verify().unwrap_err(),
        ManifestJsonError::RawMismatch { .. }
    ));
}

#[test]
fn non_distributable_layers_are_left_out_unless_asked() {
    let json = format!(
        r#"[{{"Image":{{"Layers":[{{"MediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","Digest":"{D2}","Size":9}},{{"MediaType":"application/vnd.oci.image.layer.v1.tar+gzip","Digest":"{D1}","Size":3}}]}}}},{{"Image":{{"Layers":[{{"MediaType":"x","Digest":"{D1}","Size":3}}]}}}}]"#
    );
    let list = manifest_json::parse(json.as_bytes()).unwrap();
    let d1 = Digest::parse(D1).unwrap();
    let d2 = Digest::parse(D2).unwrap();
    assert_eq!(layers_to_write(&list, false).unwrap(), vec![(d1, 3)]);
    assert_eq!(
        layers_to_write(&list, true).unwrap(),
        vec![(d1, 3), (d2, 9)]
    );
}

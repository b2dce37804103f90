#![cfg(not(target_arch = "wasm32"))]
//! Thin tar layout and its omitted-blobs entry, without a registry: release
//! 2 of a synthetic package repository laid out against release 1's tar.

use std::collections::BTreeSet;

use airlock_core::archive::{not_found_in_tar, Archive};
use airlock_core::digest::Digest;
use airlock_core::export::{self, TarLayout};
use airlock_core::imageset::{ImageSet, NodeKind};
use airlock_core::plan::BlobSource;
use airlock_core::thin::{self, Omitted, SkipSet, OMITTED_ENTRY};
use airlock_core::verify;
use airlock_testkit::block_on;
use airlock_testkit::synth::versions::{package_repository_release, ReleaseOptions};

fn open(bytes: &[u8]) -> Archive {
    block_on(Archive::open(bytes)).unwrap()
}

fn layers(set: &ImageSet, bundles_only: bool) -> BTreeSet<Digest> {
    let bundle_nodes: BTreeSet<usize> = set.bundles.values().map(|b| b.node).collect();
    set.nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| !bundles_only || bundle_nodes.contains(i))
        .flat_map(|(_, n)| match &n.kind {
            NodeKind::Image { layers, .. } => layers.iter().map(|l| l.digest).collect(),
            NodeKind::Index { .. } => Vec::new(),
        })
        .collect()
}

/// The bytes of `layout`, layer data copied from `from` (the full tar).
fn write(layout: &TarLayout, from: &[u8], full: &Archive) -> Vec<u8> {
    let mut out = vec![0u8; layout.total_size as usize];
    out[..layout.manifest_entry.len()].copy_from_slice(&layout.manifest_entry);
    for slot in &layout.layers {
        let h = slot.header_offset as usize;
        out[h..h + slot.header.len()].copy_from_slice(&slot.header);
        let e = full.entries.get(&slot.digest.tar_entry_name()).unwrap();
        let src = &from[e.data_offset as usize..(e.data_offset + e.size) as usize];
        let d = slot.data_offset as usize;
        out[d..d + src.len()].copy_from_slice(src);
    }
    out
}

struct Case {
    v2_bytes: Vec<u8>,
    v2: Archive,
    thin: TarLayout,
    omitted: Omitted,
}

fn case() -> Case {
    let v1 = open(&package_repository_release(&ReleaseOptions::small(1)).to_bytes());
    let v2_bytes = package_repository_release(&ReleaseOptions::small(2)).to_bytes();
    let v2 = open(&v2_bytes);
    let mut skip = SkipSet::new();
    skip.add_tar(&v1, None, "v1.tar").unwrap();
    let (thin, omitted) =
        thin::thin_layout(&v2.set, export::layout(&v2.set, false).unwrap(), &skip);
    Case {
        v2_bytes,
        v2,
        thin,
        omitted,
    }
}

#[test]
fn unchanged_image_layers_leave_and_bundle_layers_stay() {
    let c = case();
    let v1 = open(&package_repository_release(&ReleaseOptions::small(1)).to_bytes());
    let full = export::layout(&c.v2.set, false).unwrap();
    let omitted: BTreeSet<Digest> = c
        .omitted
        .blobs
        .iter()
        .map(|b| Digest::parse(&b.digest).unwrap())
        .collect();
    let kept: BTreeSet<Digest> = c.thin.layers.iter().map(|s| s.digest).collect();
    let bundle = layers(&c.v2.set, true);
    // What v1 had, less the bundle layers, is exactly what leaves.
    let had: BTreeSet<Digest> = layers(&v1.set, false);
    let expect: BTreeSet<Digest> = layers(&c.v2.set, false)
        .intersection(&had)
        .filter(|d| !bundle.contains(d))
        .copied()
        .collect();
    assert_eq!(omitted, expect);
    // small(2): 4 packages x 2 images share a base layer; 1 package changed.
    assert_eq!(omitted.len(), 1 + 6);
    assert!(kept.is_disjoint(&omitted));
    assert_eq!(kept.len() + omitted.len(), full.layers.len());
    assert!(bundle.is_subset(&kept));
    for b in &c.omitted.blobs {
        assert_eq!(c.omitted.promised_by(b), "tar v1.tar");
        assert!(!b.images.is_empty());
    }
    // Offsets are contiguous after manifest.json and the omitted entry.
    let mut pos = c.thin.manifest_entry.len() as u64;
    for s in &c.thin.layers {
        assert_eq!(s.header_offset, pos);
        assert_eq!(s.data_offset, pos + 512);
        pos = s.data_offset + s.size + airlock_core::tar::padding(s.size);
    }
    assert_eq!(c.thin.end_offset, pos);
    assert_eq!(c.thin.total_size, pos + 1024);
    // The tar shrinks by each omitted entry (header, data, padding) and
    // grows by the omitted-blobs entry.
    let left_out: u64 = c
        .omitted
        .blobs
        .iter()
        .map(|b| 512 + b.size + airlock_core::tar::padding(b.size))
        .sum();
    let added = (c.thin.manifest_entry.len() - full.manifest_entry.len()) as u64;
    assert_eq!(c.thin.total_size, full.total_size - left_out + added);
}

#[test]
fn written_thin_tar_reads_back_and_verifies() {
    let c = case();
    let bytes = write(&c.thin, &c.v2_bytes, &c.v2);
    let a = open(&bytes);
    assert!(a.entries.get(OMITTED_ENTRY).is_some());
    let o = block_on(thin::read_omitted(bytes.as_slice(), &a, "thin.tar"))
        .unwrap()
        .unwrap();
    assert_eq!(o, c.omitted);
    let raw = verify::structural(&a);
    assert_eq!(raw.len(), o.blobs.len());
    for p in &raw {
        assert_eq!(p.message, not_found_in_tar(&p.subject));
    }
    assert_eq!(thin::filter_problems(&a, &o, raw), vec![]);
    for check in verify::blob_checks(&a) {
        let mut buf = vec![0u8; 4096];
        assert_eq!(
            block_on(verify::check_blob_with_buffer(
                bytes.as_slice(),
                &check,
                &mut buf,
                &mut |_| {}
            )),
            None
        );
    }
    // A thin tar given to --skip-blobs counts its omitted layers as delivered.
    let mut skip = SkipSet::new();
    skip.add_tar(&a, Some(&o), "thin.tar").unwrap();
    let (again, o2) = thin::thin_layout(&a.set, export::layout(&a.set, false).unwrap(), &skip);
    let kept: BTreeSet<Digest> = again.layers.iter().map(|s| s.digest).collect();
    assert_eq!(kept, layers(&a.set, true));
    assert_eq!(
        o2.blobs.len() + kept.len(),
        export::layout(&a.set, false).unwrap().layers.len()
    );
}

#[test]
fn resolve_points_omitted_layers_at_the_registry() {
    let c = case();
    let bytes = write(&c.thin, &c.v2_bytes, &c.v2);
    let mut a = open(&bytes);
    let repo = airlock_core::reference::Repository::parse("127.0.0.1:5000/dst/repo").unwrap();
    let found = c
        .omitted
        .by_digest()
        .into_keys()
        .map(|d| (d, repo.clone()))
        .collect();
    thin::resolve(&mut a.set, &found);
    for n in &a.set.nodes {
        if let NodeKind::Image { layers, .. } = &n.kind {
            for l in layers {
                assert!(
                    !matches!(l.source, BlobSource::Skip),
                    "{} still has no source",
                    l.digest
                );
            }
        }
    }
}

#[test]
fn bad_omitted_entries_are_refused_with_the_field() {
    let c = case();
    let good = String::from_utf8(c.omitted.to_json()).unwrap();
    let m = Omitted::parse(good.replace("AirlockOmittedBlobs", "X").as_bytes(), "t.tar")
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        format!("t.tar: {OMITTED_ENTRY}: kind: 'X' is not 'AirlockOmittedBlobs'")
    );
    let d = &c.omitted.blobs[0].digest;
    let m = Omitted::parse(good.replace(d.as_str(), "sha256:zz").as_bytes(), "t.tar")
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with(&format!(
            "t.tar: {OMITTED_ENTRY}: blobs[0].digest: digest 'sha256:zz'"
        )),
        "{m}"
    );
    let m = Omitted::parse(&good.as_bytes()[..good.len() / 2], "t.tar")
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with(&format!("t.tar: {OMITTED_ENTRY}: EOF")),
        "{m}"
    );
}

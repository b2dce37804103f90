#![cfg(not(target_arch = "wasm32"))]
//! Golden tars written by real imgpkg 0.43.1: index them, and write them back
//! byte-for-byte.

use airlock_core::source::{ByteSource, CountingSource};
use airlock_core::tar::{self, EntryKind, TarWriter};
use airlock_testkit::block_on;

const SIMPLE_BUNDLE: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");
const IMAGE_APP1: &[u8] = include_bytes!("../../../tests/fixtures/image-app1/image-app1.tar");
const SIMPLE_BUNDLE_LISTING: &str =
    include_str!("../../../tests/fixtures/simple-bundle/tar-listing.txt");
const IMAGE_APP1_LISTING: &str = include_str!("../../../tests/fixtures/image-app1/tar-listing.txt");

/// (size, name) pairs from a `tar tvf` listing.
fn listing(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2].parse().unwrap(), f[5].to_string())
        })
        .collect()
}

#[test]
fn fixtures_index_matches_tar_listing() {
    for (bytes, text) in [
        (SIMPLE_BUNDLE, SIMPLE_BUNDLE_LISTING),
        (IMAGE_APP1, IMAGE_APP1_LISTING),
    ] {
        let idx = block_on(tar::index(bytes)).unwrap();
        let got: Vec<(u64, String)> = idx.iter().map(|e| (e.size, e.name.clone())).collect();
        assert_eq!(got, listing(text));
        for e in &idx {
            assert_eq!(e.kind, EntryKind::Regular);
            assert_eq!(e.mode, 0o644);
            assert_eq!(e.data_offset, e.header_offset + 512);
            assert_eq!(idx.get(&e.name), Some(e));
        }
        assert_eq!(idx.entries()[0].name, "manifest.json");
        assert_eq!(idx.entries()[0].header_offset, 0);
        assert_eq!(idx.end_offset(), bytes.len() as u64 - 1024);
        assert!(idx.get("missing").is_none());
    }
}

#[test]
fn index_reads_headers_only() {
    let src = CountingSource::new(SIMPLE_BUNDLE);
    let idx = block_on(tar::index(&src)).unwrap();
    // One block per entry plus the two end blocks.
    assert_eq!(src.calls(), idx.len() as u64 + 2);
    assert_eq!(src.bytes_read(), 512 * (idx.len() as u64 + 2));
}

#[test]
fn fixtures_written_back_are_byte_identical() {
    for bytes in [SIMPLE_BUNDLE, IMAGE_APP1] {
        let idx = block_on(tar::index(bytes)).unwrap();
        let mut tw = TarWriter::new(Vec::new());
        for e in &idx {
            let data = block_on(bytes.read_at(e.data_offset, e.size as usize)).unwrap();
            tw.append_data(&e.name, &data).unwrap();
        }
        let out = tw.finish().unwrap();
        assert!(out == bytes, "rewritten tar differs");
    }
}

#[test]
fn ustar_header_matches_fixture_blocks() {
    let idx = block_on(tar::index(SIMPLE_BUNDLE)).unwrap();
    for e in &idx {
        let start = e.header_offset as usize;
        let fixture = &SIMPLE_BUNDLE[start..start + 512];
        let h = tar::ustar_header(&e.name, e.size, 0o644).unwrap();
        assert_eq!(&h[..], fixture, "{}", e.name);
        let h = tar::entry_header(&e.name, e.size, 0o644).unwrap();
        assert_eq!(&h[..], fixture, "{}", e.name);
    }
}

#![cfg(not(target_arch = "wasm32"))]
//! Large synthetic tars: opening reads headers, `manifest.json` and bundle
//! layers only, whatever the size of the tar (a sparse tar over 4 GiB, a
//! bundle of generated layers); blobs verify when streamed.

use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::source::{ByteSource, CountingSource};
use airlock_core::verify;
use airlock_testkit::synth::{self, BigOptions};
use airlock_testkit::{block_on, FileSource};

/// 4.5 GiB: past the 32-bit line (USTAR still holds it; PAX starts at 8 GiB).
const SPARSE: u64 = 4_831_838_208;
/// sha256 of `SPARSE` zero bytes (`head -c 4831838208 /dev/zero | sha256sum`),
/// so the test need not hash 4.5 GiB.
const SPARSE_ZEROS: &str =
    "sha256:4a106567656aef43130523c2c13d109f772dd3cd4e5330e9c589e387b347a7dd";

/// What opening may read: `manifest.json`, a 512-byte header per entry, the
/// two end-of-archive blocks, and the bundle layers; plus what coalesced
/// windows add: the small entries (bodies up to 32 KiB) three times over and
/// 2 KiB per large entry.
fn budget(a: &Archive) -> u64 {
    let bundle_layers: u64 = a
        .set
        .bundles
        .values()
        .map(|b| a.set.nodes[b.node].layers_size())
        .sum();
    let small = a.entries.iter().filter(|e| e.size <= 32 << 10);
    let small_bytes: u64 = small.map(|e| e.end_offset() - e.header_offset).sum();
    let large = a.entries.iter().filter(|e| e.size > 32 << 10).count() as u64;
    let windows = 3 * small_bytes + 2048 * (large + 1);
    a.manifest_json.len() as u64 + 512 * (a.entries.len() as u64 + 2) + bundle_layers + windows
}

#[test]
fn sparse_tar_over_4_gib_opens_reading_only_headers() {
    let tar = synth::sparse_bundle(SPARSE, Some(Digest::parse(SPARSE_ZEROS).unwrap()));
    assert!(tar.size() > 4 << 30);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.tar");
    tar.write_to(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), tar.size());

    let src = CountingSource::new(FileSource::open(&path).unwrap());
    let a = block_on(Archive::open(&src)).unwrap();
    assert!(
        src.bytes_read() <= budget(&a),
        "read {} bytes, budget {}",
        src.bytes_read(),
        budget(&a)
    );
    assert!(src.calls() <= a.entries.len() as u64 + 2 + 1 + a.set.bundles.len() as u64);
    assert!(verify::structural(&a).is_empty());

    let huge = a.entries.iter().find(|e| e.size == SPARSE).unwrap();
    assert_eq!(
        huge.name,
        Digest::parse(SPARSE_ZEROS).unwrap().tar_entry_name()
    );
    let checks = verify::blob_checks(&a);
    assert_eq!(checks.len(), 3);
    // The small blobs hash; the huge one is where the header says, and its
    // last bytes (past 4 GiB) read back as zeros.
    for c in checks.iter().filter(|c| c.size < 1 << 20) {
        assert_eq!(
            block_on(verify::check_blob(&src, c, 1 << 16, &mut |_| {})),
            None
        );
    }
    let c = checks.iter().find(|c| c.size == SPARSE).unwrap();
    assert!(c.offset + c.size > 4 << 30);
    let tail = block_on(src.read_at(c.offset + c.size - 4096, 4096)).unwrap();
    assert!(tail.iter().all(|&b| b == 0));
    assert!(c.offset + c.size + 1024 <= src.len());
}

#[test]
fn big_bundle_opens_within_budget_and_verifies() {
    let tar = synth::big_bundle(BigOptions {
        images: 4,
        layers: 3,
        layer_size: 1 << 20,
        seed: 3,
    });
    assert_eq!(tar.blobs.len(), 4 * 3 + 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar");
    tar.write_to(&path).unwrap();
    let src = CountingSource::new(FileSource::open(&path).unwrap());
    let a = block_on(Archive::open(&src)).unwrap();
    assert!(src.bytes_read() <= budget(&a));
    assert!(src.bytes_read() < src.len() / 100);
    assert!(verify::structural(&a).is_empty());
    let mut buf = vec![0u8; 100_000]; // not a divisor of the layer size
    for c in verify::blob_checks(&a) {
        assert_eq!(
            block_on(verify::check_blob_with_buffer(
                &src,
                &c,
                &mut buf,
                &mut |_| {}
            )),
            None,
            "{}",
            c.name
        );
    }
}

#[test]
fn opening_cost_does_not_grow_with_layer_size() {
    let read = |layer_size: u64| {
        let tar = synth::big_bundle(BigOptions {
            images: 2,
            layers: 2,
            layer_size,
            seed: 4,
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tar");
        tar.write_to(&path).unwrap();
        let src = CountingSource::new(FileSource::open(&path).unwrap());
        block_on(Archive::open(&src)).unwrap();
        (src.bytes_read(), src.calls())
    };
    // Same structure, layers 64× larger: the same reads, up to the digits of
    // the sizes written in manifest.json.
    let (small, small_calls) = read(64 << 10);
    let (large, large_calls) = read(4 << 20);
    assert_eq!(small_calls, large_calls);
    assert!(large.abs_diff(small) < 64, "{small} vs {large}");
}

#![cfg(not(target_arch = "wasm32"))]
//! Coalesced reads: indexing in windows finds exactly what header-by-header
//! indexing finds (entries and errors, on good, mutated, truncated, short and
//! yielding sources), in a number of reads that grows with the tar's bytes in
//! small entries, not with its entry count.

use airlock_core::archive::Archive;
use airlock_core::source::{self, ByteSource, CountingSource};
use airlock_core::tar::{self, TarError, TarIndex, TarWriter, Windows};
use airlock_testkit::block_on;
use airlock_testkit::sources::{ShortReadSource, YieldingSource};
use airlock_testkit::synth;

const SIMPLE_BUNDLE: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");
const IMAGE_APP1: &[u8] = include_bytes!("../../../tests/fixtures/image-app1/image-app1.tar");

/// Window settings that put window edges everywhere in a small tar.
const TINY: [Windows; 3] = [
    Windows::DEFAULT,
    Windows {
        max: 1024,
        small: 512,
    },
    Windows {
        max: 4096,
        small: 1 << 20,
    },
];

fn headers_only(bytes: &[u8]) -> Result<TarIndex, TarError> {
    block_on(tar::index(bytes))
}

/// Indexed in windows: through a source that reads on demand (a slice
/// itself is in memory, and is read without windows).
fn windowed(bytes: &[u8], w: Windows) -> Result<TarIndex, TarError> {
    let src = CountingSource::new(bytes);
    assert_eq!(src.in_memory(), None);
    block_on(tar::index_with(&src, w))
}

fn assert_same(bytes: &[u8], what: &str) {
    let want = headers_only(bytes);
    for w in TINY {
        assert_eq!(windowed(bytes, w), want, "{what}, windows {w:?}");
        assert_eq!(
            block_on(tar::index_with(bytes, w)),
            want,
            "{what}, in memory, windows {w:?}"
        );
    }
}

/// Deterministic pseudo-random bytes (xorshift).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn fix_checksum(b: &mut [u8]) {
    b[148..156].fill(b' ');
    let sum: u32 = b[..512].iter().map(|&c| u32::from(c)).sum();
    b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A tar with PAX names (non-ASCII), empty entries and bodies of many
/// sizes around the window edges.
fn mixed_tar() -> Vec<u8> {
    let mut tw = TarWriter::new(Vec::new());
    for (i, size) in [0usize, 1, 511, 512, 513, 1000, 3000, 40_000, 2, 0]
        .iter()
        .enumerate()
    {
        let name = if i % 3 == 0 {
            format!("caf\u{e9}-{i}.txt")
        } else {
            format!("f{i}")
        };
        tw.append_data(&name, &noise(i as u64 + 1, *size)).unwrap();
    }
    tw.finish().unwrap()
}

#[test]
fn windows_index_the_same_entries() {
    assert_same(SIMPLE_BUNDLE, "simple-bundle");
    assert_same(IMAGE_APP1, "image-app1");
    assert_same(&mixed_tar(), "mixed tar");
    let repo = synth::large_package_repository(3, 4, "v1").to_bytes();
    assert_same(&repo, "package repository");
    assert!(headers_only(&repo).unwrap().len() > 15);
}

#[test]
fn windows_report_the_same_errors_on_mutated_and_truncated_tars() {
    let mut checked = 0;
    for base in [SIMPLE_BUNDLE.to_vec(), mixed_tar()] {
        let spread = noise(9, 600);
        let mut positions: Vec<usize> = (0..512).step_by(3).collect();
        positions.extend(
            spread
                .chunks(2)
                .map(|c| (usize::from(c[0]) << 8 | usize::from(c[1])) % base.len()),
        );
        for &p in &positions {
            for v in [0x00, 0xff, b'0', b'x', b'L', b'S', b'\n'] {
                let mut m = base.clone();
                m[p] = v;
                assert_same(&m, &format!("byte {p} set to {v:#x}"));
                let hdr = p / 512 * 512;
                fix_checksum(&mut m[hdr..hdr + 512]);
                assert_same(&m, &format!("byte {p} set to {v:#x}, checksum fixed"));
                checked += 1;
            }
        }
        for cut in (0..base.len()).step_by(97) {
            assert_same(&base[..cut], &format!("cut at {cut}"));
        }
    }
    assert!(checked > 2_000);
}

#[test]
fn every_bad_archive_gets_the_same_error_through_windows() {
    for (name, _) in synth::BAD_ARCHIVES {
        let bytes = synth::bad_archive(name).unwrap();
        assert_same(&bytes, name);
    }
}

#[test]
fn short_reads_give_the_same_errors() {
    for bytes in [SIMPLE_BUNDLE, &mixed_tar()] {
        let want = block_on(tar::index(&ShortReadSource(bytes)));
        assert!(matches!(want, Err(TarError::NotTar { .. })), "{want:?}");
        for w in TINY {
            assert_eq!(block_on(tar::index_with(&ShortReadSource(bytes), w)), want);
        }
        let err = block_on(Archive::open(&ShortReadSource(bytes))).unwrap_err();
        assert!(err.to_string().starts_with("not a tar archive"), "{err}");
    }
}

#[test]
fn pending_reads_are_awaited() {
    let repo = synth::large_package_repository(3, 4, "v1").to_bytes();
    for bytes in [SIMPLE_BUNDLE, IMAGE_APP1, &repo] {
        for w in TINY {
            assert_eq!(
                block_on(tar::index_with(&YieldingSource(bytes), w)),
                headers_only(bytes)
            );
        }
        let yielded = block_on(Archive::open(&YieldingSource(bytes))).unwrap();
        let ready = block_on(Archive::open(bytes)).unwrap();
        assert_eq!(yielded.entries, ready.entries);
        assert_eq!(format!("{:?}", yielded.set), format!("{:?}", ready.set));
        assert!(ready.set.problems.is_empty(), "{:?}", ready.set.problems);
    }
}

/// Bytes of the entries whose bodies count as small for `w`: their headers
/// (with any PAX or long-name headers) and padded bodies.
fn small_entry_bytes(idx: &TarIndex, w: Windows) -> u64 {
    idx.iter()
        .filter(|e| e.size <= w.small)
        .map(|e| e.end_offset() - e.header_offset)
        .sum()
}

/// The documented bound: at most (large entries + 1) doubling runs of
/// log2(max / 512) + 1 reads, one full window per (max - 512) small-entry
/// bytes, and the two end blocks.
fn read_bound(idx: &TarIndex, w: Windows) -> u64 {
    let large = idx.iter().filter(|e| e.size > w.small).count() as u64;
    let steps = u64::from((w.max / 512).ilog2()) + 1;
    (large + 1) * steps + small_entry_bytes(idx, w).div_ceil(w.max as u64 - 512) + 2
}

#[test]
fn a_thousand_image_repository_indexes_in_few_reads() {
    let tar = synth::large_package_repository(100, 10, "v1.0.0").to_bytes();
    let idx = headers_only(&tar).unwrap();
    assert_eq!(idx.len(), 1_102);

    let src = CountingSource::new(tar.as_slice());
    let windowed = block_on(tar::index_with(&src, Windows::DEFAULT)).unwrap();
    assert_eq!(windowed, idx);
    let bound = read_bound(&idx, Windows::DEFAULT);
    assert!(src.calls() <= bound, "{} reads, bound {bound}", src.calls());
    // Header by header it takes a read per entry.
    assert!(src.calls() * 50 < idx.len() as u64, "{} reads", src.calls());
    let small = small_entry_bytes(&idx, Windows::DEFAULT);
    let large = idx
        .iter()
        .filter(|e| e.size > Windows::DEFAULT.small)
        .count() as u64;
    assert!(src.bytes_read() <= 3 * small + 512 * (2 * large + 3));

    // Opening adds manifest.json; the bundle layers come from the windows.
    src.reset();
    let a = block_on(Archive::open(&src)).unwrap();
    assert!(a.set.problems.is_empty(), "{:?}", a.set.problems);
    assert_eq!(a.set.bundles.len(), 101);
    assert!(src.calls() <= bound + 1, "{} reads", src.calls());
    assert!(src.bytes_read() <= src.len(), "{} bytes", src.bytes_read());
    assert!(src.bytes_read() <= a.read_budget());
}

#[test]
fn large_entries_are_skipped_not_read() {
    // Small entries around 4 MiB bodies: the large bodies are never read
    // beyond one doubling window each.
    let mut tw = TarWriter::new(Vec::new());
    for i in 0..6u64 {
        for j in 0..20u64 {
            tw.append_data(&format!("small-{i}-{j}"), &noise(i * 100 + j + 1, 700))
                .unwrap();
        }
        tw.append_data(&format!("large-{i}"), &vec![7u8; 4 << 20])
            .unwrap();
    }
    let tar = tw.finish().unwrap();
    let idx = headers_only(&tar).unwrap();
    let src = CountingSource::new(tar.as_slice());
    assert_eq!(
        block_on(tar::index_with(&src, Windows::DEFAULT)).unwrap(),
        idx
    );
    let small = small_entry_bytes(&idx, Windows::DEFAULT);
    assert!(src.calls() <= read_bound(&idx, Windows::DEFAULT));
    assert!(src.calls() < idx.len() as u64 / 2, "{} reads", src.calls());
    assert!(
        src.bytes_read() <= 3 * small + 512 * (2 * 6 + 3),
        "{} bytes, small entries {small}",
        src.bytes_read()
    );
    assert!(src.bytes_read() < tar.len() as u64 / 50);
}

#[test]
fn ranges_are_read_together_within_a_span() {
    let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    let src = CountingSource::new(data.as_slice());
    let ranges = [100..200, 0..10, 150..160, 5_000..5_010, 9_990..10_010];
    let got = block_on(source::read_ranges(&src, &ranges, 1_000)).unwrap();
    for (r, bytes) in ranges.iter().zip(&got) {
        let want = &data[r.start as usize..(r.end as usize).min(data.len())];
        assert_eq!(bytes.as_slice(), want, "{r:?}");
    }
    // 0..200 together, 5,000 alone, 9,990 alone (short at the end).
    assert_eq!(src.calls(), 3);
    assert_eq!(src.bytes_read(), 200 + 10 + 10);
}

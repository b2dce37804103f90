#![cfg(not(target_arch = "wasm32"))]
//! Malformed and unusual tars: each is rejected with its own error variant,
//! or accepted with the right offsets. No input may panic.

use std::io::Write;

use airlock_core::tar::{self, EntryKind, TarError, TarIndex, TarWriter};
use airlock_testkit::sources::{ShortReadSource, YieldingSource};
use airlock_testkit::{block_on, random, FileSource};

const SIMPLE_BUNDLE: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");

fn index(bytes: &[u8]) -> Result<TarIndex, TarError> {
    block_on(tar::index(bytes))
}

/// Recomputes the (unsigned) checksum of a header block as Go writes it.
fn fix_checksum(b: &mut [u8]) {
    b[148..156].fill(b' ');
    let sum: u32 = b[..512].iter().map(|&c| u32::from(c)).sum();
    b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A valid USTAR header for `name` (any bytes) and `size`.
fn header_with_name(name: &[u8], size: u64) -> Vec<u8> {
    let mut b = tar::ustar_header("placeholder", size, 0o644)
        .unwrap()
        .to_vec();
    b[..100].fill(0);
    b[..name.len()].copy_from_slice(name);
    fix_checksum(&mut b);
    b
}

/// A header of another typeflag (and optionally GNU magic).
fn header_with_flag(name: &[u8], size: u64, flag: u8, gnu: bool) -> Vec<u8> {
    let mut b = header_with_name(name, size);
    b[156] = flag;
    if gnu {
        b[257..265].copy_from_slice(b"ustar  \0");
    }
    fix_checksum(&mut b);
    b
}

/// Data padded to a block.
fn padded(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(512) * 512, 0);
    v
}

fn end() -> Vec<u8> {
    vec![0u8; 1024]
}

fn entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = tar::ustar_header(name, data.len() as u64, 0o644)
        .unwrap()
        .to_vec();
    v.extend(padded(data));
    v
}

#[test]
fn random_bytes_are_not_a_tar() {
    let err = index(&random::bytes(7, 4096)).unwrap_err();
    assert!(matches!(err, TarError::NotTar { .. }), "{err:?}");
    let err = index(b"hello").unwrap_err();
    assert!(matches!(err, TarError::NotTar { .. }), "{err:?}");
}

#[test]
fn gzip_file_is_not_a_tar() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(SIMPLE_BUNDLE).unwrap();
    let gz = gz.finish().unwrap();
    match index(&gz).unwrap_err() {
        TarError::NotTar { reason } => assert!(reason.contains("gzip"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_file_is_an_error() {
    assert_eq!(index(b"").unwrap_err(), TarError::Empty);
}

#[test]
fn end_marker_variants() {
    // Two zero blocks: an empty archive.
    assert!(index(&end()).unwrap().is_empty());
    // One zero block then EOF (Go accepts).
    let mut one = entry("a", b"x");
    one.extend(vec![0u8; 512]);
    assert_eq!(index(&one).unwrap().len(), 1);
    // No end marker at all, data unpadded at EOF (Go accepts).
    let mut bare = tar::ustar_header("a", 3, 0o644).unwrap().to_vec();
    bare.extend(b"abc");
    let idx = index(&bare).unwrap();
    assert_eq!(idx.get("a").unwrap().size, 3);
    assert_eq!(idx.end_offset(), bare.len() as u64);
    // Trailing garbage after the end marker is ignored.
    let mut trailing = entry("a", b"x");
    trailing.extend(end());
    trailing.extend(random::bytes(1, 700));
    assert_eq!(index(&trailing).unwrap().len(), 1);
    // A zero block followed by a header is an error (Go: invalid header).
    let mut gap = vec![0u8; 512];
    gap.extend(entry("a", b"x"));
    assert_eq!(
        index(&gap).unwrap_err(),
        TarError::DataAfterZeroBlock { offset: 0 }
    );
    // A zero block then a partial block.
    let mut partial = entry("a", b"x");
    partial.extend(vec![0u8; 600]);
    assert_eq!(
        index(&partial).unwrap_err(),
        TarError::TruncatedHeader {
            offset: 1536,
            got: 88
        }
    );
}

#[test]
fn truncated_in_header() {
    // manifest.json: header at 0, 6237 bytes of data, next header at 7168.
    let err = index(&SIMPLE_BUNDLE[..7168 + 100]).unwrap_err();
    assert_eq!(
        err,
        TarError::TruncatedHeader {
            offset: 7168,
            got: 100
        }
    );
}

#[test]
fn truncated_in_data() {
    let err = index(&SIMPLE_BUNDLE[..7168 + 512 + 100]).unwrap_err();
    match err {
        TarError::DataBeyondEof {
            name,
            offset,
            data_offset,
            size,
            file_len,
        } => {
            assert!(name.starts_with("sha256-026fbc67"), "{name}");
            assert_eq!(
                (offset, data_offset, size, file_len),
                (7168, 7680, 695, 7780)
            );
        }
        other => panic!("{other:?}"),
    }
    // Truncated inside the padding after the data.
    let err = index(&SIMPLE_BUNDLE[..512 + 6237 + 10]).unwrap_err();
    assert!(
        matches!(err, TarError::TruncatedPadding { ref name, offset: 0, .. } if name == "manifest.json"),
        "{err:?}"
    );
}

#[test]
fn header_claiming_a_terabyte_in_a_small_file() {
    let mut h = header_with_name(b"huge", 0);
    // Base-256 size (GNU extension, accepted by Go in any header): 1 TiB.
    h[124..136].fill(0);
    h[124] = 0x80;
    h[130] = 0x01; // 1 << 40
    fix_checksum(&mut h);
    h.extend(random::bytes(3, 4096));
    match index(&h).unwrap_err() {
        TarError::DataBeyondEof { name, size, .. } => {
            assert_eq!(name, "huge");
            assert_eq!(size, 1 << 40);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_checksum() {
    let mut bytes = SIMPLE_BUNDLE.to_vec();
    bytes[7168 + 10] ^= 0x01; // inside the second header's name
    match index(&bytes).unwrap_err() {
        TarError::BadChecksum { offset, stored, .. } => {
            assert_eq!(offset, 7168);
            assert_eq!(stored, "022012\0 ");
        }
        other => panic!("{other:?}"),
    }
    // The same damage in the first header: not a tar at all.
    let mut bytes = SIMPLE_BUNDLE.to_vec();
    bytes[3] ^= 0x01;
    assert!(matches!(
        index(&bytes).unwrap_err(),
        TarError::NotTar { .. }
    ));
}

#[test]
fn signed_checksums_are_accepted() {
    // Old Sun tar summed signed bytes; Go accepts either sum.
    let mut h = header_with_name("caf\u{e9}".as_bytes(), 0);
    let signed: i64 = h
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(c as i8)
            }
        })
        .sum();
    h[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    h.extend(end());
    assert_eq!(index(&h).unwrap().entries()[0].name, "caf\u{e9}");
}

/// Why the tar of `entries` (then the end marker) is refused.
fn refused(mut entries: Vec<u8>) -> TarError {
    entries.extend(end());
    index(&entries).unwrap_err()
}

/// Why a tar of one empty entry named `name` is refused.
fn lone_entry_error(name: &[u8]) -> TarError {
    refused(header_with_name(name, 0))
}

#[test]
fn parent_dir_name() {
    assert_eq!(
        lone_entry_error(b"../x"),
        TarError::ParentDirName {
            name: "../x".into(),
            offset: 0
        }
    );
    let mut t = entry("ok", b"");
    t.extend(header_with_name(b"a/../../b", 0));
    assert!(matches!(
        refused(t),
        TarError::ParentDirName { offset: 512, .. }
    ));
}

#[test]
fn absolute_name() {
    assert_eq!(
        lone_entry_error(b"/etc/passwd"),
        TarError::AbsoluteName {
            name: "/etc/passwd".into(),
            offset: 0
        }
    );
}

#[test]
fn empty_name() {
    assert_eq!(lone_entry_error(b""), TarError::EmptyName { offset: 0 });
}

#[test]
fn duplicate_names() {
    let mut tw = TarWriter::new(Vec::new());
    tw.append_data("manifest.json", b"[]").unwrap();
    tw.append_data("a", b"1").unwrap();
    tw.append_data("manifest.json", b"[1]").unwrap();
    let bytes = tw.finish().unwrap();
    assert_eq!(
        index(&bytes).unwrap_err(),
        TarError::DuplicateName {
            name: "manifest.json".into(),
            first_offset: 0,
            offset: 2048
        }
    );
}

#[test]
fn non_utf8_name() {
    let err = lone_entry_error(b"caf\xe9.tar.gz");
    assert_eq!(
        err,
        TarError::NonUtf8Name {
            lossy: "caf\u{fffd}.tar.gz".into(),
            offset: 0
        }
    );
    assert!(err.to_string().contains("caf\u{fffd}.tar.gz"));
}

#[test]
fn bad_octal_number() {
    let mut h = header_with_name(b"a", 0);
    h[100..108].copy_from_slice(b"00006x4\0");
    fix_checksum(&mut h);
    h.extend(end());
    assert_eq!(
        index(&h).unwrap_err(),
        TarError::BadNumber {
            offset: 0,
            field: "mode",
            raw: "00006x4\0".into()
        }
    );
    let mut h = header_with_name(b"a", 0);
    h[124..136].copy_from_slice(b"0000000009\0\0");
    fix_checksum(&mut h);
    h.extend(end());
    assert!(matches!(
        index(&h).unwrap_err(),
        TarError::BadNumber { field: "size", .. }
    ));
    // A negative base-256 size.
    let mut h = header_with_name(b"a", 0);
    h[124..136].fill(0xff);
    fix_checksum(&mut h);
    h.extend(end());
    assert!(matches!(
        index(&h).unwrap_err(),
        TarError::BadNumber { field: "size", .. }
    ));
}

fn pax(body: &[u8]) -> Vec<u8> {
    let mut v = header_with_flag(b"PaxHeaders.0/x", body.len() as u64, b'x', false);
    v.extend(padded(body));
    v
}

#[test]
fn pax_path_and_size_records() {
    let long = format!("{}/file.tar.gz", "d".repeat(150));
    let rec = format!("{} path={long}\n", 6 + long.len() + 4);
    assert_eq!(rec.len(), 6 + long.len() + 4);
    let mut t = pax(rec.as_bytes());
    t.extend(entry("short", b"hello"));
    t.extend(end());
    let idx = index(&t).unwrap();
    let e = idx.get(&long).unwrap();
    assert_eq!((e.header_offset, e.data_offset, e.size), (0, 1536, 5));
    assert!(idx.get("short").is_none());
    // An empty value keeps the header's own field, as in Go.
    let mut t = pax(b"8 path=\n");
    t.extend(entry("kept", b""));
    t.extend(end());
    assert!(index(&t).unwrap().get("kept").is_some());
}

#[test]
fn pax_record_with_bogus_length() {
    for body in [
        &b"99 path=x\n"[..],
        b"3 path=x\n",
        b"x path=x\n",
        b"11 path=x\n\n\n",
        b"10 pathxx\n",
        b"10 size=x\n",
        b"12 size=-1\n",
    ] {
        let mut t = pax(body);
        t.extend(entry("a", b""));
        t.extend(end());
        let err = index(&t).unwrap_err();
        assert!(
            matches!(err, TarError::BadPaxRecord { offset: 0, .. }),
            "{:?}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn pax_header_too_large_is_refused_before_reading() {
    let mut t = header_with_flag(b"PaxHeaders.0/x", 2 << 20, b'x', false);
    t.extend(vec![b'7'; 3 << 20]);
    assert!(matches!(
        index(&t).unwrap_err(),
        TarError::SpecialTooLarge {
            offset: 0,
            size: 2097152,
            ..
        }
    ));
}

#[test]
fn dangling_extended_header() {
    let mut t = entry("a", b"");
    t.extend(pax(b"9 path=b\n"));
    assert_eq!(refused(t), TarError::DanglingExtendedHeader { offset: 512 });
}

#[test]
fn global_pax_headers_are_skipped() {
    let mut t = header_with_flag(b"pax_global_header", 20, b'g', false);
    t.extend(padded(b"20 comment=ignored\n\n"));
    t.extend(entry("a", b"x"));
    t.extend(end());
    let idx = index(&t).unwrap();
    assert_eq!(idx.len(), 1);
    assert_eq!(idx.entries()[0].header_offset, 1024);
}

#[test]
fn gnu_long_name() {
    let long = format!("{}.tar.gz", "n".repeat(200));
    let mut body = long.clone().into_bytes();
    body.push(0);
    let mut t = header_with_flag(b"././@LongLink", body.len() as u64, b'L', true);
    t.extend(padded(&body));
    let mut h = header_with_flag(&long.as_bytes()[..100], 4, b'0', true);
    // GNU base-256 size.
    h[124..136].fill(0);
    h[124] = 0x80;
    h[135] = 4;
    fix_checksum(&mut h);
    t.extend(h);
    t.extend(padded(b"data"));
    t.extend(end());
    let idx = index(&t).unwrap();
    let e = idx.get(&long).unwrap();
    assert_eq!((e.header_offset, e.data_offset, e.size), (0, 1536, 4));
    assert_eq!(e.kind, EntryKind::Regular);
}

#[test]
fn ustar_prefix_is_joined() {
    let name = format!("{}/{}", "p".repeat(80), "n".repeat(90));
    let mut tw = TarWriter::new(Vec::new());
    tw.append_data(&name, b"abc").unwrap();
    let bytes = tw.finish().unwrap();
    assert_eq!(bytes.len(), 512 * 4); // USTAR split, no PAX
    assert!(index(&bytes).unwrap().get(&name).is_some());
}

#[test]
fn non_ascii_names_are_written_with_pax_and_read_back() {
    let mut tw = TarWriter::new(Vec::new());
    tw.append_data("caf\u{e9}", b"abc").unwrap();
    let bytes = tw.finish().unwrap();
    assert_eq!(&bytes[..18], b"PaxHeaders.0/caf\0\0");
    assert_eq!(&bytes[512..526], "14 path=caf\u{e9}\n".as_bytes());
    let idx = index(&bytes).unwrap();
    assert_eq!(idx.get("caf\u{e9}").unwrap().data_offset, 1536);
}

#[test]
fn header_only_types_have_no_data() {
    let mut t = header_with_flag(b"dir/", 999, b'5', false);
    t.extend(header_with_flag(b"link", 5, b'2', false));
    t.extend(entry("f", b"x"));
    t.extend(end());
    let idx = index(&t).unwrap();
    let kinds: Vec<(EntryKind, u64, u64)> = idx
        .iter()
        .map(|e| (e.kind, e.size, e.header_offset))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EntryKind::Directory, 0, 0),
            (EntryKind::Symlink, 0, 512),
            (EntryKind::Regular, 1, 1024)
        ]
    );
}

/// Writes `blocks` at their offsets into a sparse file of `len` bytes.
fn sparse_file(parts: &[(u64, Vec<u8>)], len: u64) -> tempfile::NamedTempFile {
    use std::os::unix::fs::FileExt;
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().set_len(len).unwrap();
    for (off, bytes) in parts {
        f.as_file().write_all_at(bytes, *off).unwrap();
    }
    f
}

/// A sparse tar file of `header`, `size` bytes of (hole) data, then an
/// entry `after` and the end marker: its index, read from the file, and
/// where `after` starts.
fn index_big_entry(header: Vec<u8>, size: u64) -> (TarIndex, u64) {
    let after = header.len() as u64 + size;
    let mut tail = entry("after", b"tail");
    tail.extend(end());
    let len = after + tail.len() as u64;
    let f = sparse_file(&[(0, header), (after, tail)], len);
    let src = FileSource::open(f.path()).unwrap();
    (block_on(tar::index(&src)).unwrap(), after)
}

#[test]
fn entry_larger_than_4_gib_in_a_sparse_file() {
    const SIZE: u64 = 5 << 30;
    let header = tar::ustar_header("big", SIZE, 0o644).unwrap().to_vec();
    let (idx, after) = index_big_entry(header, SIZE);
    let big = idx.get("big").unwrap();
    assert_eq!(
        (big.header_offset, big.data_offset, big.size),
        (0, 512, SIZE)
    );
    let small = idx.get("after").unwrap();
    assert_eq!(small.header_offset, after);
    assert_eq!(small.data_offset, after + 512);
    assert_eq!(idx.end_offset(), after + 1024);
}

#[test]
fn pax_size_for_an_entry_over_8_gib() {
    const SIZE: u64 = 10 << 30;
    let hdr = tar::entry_header("sha256-big.tar.gz", SIZE, 0o644).unwrap();
    assert_eq!(hdr.len(), 1536);
    // The PAX header as Go's writer lays it out.
    assert_eq!(&hdr[..31], b"PaxHeaders.0/sha256-big.tar.gz\0");
    assert_eq!(&hdr[124..136], b"00000000024\0");
    assert_eq!(hdr[156], b'x');
    assert_eq!(&hdr[257..265], b"ustar\x0000");
    assert_eq!(&hdr[512..532], b"20 size=10737418240\n");
    assert!(hdr[532..1024].iter().all(|&c| c == 0));
    // The entry's own header: size written as zero.
    assert_eq!(&hdr[1024 + 124..1024 + 136], b"00000000000\0");
    assert_eq!(&hdr[1024..1041], b"sha256-big.tar.gz");

    let (idx, after) = index_big_entry(hdr, SIZE);
    let big = idx.get("sha256-big.tar.gz").unwrap();
    assert_eq!(
        (big.header_offset, big.data_offset, big.size),
        (0, 1536, SIZE)
    );
    assert_eq!(idx.get("after").unwrap().header_offset, after);
}

#[test]
fn reading_entries_is_bounded() {
    let idx = index(SIMPLE_BUNDLE).unwrap();
    let m = idx.get("manifest.json").unwrap();
    let data = block_on(tar::read_entry(SIMPLE_BUNDLE, m, 1 << 20)).unwrap();
    assert_eq!(data.len(), 6237);
    assert!(matches!(
        block_on(tar::read_entry(SIMPLE_BUNDLE, m, 100)),
        Err(TarError::EntryTooLarge { size: 6237, .. })
    ));
}

/// Mutates the golden tar at many positions and truncates it at many
/// lengths: the indexer must return, never panic or hang.
#[test]
fn mutations_never_panic() {
    let base = SIMPLE_BUNDLE;
    let values = [
        0x00, 0xff, 0x80, b'0', b'7', b' ', b'x', b'L', b'g', b'/', b'.',
    ];
    let mut checked = 0;
    let mut rng = random::bytes(42, 4_000);
    // Every byte of the first two headers, with several values.
    let mut positions: Vec<usize> = (0..512).chain(7168..7680).collect();
    // And a spread of positions across the file.
    positions.extend(
        rng.chunks(2)
            .map(|c| (usize::from(c[0]) << 8 | usize::from(c[1])) % base.len()),
    );
    for &p in &positions {
        for &v in &values {
            let mut m = base.to_vec();
            m[p] = v;
            let _ = index(&m);
            // Keep the header valid so the parser goes past the checksum.
            let hdr = p / 512 * 512;
            if m.len() >= hdr + 512 {
                fix_checksum(&mut m[hdr..hdr + 512]);
                let _ = index(&m);
            }
            checked += 1;
        }
    }
    for cut in (0..base.len()).step_by(37) {
        let _ = index(&base[..cut]);
    }
    rng.truncate(0);
    assert!(checked > 30_000);
}

#[test]
fn old_gnu_sparse_entries_skip_their_extension_blocks() {
    let mut h = header_with_flag(b"sparse", 3, b'S', true);
    h[482] = 1; // another sparse block follows
    fix_checksum(&mut h);
    let mut ext1 = vec![0u8; 512];
    ext1[504] = 1;
    let ext2 = vec![0u8; 512];
    let mut t = h;
    t.extend(ext1);
    t.extend(ext2);
    t.extend(padded(b"abc"));
    t.extend(entry("next", b""));
    t.extend(end());
    let idx = index(&t).unwrap();
    let e = idx.get("sparse").unwrap();
    assert_eq!(
        (e.kind, e.header_offset, e.data_offset, e.size),
        (EntryKind::GnuSparse, 0, 1536, 3)
    );
    assert_eq!(idx.get("next").unwrap().header_offset, 2048);
    // A sparse typeflag in a USTAR header is invalid (Go: ErrHeader).
    let ustar_sparse = header_with_flag(b"sparse", 0, b'S', false);
    assert!(matches!(
        refused(ustar_sparse),
        TarError::BadSparseHeader { offset: 0, .. }
    ));
}

/// The same mutation loop over a tar that uses PAX, GNU long names, a
/// global header and a sparse entry.
#[test]
fn mutations_of_extended_headers_never_panic() {
    let mut t = header_with_flag(b"pax_global_header", 20, b'g', false);
    t.extend(padded(b"20 comment=ignored\n\n"));
    t.extend(pax(b"17 path=pax-name\n18 size=000000004\n"));
    t.extend(entry("x", b"data"));
    let mut body = b"gnu-long-name".to_vec();
    body.push(0);
    t.extend(header_with_flag(
        b"././@LongLink",
        body.len() as u64,
        b'L',
        true,
    ));
    t.extend(padded(&body));
    t.extend(header_with_flag(b"short", 2, b'0', true));
    t.extend(padded(b"hi"));
    let mut s = header_with_flag(b"sparse", 1, b'S', true);
    s[482] = 1;
    fix_checksum(&mut s);
    t.extend(s);
    t.extend(vec![0u8; 512]);
    t.extend(padded(b"z"));
    t.extend(end());
    let idx = index(&t).unwrap();
    let names: Vec<&str> = idx.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["pax-name", "gnu-long-name", "sparse"]);

    let values = [0x00, 0xff, b'0', b'9', b'\n', b'x', b'S'];
    for p in 0..t.len() {
        for &v in &values {
            let mut m = t.clone();
            m[p] = v;
            let _ = index(&m);
            let hdr = p / 512 * 512;
            fix_checksum(&mut m[hdr..hdr + 512]);
            let _ = index(&m);
        }
    }
    for cut in 0..t.len() {
        let _ = index(&t[..cut]);
    }
}

/// Cross-check with the system `tar` when there is one: it lists what we
/// write with PAX headers (a non-ASCII name and a 10 GiB sparse entry).
#[test]
fn system_tar_lists_our_pax_entries() {
    let Ok(probe) = std::process::Command::new("tar").arg("--version").output() else {
        eprintln!("no system tar; skipped");
        return;
    };
    assert!(probe.status.success());
    const SIZE: u64 = 10 << 30;
    let mut head = TarWriter::new(Vec::new());
    head.append_data("caf\u{e9}.txt", b"abc").unwrap();
    let head = head.finish().unwrap();
    let mut parts = vec![(0, head[..head.len() - 1024].to_vec())];
    let big_at = (head.len() - 1024) as u64;
    let hdr = tar::entry_header("big", SIZE, 0o644).unwrap();
    let after = big_at + hdr.len() as u64 + SIZE;
    parts.push((big_at, hdr));
    let mut tail = entry("after", b"tail");
    tail.extend(end());
    let len = after + tail.len() as u64;
    parts.push((after, tail));
    let f = sparse_file(&parts, len);
    let out = std::process::Command::new("tar")
        .arg("tvf")
        .arg(f.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(lines[0].ends_with("caf\u{e9}.txt"), "{listing}");
    assert!(
        lines[1].contains("10737418240") && lines[1].ends_with(" big"),
        "{listing}"
    );
    assert!(lines[2].ends_with(" after"), "{listing}");
}

#[test]
fn short_reads_are_errors_not_panics() {
    let err = block_on(tar::index(&ShortReadSource(SIMPLE_BUNDLE))).unwrap_err();
    assert!(matches!(err, TarError::NotTar { .. }), "{err:?}");
}

#[test]
fn pending_reads_are_awaited() {
    let idx = block_on(tar::index(&YieldingSource(SIMPLE_BUNDLE))).unwrap();
    assert_eq!(idx, index(SIMPLE_BUNDLE).unwrap());
}

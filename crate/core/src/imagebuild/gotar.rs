//! The tar stream Go's `archive/tar` Writer produces for imgpkg's image
//! contents: directory and regular-file headers with a zero `ModTime`, no
//! owner, then the two zero blocks of `Close`. No padding to a 10 KiB record.
//!
//! Go picks the header format per entry: USTAR when every field fits
//! (a name longer than 100 bytes is split into the 155-byte prefix field at a
//! slash when it can be), otherwise PAX, which puts the exact name (and size)
//! into an extended header entry `PaxHeaders.0/<base>` before the real one.
//! The zero `time.Time` is written as the Unix epoch (0).

use super::TreeEntry;

const BLOCK: usize = 512;
const NAME_SIZE: usize = 100;
const PREFIX_SIZE: usize = 155;

const TYPE_REG: u8 = b'0';
const TYPE_DIR: u8 = b'5';
const TYPE_XHEADER: u8 = b'x';

/// The tar archive Go writes for `entries`, in the order given.
pub fn go_tar(entries: &[TreeEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        match entry {
            TreeEntry::Dir { path } => {
                write_entry(&mut out, path, 0o700, TYPE_DIR, &[]);
            }
            TreeEntry::File {
                path,
                mode,
                contents,
            } => {
                write_entry(&mut out, path, *mode as i64, TYPE_REG, contents);
            }
        }
    }
    out.extend_from_slice(&[0u8; 2 * BLOCK]);
    out
}

fn write_entry(out: &mut Vec<u8>, name: &str, mode: i64, typeflag: u8, contents: &[u8]) {
    // Directories are header-only: their size is 0 whatever the data.
    let size = contents.len() as i64;

    // Go's Header.allowedFormats, for the fields imgpkg sets.
    let name_needs_pax = !name.is_ascii() || name.len() > NAME_SIZE;
    let name_fits_ustar =
        name.is_ascii() && (name.len() <= NAME_SIZE || split_ustar_path(name).is_some());
    let size_fits_ustar = fits_in_octal(12, size);
    assert!(fits_in_octal(8, mode), "tar: mode {mode:o} does not fit");

    if name_fits_ustar && size_fits_ustar {
        let mut blk = [0u8; BLOCK];
        let (prefix, suffix) = split_ustar_path(name).unwrap_or(("", name));
        fill_v7_plus(&mut blk, suffix, mode, size, typeflag);
        format_string(&mut blk[345..500], prefix.as_bytes());
        finish_ustar(&mut blk);
        out.extend_from_slice(&blk);
    } else {
        let mut records: Vec<(&str, String)> = Vec::new();
        if name_needs_pax {
            records.push(("path", name.to_string()));
        }
        if !size_fits_ustar {
            records.push(("size", size.to_string()));
        }
        records.sort();
        let data: String = records
            .iter()
            .map(|(k, v)| format_pax_record(k, v))
            .collect();
        let (dir, file) = split_path(name);
        let pax_name = join_clean(&[dir, "PaxHeaders.0", file]);
        write_raw_file(out, &pax_name, data.as_bytes(), TYPE_XHEADER);

        let mut blk = [0u8; BLOCK];
        fill_v7_plus(&mut blk, &to_ascii(name), mode, size, typeflag);
        finish_ustar(&mut blk);
        out.extend_from_slice(&blk);
    }

    if typeflag == TYPE_REG {
        out.extend_from_slice(contents);
        pad_to_block(out, contents.len());
    }
}

/// Go's templateV7Plus for an owner-less entry with zero ModTime.
fn fill_v7_plus(blk: &mut [u8; BLOCK], name: &str, mode: i64, size: i64, typeflag: u8) {
    format_string(&mut blk[0..100], name.as_bytes());
    format_octal(&mut blk[100..108], mode);
    format_octal(&mut blk[108..116], 0); // uid
    format_octal(&mut blk[116..124], 0); // gid
    format_octal(&mut blk[124..136], size);
    format_octal(&mut blk[136..148], 0); // mtime: zero time.Time is written as the epoch
    blk[156] = typeflag;
    // linkname, uname and gname stay empty.
    format_octal(&mut blk[329..337], 0); // devmajor
    format_octal(&mut blk[337..345], 0); // devminor
}

/// Go's writeRawFile: a minimal header (only name, type, size; numbers
/// zero) followed by `data`.
fn write_raw_file(out: &mut Vec<u8>, name: &str, data: &[u8], typeflag: u8) {
    let mut name = to_ascii(name);
    name.truncate(NAME_SIZE);
    let name = name.trim_end_matches('/');
    let mut blk = [0u8; BLOCK];
    format_string(&mut blk[0..100], name.as_bytes());
    format_octal(&mut blk[100..108], 0);
    format_octal(&mut blk[108..116], 0);
    format_octal(&mut blk[116..124], 0);
    format_octal(&mut blk[124..136], data.len() as i64);
    format_octal(&mut blk[136..148], 0);
    blk[156] = typeflag;
    finish_ustar(&mut blk);
    out.extend_from_slice(&blk);
    out.extend_from_slice(data);
    pad_to_block(out, data.len());
}

/// USTAR/PAX magic and version, then the checksum ("%06o\0 ").
fn finish_ustar(blk: &mut [u8; BLOCK]) {
    blk[257..263].copy_from_slice(b"ustar\0");
    blk[263..265].copy_from_slice(b"00");
    let sum: i64 = blk
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                b' ' as i64
            } else {
                b as i64
            }
        })
        .sum();
    format_octal(&mut blk[148..155], sum);
    blk[155] = b' ';
}

fn pad_to_block(out: &mut Vec<u8>, len: usize) {
    let rem = len % BLOCK;
    if rem != 0 {
        out.resize(out.len() + BLOCK - rem, 0);
    }
}

/// Copies `s` into the field (truncating), NUL-terminated when shorter.
fn format_string(field: &mut [u8], s: &[u8]) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s[..n]);
    if s.len() < field.len() {
        field[s.len()] = 0;
    }
}

/// Zero-padded octal filling all but the last byte, which is NUL. A value
/// that does not fit is written as 0 (Go records an error it ignores here).
fn format_octal(field: &mut [u8], x: i64) {
    let x = if fits_in_octal(field.len(), x) { x } else { 0 };
    let digits = format!("{x:o}");
    let width = field.len() - 1;
    let s = format!("{digits:0>width$}");
    format_string(field, s.as_bytes());
}

fn fits_in_octal(n: usize, x: i64) -> bool {
    let oct_bits = (n as u32 - 1) * 3;
    x >= 0 && (n >= 22 || x < 1i64 << oct_bits)
}

/// Go's splitUSTARPath: a long ASCII name split at a slash into a prefix of
/// at most 155 bytes and a non-empty name of at most 100.
fn split_ustar_path(name: &str) -> Option<(&str, &str)> {
    let mut length = name.len();
    if length <= NAME_SIZE || !name.is_ascii() {
        return None;
    } else if length > PREFIX_SIZE + 1 {
        length = PREFIX_SIZE + 1;
    } else if name.as_bytes()[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].rfind('/')?;
    let nlen = name.len() - i - 1;
    if i == 0 || nlen > NAME_SIZE || nlen == 0 || i > PREFIX_SIZE {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Go's formatPAXRecord: "<len> key=value\n", where len counts itself.
fn format_pax_record(k: &str, v: &str) -> String {
    let mut size = k.len() + v.len() + 3;
    size += size.to_string().len();
    let mut record = format!("{size} {k}={v}\n");
    if record.len() != size {
        size = record.len();
        record = format!("{size} {k}={v}\n");
    }
    record
}

/// Go's toASCII: drops every non-ASCII character (and NUL).
fn to_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.chars().filter(|&c| c.is_ascii() && c != '\0').collect()
}

/// Go's path.Split: everything up to and including the last slash, and the
/// rest.
fn split_path(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

/// Go's path.Join: non-empty elements joined by slashes, then Clean.
fn join_clean(elems: &[&str]) -> String {
    let joined = elems
        .iter()
        .filter(|e| !e.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    clean_path(&joined)
}

/// Go's path.Clean.
fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(out: &[u8], index: usize) -> &[u8] {
        &out[index * BLOCK..(index + 1) * BLOCK]
    }

    #[test]
    fn ustar_directory_header_matches_go() {
        let tar = go_tar(&[TreeEntry::Dir { path: ".".into() }]);
        assert_eq!(tar.len(), 3 * BLOCK);
        let h = header(&tar, 0);
        assert_eq!(&h[..2], b".\0");
        assert_eq!(&h[100..108], b"0000700\0");
        assert_eq!(&h[108..124], b"0000000\x000000000\0");
        assert_eq!(&h[124..148], b"00000000000\x0000000000000\0");
        assert_eq!(&h[148..156], b"007251\0 ");
        assert_eq!(h[156], b'5');
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(&h[329..345], b"0000000\x000000000\0");
        assert!(tar[BLOCK..].iter().all(|&b| b == 0));
    }

    #[test]
    fn file_data_is_padded() {
        let tar = go_tar(&[TreeEntry::File {
            path: "a.yml".into(),
            mode: 0o600,
            contents: b"x: 1\n".to_vec(),
        }]);
        assert_eq!(tar.len(), 4 * BLOCK);
        let h = header(&tar, 0);
        assert_eq!(&h[100..108], b"0000600\0");
        assert_eq!(&h[124..136], b"00000000005\0");
        assert_eq!(h[156], b'0');
        assert_eq!(&tar[BLOCK..BLOCK + 5], b"x: 1\n");
    }

    #[test]
    fn long_ascii_name_uses_prefix() {
        let name = format!("{}/{}", "d".repeat(120), "f".repeat(50));
        let tar = go_tar(&[TreeEntry::File {
            path: name.clone(),
            mode: 0o600,
            contents: vec![],
        }]);
        assert_eq!(tar.len(), 3 * BLOCK);
        let h = header(&tar, 0);
        assert_eq!(&h[..51], format!("{}\0", "f".repeat(50)).as_bytes());
        assert_eq!(&h[345..466], format!("{}\0", "d".repeat(120)).as_bytes());
    }

    #[test]
    fn unsplittable_or_non_ascii_name_uses_pax() {
        let name = "dir/é.yml";
        let tar = go_tar(&[TreeEntry::File {
            path: name.into(),
            mode: 0o600,
            contents: b"1".to_vec(),
        }]);
        // PAX header block + its data block + real header + data + trailer.
        assert_eq!(tar.len(), 6 * BLOCK);
        let x = header(&tar, 0);
        assert_eq!(&x[..22], b"dir/PaxHeaders.0/.yml\0");
        assert_eq!(x[156], b'x');
        assert_eq!(&x[100..108], b"0000000\0");
        assert!(x[329..345].iter().all(|&b| b == 0));
        let record = "19 path=dir/é.yml\n";
        assert_eq!(record.len(), 19);
        assert_eq!(&x[124..136], b"00000000023\0");
        assert_eq!(&tar[BLOCK..BLOCK + 19], record.as_bytes());
        let h = header(&tar, 2);
        assert_eq!(&h[..9], b"dir/.yml\0");
        assert_eq!(&h[124..136], b"00000000001\0");
    }

    #[test]
    fn pax_record_length_counts_itself() {
        assert_eq!(format_pax_record("path", "abc"), "12 path=abc\n");
        // 95 + 3 + 4 = 102 -> "3 digits": 105 total.
        let v = "v".repeat(95);
        assert_eq!(format_pax_record("path", &v), format!("105 path={v}\n"));
    }

    #[test]
    fn go_path_helpers() {
        assert_eq!(split_path("a/b/c"), ("a/b/", "c"));
        assert_eq!(split_path("c"), ("", "c"));
        assert_eq!(
            join_clean(&["a/b/", "PaxHeaders.0", "c"]),
            "a/b/PaxHeaders.0/c"
        );
        assert_eq!(join_clean(&["", "PaxHeaders.0", "c"]), "PaxHeaders.0/c");
        assert_eq!(clean_path("./a//b/../c"), "a/c");
        assert_eq!(clean_path("../a"), "../a");
        assert!(split_ustar_path(&"x".repeat(101)).is_none());
    }
}

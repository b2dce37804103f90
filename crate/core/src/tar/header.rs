//! The 512-byte header block: field layout, numeric fields, checksums and
//! format detection, with the exact parsing rules of Go's `archive/tar`
//! (which wrote every imgpkg tar). Writing is [`crate::go::tar`]'s.

use std::ops::Range;

/// Size of a tar block (headers, padding and the end marker are all blocks).
pub const BLOCK_SIZE: u64 = 512;
pub(crate) const BLOCK: usize = 512;

pub(crate) type Block = [u8; BLOCK];

// V7 fields.
pub(crate) const NAME: Range<usize> = 0..100;
pub(crate) const MODE: Range<usize> = 100..108;
pub(crate) const UID: Range<usize> = 108..116;
pub(crate) const GID: Range<usize> = 116..124;
pub(crate) const SIZE: Range<usize> = 124..136;
pub(crate) const MTIME: Range<usize> = 136..148;
pub(crate) const CHKSUM: Range<usize> = 148..156;
pub(crate) const TYPEFLAG: usize = 156;
// USTAR / GNU / STAR shared fields.
pub(crate) const MAGIC: Range<usize> = 257..263;
pub(crate) const VERSION: Range<usize> = 263..265;
pub(crate) const DEVMAJOR: Range<usize> = 329..337;
pub(crate) const DEVMINOR: Range<usize> = 337..345;
pub(crate) const USTAR_PREFIX: Range<usize> = 345..500;
pub(crate) const STAR_PREFIX: Range<usize> = 345..476;
pub(crate) const STAR_TRAILER: Range<usize> = 508..512;
pub(crate) const GNU_ATIME: Range<usize> = 345..357;
pub(crate) const GNU_CTIME: Range<usize> = 357..369;
pub(crate) const GNU_IS_EXTENDED: usize = 482;
/// In a GNU sparse extension block, the "another block follows" flag.
pub(crate) const GNU_EXT_IS_EXTENDED: usize = 504;

pub(crate) const MAGIC_USTAR: &[u8] = b"ustar\0";
pub(crate) const VERSION_USTAR: &[u8] = b"00";
pub(crate) const MAGIC_GNU: &[u8] = b"ustar ";
pub(crate) const VERSION_GNU: &[u8] = b" \0";
pub(crate) const TRAILER_STAR: &[u8] = b"tar\0";

/// Which header layout a block uses (as Go's `getFormat` guesses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    V7,
    /// USTAR or PAX (same block layout).
    Ustar,
    Gnu,
    Star,
}

/// A block whose checksum does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChecksumMismatch {
    pub stored: String,
    pub unsigned: u64,
    pub signed: i64,
}

/// Sums of the block with the checksum field read as spaces: POSIX uses
/// unsigned bytes, old Sun tar used signed bytes; Go accepts either.
pub(crate) fn checksums(b: &Block) -> (u64, i64) {
    let mut unsigned = 0u64;
    let mut signed = 0i64;
    for (i, &c) in b.iter().enumerate() {
        let c = if CHKSUM.contains(&i) { b' ' } else { c };
        unsigned += u64::from(c);
        signed += i64::from(c as i8);
    }
    (unsigned, signed)
}

/// Verifies the checksum and guesses the format from the magic.
pub(crate) fn format_of(b: &Block) -> Result<Format, ChecksumMismatch> {
    let (unsigned, signed) = checksums(b);
    let ok = match parse_octal(&b[CHKSUM]) {
        Some(v) => v == unsigned || v as i64 == signed,
        None => false,
    };
    if !ok {
        return Err(ChecksumMismatch {
            stored: lossy(&b[CHKSUM]),
            unsigned,
            signed,
        });
    }
    let magic = &b[MAGIC];
    Ok(
        if magic == MAGIC_USTAR && &b[STAR_TRAILER] == TRAILER_STAR {
            Format::Star
        } else if magic == MAGIC_USTAR {
            Format::Ustar
        } else if magic == MAGIC_GNU && &b[VERSION] == VERSION_GNU {
            Format::Gnu
        } else {
            Format::V7
        },
    )
}

/// The bytes of a NUL-terminated field, up to the first NUL.
pub(crate) fn c_string(field: &[u8]) -> &[u8] {
    match field.iter().position(|&c| c == 0) {
        Some(n) => &field[..n],
        None => field,
    }
}

/// A field rendered for error messages.
pub(crate) fn lossy(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

/// Go's `parseOctal`: trim NULs and spaces on both sides, cut at the first
/// NUL, then an unsigned base-8 number that fits 64 bits. Empty is zero.
pub(crate) fn parse_octal(field: &[u8]) -> Option<u64> {
    let is_pad = |c: &u8| *c == 0 || *c == b' ';
    let Some(start) = field.iter().position(|c| !is_pad(c)) else {
        return Some(0);
    };
    let end = field
        .iter()
        .rposition(|c| !is_pad(c))
        .map_or(start, |e| e + 1);
    let digits = c_string(&field[start..end]);
    if digits.is_empty() {
        return Some(0);
    }
    let mut x: u64 = 0;
    for &c in digits {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        x = x.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(x)
}

/// Go's `parseNumeric`: base-256 (GNU/star binary, high bit set, two's
/// complement) or octal. Like Go, an octal value above `i64::MAX` wraps.
pub(crate) fn parse_numeric(field: &[u8]) -> Option<i64> {
    match field.first() {
        Some(&first) if first & 0x80 != 0 => {
            let inv: u8 = if first & 0x40 != 0 { 0xff } else { 0 };
            let mut x: u64 = 0;
            for (i, &c) in field.iter().enumerate() {
                let mut c = c ^ inv;
                if i == 0 {
                    c &= 0x7f;
                }
                if x >> 56 > 0 {
                    return None;
                }
                x = (x << 8) | u64::from(c);
            }
            if x >> 63 > 0 {
                return None;
            }
            let x = x as i64;
            Some(if inv == 0xff { !x } else { x })
        }
        _ => parse_octal(field).map(|x| x as i64),
    }
}

/// Padding after `size` data bytes, up to the next block boundary.
pub fn padding(size: u64) -> u64 {
    (BLOCK_SIZE - size % BLOCK_SIZE) % BLOCK_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_follows_go() {
        assert_eq!(parse_octal(b"0000644\0"), Some(0o644));
        assert_eq!(parse_octal(b"  644 \0\0"), Some(0o644));
        assert_eq!(parse_octal(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(parse_octal(b"        "), Some(0));
        assert_eq!(parse_octal(b"12\x0034"), Some(0o12));
        assert_eq!(parse_octal(b"0000008\0"), None);
        assert_eq!(parse_octal(b"-000001\0"), None);
        assert_eq!(parse_octal(b"7777777777777777777777"), None);
        assert_eq!(parse_octal(b"1777777777777777777777"), Some(u64::MAX));
    }

    #[test]
    fn base256_follows_go() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[7] = 0x02; // 2 << 32 = 8 GiB
        assert_eq!(parse_numeric(&f), Some(2 << 32));
        assert_eq!(parse_numeric(&[0xff; 12]), Some(-1));
        let mut big = [0xffu8; 12];
        big[0] = 0x80;
        assert_eq!(parse_numeric(&big), None); // overflow
        let mut max = [0u8; 12];
        max[0] = 0x80;
        max[4] = 0x7f;
        max[5..].fill(0xff);
        assert_eq!(parse_numeric(&max), Some(i64::MAX));
    }

    #[test]
    fn padding_is_to_the_next_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(2190), 370);
    }
}

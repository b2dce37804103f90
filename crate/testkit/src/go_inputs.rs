//! The inputs of the Go oracle corpus's `flate` and `gzip` cases
//! (`tests/fixtures/go-corpus/MANIFEST.json`), regenerated instead of stored.
//!
//! The one Rust implementation (std only; `tests/go-corpus/inputs.rs` points
//! here). It must stay identical in behaviour to `input()` in
//! `tests/go-corpus/main.go`; every case in the manifest records
//! `input_sha256`, the SHA-256 of `input(generator, size)`, and
//! `crate/core/tests/go_corpus.rs` checks each input against it.
//!
//! # Algorithm
//!
//! All arithmetic is on `u64`, wrapping; `%` is the unsigned remainder.
//!
//! * PRNG: SplitMix64. `state += 0x9E3779B97F4A7C15; z = state;
//!   z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) *
//!   0x94D049BB133111EB; return z ^ z >> 31`.
//! * Seed: `tag << 40 | size`, with tag 1 for `text`, 2 for `random`, 3 for
//!   `repetitive`. Each (kind, size) is its own stream; a smaller input is
//!   not a prefix of a larger one.
//! * Every kind appends until the output holds at least `size` bytes, then
//!   truncates to exactly `size`.
//! * `random`: each `r = next()` appends its 8 bytes, least significant
//!   first.
//! * `text`: each `r = next()` appends `WORDS[r % 32]`, then a separator
//!   chosen by `(r >> 8) % 16`: 0 → `"\n"`, 1 → `"\n  "`, 2 → `", "`,
//!   anything else → `" "`.
//! * `repetitive` (an LZ77-style copy process): each `r = next()`, with `n`
//!   the current length: if `n == 0` or `r % 16 == 0`, append the byte
//!   `(r >> 8) as u8`. Otherwise copy: `dist = 1 + (r >> 8) % 16` when
//!   `(r >> 4) % 2 == 0`, else `1 + (r >> 8) % 40000`; `dist = min(dist, n)`;
//!   `len = 1 + (r >> 32) % 300`; append `len` bytes one at a time, each the
//!   byte `dist` back from the current end (so copies may overlap, giving
//!   runs). Matches therefore have lengths 1..=300 and distances up to 40000,
//!   past DEFLATE's 32768 window.

/// The `text` kind's vocabulary, indexed by `r % 32`.
const WORDS: [&str; 32] = [
    "apiVersion:",
    "kind:",
    "metadata:",
    "name:",
    "image:",
    "sha256",
    "digest",
    "bundle",
    "imgpkg",
    "carvel.dev",
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "layer",
    "config",
    "tar",
    "gzip",
    "registry",
    "127.0.0.1:5000/src/app1",
    "v1alpha1",
    "-",
    "#",
    "=",
    "{",
    "}",
    "0",
    "42",
    "95cdec99a5b01a74bed240f40f9f59e7",
];

/// The input kinds, as named in the manifest's `generator` field.
pub const KINDS: [&str; 3] = ["text", "random", "repetitive"];

/// The sizes the corpus has a `flate` and a `gzip` case for, per kind.
pub const SIZES: [usize; 12] = [
    0, 1, 16, 17, 127, 128, 4096, 65534, 65535, 65536, 204800, 1048576,
];

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The input of kind `kind` (`"text"`, `"random"` or `"repetitive"`) and
/// length `size`, as the corpus generator made it. Panics on another kind.
pub fn input(kind: &str, size: usize) -> Vec<u8> {
    let tag: u64 = match kind {
        "text" => 1,
        "random" => 2,
        "repetitive" => 3,
        _ => panic!("unknown input kind {kind:?}"),
    };
    let mut rng = SplitMix64(tag << 40 | size as u64);
    let mut out: Vec<u8> = Vec::with_capacity(size + 300);
    match kind {
        "random" => {
            while out.len() < size {
                out.extend_from_slice(&rng.next().to_le_bytes());
            }
        }
        "text" => {
            while out.len() < size {
                let r = rng.next();
                out.extend_from_slice(WORDS[(r % 32) as usize].as_bytes());
                let sep: &[u8] = match (r >> 8) % 16 {
                    0 => b"\n",
                    1 => b"\n  ",
                    2 => b", ",
                    _ => b" ",
                };
                out.extend_from_slice(sep);
            }
        }
        _ => {
            while out.len() < size {
                let r = rng.next();
                let n = out.len() as u64;
                if n == 0 || r % 16 == 0 {
                    out.push((r >> 8) as u8);
                    continue;
                }
                let dist = if (r >> 4) % 2 == 0 {
                    1 + (r >> 8) % 16
                } else {
                    1 + (r >> 8) % 40000
                };
                let dist = dist.min(n) as usize;
                let len = 1 + (r >> 32) % 300;
                for _ in 0..len {
                    out.push(out[out.len() - dist]);
                }
            }
        }
    }
    out.truncate(size);
    out
}

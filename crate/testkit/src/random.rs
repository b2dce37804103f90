//! The one deterministic random generator of the tests: xoshiro256**
//! seeded through splitmix64. Fast, reproducible from a seed, not
//! cryptographic. Layer bytes, test payloads and the fault proxy's choices
//! all come from here.

use std::io::{self, Read};

/// xoshiro256** seeded through splitmix64.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `seed` (every seed, 0 included, gives a good state).
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (`n > 0`; the slight modulo bias does not matter
    /// for tests).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// `len` incompressible bytes from `seed`: the little-endian words of
/// [`Rng::new(seed)`](Rng::new), cut at `len` (the same bytes
/// [`RandomReader`] streams).
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    RandomReader::new(seed, len as u64).fill(&mut out);
    out
}

/// Streams the bytes of [`bytes`] without holding them: `len` bytes from
/// `seed`.
#[derive(Debug, Clone)]
pub struct RandomReader {
    rng: Rng,
    remaining: u64,
    pending: [u8; 8],
    pending_len: usize,
}

impl RandomReader {
    /// `len` bytes from `seed`.
    pub fn new(seed: u64, len: u64) -> RandomReader {
        RandomReader {
            rng: Rng::new(seed),
            remaining: len,
            pending: [0; 8],
            pending_len: 0,
        }
    }

    /// Fills `out` entirely (the caller bounds it by `remaining`).
    fn fill(&mut self, out: &mut [u8]) {
        let mut pos = 0;
        while self.pending_len > 0 && pos < out.len() {
            out[pos] = self.pending[8 - self.pending_len];
            self.pending_len -= 1;
            pos += 1;
        }
        let rest = &mut out[pos..];
        let mut chunks = rest.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let word = self.rng.next_u64().to_le_bytes();
            let n = tail.len();
            tail.copy_from_slice(&word[..n]);
            self.pending = word;
            self.pending_len = 8 - n;
        }
    }
}

impl Read for RandomReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        self.fill(&mut buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_streams_the_same_bytes_in_any_chunking() {
        let whole = bytes(5, 1001);
        let mut r = RandomReader::new(5, 1001);
        let mut streamed = Vec::new();
        let mut buf = [0u8; 13];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            streamed.extend_from_slice(&buf[..n]);
        }
        assert_eq!(streamed, whole);
        assert_ne!(bytes(6, 1001), whole);
    }
}
